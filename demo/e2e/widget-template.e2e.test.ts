// The widget's template renderer (widget/src/template.ts) in real Chromium: values only ever become
// text, attribute values, boolean attributes and listeners; re-rendering updates in place; lists
// grow and shrink. Built alone from its source with Vite, loaded into a blank page.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { build } from 'vite';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBrowser } from './browser';

const browser = useBrowser();
let bundle = '';

beforeAll(async () => {
  const out = mkdtempSync(join(tmpdir(), 'shouyin-template-'));
  try {
    await build({
      configFile: false,
      logLevel: 'silent',
      build: {
        outDir: out,
        minify: true,
        lib: { entry: new URL('../../widget/src/template.ts', import.meta.url).pathname, name: 'T', formats: ['iife'], fileName: () => 't.js' },
      },
    });
    bundle = readFileSync(join(out, 't.js'), 'utf8');
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

async function blank(): Promise<Page> {
  const page = await browser.newPage();
  await page.setContent('<!doctype html><div id="root"></div>');
  await page.addScriptTag({ content: bundle });
  return page;
}

type T = typeof import('../../widget/src/template');
declare global {
  interface Window {
    T: T;
  }
}

describe('widget template renderer', () => {
  it('puts values in as text and attribute values, never as markup', async () => {
    const page = await blank();
    const r = await page.evaluate(() => {
      const { html, render } = window.T;
      const root = document.getElementById('root')!;
      const evil = '<img src=x onerror="window.hit=1"><script>window.hit=2</script>';
      const quote = '"><img src=x onerror="window.hit=3">';
      render(html`<p title=${quote} class="a ${'b'} c">${evil}</p><span data-x="${quote}">x</span>`, root);
      const p = root.querySelector('p')!;
      return {
        text: p.textContent,
        title: p.getAttribute('title'),
        cls: p.className,
        dataX: root.querySelector('span')!.dataset.x,
        imgs: root.querySelectorAll('img, script').length,
        hit: (window as unknown as { hit?: number }).hit ?? 0,
        attrs: p.getAttributeNames().sort(),
      };
    });
    expect(r).toEqual({
      text: '<img src=x onerror="window.hit=1"><script>window.hit=2</script>',
      title: '"><img src=x onerror="window.hit=3">',
      cls: 'a b c',
      dataX: '"><img src=x onerror="window.hit=3">',
      imgs: 0,
      hit: 0,
      attrs: ['class', 'title'],
    });
    await page.waitForTimeout(50);
    expect(await page.evaluate(() => (window as unknown as { hit?: number }).hit ?? 0)).toBe(0);
  });

  it('re-rendering the same template updates in place: nodes and focus stay', async () => {
    const page = await blank();
    const r = await page.evaluate(() => {
      const { html, render, nothing } = window.T;
      const root = document.getElementById('root')!;
      const view = (n: number, label: unknown, title: unknown) => html`<div title=${title}><button>${label}</button><i>${n}</i></div>`;
      render(view(1, 'one', 'x'), root);
      const button = root.querySelector('button')!;
      button.focus();
      render(view(2, 'two', nothing), root);
      const first = {
        same: root.querySelector('button') === button,
        focused: document.activeElement === button,
        label: button.textContent,
        n: root.querySelector('i')!.textContent,
        title: root.querySelector('div')!.hasAttribute('title'),
      };
      render(view(3, html`<b>bold</b>`, 'y'), root);
      const second = { same: root.querySelector('button') === button, html: button.innerHTML.replace(/<!---->/g, ''), title: root.querySelector('div')!.title };
      render(view(4, null, undefined), root);
      const third = { label: button.textContent, title: root.querySelector('div')!.getAttribute('title') };
      return { first, second, third };
    });
    expect(r.first).toEqual({ same: true, focused: true, label: 'two', n: '2', title: false });
    expect(r.second).toEqual({ same: true, html: '<b>bold</b>', title: 'y' });
    expect(r.third).toEqual({ label: '', title: '' });
  });

  it('a different template replaces the old one', async () => {
    const page = await blank();
    const r = await page.evaluate(() => {
      const { html, render, nothing } = window.T;
      const root = document.getElementById('root')!;
      const a = (x: string) => html`<p>${x}</p>`;
      const b = (x: string) => html`<h2>${x}</h2>`;
      render(a('A'), root);
      render(b('B'), root);
      const afterB = root.innerHTML.replace(/<!---->/g, '');
      render(nothing, root);
      const empty = root.textContent;
      render('plain', root);
      return { afterB, empty, plain: root.textContent };
    });
    expect(r).toEqual({ afterB: '<h2>B</h2>', empty: '', plain: 'plain' });
  });

  it('?bool toggles the attribute; @event calls the latest listener, added once', async () => {
    const page = await blank();
    const r = await page.evaluate(() => {
      const { html, render } = window.T;
      const root = document.getElementById('root')!;
      const calls: string[] = [];
      const view = (on: boolean, who: string) => html`<button ?disabled=${on} @click=${() => calls.push(who)}>b</button>`;
      render(view(true, 'first'), root);
      const b = root.querySelector('button')!;
      const disabled1 = b.disabled;
      render(view(false, 'second'), root);
      b.click();
      render(view(false, 'third'), root);
      b.click();
      return { disabled1, disabled2: b.disabled, attr: b.getAttributeNames(), calls };
    });
    expect(r).toEqual({ disabled1: true, disabled2: false, attr: [], calls: ['second', 'third'] });
  });

  it('lists grow, shrink and change item templates', async () => {
    const page = await blank();
    const r = await page.evaluate(() => {
      const { html, render } = window.T;
      const root = document.getElementById('root')!;
      const list = (items: unknown[]) => html`<ul>${items}</ul><p>after</p>`;
      const li = (x: string) => html`<li>${x}</li>`;
      const texts = () => [...root.querySelectorAll('li')].map((l) => l.textContent).join(',');
      render(list(['a', 'b', 'c'].map(li)), root);
      const first = root.querySelector('li');
      const s1 = texts();
      render(list(['x'].map(li)), root);
      const s2 = { texts: texts(), kept: root.querySelector('li') === first };
      render(list([li('1'), html`<li class="other">2</li>`, li('3'), li('4')]), root);
      const s3 = { texts: texts(), other: root.querySelectorAll('li.other').length };
      render(list([]), root);
      // Nothing left behind: only the list's own two comments.
      const s4 = { ul: root.querySelector('ul')!.innerHTML, after: root.querySelector('p')!.textContent };
      render(list(['p', 'q'].map(li)), root);
      return { s1, s2, s3, s4, s5: texts() };
    });
    expect(r).toEqual({
      s1: 'a,b,c',
      s2: { texts: 'x', kept: true },
      s3: { texts: '1,2,3,4', other: 1 },
      s4: { ul: '<!----><!---->', after: 'after' },
      s5: 'p,q',
    });
  });

  it('SVG keeps its namespace and attribute case', async () => {
    const page = await blank();
    const r = await page.evaluate(() => {
      const { html, render } = window.T;
      const root = document.getElementById('root')!;
      const size = 25;
      render(html`<svg viewBox="0 0 ${size} ${size}"><path d=${'M0 0h1v1h-1z'}></path></svg>`, root);
      const svg = root.querySelector('svg')!;
      const path = svg.querySelector('path')!;
      return { ns: path.namespaceURI, viewBox: svg.getAttribute('viewBox'), box: svg.viewBox.baseVal.width, d: path.getAttribute('d') };
    });
    expect(r).toEqual({ ns: 'http://www.w3.org/2000/svg', viewBox: '0 0 25 25', box: 25, d: 'M0 0h1v1h-1z' });
  });
});
