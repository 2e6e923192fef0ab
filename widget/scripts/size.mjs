// The widget's size budget (CI): prints raw, gzip and Brotli sizes of both builds and their
// Subresource Integrity hashes, and fails when either build is over BUDGET gzipped, or the
// Traditional Chinese strings (fetched only by Traditional Chinese shoppers) over LOCALE_BUDGET.
// Run after `npx vite build -c widget/vite.config.ts`; `node widget/scripts/size-breakdown.mjs` says
// where the bytes go.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

export const BUDGET = 12 * 1024;
export const LOCALE_BUDGET = 1.5 * 1024;
const dist = new URL('../dist/', import.meta.url);
const kb = (/** @type {number} */ n) => `${(n / 1024).toFixed(2)} KB`;

let over = false;
for (const [file, budget] of /** @type {[string, number][]} */ ([
  ['shouyin.js', BUDGET],
  ['shouyin.iife.js', BUDGET],
  ['shouyin.zh-TW.json', LOCALE_BUDGET],
])) {
  let buf;
  try {
    buf = readFileSync(new URL(file, dist));
  } catch {
    console.error(`widget/dist/${file} is missing: run \`npx vite build -c widget/vite.config.ts\` first`);
    process.exit(1);
  }
  const gz = gzipSync(buf, { level: 9 }).length;
  const br = brotliCompressSync(buf, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
  const sri = `sha384-${createHash('sha384').update(buf).digest('base64')}`;
  console.log(
    `${file.padEnd(18)} ${kb(buf.length).padStart(10)} raw  ${kb(gz).padStart(9)} gzip  ${kb(br).padStart(9)} brotli  (budget ${kb(budget)} gzip)  ${sri}`,
  );
  if (gz > budget) {
    console.error(`${file} is over the ${kb(budget)} gzip budget by ${gz - budget} bytes`);
    over = true;
  }
}
if (over) process.exit(1);
