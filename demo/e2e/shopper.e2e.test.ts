// The shopper's edges in real Chromium against `wrangler dev` (demo/e2e/global-setup.mjs): the hosted
// checkout page (desktop and phone, Simplified Chinese, Traditional Chinese and English, its CSP and
// axe), the QR the Worker encodes read back from a screenshot, a payment on the hosted page and the
// way back to the shop, an ended session with a button back, a payment left in the wallet (Alipay's
// quit) and the shopper's language after the round trip, and a phone's "show a QR code".
// Screenshots: test-output/e2e/shopper-*.png.

import type { BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The decoder and axe run in the browser; ?raw keeps this file free of Node APIs.
import jsqrSource from '../../node_modules/jsqr/dist/jsQR.js?raw';
import axeSource from '../../node_modules/axe-core/axe.min.js?raw';
import type { Browser } from 'playwright-core';
import { eventually } from './merchant-api';
import { DESKTOP, FakeApi, PHONE, UA, Widget, baseUrl, launch, pageErrors, recordEvents, secretKey, shot } from './widget-harness';

let browser: Browser;
beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => browser?.close());

interface Created {
  id: string;
  url: string;
  client_secret: string;
  merchant_order_id: string;
  cancel_url: string | null;
}

let seq = 0;
async function createSession(body: Record<string, unknown> = {}): Promise<Created> {
  const res = await fetch(`${baseUrl}/v1/checkout/sessions`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${secretKey}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({
      amount: 6800,
      currency: 'CNY',
      description: '明前龙井 Longjing tea 250g',
      merchant_order_id: `hp${Date.now().toString(36)}${seq++}`,
      cancel_url: `${baseUrl}/?from=cancel&lang={LOCALE}`,
      return_url: `${baseUrl}/demo/checkout/{CHECKOUT_SESSION_ID}`,
      ...body,
    }),
  });
  expect(res.status, await res.clone().text()).toBe(201);
  return (await res.json()) as Created;
}

/** A context that records CSP refusals and page errors; the hosted page must cause neither. */
async function context(options: BrowserContextOptions): Promise<{ ctx: BrowserContext; page: Page; problems: string[] }> {
  const ctx = await browser.newContext(options);
  const page = await ctx.newPage();
  const problems = pageErrors(page);
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) problems.push(m.text());
  });
  await recordEvents(page);
  return { ctx, page, problems };
}

/** The payload of the QR code in a PNG screenshot, read by jsQR in a blank page (no CSP there). */
async function decodeScreenshot(png: Buffer): Promise<string | null> {
  const page = await browser.newPage();
  try {
    await page.setContent('<!doctype html><title>decode</title>');
    await page.addScriptTag({ content: jsqrSource });
    return await page.evaluate(async (b64) => {
      const img = new Image();
      img.src = `data:image/png;base64,${b64}`;
      await img.decode();
      const c = document.createElement('canvas');
      c.width = img.width;
      c.height = img.height;
      const g = c.getContext('2d')!;
      g.drawImage(img, 0, 0);
      const d = g.getImageData(0, 0, c.width, c.height);
      const jsQR = (window as unknown as { jsQR: (d: Uint8ClampedArray, w: number, h: number) => { data: string } | null }).jsQR;
      return jsQR(d.data, d.width, d.height)?.data ?? null;
    }, png.toString('base64'));
  } finally {
    await page.close();
  }
}

/** axe-core over the whole hosted page (not just the widget): WCAG 2.x A and AA, no violation of any impact. */
async function expectNoAxeViolations(page: Page, what: string): Promise<void> {
  const violations = await page.evaluate(async () => {
    type Axe = { run: (ctx: unknown, o: unknown) => Promise<{ violations: { id: string; impact: string; nodes: { target: unknown }[] }[] }> };
    const r = await (window as unknown as { axe: Axe }).axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] },
    });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => JSON.stringify(n.target)) }));
  });
  expect(violations, `${what}: ${JSON.stringify(violations, null, 2)}`).toEqual([]);
}

const WECHAT = /微信支付|WeChat Pay/;

