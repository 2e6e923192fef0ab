#!/usr/bin/env node
// The API reference: GET /openapi.json rendered as docs/api-reference.md.
//
//   node scripts/api-reference.mjs            writes docs/api-reference.md from the current code
//   node scripts/api-reference.mjs --json F   writes the OpenAPI document to F
//   node scripts/api-reference.mjs --lint     lints the document with Redocly CLI (redocly.yaml)
//
// The document comes from the Worker itself: worker/src/index.ts is bundled (esbuild, as wrangler
// does; the `cloudflare:*` modules, which only exist in workerd, are replaced by empty stand-ins: the
// document needs no Durable Object) and asked for /openapi.json. scripts/api-reference.test.mjs fails
// when the checked-in page no longer matches.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { ROOT } from './lib.mjs';

export const REFERENCE = join(ROOT, 'docs/api-reference.md');

/** The OpenAPI document the Worker serves at /openapi.json. */
export async function buildDocument() {
  const stub = {
    name: 'workerd-only modules',
    setup(b) {
      b.onResolve({ filter: /^cloudflare:/ }, (a) => ({ path: a.path, namespace: 'workerd-stub' }));
      b.onLoad({ filter: /.*/, namespace: 'workerd-stub' }, () => ({
        contents: 'export class DurableObject {}; export class WorkerEntrypoint {}; export const env = {}; export const exports = {};',
        loader: 'js',
      }));
    },
  };
  const out = await build({
    entryPoints: [join(ROOT, 'worker/src/index.ts')],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'node',
    target: 'es2022',
    mainFields: ['module', 'main'],
    conditions: ['workerd', 'worker', 'import'],
    logLevel: 'error',
    plugins: [stub],
  });
  const dir = mkdtempSync(join(tmpdir(), 'shouyin-openapi-'));
  try {
    const file = join(dir, 'worker.mjs');
    writeFileSync(file, out.outputFiles[0].contents);
    const { app } = await import(pathToFileURL(file).href);
    const res = await app.request('http://127.0.0.1:8787/openapi.json');
    if (res.status !== 200) throw new Error(`/openapi.json answered ${res.status}: ${await res.text()}`);
    return await res.json();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ── rendering ───────────────────────────────────────────────────────────────────────────────────

const refName = (ref) => ref.slice(ref.lastIndexOf('/') + 1);
const anchor = (name) =>
  name
    .toLowerCase()
    .replace(/[^a-z0-9 _-]/g, '')
    .replace(/ /g, '-');
const cell = (s) =>
  String(s ?? '')
    .replace(/\|/g, '\\|')
    .replace(/\n+/g, ' ');

/** A schema as a short type: `string`, `integer | null`, `[Refund](#refund)[]`, `"open" | "paid"`. */
function typeOf(s) {
  if (!s) return 'any';
  if (s.$ref) return `[${refName(s.$ref)}](#${anchor(refName(s.$ref))})`;
  if (s.const !== undefined) return `\`${JSON.stringify(s.const)}\``;
  if (s.enum) return s.enum.map((v) => `\`${JSON.stringify(v)}\``).join(' \\| ');
  const alts = s.anyOf ?? s.oneOf;
  if (alts) return alts.map(typeOf).join(' \\| ');
  const types = Array.isArray(s.type) ? s.type : s.type ? [s.type] : [];
  return (
    types
      .map((t) => {
        if (t === 'array') return `${typeOf(s.items)}[]`;
        if (t === 'object' && s.additionalProperties && typeof s.additionalProperties === 'object' && !s.properties) {
          return `map of ${typeOf(s.additionalProperties)}`;
        }
        return t;
      })
      .join(' \\| ') || 'any'
  );
}

/** Constraints worth a reader's eye: ranges, lengths, patterns, defaults. */
function rules(s) {
  const out = [];
  if (s.minimum !== undefined || s.maximum !== undefined) out.push(`${s.minimum ?? '…'}–${s.maximum ?? '…'}`);
  if (s.minLength !== undefined || s.maxLength !== undefined) out.push(`${s.minLength ?? 0}–${s.maxLength ?? '…'} characters`);
  if (s.maxItems !== undefined || s.minItems !== undefined) out.push(`${s.minItems ?? 0}–${s.maxItems ?? '…'} items`);
  if (s.maxProperties !== undefined) out.push(`at most ${s.maxProperties} keys`);
  if (s.pattern) out.push(`pattern \`${s.pattern}\``);
  if (s.default !== undefined) out.push(`default \`${JSON.stringify(s.default)}\``);
  return out.join(', ');
}

/** An inline object (not a reference) whose fields are listed under its own name. */
const inlineObject = (s) => (s && !s.$ref && s.properties ? s : null);

function fieldRows(schema, prefix, lines) {
  const required = new Set(schema.required ?? []);
  for (const [name, p] of Object.entries(schema.properties ?? {})) {
    const extra = rules(p);
    const path = `${prefix}${name}`;
    lines.push(`| \`${path}\` | ${typeOf(p)} | ${required.has(name) ? 'yes' : ''} | ${cell([p.description, extra].filter(Boolean).join(' '))} |`);
    // Nested objects and arrays of objects are spelled out: `error.code`, `providers[].status`.
    const nested = inlineObject(p) ?? inlineObject(p.items);
    if (nested) fieldRows(nested, `${path}${nested === p ? '' : '[]'}.`, lines);
  }
}

function fieldsTable(schema) {
  const lines = ['| field | type | required | description |', '|---|---|---|---|'];
  fieldRows(schema, '', lines);
  return lines.join('\n');
}

function renderSchema(name, s, out) {
  out.push(`### ${name}`, '');
  if (s.description) out.push(cell(s.description), '');
  if (name === 'ErrorCode') {
    out.push('| code | meaning |', '|---|---|');
    for (const code of s.enum) out.push(`| \`${code}\` | ${cell(s['x-enumDescriptions']?.[code])} |`);
  } else if (s.properties) {
    out.push(fieldsTable(s));
  } else if (s.oneOf || s.anyOf) {
    out.push(`One of: ${typeOf(s)}${s.discriminator ? ` (by \`${s.discriminator.propertyName}\`)` : ''}.`);
    for (const alt of s.oneOf ?? s.anyOf) {
      if (alt.properties) out.push('', fieldsTable(alt));
    }
  } else {
    out.push(`Type: ${typeOf(s)}${rules(s) ? `, ${rules(s)}` : ''}.`);
  }
  out.push('');
}

function renderOperation(method, path, op, out, heading = '###') {
  out.push(`${heading} ${op.summary ?? `${method.toUpperCase()} ${path}`}`, '', `\`${method.toUpperCase()} ${path}\``, '');
  if (op.description) out.push(op.description, '');
  if (op.security?.length)
    out.push(
      `Authentication: ${op.security
        .map((s) =>
          Object.keys(s)
            .map((k) => `\`${k}\``)
            .join(' + '),
        )
        .join(' or ')}.`,
      '',
    );
  const params = op.parameters ?? [];
  if (params.length) {
    out.push('| parameter | in | type | required | description |', '|---|---|---|---|---|');
    for (const p of params) {
      const extra = rules(p.schema ?? {});
      out.push(`| \`${p.name}\` | ${p.in} | ${typeOf(p.schema)} | ${p.required ? 'yes' : ''} | ${cell([p.description, extra].filter(Boolean).join(' '))} |`);
    }
    out.push('');
  }
  const body = op.requestBody?.content?.['application/json']?.schema;
  if (body) out.push(`Body: ${typeOf(body)}${op.requestBody.required ? '' : ' (optional)'}.`, '');
  out.push('| status | answer |', '|---|---|');
  for (const [status, r] of Object.entries(op.responses ?? {})) {
    // Each media type with its schema: JSON alone is just the schema, others are named (`text/csv` …).
    const media = Object.entries(r.content ?? {}).filter(([, m]) => m.schema);
    const only = media.length === 1 && media[0][0] === 'application/json';
    const schemas = media.map(([type, m]) => (only ? typeOf(m.schema) : `\`${type}\` ${typeOf(m.schema)}`)).join(' or ');
    out.push(`| ${status} | ${schemas ? `${schemas}: ` : ''}${cell(r.description)} |`);
  }
  out.push('');
}

