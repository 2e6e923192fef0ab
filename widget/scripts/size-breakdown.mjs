// Where the widget's bytes go: builds the classic script (IIFE) with a source map into a temporary
// folder and attributes every byte of it to a part (the template renderer, the element base, the element, the
// controllers, the styles, the translations, the rest), each with its raw size and its gzip share
// (the part's bytes gzipped alone, scaled so the parts add up to the whole file gzipped).
//   node widget/scripts/size-breakdown.mjs
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decode } from '@jridgewell/sourcemap-codec';
import { build } from 'vite';
import { gzipSync } from 'node:zlib';

/** @type {[string, RegExp][]} */
const PARTS = [
  ['template renderer', /src\/template\.ts$/],
  ['lit-html', /node_modules\/(lit-html|lit|@lit)\//],
  ['element base', /src\/element-base\.ts$/],
  ['styles', /src\/styles\.ts$/],
  ['translations', /src\/i18n\//],
  ['controllers', /src\/controllers\//],
  ['element (shouyin-checkout.ts)', /src\/shouyin-checkout\.ts$/],
  ['QR drawing', /src\/qr/],
  ['client API', /src\/api\.ts$/],
  ['the rest of src/', /src\//],
];

const out = mkdtempSync(join(tmpdir(), 'shouyin-size-'));
try {
  await build({
    configFile: fileURLToPath(new URL('../vite.config.ts', import.meta.url)),
    logLevel: 'silent',
    build: { outDir: out, sourcemap: true, emptyOutDir: true },
  });
  const code = readFileSync(join(out, 'shouyin.iife.js'), 'utf8');
  const map = JSON.parse(readFileSync(join(out, 'shouyin.iife.js.map'), 'utf8'));
  /** @type {string[]} */
  const partOf = map.sources.map((/** @type {string} */ s) => PARTS.find(([, re]) => re.test(s))?.[0] ?? 'other');
  /** @type {Map<string, string>} */
  const text = new Map();
  const lines = code.split('\n');
  decode(map.mappings).forEach((segs, li) => {
    const line = lines[li] ?? '';
    segs.forEach((seg, i) => {
      const end = segs[i + 1]?.[0] ?? line.length;
      const part = (seg.length > 1 && partOf[seg[1] ?? -1]) || 'other';
      text.set(part, (text.get(part) ?? '') + line.slice(seg[0], end));
    });
    if (!segs.length) text.set('other', (text.get('other') ?? '') + line);
  });
  const total = gzipSync(code, { level: 9 }).length;
  const alone = new Map([...text].map(([k, v]) => [k, gzipSync(v, { level: 9 }).length]));
  const sum = [...alone.values()].reduce((a, b) => a + b, 0);
  const kb = (/** @type {number} */ n) => `${(n / 1024).toFixed(2)} KB`;
  const share = (/** @type {string} */ k) => alone.get(k) ?? 0;
  console.log(`shouyin.iife.js: ${kb(code.length)} raw, ${kb(total)} gzip`);
  for (const [k, v] of [...text].sort((a, b) => share(b[0]) - share(a[0]))) {
    console.log(`  ${k.padEnd(30)} ${kb(Buffer.byteLength(v)).padStart(9)} raw  ${kb((share(k) * total) / sum).padStart(9)} gzip share`);
  }
} finally {
  rmSync(out, { recursive: true, force: true });
}