describe('the hosted checkout page', () => {
  it('desktop, Simplified Chinese: the session, a strict CSP, a link back, and the QR the Worker drew reads as the provider’s payload', async () => {
    const s = await createSession();
    expect(s.url).toBe(`${baseUrl}/pay/${s.id}#${s.client_secret}`);
    const { ctx, page, problems } = await context({ ...DESKTOP, locale: 'zh-CN' });
    const res = await page.goto(s.url);
    expect(res!.headers()['content-security-policy']).toMatch(/script-src 'self' 'nonce-[^']+'/);
    expect(res!.headers()['referrer-policy']).toBe('no-referrer');
    const w = new Widget(page);
    await w.el.getByText('明前龙井 Longjing tea 250g').waitFor();
    await w.el.getByText('¥68.00').waitFor();
    await w.button(WECHAT).waitFor();
    const back = page.getByRole('link', { name: /返回商户/ });
    await back.waitFor();
    expect(await back.getAttribute('href')).toBe(`${baseUrl}/?from=cancel&lang=zh-CN`);
    await shot(page, 'shopper-01-hosted-desktop-zh-CN.png');

    await w.button(WECHAT).click();
    await w.qr.waitFor();
    const view = (await (await fetch(`${baseUrl}/v1/client/sessions/${s.id}`, { headers: { Authorization: `Bearer ${s.client_secret}` } })).json()) as {
      active_attempt: { next_action: { type: string; data: string } };
    };
    expect(view.active_attempt.next_action.type).toBe('display_qr');
    const decoded = await decodeScreenshot(await w.qr.screenshot());
    expect(decoded).toBe(view.active_attempt.next_action.data);
    await shot(page, 'shopper-02-hosted-qr.png');

    // Pay in the sandbox wallet: the page turns paid and the link leads to return_url.
    const [wallet] = await Promise.all([page.context().waitForEvent('page'), w.link(/打开沙箱钱包|Open sandbox wallet/).click()]);
    await wallet.getByRole('button', { name: /确认支付/ }).click();
    await w.status.filter({ hasText: '支付成功' }).waitFor({ timeout: 15_000 });
    await w.el.getByText(`订单号 ${s.merchant_order_id}`).waitFor();
    await eventually(async () => ((await back.getAttribute('href')) === `${baseUrl}/demo/checkout/${s.id}` ? true : undefined), 'the link to return_url');
    await page.bringToFront();
    await shot(page, 'shopper-03-hosted-paid.png');
    expect(problems).toEqual([]);
    await ctx.close();
  });

  it('has no axe violation (WCAG 2.x A/AA and best practices), open and paid', async () => {
    const s = await createSession();
    // axe is injected, so this one context lets the page's CSP pass it; the test above runs under the CSP.
    const { ctx, page } = await context({ ...DESKTOP, locale: 'en-US', bypassCSP: true });
    await page.addInitScript({ content: axeSource });
    await page.goto(s.url);
    const w = new Widget(page);
    await w.button(WECHAT).waitFor();
    await expectNoAxeViolations(page, 'hosted page, open');
    await w.button(WECHAT).click();
    await w.qr.waitFor();
    await expectNoAxeViolations(page, 'hosted page, QR code');
    const [wallet] = await Promise.all([page.context().waitForEvent('page'), w.link(/打开沙箱钱包|Open sandbox wallet/).click()]);
    await wallet.getByRole('button', { name: /确认支付/ }).click();
    await w.status.filter({ hasText: 'Payment successful' }).waitFor({ timeout: 15_000 });
    await page.getByRole('link', { name: /Back to the shop/ }).waitFor();
    await expectNoAxeViolations(page, 'hosted page, paid');
    await ctx.close();
  });

  it('phone, English and Traditional Chinese (fetched for a zh-TW browser)', async () => {
    const s = await createSession();
    for (const [locale, lang, name, text] of [
      ['en-US', 'en', 'shopper-04-hosted-phone-en.png', 'Choose a payment method'],
      ['zh-TW', 'zh-TW', 'shopper-05-hosted-phone-zh-TW.png', '選擇付款方式'],
      ['zh-HK', 'zh-TW', '', '選擇付款方式'],
      ['zh-CN', 'zh-CN', 'shopper-06-hosted-phone-zh-CN.png', '选择支付方式'],
    ] as const) {
      const { ctx, page, problems } = await context({ ...PHONE, locale });
      await page.goto(s.url);
      expect(await page.getAttribute('html', 'lang')).toBe(lang);
      const w = new Widget(page);
      await w.el.getByText(text).waitFor();
      if (name) await shot(page, name);
      expect(problems, locale).toEqual([]);
      await ctx.close();
    }
  });

  it('inside WeChat and inside Alipay: the wallet’s own flow first, the other wallet with a guide to a browser', async () => {
    const s = await createSession();
    for (const [ua, name, guided] of [
      [UA.wechat, 'shopper-12-hosted-in-wechat.png', /支付宝.*在浏览器中打开/],
      [UA.alipay, 'shopper-13-hosted-in-alipay.png', /微信支付.*在浏览器中打开/],
    ] as const) {
      const { ctx, page, problems } = await context({ ...PHONE, userAgent: ua, locale: 'zh-CN' });
      await page.goto(s.url);
      const w = new Widget(page);
      await w.button(guided).waitFor();
      await shot(page, name);
      expect(problems).toEqual([]);
      await ctx.close();
    }
  });

  it('a session canceled while the page is open: the widget says so, with a button back and shouyin-ended', async () => {
    const s = await createSession();
    const { ctx, page } = await context({ ...DESKTOP, locale: 'en-US' });
    await page.goto(s.url);
    const w = new Widget(page);
    await w.button(WECHAT).waitFor();
    const r = await fetch(`${baseUrl}/v1/checkout/sessions/${s.id}/cancel`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${secretKey}`, 'Content-Type': 'application/json' },
      body: '{}',
    });
    expect(r.status).toBe(200);
    await w.status.filter({ hasText: 'This checkout was canceled' }).waitFor({ timeout: 15_000 });
    const button = w.link('Back to the shop');
    expect(await button.getAttribute('href')).toBe(`${baseUrl}/?from=cancel&lang=en`);
    const ended = (await w.events()).find((e) => e.type === 'shouyin-ended');
    expect(ended?.detail).toMatchObject({ session_id: s.id, status: 'canceled', merchant_order_id: s.merchant_order_id });
    await shot(page, 'shopper-07-hosted-canceled.png');
    await ctx.close();
  });
});

describe('end states and second chances in the widget', () => {
  it('expired: a button back to cancel_url in the shopper’s language, and no Try again', async () => {
    const api = new FakeApi({ channels: [{ channel: 'wechat_pay', flows: ['qr'] }], status: 'expired', cancelUrl: 'https://shop.example/cart?lang={LOCALE}' });
    const { ctx, page } = await context({ ...DESKTOP, locale: 'en-GB' });
    await page.goto(await api.install(page));
    const w = new Widget(page);
    await w.status.filter({ hasText: 'This checkout has expired' }).waitFor();
    expect(await w.link('Back to the shop').getAttribute('href')).toBe('https://shop.example/cart?lang=en');
    expect(await w.button(/Try again/).count()).toBe(0);
    await shot(page, 'shopper-08-expired-back-button.png');
    await ctx.close();
  });

  it('an unknown session offers no Try again', async () => {
    const { ctx, page } = await context({ ...DESKTOP, locale: 'en-US' });
    await page.route(`${baseUrl}/__widget/unknown`, (route) =>
      route.fulfill({
        contentType: 'text/html; charset=utf-8',
        body: '<!doctype html><meta charset="utf-8"><shouyin-checkout client-secret="cs_test_0000000000000000000000_secret_nope"></shouyin-checkout><script type="module" src="/shouyin.js"></script>',
      }),
    );
    await page.goto(`${baseUrl}/__widget/unknown`);
    const w = new Widget(page);
    await w.status.filter({ hasText: 'This payment is no longer valid' }).waitFor();
    expect(await w.button(/Try again/).count()).toBe(0);
    await ctx.close();
  });

  it('a phone offers a QR code for another phone beside the wallet redirect', async () => {
    const s = await createSession();
    const { ctx, page } = await context({ ...PHONE, locale: 'zh-CN' });
    await page.goto(s.url);
    const w = new Widget(page);
    const other = w.button('用另一部手机付款？显示二维码');
    await other.waitFor();
    await shot(page, 'shopper-09-phone-qr-option.png');
    await other.click();
    await w.button(WECHAT).click();
    await w.qr.waitFor();
    const view = (await (await fetch(`${baseUrl}/v1/client/sessions/${s.id}`, { headers: { Authorization: `Bearer ${s.client_secret}` } })).json()) as {
      active_attempt: { flow: string; next_action: { data: string } };
    };
    expect(view.active_attempt.flow).toBe('qr');
    expect(await decodeScreenshot(await w.qr.screenshot())).toBe(view.active_attempt.next_action.data);
    await shot(page, 'shopper-10-phone-qr.png');
    await ctx.close();
  });

  it('Alipay on a phone, canceled in the cashier: back on the hosted page, in English, “not completed”', async () => {
    const s = await createSession();
    const { ctx, page, problems } = await context({ ...PHONE, locale: 'en-US' });
    await page.goto(s.url);
    const w = new Widget(page);
    await Promise.all([page.waitForURL(/\/sandbox\/alipay\//), w.button(/Alipay/).click()]);
    await page.getByRole('button', { name: /取消|Cancel/ }).click();
    await page.waitForURL(new RegExp(`/pay/${s.id}\\?locale=en&shouyin_return=quit`));
    await w.status.filter({ hasText: 'The payment was not completed. Choose a payment method to try again.' }).waitFor();
    await w.button(/Alipay/).waitFor();
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    await shot(page, 'shopper-11-canceled-in-wallet.png');
    expect(problems).toEqual([]);
    await ctx.close();
  });
});
