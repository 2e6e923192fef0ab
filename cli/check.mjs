// `shouyin check FILE`, offline: the Worker's own configuration parser (worker/src/config.ts) and
// provider registry, bundled at run time by the esbuild that wrangler installs, so a file is judged
// exactly as the Worker would judge it — the same field-named errors, never a secret's bytes — and
// nothing leaves the machine. Also says, per merchant, channel and flow, what is still missing.
// Where esbuild is not installed the CLI asks the Worker instead (POST /v1/admin/check).

import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** A flow the provider implements but the merchant's configuration does not enable: the field that enables it. */
const ENABLED_BY = { jsapi: 'oauth' };

/** A placeholder secret key of the right mode, for a merchant file that carries none (the registry makes its keys). */
const placeholderKey = (live) => `sk_${live ? 'live' : 'test'}_CheckPlaceholder000000000000`;

/**
 * The worker modules check needs, bundled for Node; null when esbuild is not available.
 * @returns {Promise<any | null>}
 */
export async function loadWorkerParser() {
  /** @type {any} */
  let esbuild;
  try {
    esbuild = await import('esbuild');
  } catch {
    return null;
  }
  const entry = [
    "export { parseConfig } from './worker/src/config.ts';",
    "export { PROVIDERS, registeredChannels, resolveProvider } from './worker/src/providers/registry.ts';",
  ].join('\n');
  const result = await esbuild.build({
    stdin: { contents: entry, resolveDir: ROOT, loader: 'ts', sourcefile: 'shouyin-check.ts' },
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    write: false,
    logLevel: 'silent',
    // Imported lazily by the APIv2 refund path only (the mTLS binding); never during parsing.
    external: ['cloudflare:*'],
  });
  const file = join(tmpdir(), `shouyin-check-${randomBytes(6).toString('hex')}.mjs`);
  writeFileSync(file, result.outputFiles[0].text);
  try {
    return await import(pathToFileURL(file).href);
  } finally {
    rmSync(file, { force: true });
  }
}

/** @param {unknown} doc */
export const isConfigDocument = (doc) => typeof doc === 'object' && doc !== null && Array.isArray(/** @type {any} */ (doc).merchants);

/**
 * Per channel and flow of one parsed merchant: "ready", or "missing: <fields>".
 * @param {any} mod the bundled worker modules
 * @param {any} merchant a parsed MerchantConfig
 * @returns {Record<string, Record<string, string>>}
 */
export function flowsOf(mod, merchant) {
  /** @type {Record<string, Record<string, string>>} */
  const out = {};
  for (const channel of mod.registeredChannels()) {
    const entries = mod.PROVIDERS.filter((e) => e.channel.id === channel);
    const r = mod.resolveProvider(merchant, channel);
    if (!r) {
      const flows = [...new Set(entries.flatMap((e) => [...e.provider.flows, ...(e.provider.payWithCode ? ['barcode'] : [])]))];
      out[channel] = Object.fromEntries(flows.map((f) => [f, `missing: providers.${channel}`]));
      continue;
    }
    const allowed = new Set(r.provider.flows);
    const implemented = [...r.entry.provider.flows, ...(r.entry.provider.payWithCode ? ['barcode'] : [])];
    out[channel] = Object.fromEntries(
      implemented.map((f) => {
        if (f === 'barcode' || allowed.has(f)) return [f, 'ready'];
        const field = ENABLED_BY[/** @type {keyof typeof ENABLED_BY} */ (f)];
        return [f, `missing: providers.${channel}.${field ?? f}`];
      }),
    );
  }
  return out;
}

/**
 * Checks a merchant entry (as `merchants apply` sends it) or a whole SHOUYIN_CONFIG document, as the
 * Worker would. Same shape as POST /v1/admin/check answers.
 * @param {any} mod the bundled worker modules (loadWorkerParser)
 * @param {Record<string, unknown>} doc
 * @returns {{ ok: boolean, errors: { param: string, message: string }[], flows: Record<string, Record<string, Record<string, string>>> }}
 */
export function checkOffline(mod, doc) {
  const whole = isConfigDocument(doc);
  /** @type {Record<string, unknown>} */
  let config = doc;
  let prefix = '';
  if (!whole) {
    const { livemode, ...entry } = doc;
    const keys = entry.secret_keys;
    if (keys === undefined) {
      if (typeof livemode !== 'boolean') {
        return { ok: false, errors: [{ param: 'livemode', message: 'livemode is required (true or false) when the file has no secret_keys.' }], flows: {} };
      }
      entry.secret_keys = [placeholderKey(livemode)];
    } else if (livemode !== undefined && typeof livemode !== 'boolean') {
      return { ok: false, errors: [{ param: 'livemode', message: 'livemode must be true or false.' }], flows: {} };
    }
    if (entry.id === undefined) entry.id = 'merchant';
    config = { public_base_url: 'https://shouyin.invalid', merchants: [entry] };
    prefix = 'merchants[0].';
  }
  try {
    const parsed = mod.parseConfig(JSON.stringify(config));
    /** @type {Record<string, Record<string, Record<string, string>>>} */
    const flows = {};
    for (const m of parsed.merchants) flows[m.id] = flowsOf(mod, m);
    if (!whole && typeof doc.livemode === 'boolean' && Array.isArray(doc.secret_keys) && parsed.merchants[0].livemode !== doc.livemode) {
      return {
        ok: false,
        errors: [{ param: 'livemode', message: `livemode is ${doc.livemode} but secret_keys are ${doc.livemode ? 'sk_test_' : 'sk_live_'} keys.` }],
        flows,
      };
    }
    return { ok: true, errors: [], flows };
  } catch (e) {
    const err = /** @type {{ param?: string, message: string, code?: string }} */ (e);
    if (err.code !== 'config_invalid') throw e;
    const strip = (s) => (s.startsWith(prefix) ? s.slice(prefix.length) : s);
    const param = strip(err.param ?? '(root)');
    const message = strip(err.message.replace(/^SHOUYIN_CONFIG /, ''));
    return { ok: false, errors: [{ param, message }], flows: {} };
  }
}
