// Rules that encode the architecture (docs/architecture.md): the layers' import rules and no import
// cycle (scripts/layers.mjs), the Worker uses WebCrypto only and never imports node:, and no private
// key lives outside the few files listed as holding test keys.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { check } from './layers.mjs';
import { ROOT } from './lib.mjs';
import { holdsPrivateKey } from './secrets.mjs';

function files(dir, exts) {
  const out = [];
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...files(p, exts));
    else if (exts.some((e) => name.endsWith(e))) out.push(p);
  }
  return out;
}

const IMPORT = /^\s*(import|export)\s[^;]*?from\s+['"]([^'"]+)['"]|^\s*import\s+['"]([^'"]+)['"]/gm;

function imports(file) {
  const src = readFileSync(file, 'utf8');
  return [...src.matchAll(IMPORT)].map((m) => ({ stmt: m[0], spec: m[2] ?? m[3] }));
}

test('worker/ and sandbox/ import no node: modules (WebCrypto only, run in workerd)', () => {
  const bad = [];
  const dirs = ['worker', 'sandbox'].map((d) => join(ROOT, d)).filter((d) => existsSync(d));
  for (const f of dirs.flatMap((d) => files(d, ['.ts']))) {
    for (const i of imports(f)) if (i.spec.startsWith('node:')) bad.push(`${relative(ROOT, f)}: ${i.spec}`);
  }
  assert.deepEqual(bad, []);
});

test('widget/src imports only types from worker/', () => {
  const bad = [];
  for (const f of files(join(ROOT, 'widget', 'src'), ['.ts'])) {
    for (const i of imports(f)) {
      if (i.spec.includes('worker/') && !/^\s*(import|export)\s+type\s/.test(i.stmt)) bad.push(`${relative(ROOT, f)}: ${i.stmt.trim()}`);
    }
  }
  assert.deepEqual(bad, []);
});

/**
 * The only files that may hold a private key: published test vectors and the test fixtures' own keys,
 * each generated or copied for tests only (their headers say where each key comes from). A key anywhere
 * else — pasted into a test, a doc, a demo or a config — fails the test below.
 */
const PRIVATE_KEY_FILES = [
  // Published vectors (wechatpay-go's TESTING KEY, the Alipay SDK's test keys), checked by the crypto tests.
  'worker/src/crypto/fixtures/vectors.json',
  'worker/src/providers/alipay/fixtures/upstream/app-private-key-no-wrapper.pem',
  'worker/src/providers/alipay/fixtures/upstream/app-private-key-pkcs8.pem',
  'worker/src/providers/alipay/fixtures/upstream/app-private-key.pem',
  // The test merchants' and the simulators' keys (SHOUYIN_CONFIG for tests, the sandbox's signers).
  'worker/src/providers/alipay/fixtures/test-keys.ts',
  'worker/test/fixtures/config.ts',
  'worker/test/fixtures/unionpay-certs.ts',
];

/** Every file git tracks or would track (not ignored), of any kind: what a commit could carry. */
function repositoryFiles() {
  const r = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split('\0').filter((f) => f !== '' && existsSync(join(ROOT, f)));
}

test('private keys only in the listed test-key files', () => {
  const bad = [];
  for (const rel of repositoryFiles()) {
    if (PRIVATE_KEY_FILES.includes(rel)) continue;
    const bytes = readFileSync(join(ROOT, rel));
    if (!bytes.includes(0) && holdsPrivateKey(bytes.toString('utf8'))) bad.push(rel);
  }
  assert.deepEqual(bad, [], `a private key outside the test-key files (scripts/architecture.test.mjs PRIVATE_KEY_FILES): ${bad.join(', ')}`);
});

test('every listed test-key file still holds a key (the list names no more than it must)', () => {
  const stale = PRIVATE_KEY_FILES.filter((rel) => !existsSync(join(ROOT, rel)) || !holdsPrivateKey(readFileSync(join(ROOT, rel), 'utf8')));
  assert.deepEqual(stale, []);
});

test('the private-key scan finds a key in each form it knows', () => {
  const pem = readFileSync(join(ROOT, 'worker/test/fixtures/config.ts'), 'utf8').match(/-----BEGIN PRIVATE KEY-----[^`]+-----END PRIVATE KEY-----/)?.[0] ?? '';
  assert.ok(pem !== '', 'no PEM key in worker/test/fixtures/config.ts');
  const body = pem.split('\n').slice(1, -1).join('');
  for (const text of [pem, JSON.stringify({ private_key: pem }), body, `export const k = '${body.slice(0, 200)}';`])
    assert.ok(holdsPrivateKey(text), text.slice(0, 60));
  assert.ok(!holdsPrivateKey(`-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\${'A'.repeat(40)}`));
});

test('the layer rules hold and no runtime import cycle exists (scripts/layers.mjs)', () => {
  assert.deepEqual(check(ROOT), []);
});

test("pkijs and asn1js (the tests' independent X.509 reader) stay out of shipped code", () => {
  const bad = [];
  const dirs = ['worker/src', 'sandbox/src', 'widget/src'].map((d) => join(ROOT, d)).filter((d) => existsSync(d));
  for (const f of dirs.flatMap((d) => files(d, ['.ts']))) {
    if (/\.test\.ts$|\/fixtures\//.test(f)) continue;
    for (const i of imports(f)) if (/^(pkijs|asn1js)$/.test(i.spec)) bad.push(`${relative(ROOT, f)}: ${i.spec}`);
  }
  assert.deepEqual(bad, []);
});
