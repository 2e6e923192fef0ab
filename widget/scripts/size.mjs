// The widget's size budget (CI): prints raw and gzipped sizes of both builds and fails when the
// gzipped ES module is over 16 KB. Run after `npx vite build -c widget/vite.config.ts`.
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

const BUDGET = 16 * 1024;
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
  const budget = file === 'shouyin.js' ? ` (budget ${kb(BUDGET)})` : '';
  console.log(`${file.padEnd(16)} ${kb(buf.length).padStart(10)} raw  ${kb(gz).padStart(9)} gzip${budget}`);
  if (file === 'shouyin.js' && gz > BUDGET) over = true;
}
if (over) {
  console.error(`shouyin.js is over the ${kb(BUDGET)} gzip budget`);
  process.exit(1);
}
