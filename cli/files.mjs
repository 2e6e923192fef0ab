// Reading what the CLI sends: merchant files in JSON or YAML, PEM files referenced from them
// (`{ "$file": "./apiclient_key.pem" }`, relative to the merchant file) or given with
// `--pem field.path=FILE` (relative to the current directory), and SHOUYIN_CONFIG from a .dev.vars
// file. Errors name the file and the field; a file's content is never printed.

import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { parseDevVars } from '../scripts/dev-config.mjs';
import { UsageError } from './args.mjs';

/** A problem with an input file: exit code 1 like an API error, since the command was well formed. */
export class InputError extends Error {}

/** @param {string} path */
function readText(path) {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new InputError(`Cannot read ${path}: ${/** @type {NodeJS.ErrnoException} */ (e).code ?? /** @type {Error} */ (e).message}.`);
  }
}

/**
 * Where a parser failed, and nothing of the text: JSON.parse's message quotes the document around the
 * error, and a merchant file holds private keys.
 * @param {unknown} e
 */
function where(e) {
  const err = /** @type {{ message?: string, linePos?: { line: number, col: number }[], code?: string }} */ (e);
  const pos = err.linePos?.[0];
  if (pos) return ` (${err.code ?? 'syntax error'} at line ${pos.line}, column ${pos.col})`;
  const at = /position (\d+)(?: \(line (\d+) column (\d+)\))?/.exec(err.message ?? '');
  if (at?.[2]) return ` (at line ${at[2]}, column ${at[3]})`;
  return at ? ` (at position ${at[1]})` : '';
}

/**
 * JSON (`.json`, or anything starting with `{`) or YAML (everything else: YAML is a superset of JSON).
 * @param {string} path
 * @returns {unknown}
 */
export function parseDocument(path) {
  const text = readText(path);
  const json = /\.json$/i.test(path) || text.trimStart().startsWith('{');
  try {
    return json ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw new InputError(`${path} is not valid ${json ? 'JSON' : 'YAML'}${where(e)}.`);
  }
}

/** @param {unknown} v @returns {v is Record<string, unknown>} */
const isObject = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Replaces every `{ "$file": "path" }` by the text of that file, read relative to `baseDir`.
 * @param {unknown} value
 * @param {string} baseDir
 * @param {string} field the path of `value`, for errors
 * @returns {unknown}
 */
export function resolveFileRefs(value, baseDir, field = '') {
  if (Array.isArray(value)) return value.map((v, i) => resolveFileRefs(v, baseDir, `${field}[${i}]`));
  if (!isObject(value)) return value;
  if ('$file' in value) {
    const ref = value.$file;
    if (Object.keys(value).length !== 1 || typeof ref !== 'string' || ref === '') {
      throw new InputError(`${field || '(root)'}: a file reference is exactly { "$file": "<path>" }.`);
    }
    return readText(resolve(baseDir, ref));
  }
  /** @type {Record<string, unknown>} */
  const out = {};
  for (const [k, v] of Object.entries(value)) out[k] = resolveFileRefs(v, baseDir, field ? `${field}.${k}` : k);
  return out;
}

/**
 * `a.b[0].c` → ['a', 'b', 0, 'c'].
 * @param {string} path
 * @returns {(string | number)[]}
 */
export function fieldPath(path) {
  /** @type {(string | number)[]} */
  const out = [];
  for (const part of path.split('.')) {
    const m = /^([A-Za-z_$][\w$-]*)((?:\[\d+\])*)$/.exec(part);
    if (!m) throw new UsageError(`--pem: ${JSON.stringify(path)} is not a field path such as providers.wechat_pay.private_key.`);
    out.push(/** @type {string} */ (m[1]));
    for (const idx of (m[2] ?? '').matchAll(/\[(\d+)\]/g)) out.push(Number(idx[1]));
  }
  return out;
}

/**
 * Applies `--pem field.path=FILE` options: each file's text is set at its field, objects and arrays made as needed.
 * @param {unknown} doc
 * @param {string[]} pems
 * @param {string} cwd
 */
export function applyPemOptions(doc, pems, cwd) {
  if (!isObject(doc)) throw new InputError('The file must hold an object.');
  for (const spec of pems) {
    const eq = spec.indexOf('=');
    if (eq <= 0 || eq === spec.length - 1) throw new UsageError(`--pem takes field.path=FILE (got ${JSON.stringify(spec)}).`);
    const path = fieldPath(spec.slice(0, eq));
    const text = readText(resolve(cwd, spec.slice(eq + 1)));
    /** @type {any} */
    let target = doc;
    for (let i = 0; i < path.length - 1; i++) {
      const key = /** @type {string | number} */ (path[i]);
      if (target[key] === undefined) target[key] = typeof path[i + 1] === 'number' ? [] : {};
      target = target[key];
      if (typeof target !== 'object' || target === null) throw new InputError(`--pem ${spec.slice(0, eq)}: ${String(key)} is not an object in the file.`);
    }
    target[/** @type {string | number} */ (path[path.length - 1])] = text;
  }
  return doc;
}

/**
 * A merchant (or provider section, or SHOUYIN_CONFIG) file with its PEM references read in.
 * @param {string} path
 * @param {{ pem?: string[], cwd?: string }} [options]
 * @returns {Record<string, unknown>}
 */
export function loadInput(path, { pem = [], cwd = process.cwd() } = {}) {
  const abs = resolve(cwd, path);
  const doc = resolveFileRefs(parseDocument(abs), dirname(abs));
  if (!isObject(doc)) throw new InputError(`${path} must hold an object (a merchant, a provider section or a SHOUYIN_CONFIG document).`);
  return /** @type {Record<string, unknown>} */ (applyPemOptions(doc, pem, cwd));
}

/**
 * SHOUYIN_CONFIG from a wrangler .dev.vars file.
 * @param {string} path
 * @returns {Record<string, unknown>}
 */
export function loadDevVarsConfig(path) {
  const vars = parseDevVars(readText(path));
  const raw = vars.SHOUYIN_CONFIG;
  if (raw === undefined) throw new InputError(`${path} sets no SHOUYIN_CONFIG.`);
  let doc;
  try {
    doc = JSON.parse(raw);
  } catch (e) {
    throw new InputError(`SHOUYIN_CONFIG in ${path} is not valid JSON${where(e)}.`);
  }
  if (!isObject(doc)) throw new InputError(`SHOUYIN_CONFIG in ${path} must be a JSON object.`);
  return doc;
}
