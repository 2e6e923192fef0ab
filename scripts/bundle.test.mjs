// The production Worker (wrangler.toml) is bundled exactly as `wrangler deploy` would bundle it
// (--dry-run --minify), and must carry none of the provider simulators — they are a Worker of their own
// (sandbox/) — and stay within its size budget. Run by `npm test` (node --test).

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { ROOT, WRANGLER_ENV } from './lib.mjs';

/**
 * Bytes of the minified bundle, and of it gzipped (level 9), about 3 % over its size. With reconciliation
 * of real statements and credential health it was 388,044 / 128,997 B; the API's schemas — zod, which
 * validates every request and describes the API at /openapi.json (English locale only: the [alias] in
 * wrangler.toml), and the OpenAPI generator — made it 684,948 / 214,524 B; the merchant dashboard's
 * backend and its routes' schemas 715,908 / 223,995 B; the merchant registry and its admin API, the
 * `qrcode` encoder (the Worker draws every display_qr) and the hosted checkout page 774,707 / 244,739 B;
 * lists and search, webhook endpoints, fan-out and deliveries 836,443 / 261,691 B.
 * Far below the Workers limit (3 MB compressed on the free plan); the budget exists to make growth a
 * decision.
 */
const BUDGET = { minified: 862_000, gzipped: 270_000 };

/**
 * Strings only the sandbox has: its ledger classes and bindings, the Apple sandbox's key derivation
 * label and certificate names, and its control surface's clock parameter.
 */
const SANDBOX_MARKERS = [
  'SandboxLedger',
  'WECHATPAY_LEDGER',
  'ALIPAY_LEDGER',
  'UNIONPAY_LEDGER',
  'shouyin/apple-sandbox/v1',
  'Shouyin Sandbox',
  'advance_seconds',
];

let out;
let code;
before(() => {
  out = mkdtempSync(join(tmpdir(), 'shouyin-bundle-'));
  // wrangler checks that the assets folder exists; the widget build may not have run yet.
  if (!existsSync(join(ROOT, 'widget/dist'))) mkdirSync(join(ROOT, 'widget/dist'), { recursive: true });
  const r = spawnSync(
    process.execPath,
    [join(ROOT, 'node_modules/wrangler/bin/wrangler.js'), 'deploy', '--dry-run', '--minify', '--outdir', out, '-c', 'wrangler.toml'],
    {
      cwd: ROOT,
      env: { ...process.env, ...WRANGLER_ENV },
      encoding: 'utf8',
    },
  );
  assert.equal(r.status, 0, `wrangler deploy --dry-run failed:\n${r.stdout}\n${r.stderr}`);
  code = readFileSync(join(out, 'index.js'), 'utf8');
});
after(() => rmSync(out, { recursive: true, force: true }));

test('the production bundle carries no simulator code', () => {
  const found = SANDBOX_MARKERS.filter((m) => code.includes(m));
  assert.deepEqual(found, [], `sandbox code reached the production bundle (found ${found.join(', ')}): something under worker/src imports sandbox/`);
  // It does carry the answer for /sandbox/* when no sandbox is bound.
  assert.ok(code.includes('sandbox_not_deployed'));
});

test(`the production bundle stays within its budget (${BUDGET.minified} B minified, ${BUDGET.gzipped} B gzipped)`, () => {
  const minified = Buffer.byteLength(code);
  const gzipped = gzipSync(code, { level: 9 }).length;
  console.log(`production bundle: ${minified} B minified, ${gzipped} B gzipped`);
  assert.ok(minified <= BUDGET.minified, `${minified} B minified is over the budget of ${BUDGET.minified} B`);
  assert.ok(gzipped <= BUDGET.gzipped, `${gzipped} B gzipped is over the budget of ${BUDGET.gzipped} B`);
});