/** docs/api-reference.md from the document. */
export function renderReference(doc) {
  const out = [
    `# ${doc.info.title} reference`,
    '',
    '<!-- Generated by `node scripts/api-reference.mjs` from GET /openapi.json; do not edit by hand. -->',
    '',
    `Version ${doc.info.version}, OpenAPI ${doc.openapi}. The machine-readable document is served by every`,
    'deployment at `GET /openapi.json`; the guides are [merchant-api.md](merchant-api.md),',
    '[webhooks.md](webhooks.md) and [widget.md](widget.md).',
    '',
    doc.info.description,
    '',
    '## Authentication',
    '',
  ];
  for (const [name, s] of Object.entries(doc.components?.securitySchemes ?? {})) {
    out.push(`- \`${name}\`: \`Authorization: Bearer ${s.bearerFormat}\`. ${s.description}`);
  }
  out.push('');
  const byTag = new Map();
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const [method, op] of Object.entries(item)) {
      const tag = op.tags?.[0] ?? 'Other';
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag).push([method, path, op]);
    }
  }
  for (const tag of doc.tags ?? []) {
    const ops = byTag.get(tag.name);
    if (!ops) continue;
    out.push(`## ${tag.name}`, '', tag.description ?? '', '');
    for (const [method, path, op] of ops) renderOperation(method, path, op, out);
  }
  for (const [tag, ops] of byTag) {
    if ((doc.tags ?? []).some((t) => t.name === tag)) continue;
    out.push(`## ${tag}`, '');
    for (const [method, path, op] of ops) renderOperation(method, path, op, out);
  }
  out.push('## Webhooks', '', "What Shouyin POSTs to the merchant's webhook URL: one event type each, with these headers:", '');
  const hooks = Object.entries(doc.webhooks ?? {});
  const first = hooks[0]?.[1]?.post;
  for (const p of first?.parameters ?? []) out.push(`- \`${p.name}\`: ${p.description}`);
  out.push('', '| event type | `data.object` | sent when |', '|---|---|---|');
  for (const [type, item] of hooks) {
    const ref = item.post.requestBody.content['application/json'].schema.$ref;
    const envelope = doc.components.schemas[refName(ref)];
    out.push(`| \`${type}\` | ${typeOf(envelope.properties.data.properties.object)} | ${cell(envelope.description)} |`);
  }
  out.push('', '## Schemas', '');
  for (const [name, s] of Object.entries(doc.components?.schemas ?? {}).sort(([a], [b]) => a.localeCompare(b))) renderSchema(name, s, out);
  return `${out
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trimEnd()}\n`;
}

// ── the command ─────────────────────────────────────────────────────────────────────────────────

async function main(argv) {
  const doc = await buildDocument();
  const json = argv.indexOf('--json');
  if (json >= 0) {
    writeFileSync(argv[json + 1], `${JSON.stringify(doc, null, 2)}\n`);
    return 0;
  }
  if (argv.includes('--lint')) {
    const dir = mkdtempSync(join(tmpdir(), 'shouyin-openapi-'));
    try {
      const file = join(dir, 'openapi.json');
      writeFileSync(file, JSON.stringify(doc, null, 2));
      const r = spawnSync(process.execPath, [join(ROOT, 'node_modules/@redocly/cli/bin/cli.js'), 'lint', file, '--config', join(ROOT, 'redocly.yaml')], {
        cwd: ROOT,
        stdio: 'inherit',
        env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
      });
      return r.status ?? 1;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  writeFileSync(REFERENCE, renderReference(doc));
  console.log(`wrote ${REFERENCE}`);
  return 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) process.exit(await main(process.argv.slice(2)));
