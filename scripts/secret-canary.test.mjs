// The built artifacts carry no secret (SECURITY.md, "Secret canary scan"): the production Worker bundle
// (bundled as `wrangler deploy --dry-run --minify` bundles it, like scripts/bundle.test.mjs) and
// everything in widget/dist (the widget and the dashboard, served to browsers) hold no private key and
// none of the test fixtures' secrets; and .dev.vars, where `wrangler dev` reads local secrets from, is
// git-ignored and untracked.
//
// `npm test` runs the script tests before it builds the widget, so there the widget/dist test skips
// unless an earlier build left one; scripts/test.mjs runs it again after the dashboard build
// (`--test-name-pattern widget/dist`).

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { ROOT, WRANGLER_ENV } from './lib.mjs';
import { PRIVATE_KEY, fixtureSecrets } from './secrets.mjs';

const SECRETS = fixtureSecrets();

/**
 * What in `text` is a secret: a private key (a PEM header with a body after it, or a bare one) or a
 * fixture secret. A header alone is no key: the Worker's PEM reader names the headers it accepts.
 * @param {string} text
 * @returns {string[]}
 */
function secretsIn(text) {
  const found = [];
  for (const re of PRIVATE_KEY) if (re.test(text)) found.push(`a private key (${re.source.slice(0, 30)}…)`);
  for (const [what, value] of SECRETS) if (text.includes(value)) found.push(what);
  return [...new Set(found)];
}

/** @param {string} dir @returns {string[]} */
function filesUnder(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

test('the fixture secrets the scans look for are all there (keys, webhook secrets, provider credentials)', () => {
  const kinds = new Set(SECRETS.map(([what]) => what.replace(/^.*: /, '')));
  for (const kind of [
    'API key',
    'webhook secret',
    'master key',
    'apiv3_key',
    'apiv2_key',
    'mp_appsecret',
    'MERCHANT_PRIVATE_KEY',
    'UNIONPAY_MERCHANT_SIGN_KEY',
    'TEST_APP_PRIVATE_KEY_PKCS1',
  ]) {
    assert.ok(kinds.has(kind), `no ${kind} found in the fixtures: scripts/secrets.mjs no longer reads them`);
  }
  assert.ok(SECRETS.length >= 50, `${SECRETS.length} fixture secrets`);
  // The scan finds each one in a text that carries it.
  for (const [what, value] of SECRETS) assert.ok(secretsIn(`x${value}x`).includes(what), what);
});

test('the production bundle holds no private key and no fixture secret', () => {
  const out = mkdtempSync(join(tmpdir(), 'shouyin-canary-'));
  try {
    // wrangler checks that the assets folder exists; the widget build may not have run yet.
    if (!existsSync(join(ROOT, 'widget/dist'))) mkdirSync(join(ROOT, 'widget/dist'), { recursive: true });
    const r = spawnSync(
      process.execPath,
      [join(ROOT, 'node_modules/wrangler/bin/wrangler.js'), 'deploy', '--dry-run', '--minify', '--outdir', out, '-c', 'wrangler.toml'],
      { cwd: ROOT, env: { ...process.env, ...WRANGLER_ENV }, encoding: 'utf8' },
    );
    assert.equal(r.status, 0, `wrangler deploy --dry-run failed:\n${r.stdout}\n${r.stderr}`);
    const files = filesUnder(out).filter((f) => /\.(js|mjs|cjs|map|wasm|txt|html|json)$/.test(f));
    let bytes = 0;
    const found = [];
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      bytes += Buffer.byteLength(text);
      for (const what of secretsIn(text)) found.push(`${what} in ${relative(out, f)}`);
    }
    assert.ok(bytes > 100_000, `only ${bytes} B bundled`);
    console.log(`secret scan: production bundle, ${files.length} file(s), ${bytes} B, ${SECRETS.length} fixture secrets + private-key patterns`);
    assert.deepEqual(found, []);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('widget/dist (the widget and the dashboard, served to browsers) holds no private key and no fixture secret', (t) => {
  const dist = join(ROOT, 'widget/dist');
  const files = existsSync(dist) ? filesUnder(dist) : [];
  if (!files.some((f) => f.endsWith('.js'))) {
    t.skip('widget/dist is not built: run `npm run build:widget && npm run build:dashboard` first (npm test scans it after its builds)');
    return;
  }
  let bytes = 0;
  const found = [];
  for (const f of files) {
    const buf = readFileSync(f);
    bytes += buf.length;
    for (const what of secretsIn(buf.toString('utf8'))) found.push(`${what} in ${relative(ROOT, f)}`);
  }
  console.log(`secret scan: widget/dist, ${files.length} file(s), ${bytes} B`);
  assert.deepEqual(found, []);
});

test('.dev.vars (local secrets for wrangler dev) is git-ignored and untracked', () => {
  const ignored = spawnSync('git', ['check-ignore', '-q', '.dev.vars'], { cwd: ROOT });
  assert.equal(ignored.status, 0, '.dev.vars is not git-ignored: add it to .gitignore');
  const tracked = spawnSync('git', ['ls-files', '--', '.dev.vars', '**/.dev.vars'], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(tracked.stdout.trim(), '', `.dev.vars is committed: ${tracked.stdout.trim()}`);
});
