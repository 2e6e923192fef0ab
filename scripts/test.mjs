#!/usr/bin/env node
// `npm test`: everything CI checks, in order, from a fresh clone.
//   deps → type-check → format + lint → worker, sandbox, widget + dashboard tests (vitest) → script tests (node --test) → OpenAPI lint
//   → widget build → widget size budget → dashboard build → dashboard size budget → widget/dist secret scan → Chromium → demo unit tests + end-to-end browser tests
// Runs every step it can (a type error does not hide a failing test), prints a summary, and exits
// non-zero if anything failed.

import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { ROOT, ensureDeps, run } from './lib.mjs';

const results = [];

/**
 * @param {string} name
 * @param {() => Promise<number>} fn
 * @param {{ needs?: string[] }} [options]
 */
async function step(name, fn, { needs = [] } = {}) {
  const missing = needs.filter((n) => !results.find((r) => r.name === n && r.ok));
  if (missing.length) {
    results.push({ name, ok: false, skipped: true, seconds: 0, note: `skipped: needs ${missing.join(', ')}` });
    return false;
  }
  console.log(`\n━━ ${name}`);
  const t0 = Date.now();
  const code = await fn();
  const ok = code === 0;
  results.push({ name, ok, seconds: (Date.now() - t0) / 1000 });
  if (!ok) console.error(`✘ ${name} failed (exit ${code})`);
  return ok;
}

function hasPackage(pkg) {
  return spawnSync('dpkg', ['-s', pkg], { stdio: 'ignore' }).status === 0;
}

function hasCjkFont() {
  if (hasPackage('fonts-noto-cjk')) return true;
  const fc = spawnSync('fc-list', [':lang=zh'], { encoding: 'utf8' });
  return fc.status === 0 && fc.stdout.trim() !== '';
}

function apt(args) {
  const env = { DEBIAN_FRONTEND: 'noninteractive' };
  return process.getuid?.() === 0 ? run('apt-get', args, { env }) : run('sudo', ['-n', 'apt-get', ...args], { env });
}

/**
 * Chromium for the browser tests (required), and CJK fonts so the screenshots show Chinese rather
 * than boxes (wanted: without them the tests still pass, so a failed font install only warns).
 */
async function ensureChromium() {
  const want = [];
  if (!existsSync('/usr/bin/chromium')) want.push('chromium');
  if (!hasCjkFont()) want.push('fonts-noto-cjk');
  if (!want.length) {
    console.log('Chromium and CJK fonts are installed.');
    return 0;
  }
  console.log(`Installing ${want.join(' ')} (apt-get${process.getuid?.() === 0 ? '' : ' via sudo'})…`);
  let code = await apt(['update']);
  if (code === 0) code = await apt(['install', '-y', '--no-install-recommends', ...want]);
  if (!existsSync('/usr/bin/chromium')) {
    console.error('Chromium is missing and could not be installed. Install it: apt-get install -y chromium fonts-noto-cjk');
    return code || 1;
  }
  if (code !== 0) console.warn('⚠ Could not install fonts-noto-cjk: screenshots will show boxes for Chinese text.');
  return 0;
}

const started = Date.now();

if (!(await step('dependencies', ensureDeps))) {
  console.error('npm install failed; nothing else can run.');
  process.exit(1);
}
// Four programs: the Workers (no DOM types), the widget and the dashboard (DOM only), and Node-side scripts and browser tests.
await step('type-check (worker, widget, dashboard, node)', async () => {
  for (const project of ['.', 'widget', 'dashboard', 'tsconfig.node.json']) {
    const code = await run('npx', ['tsc', '-p', project]);
    if (code !== 0) return code;
  }
  return 0;
});
// Biome: formatting and lint rules (biome.jsonc). The layer rules run with the script tests.
await step('format + lint (biome check)', () => run('npx', ['biome', 'check', '.']));
await step('worker + widget tests (vitest)', () => run('npx', ['vitest', 'run']));
// Named files: given a directory, Node 20's runner would also pick up scripts/test.mjs (this file).
// The CLI's tests (cli/) run with them.
const scriptTests = ['scripts', 'cli'].flatMap((dir) =>
  readdirSync(`${ROOT}/${dir}`)
    .filter((f) => f.endsWith('.test.mjs'))
    .map((f) => `${dir}/${f}`),
);
await step('script tests (node --test)', () => run(process.execPath, ['--test', ...scriptTests]));
// GET /openapi.json against Redocly's recommended rules, every warning an error (redocly.yaml).
await step('OpenAPI lint (redocly)', () => run(process.execPath, ['scripts/api-reference.mjs', '--lint']));
await step('widget build', () => run('npx', ['vite', 'build', '-c', 'widget/vite.config.ts']));
await step('widget size budget', () => run(process.execPath, ['widget/scripts/size.mjs']), { needs: ['widget build'] });
// After the widget: its build empties widget/dist, where the dashboard's goes (widget/dist/dashboard/).
await step('dashboard build', () => run('npx', ['vite', 'build', '-c', 'dashboard/vite.config.ts']), { needs: ['widget build'] });
await step('dashboard size budget', () => run(process.execPath, ['dashboard/scripts/size.mjs']), { needs: ['dashboard build'] });
// The built widget and dashboard carry no secret (scripts/secret-canary.test.mjs; the script tests above skip it when nothing is built yet).
await step('widget/dist secret scan', () => run(process.execPath, ['--test', '--test-name-pattern', 'widget/dist', 'scripts/secret-canary.test.mjs']), {
  needs: ['dashboard build'],
});
await step('chromium', ensureChromium);
await step('demo + end-to-end tests (vitest, Chromium)', () => run('npx', ['vitest', 'run', '-c', 'demo/vitest.e2e.config.ts']), {
  needs: ['widget build', 'dashboard build', 'chromium'],
});

const total = (Date.now() - started) / 1000;
console.log('\n━━ Summary');
for (const r of results) {
  const mark = r.ok ? '✓' : r.skipped ? '–' : '✘';
  console.log(`${mark} ${r.name.padEnd(46)} ${r.skipped ? r.note : `${r.seconds.toFixed(1)} s`}`);
}
const failed = results.filter((r) => !r.ok);
console.log(`${failed.length ? '✘' : '✓'} ${failed.length ? `${failed.length} step(s) failed` : 'all green'} in ${total.toFixed(0)} s`);
process.exit(failed.length ? 1 : 0);
