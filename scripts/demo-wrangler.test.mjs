// demo/wrangler.toml must stay a superset of the root wrangler.toml: same runtime, every Durable Object
// binding and migration of the worker, plus the demo's own. Run by `npm test` (node --test).

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT } from './lib.mjs';

/** Just enough TOML for these two files: top-level keys and [[array tables]] / [tables] of scalars and string arrays. */
function parseToml(text) {
  const doc = {};
  let target = doc;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/^\s*#.*$/, '').trim();
    if (!line) continue;
    let m;
    if ((m = /^\[\[([\w.]+)\]\]$/.exec(line))) {
      const path = m[1].split('.');
      let o = doc;
      for (const k of path.slice(0, -1)) o = o[k] ??= {};
      (o[path.at(-1)] ??= []).push((target = {}));
    } else if ((m = /^\[([\w.]+)\]$/.exec(line))) {
      target = doc[m[1]] ??= {};
    } else if ((m = /^([\w-]+)\s*=\s*(.+)$/.exec(line))) {
      target[m[1]] = JSON.parse(m[2].replace(/\s+#.*$/, ''));
    }
  }
  return doc;
}

const root = parseToml(readFileSync(join(ROOT, 'wrangler.toml'), 'utf8'));
const demo = parseToml(readFileSync(join(ROOT, 'demo/wrangler.toml'), 'utf8'));

test('same runtime as the worker', () => {
  assert.equal(demo.compatibility_date, root.compatibility_date);
  assert.deepEqual(demo.compatibility_flags ?? [], root.compatibility_flags ?? []);
});

test("every Durable Object binding of the worker, plus the demo's inbox", () => {
  const key = (b) => `${b.name}=${b.class_name}`;
  const demoBindings = new Set(demo.durable_objects.bindings.map(key));
  for (const b of root.durable_objects.bindings) assert.ok(demoBindings.has(key(b)), `demo/wrangler.toml lacks ${key(b)}`);
  assert.ok(demoBindings.has('DEMO_INBOX=DemoInbox'));
});

test("every migrated class of the worker, plus the demo's inbox", () => {
  const classes = (doc) => new Set(doc.migrations.flatMap((m) => [...(m.new_sqlite_classes ?? []), ...(m.new_classes ?? [])]));
  const demoClasses = classes(demo);
  for (const c of classes(root)) assert.ok(demoClasses.has(c), `demo/wrangler.toml migrations lack ${c}`);
  assert.ok(demoClasses.has('DemoInbox'));
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
