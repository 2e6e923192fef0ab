#!/usr/bin/env node
// The import rules that keep Shouyin's layers apart (docs/architecture.md, "Layers"), checked on the
// source's own import statements. `node scripts/layers.mjs` prints every broken rule and exits 1;
// scripts/architecture.test.mjs runs the same check in `npm test`.
//
// A rule names the files it governs (`from`), the files they must not import (`forbid`), the
// exceptions (`allow`) and why. Paths are repository-relative with forward slashes. Type-only
// imports count for the layer rules (a type still couples the code) but not for cycles: they are
// erased at build time (verbatimModuleSyntax), and a Durable Object class and the Env that names its
// namespace must see each other's types.

import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const RULES = [
  {
    name: 'crypto is a leaf',
    from: /^worker\/src\/crypto\//,
    forbid: /^(worker|sandbox)\//,
    allow: /^worker\/src\/crypto\//,
    why: 'crypto/ is WebCrypto plumbing; it imports nothing of ours, so every layer can use it.',
  },
  {
    name: 'providers never import session or routes',
    from: /^worker\/src\/providers\//,
    forbid: /^worker\/src\/(session|routes)\/|^worker\/src\/(index|env)\.ts$/,
    why: 'a provider speaks one rail and knows nothing of checkout sessions or HTTP routes.',
  },
  {
    name: 'routes use the provider interface',
    from: /^worker\/src\/routes\//,
    forbid: /^worker\/src\/providers\/[^/]+\//,
    why: 'routes reach a provider through providers/registry.ts and providers/types.ts, never its internals.',
  },
  {
    name: 'live code never imports the sandbox',
    from: /^worker\/src\/(?!sandbox\/)/,
    forbid: /^sandbox\/|^worker\/src\/sandbox\//,
    why: 'the simulators are their own Worker; the production bundle must not contain them.',
  },
  {
    name: 'the widget imports only types from the worker',
    from: /^widget\/src\//,
    forbid: /^worker\//,
    typeOnlyAllowed: true,
    why: 'the widget ships to browsers; it shares the wire contract as types, nothing else.',
  },
  {
    name: 'the dashboard imports only types from the worker and the SDK',
    from: /^dashboard\/src\//,
    forbid: /^(worker|packages)\//,
    typeOnlyAllowed: true,
    why: 'the dashboard ships to browsers and speaks to the merchant API over HTTP; it shares wire types, nothing else.',
  },
];

/** Folders whose runtime imports must not form a cycle. */
export const ACYCLIC = /^(worker\/src|sandbox\/src|demo|widget\/src|dashboard\/src)\//;

const SKIP_DIRS = new Set(['node_modules', 'dist', 'test-output', '.git', '.wrangler']);
const EXTS = ['.ts', '.mts', '.mjs', '.js'];

function sourceFiles(root, dir = root) {
  const out = [];
  for (const name of readdirSync(dir)) {
    if (SKIP_DIRS.has(name) || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sourceFiles(root, p));
    else if (EXTS.some((e) => name.endsWith(e)) && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

// `import … from '…'`, `export … from '…'` (also across lines), `import '…'`, `import('…')`.
const STATIC = /^\s*(import|export)\s+(type\s+)?[^;'"]*?\bfrom\s+['"]([^'"]+)['"]/gm;
const BARE = /^\s*import\s+['"]([^'"]+)['"]/gm;
const DYNAMIC = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

/** The imports of one file: `{ spec, typeOnly }`. Comments are blanked first so prose does not count. */
export function importsOf(src) {
  const code = src.replace(/\/\*[\s\S]*?\*\//g, (m) => m.replace(/[^\n]/g, ' ')).replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
  const out = [];
  for (const m of code.matchAll(STATIC)) {
    // `import { type A, type B } from` is type-only too.
    const braces = /\{([^}]*)\}/.exec(m[0]);
    const allTypes =
      braces &&
      !/^\s*(import|export)\s+[A-Za-z_$*]/.test(m[0].replace(/^\s*(import|export)\s+type\b/, '')) &&
      braces[1]
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
        .every((s) => s.startsWith('type '));
    out.push({ spec: m[3], typeOnly: Boolean(m[2]) || Boolean(allTypes) });
  }
  for (const m of code.matchAll(BARE)) out.push({ spec: m[1], typeOnly: false });
  for (const m of code.matchAll(DYNAMIC)) out.push({ spec: m[1], typeOnly: false });
  return out;
}

function resolveSpec(root, fromFile, spec) {
  if (!spec.startsWith('.')) return null;
  const base = resolve(dirname(fromFile), spec);
  const candidates = [base, ...EXTS.map((e) => base + e), ...EXTS.map((e) => join(base, `index${e}`))];
  for (const c of candidates) {
    if (existsSync(c) && statSync(c).isFile()) return relative(root, c).split(sep).join('/');
  }
  return null;
}

/** Every import edge between the repository's own files. */
export function graph(root) {
  const edges = [];
  for (const f of sourceFiles(root)) {
    const from = relative(root, f).split(sep).join('/');
    for (const i of importsOf(readFileSync(f, 'utf8'))) {
      const to = resolveSpec(root, f, i.spec);
      if (to) edges.push({ from, to, typeOnly: i.typeOnly });
    }
  }
  return edges;
}

const isTest = (p) => /\.test\.[mc]?[jt]s$|\/test\/|\/fixtures?\/|\/e2e\//.test(p);

export function layerViolations(edges) {
  const out = [];
  for (const e of edges) {
    if (isTest(e.from)) continue;
    for (const r of RULES) {
      if (!r.from.test(e.from) || !r.forbid.test(e.to)) continue;
      if (r.allow?.test(e.to)) continue;
      if (r.typeOnlyAllowed && e.typeOnly) continue;
      out.push(`${r.name}: ${e.from} imports ${e.to} (${r.why})`);
    }
  }
  return out;
}

/** Cycles of runtime imports (Tarjan's strongly connected components), tests left out. */
export function cycles(edges) {
  const next = new Map();
  for (const e of edges) {
    if (e.typeOnly || isTest(e.from) || isTest(e.to) || !ACYCLIC.test(e.from) || !ACYCLIC.test(e.to)) continue;
    if (!next.has(e.from)) next.set(e.from, []);
    next.get(e.from).push(e.to);
  }
  let index = 0;
  const idx = new Map();
  const low = new Map();
  const stack = [];
  const on = new Set();
  const found = [];
  const visit = (v) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of next.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
    }
    if (low.get(v) === idx.get(v)) {
      const scc = [];
      let w;
      do {
        w = stack.pop();
        on.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (next.get(v) ?? []).includes(v)) found.push(scc.sort());
    }
  };
  for (const v of next.keys()) if (!idx.has(v)) visit(v);
  return found.map((c) => `import cycle: ${c.join(' ↔ ')}`);
}

export function check(root) {
  const edges = graph(root);
  return [...layerViolations(edges), ...cycles(edges)];
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  const problems = check(root);
  for (const p of problems) console.error(`✘ ${p}`);
  if (problems.length) process.exit(1);
  console.log(`✓ ${RULES.length} layer rules hold and there is no import cycle.`);
}
