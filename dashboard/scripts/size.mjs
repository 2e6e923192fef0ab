// The dashboard's size budget (CI, `npm test`): the gzipped JavaScript and CSS the dashboard page loads
// (every asset its built index.html names), against budgets set with room for the pages still to come
// but far below what a chart or UI library would cost. Run after `npx vite build -c dashboard/vite.config.ts`.
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

export const BUDGET = { js: 32 * 1024, css: 6 * 1024 };
const dist = new URL('../../widget/dist/dashboard/', import.meta.url);
const kb = (n) => `${(n / 1024).toFixed(2)} KB`;

let html;
try {
  html = readFileSync(new URL('index.html', dist), 'utf8');
} catch {
  console.error('widget/dist/dashboard/index.html is missing: run `npx vite build -c dashboard/vite.config.ts` first');
  process.exit(1);
}
const assets = [...html.matchAll(/(?:src|href)="\/dashboard\/(assets\/[^"]+\.(js|css))"/g)].map((m) => ({ file: m[1], kind: m[2] }));
if (!assets.some((a) => a.kind === 'js')) {
  console.error('index.html names no script');
  process.exit(1);
}
const total = { js: 0, css: 0 };
for (const a of assets) {
  const buf = readFileSync(new URL(a.file, dist));
  const gz = gzipSync(buf, { level: 9 }).length;
  total[a.kind] += gz;
  console.log(`${a.file.padEnd(32)} ${kb(buf.length).padStart(10)} raw  ${kb(gz).padStart(9)} gzip`);
}
let over = false;
for (const kind of /** @type {const} */ (['js', 'css'])) {
  console.log(`dashboard ${kind}: ${kb(total[kind])} gzip (budget ${kb(BUDGET[kind])})`);
  if (total[kind] > BUDGET[kind]) {
    console.error(`the dashboard's ${kind} is over its ${kb(BUDGET[kind])} gzip budget by ${total[kind] - BUDGET[kind]} bytes`);
    over = true;
  }
}
if (over) process.exit(1);
