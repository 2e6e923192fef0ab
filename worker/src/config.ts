// SHOUYIN_CONFIG: one JSON document listing the merchants. Validated on first use; every error names
// the field's path and never echoes a secret's bytes. Each channel under `providers` is parsed by its
// provider, which the registry (providers/registry.ts) finds.

import { ConfigError, obj, onlyKeys, str, url } from './lib/config-fields';
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

function parseMerchant(v: unknown, i: number, ids: Set<string>, keys: Set<string>): MerchantConfig {
  const path = `merchants[${i}]`;
  const o = obj(v, path);
  onlyKeys(o, path, ['id', 'name', 'secret_keys', 'allowed_origins', 'webhook', 'auto_refund_anomalies', 'providers', 'apple']);
  const id = str(o, 'id', path, { pattern: /^[a-z0-9][a-z0-9_-]{0,31}$/, hint: 'must be 1–32 lowercase letters, digits, _ or - (it appears in notify URLs)' });
  if (ids.has(id)) throw new ConfigError(`${path}.id`, `duplicates another merchant's id ${JSON.stringify(id)}.`);
  ids.add(id);
  const name = str(o, 'name', path);
  if (!Array.isArray(o.secret_keys) || o.secret_keys.length === 0) {
    throw new ConfigError(`${path}.secret_keys`, 'must be a non-empty array of sk_test_… or sk_live_… keys.');
  }
  const secretKeys = o.secret_keys.map((k, j) => {
    if (typeof k !== 'string' || !/^sk_(test|live)_[0-9A-Za-z]{24,}$/.test(k)) {
      throw new ConfigError(`${path}.secret_keys[${j}]`, 'must be sk_test_ or sk_live_ followed by at least 24 letters or digits.');
    }
    if (keys.has(k)) throw new ConfigError(`${path}.secret_keys[${j}]`, 'is also used by another merchant.');
    keys.add(k);
    return k;
  });
  const live = secretKeys.map((k) => k.startsWith('sk_live_'));
  if (live.some((l) => l !== live[0])) {
    throw new ConfigError(`${path}.secret_keys`, 'mixes sk_test_ and sk_live_ keys; one merchant is either test or live.');
  }
  const livemode = live[0] === true;
  if (!Array.isArray(o.allowed_origins)) throw new ConfigError(`${path}.allowed_origins`, 'must be an array of origins such as "https://shop.example.com".');
  const origins = o.allowed_origins.map((x, j) => {
    const p = `${path}.allowed_origins[${j}]`;
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
    const wp = `${path}.webhook`;
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
  if (typeof auto !== 'boolean') throw new ConfigError(`${path}.auto_refund_anomalies`, 'must be true or false.');
  const po = obj(o.providers ?? {}, `${path}.providers`);
  const channels = registeredChannels();
  onlyKeys(po, `${path}.providers`, channels);
  const providers = parseProviders(po, `${path}.providers`, livemode);
  if (Object.keys(providers).length === 0) throw new ConfigError(`${path}.providers`, `must configure at least one provider (${channels.join(', ')}).`);
  return {
    id,
    name,
    secret_keys: secretKeys,
    allowed_origins: origins,
    ...(webhook ? { webhook } : {}),
    auto_refund_anomalies: auto,
    providers,
    livemode,
    ...(o.apple !== undefined ? { apple: parseAppleConfig(o.apple, `${path}.apple`, livemode) } : {}),
  };
}

export function parseConfig(raw: string | undefined): ShouyinConfig {
  if (raw === undefined || raw.trim() === '') {
    throw new ConfigError(
      '(root)',
      'is not set. Run `npm start` to generate .dev.vars locally, or set the SHOUYIN_CONFIG secret (`wrangler secret put SHOUYIN_CONFIG`).',
    );
  }
  let doc: unknown;
  try {
    doc = JSON.parse(raw);
  } catch (e) {
    throw new ConfigError('(root)', `is not valid JSON: ${(e as Error).message}`);
  }
  const o = obj(doc, '(root)');
  // `sandbox` is the provider sandbox Worker's section (sandbox/src/config.ts): accepted, not read here.
  onlyKeys(o, '(root)', ['public_base_url', 'merchants', 'sandbox']);
  const base = url(o, 'public_base_url', '(root)', false, false) as string;
  if (!Array.isArray(o.merchants) || o.merchants.length === 0) throw new ConfigError('merchants', 'must be a non-empty array.');
  const ids = new Set<string>();
  const keys = new Set<string>();
  const merchants = o.merchants.map((m, i) => parseMerchant(m, i, ids, keys));
  merchants.forEach((m) => {
    if (m.livemode && !base.startsWith('https://')) throw new ConfigError('public_base_url', 'must be https when a live merchant is configured.');
  });
  return { public_base_url: base, merchants };
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

export function merchantById(config: ShouyinConfig, id: string): MerchantConfig | undefined {
  return config.merchants.find((m) => m.id === id);
}
