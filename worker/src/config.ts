// SHOUYIN_CONFIG: one JSON document listing the merchants. Validated on first use; every error names
// the field's path and never echoes a secret's bytes. Each channel under `providers` is parsed by its
// provider, which the registry (providers/registry.ts) finds.

import { ConfigError, fieldPath as at, obj, onlyKeys, str, url } from './lib/config-fields';
import { parseProviders, registeredChannels, type ProvidersConfig } from './providers/registry';
import { parseAppleConfig, type AppleConfig } from './apple/config';

export type { ProvidersConfig } from './providers/registry';

export interface WebhookConfig {
  url: string;
  /** `whsec_` + base64 of at least 24 random bytes (Standard Webhooks). */
  secret: string;
}

export interface MerchantConfig {
  id: string;
  name: string;
  secret_keys: string[];
  allowed_origins: string[];
  webhook?: WebhookConfig;
  auto_refund_anomalies: boolean;
  providers: ProvidersConfig;
  /** Apple In-App Purchase verification for the merchant's app (docs/apple.md). */
  apple?: AppleConfig;
  /** Derived from the keys: all `sk_test_` (false) or all `sk_live_` (true). */
  livemode: boolean;
}

export interface ShouyinConfig {
  public_base_url: string;
  merchants: MerchantConfig[];
}

export const MERCHANT_ID = /^[a-z0-9][a-z0-9_-]{0,31}$/;
export const MERCHANT_ID_HINT = 'must be 1–32 lowercase letters, digits, _ or - (it appears in notify URLs)';
/** A merchant's secret key as SHOUYIN_CONFIG takes it (the registry generates `sk_…_` + 32). */
export const SECRET_KEY = /^sk_(test|live)_[0-9A-Za-z]{24,}$/;

export interface MerchantEntryOptions {
  /**
   * The entry comes without its id (the admin API's `PUT /v1/admin/merchants/:id` names it in the
   * URL): this id is used, and an `id` field in the entry must equal it.
   */
  id?: string;
  /**
   * The registry stores keys as hashes: `secret_keys` may be absent, and then `livemode` says the
   * merchant's mode. In SHOUYIN_CONFIG keys are required.
   */
  keysOptional?: boolean;
}

/**
 * One merchant entry, alone: the same rules in SHOUYIN_CONFIG (`merchants[i]`) and in the admin API
 * (path ''). Rules across merchants (unique ids and keys) are the caller's. Throws ConfigError naming
 * the field; a secret's bytes never appear in a message.
 */
