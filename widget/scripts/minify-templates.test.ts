import { describe, expect, it } from 'vitest';
import { minifyTemplates } from './minify-templates.mjs';

describe('minifyTemplates', () => {
  it('strips whitespace between tags and inside multi-line start tags, keeping text spaces', () => {
    const src =
      'const a = html`\n  <div class="x">\n    <button\n      class="b"\n      @click=${f}\n    >\n      ${label} ${more}\n    </button>\n  </div>\n`;';
    expect(minifyTemplates(src)).toBe('const a = html`<div class="x"><button class="b" @click=${f}>${label} ${more}</button></div>`;');
  });

  it('minifies nested templates inside expressions and leaves other code alone', () => {
    const src = [
      'const s = "html`  keep  `"; // html` comment `',
      'const u = `\n  untagged \n`;',
      'const h = html`<p>\n  ${ok ? html`\n    <b>yes</b>\n  ` : { a: `\n x ` }}\n</p>`;',
    ].join('\n');
    expect(minifyTemplates(src)).toBe(
      [
        'const s = "html`  keep  `"; // html` comment `',
        'const u = `\n  untagged \n`;',
        'const h = html`<p>${ok ? html`<b>yes</b>` : { a: `\n x ` }}</p>`;',
      ].join('\n'),
    );
  });

  it('minifies css', () => {
    const src = 'const c = css`\n  .a, .b > .c ~ .d {\n    margin: 0 auto;\n    opacity: 0.5;\n    width: calc(var(--r) - 4px);\n  }\n`;';
    expect(minifyTemplates(src)).toBe('const c = css` .a,.b>.c~.d{margin:0 auto;opacity:.5;width:calc(var(--r) - 4px)}`;');
  });
});
