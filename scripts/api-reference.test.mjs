// docs/api-reference.md is GET /openapi.json rendered (scripts/api-reference.mjs): it must match the
// code as it is. Run by `npm test` (node --test).

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { REFERENCE, buildDocument, renderReference } from './api-reference.mjs';
import { ROOT } from './lib.mjs';

let doc;
before(async () => {
  doc = await buildDocument();
});

test('docs/api-reference.md is the current document rendered', () => {
  const expected = renderReference(doc);
  const actual = readFileSync(REFERENCE, 'utf8');
  assert.ok(actual === expected, 'docs/api-reference.md is out of date with the API: run `node scripts/api-reference.mjs` and commit the result.');
});

test("the document's version is the package's", () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  assert.equal(doc.info.version, pkg.version);
});

test('the reference lists every operation and every webhook of the document', () => {
  const page = renderReference(doc);
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of Object.keys(item)) assert.ok(page.includes(`\`${method.toUpperCase()} ${path}\``), `${method} ${path} is missing`);
  }
  for (const type of Object.keys(doc.webhooks)) assert.ok(page.includes(`| \`${type}\` |`), `webhook ${type} is missing`);
});