export function parseMerchantEntry(v: unknown, path: string, opts: MerchantEntryOptions = {}): MerchantConfig {
  const o = obj(v, path === '' ? '(body)' : path);
  onlyKeys(o, path, ['id', 'name', 'secret_keys', 'livemode', 'allowed_origins', 'webhook', 'auto_refund_anomalies', 'providers', 'apple']);
  let id: string;
  if (opts.id !== undefined) {
    if (o.id !== undefined && o.id !== opts.id)
      throw new ConfigError(at(path, 'id'), `must be ${JSON.stringify(opts.id)}, the id this entry is stored under, or be left out.`);
    if (!MERCHANT_ID.test(opts.id)) throw new ConfigError(at(path, 'id'), `${MERCHANT_ID_HINT} (got ${JSON.stringify(opts.id.slice(0, 60))}).`);
    id = opts.id;
  } else {
    id = str(o, 'id', path, { pattern: MERCHANT_ID, hint: MERCHANT_ID_HINT });
  }
  const name = str(o, 'name', path);
  const keysGiven = o.secret_keys !== undefined || !opts.keysOptional;
  let secretKeys: string[] = [];
  if (keysGiven) {
    if (!Array.isArray(o.secret_keys) || o.secret_keys.length === 0) {
      throw new ConfigError(at(path, 'secret_keys'), 'must be a non-empty array of sk_test_… or sk_live_… keys.');
    }
    secretKeys = o.secret_keys.map((k, j) => {
      if (typeof k !== 'string' || !SECRET_KEY.test(k)) {
        throw new ConfigError(`${at(path, 'secret_keys')}[${j}]`, 'must be sk_test_ or sk_live_ followed by at least 24 letters or digits.');
      }
      return k;
    });
  }
  const live = secretKeys.map((k) => k.startsWith('sk_live_'));
  if (live.some((l) => l !== live[0])) {
    throw new ConfigError(at(path, 'secret_keys'), 'mixes sk_test_ and sk_live_ keys; one merchant is either test or live.');
  }
  if (o.livemode !== undefined && typeof o.livemode !== 'boolean') throw new ConfigError(at(path, 'livemode'), 'must be true or false.');
  if (secretKeys.length === 0 && o.livemode === undefined) {
    throw new ConfigError(at(path, 'livemode'), 'is missing: without secret_keys, say whether the merchant is live (true) or test (false).');
  }
  const livemode = secretKeys.length > 0 ? live[0] === true : o.livemode === true;
  if (o.livemode !== undefined && o.livemode !== livemode) {
    throw new ConfigError(at(path, 'livemode'), `is ${String(o.livemode)}, but the secret_keys are ${livemode ? 'sk_live_' : 'sk_test_'} keys.`);
  }
  if (!Array.isArray(o.allowed_origins)) throw new ConfigError(at(path, 'allowed_origins'), 'must be an array of origins such as "https://shop.example.com".');
  const origins = o.allowed_origins.map((x, j) => {
    const p = `${at(path, 'allowed_origins')}[${j}]`;
    if (typeof x !== 'string') throw new ConfigError(p, 'must be a string.');
    let u: URL;
    try {
      u = new URL(x);
    } catch {
      throw new ConfigError(p, `must be an origin like "https://shop.example.com" (got ${JSON.stringify(x)}).`);
    }
    if (u.origin !== x)
      throw new ConfigError(p, `must be an origin without path or trailing slash (got ${JSON.stringify(x)}; use ${JSON.stringify(u.origin)}).`);
    return x;
  });
  let webhook: WebhookConfig | undefined;
  if (o.webhook !== undefined) {
    const wp = at(path, 'webhook');
    const w = obj(o.webhook, wp);
    onlyKeys(w, wp, ['url', 'secret']);
    const wurl = url(w, 'url', wp, false, livemode) as string;
    const secret = str(w, 'secret', wp, {
      secret: true,
      pattern: /^whsec_[A-Za-z0-9+/]{32,}={0,2}$/,
      hint: 'must be whsec_ followed by the base64 of at least 24 random bytes',
    });
    webhook = { url: wurl, secret };
  }
  const auto = o.auto_refund_anomalies ?? true;
  if (typeof auto !== 'boolean') throw new ConfigError(at(path, 'auto_refund_anomalies'), 'must be true or false.');
  const pp = at(path, 'providers');
  const po = obj(o.providers ?? {}, pp);
  const channels = registeredChannels();
  onlyKeys(po, pp, channels);
  const providers = parseProviders(po, pp, livemode);
  if (Object.keys(providers).length === 0) throw new ConfigError(pp, `must configure at least one provider (${channels.join(', ')}).`);
  return {
    id,
    name,
    secret_keys: secretKeys,
    allowed_origins: origins,
    ...(webhook ? { webhook } : {}),
    auto_refund_anomalies: auto,
    providers,
    livemode,
    ...(o.apple !== undefined ? { apple: parseAppleConfig(o.apple, at(path, 'apple'), livemode) } : {}),
  };
}

/** SHOUYIN_CONFIG read merchant by merchant: what parsed, and what was refused (each error names its field). */
export interface ConfigEntries {
  /** null when missing or invalid (a problem says which), or when SHOUYIN_CONFIG is not set at all. */
  public_base_url: string | null;
  merchants: MerchantConfig[];
  problems: ConfigError[];
}

/**
 * Reads the document, handing every problem to `problem` in document order: parseConfig throws the
 * first, parseConfigEntries collects them and keeps every merchant that parsed. A merchant whose id
 * or key repeats an earlier merchant's is refused, the earlier one kept.
 */
