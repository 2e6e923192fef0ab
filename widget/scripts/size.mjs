// The widget's size budget (CI): prints raw, gzip and Brotli sizes of both builds and their
// Subresource Integrity hashes, and fails when either build is over 16 KB gzipped.
// Run after `npx vite build -c widget/vite.config.ts`.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

export const BUDGET = 16 * 1024;
const dist = new URL('../dist/', import.meta.url);
const kb = (n) => `${(n / 1024).toFixed(2)} KB`;

let over = false;
for (const file of ['shouyin.js', 'shouyin.iife.js']) {
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
    `${file.padEnd(16)} ${kb(buf.length).padStart(10)} raw  ${kb(gz).padStart(9)} gzip  ${kb(br).padStart(9)} brotli  (budget ${kb(BUDGET)} gzip)  ${sri}`,
  );
  if (gz > BUDGET) {
    console.error(`${file} is over the ${kb(BUDGET)} gzip budget by ${gz - BUDGET} bytes`);
    over = true;
  }
}
if (over) process.exit(1);
