// The three Worker configs must agree. demo/wrangler.toml stays a superset of the root wrangler.toml
// (same runtime, every Durable Object binding and migration of the worker, plus the demo's own), the
// production worker carries no simulator, and the sandbox Worker (sandbox/wrangler.toml, run beside the
// demo by scripts/lib.mjs) and the worker bind each other. Run by `npm test` (node --test).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEMO_SANDBOX_WORKER, DEMO_WORKER, demoSandboxConfig, readToml } from './lib.mjs';

const root = readToml('wrangler.toml');
const demo = readToml('demo/wrangler.toml');
const sandbox = readToml('sandbox/wrangler.toml');

const SANDBOX_CLASSES = ['SandboxLedger', 'AlipaySandboxLedger', 'UnionpaySandboxLedger'];
const key = (b) => `${b.name}=${b.class_name}`;
const service = (doc, binding) => (doc.services ?? []).find((s) => s.binding === binding)?.service;
/** Classes a config's migrations leave defined, in order: created, then deleted. */
function liveClasses(doc) {
  const live = new Set();
  for (const m of doc.migrations ?? []) {
    for (const c of [...(m.new_sqlite_classes ?? []), ...(m.new_classes ?? [])]) live.add(c);
    for (const c of m.deleted_classes ?? []) live.delete(c);
  }
  return live;
}

test('same runtime as the worker', () => {
  for (const doc of [demo, sandbox]) {
    assert.equal(doc.compatibility_date, root.compatibility_date);
    assert.deepEqual(doc.compatibility_flags ?? [], root.compatibility_flags ?? []);
  }
});

test("every Durable Object binding of the worker, plus the demo's inbox", () => {
  const demoBindings = new Set(demo.durable_objects.bindings.map(key));
  for (const b of root.durable_objects.bindings) assert.ok(demoBindings.has(key(b)), `demo/wrangler.toml lacks ${key(b)}`);
  assert.ok(demoBindings.has('DEMO_INBOX=DemoInbox'));
});

test("every migration of the worker, plus the demo's inbox", () => {
  const tags = (doc) => (doc.migrations ?? []).map((m) => m.tag);
  for (const t of tags(root)) assert.ok(tags(demo).includes(t), `demo/wrangler.toml migrations lack ${t}`);
  const demoLive = liveClasses(demo);
  for (const c of liveClasses(root)) assert.ok(demoLive.has(c), `demo/wrangler.toml migrations lack ${c}`);
  assert.ok(demoLive.has('DemoInbox'));
});

test('the worker and the demo carry no simulator: its ledgers are deleted and bound nowhere', () => {
  for (const [file, doc] of /** @type {[string, Record<string, any>][]} */ ([
    ['wrangler.toml', root],
    ['demo/wrangler.toml', demo],
  ])) {
    const bound = doc.durable_objects.bindings.map((b) => b.class_name);
    for (const c of SANDBOX_CLASSES) {
      assert.ok(!bound.includes(c), `${file} binds ${c}`);
      assert.ok(!liveClasses(doc).has(c), `${file} migrations do not delete ${c}`);
    }
  }
});

test('the sandbox Worker holds the ledgers and binds the worker back', () => {
  assert.deepEqual(new Set(sandbox.durable_objects.bindings.map((b) => b.class_name)), new Set(SANDBOX_CLASSES));
  assert.deepEqual(liveClasses(sandbox), new Set(SANDBOX_CLASSES));
  assert.equal(service(sandbox, 'SHOUYIN'), root.name);
  assert.equal(sandbox.main, 'src/index.ts');
});

test("the demo's sandbox is sandbox/wrangler.toml bound to the demo Worker", () => {
  assert.equal(demo.name, DEMO_WORKER);
  assert.equal(service(demo, 'SANDBOX'), DEMO_SANDBOX_WORKER);
  const d = /** @type {Record<string, any>} */ (demoSandboxConfig());
  assert.equal(d.name, DEMO_SANDBOX_WORKER);
  assert.equal(service(d, 'SHOUYIN'), DEMO_WORKER);
  assert.deepEqual(d.durable_objects, sandbox.durable_objects);
  assert.deepEqual(d.migrations, sandbox.migrations);
  assert.match(d.main, /\/sandbox\/src\/index\.ts$/);
});

test('vars of the worker are present in the demo', () => {
  for (const [k, v] of Object.entries(root.vars ?? {})) assert.deepEqual(demo.vars?.[k], v, `demo/wrangler.toml [vars] lacks ${k}`);
});

test('serves the built widget, worker first', () => {
  assert.equal(demo.assets.directory, '../widget/dist');
  assert.equal(demo.assets.binding, root.assets.binding);
  assert.equal(demo.assets.run_worker_first, true);
  assert.equal(demo.main, 'worker.ts');
});

test('the same Cron Triggers as the worker (daily reconciliation)', () => {
  assert.deepEqual(demo.triggers?.crons ?? [], root.triggers?.crons ?? []);
  assert.ok((root.triggers?.crons ?? []).length > 0, 'wrangler.toml has no [triggers] crons');
});