function readConfig(raw: string | undefined, problem: (e: ConfigError) => void, allowUnset: boolean): ConfigEntries {
  const out: ConfigEntries = { public_base_url: null, merchants: [], problems: [] };
  if (raw === undefined || raw.trim() === '') {
    if (!allowUnset) {
      problem(
        new ConfigError(
          '(root)',
          'is not set. Run `npm start` to generate .dev.vars locally, or set the SHOUYIN_CONFIG secret (`wrangler secret put SHOUYIN_CONFIG`).',
        ),
      );
    }
    return out;
  }
  let doc: unknown;
  try {
    doc = JSON.parse(raw);
  } catch (e) {
    problem(new ConfigError('(root)', `is not valid JSON: ${(e as Error).message}`));
    return out;
  }
  const guard = (fn: () => void): void => {
    try {
      fn();
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      problem(e);
    }
  };
  let o: Record<string, unknown> | undefined;
  guard(() => {
    o = obj(doc, '(root)');
  });
  if (!o) return out;
  const root = o;
  // `sandbox` is the provider sandbox Worker's section (sandbox/src/config.ts): accepted, not read here.
  guard(() => onlyKeys(root, '(root)', ['public_base_url', 'merchants', 'sandbox']));
  guard(() => {
    // Serving, PUBLIC_BASE_URL may stand in for it (merchants.ts publicBaseUrl).
    out.public_base_url = url(root, 'public_base_url', '(root)', allowUnset, false) ?? null;
  });
  if (!Array.isArray(root.merchants) || (root.merchants.length === 0 && !allowUnset)) {
    problem(new ConfigError('merchants', 'must be a non-empty array.'));
    return out;
  }
  const ids = new Set<string>();
  const keys = new Set<string>();
  root.merchants.forEach((m, i) => {
    guard(() => {
      const path = `merchants[${i}]`;
      const merchant = parseMerchantEntry(m, path);
      if (ids.has(merchant.id)) throw new ConfigError(`${path}.id`, `duplicates another merchant's id ${JSON.stringify(merchant.id)}.`);
      merchant.secret_keys.forEach((k, j) => {
        if (keys.has(k)) throw new ConfigError(`${path}.secret_keys[${j}]`, 'is also used by another merchant.');
      });
      ids.add(merchant.id);
      for (const k of merchant.secret_keys) keys.add(k);
      out.merchants.push(merchant);
    });
  });
  const base = out.public_base_url;
  // Serving, merchants.ts checks the base actually used (PUBLIC_BASE_URL may replace this one).
  if (!allowUnset && base !== null && !base.startsWith('https://') && out.merchants.some((m) => m.livemode)) {
    problem(new ConfigError('public_base_url', 'must be https when a live merchant is configured.'));
  }
  return out;
}

/** The whole document, strictly: the first problem is thrown (the sandbox Worker, `check`, tests). */
export function parseConfig(raw: string | undefined): ShouyinConfig {
  const r = readConfig(
    raw,
    (e) => {
      throw e;
    },
    false,
  );
  return { public_base_url: r.public_base_url as string, merchants: r.merchants };
}

/**
 * The document merchant by merchant, for serving: a broken entry is refused alone (with its error in
 * `problems`) and the others keep working. An unset SHOUYIN_CONFIG is no problem here: the merchants
 * may all be in the registry.
 */
export function parseConfigEntries(raw: string | undefined): ConfigEntries {
  const problems: ConfigError[] = [];
  const r = readConfig(raw, (e) => problems.push(e), true);
  return { ...r, problems };
}

/** Every problem of a document, as parseConfig's rules find them (the admin API's `check`). */
export function checkConfig(raw: string | undefined): ConfigEntries {
  const problems: ConfigError[] = [];
  const r = readConfig(raw, (e) => problems.push(e), false);
  return { ...r, problems };
}

const cache = new Map<string, ShouyinConfig>();

/** Parsed once per isolate per distinct document. */
export function loadConfig(env: { SHOUYIN_CONFIG?: string }): ShouyinConfig {
  const raw = env.SHOUYIN_CONFIG ?? '';
  let c = cache.get(raw);
  if (!c) {
    c = parseConfig(raw);
    cache.clear();
    cache.set(raw, c);
  }
  return c;
}
