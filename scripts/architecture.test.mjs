// Rules that encode the architecture (docs/architecture.md): the layers' import rules and no import
// cycle (scripts/layers.mjs), the Worker uses WebCrypto only and never imports node:, and no private
// key lives outside a folder that says it is test-only.

import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { check } from './layers.mjs';
import { ROOT } from './lib.mjs';

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

test('private keys only in test, sandbox-fixture or demo folders', () => {
  const bad = [];
  for (const f of files(ROOT, ['.ts', '.mjs', '.js', '.json', '.pem', '.toml', '.md'])) {
    const rel = relative(ROOT, f);
    if (/(test|fixture|demo)/i.test(rel)) continue;
    if (/-----BEGIN (RSA |EC )?PRIVATE KEY-----[A-Za-z0-9+/=\s\\n]{100,}/.test(readFileSync(f, 'utf8'))) bad.push(rel);
  }
  assert.deepEqual(bad, []);
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
