// Where a merchant comes from, for every caller: the routes, the session and merchant-shard Durable
// Objects, the reconciliation run. Callers ask by id, by API key or for all of them, and never learn
// which source answered: today SHOUYIN_CONFIG (config.ts), parsed once per isolate.
//
// One bad merchant never takes down the others: SHOUYIN_CONFIG is read merchant by merchant, and an
// entry that does not validate is refused alone — logged once per isolate for the operator (the
// field's path and the rule, never a secret), and to the public exactly like a merchant that does not
// exist (its notify and client routes answer as for an unknown id, its keys are unknown keys).

import { parseConfigEntries, type MerchantConfig } from './config';
import { sha256Hex } from './crypto/digest';
import { timingSafeEqual } from './crypto/timing-safe';
import { ConfigError } from './lib/config-fields';
import type { Env } from './env';

export type { MerchantConfig } from './config';

type LookupEnv = Pick<Env, 'SHOUYIN_CONFIG' | 'PUBLIC_BASE_URL'>;

interface KeyEntry {
  /** SHA-256 hex of the secret key. */
  hash: string;
  merchant: MerchantConfig;
}

/** SHOUYIN_CONFIG as served: the merchants that validated, by id, and their keys' hashes. */
interface ConfigSource {
  base: string | null;
  byId: Map<string, MerchantConfig>;
  keys: Promise<KeyEntry[]>;
}

let configCache: { raw: string; base: string; source: ConfigSource } | null = null;

/** The variable, checked, or null when unset. */
function baseVariable(env: LookupEnv): string | null {
  const v = env.PUBLIC_BASE_URL?.trim();
  if (!v) return null;
  let u: URL | undefined;
  try {
    u = new URL(v);
  } catch {
    u = undefined;
  }
  if (!u || (u.protocol !== 'https:' && u.protocol !== 'http:')) {
    throw new ConfigError('PUBLIC_BASE_URL', `must be an absolute http(s) URL (got ${JSON.stringify(v.slice(0, 60))}).`, 'The variable');
  }
  return v.replace(/\/+$/, '');
}

function configSource(env: LookupEnv): ConfigSource {
  const raw = env.SHOUYIN_CONFIG ?? '';
  const variable = env.PUBLIC_BASE_URL ?? '';
  if (configCache && configCache.raw === raw && configCache.base === variable) return configCache.source;
  const entries = parseConfigEntries(raw);
  const base = baseVariable(env) ?? entries.public_base_url;
  const problems = [...entries.problems];
  const byId = new Map<string, MerchantConfig>();
  for (const m of entries.merchants) {
    // A live merchant's notify and return URLs must be https; on an http base it is refused alone.
    if (m.livemode && base !== null && !base.startsWith('https://')) {
      problems.push(new ConfigError('public_base_url', `must be https when a live merchant is configured; merchant ${JSON.stringify(m.id)} is refused.`));
      continue;
    }
    byId.set(m.id, m);
  }
  // Logged once per isolate per document: the path and the rule, never a value of a secret.
  for (const p of problems) console.error(`${p.message} This merchant entry is refused; the others are served.`);
  const keys = Promise.all([...byId.values()].flatMap((m) => m.secret_keys.map(async (k) => ({ hash: await sha256Hex(k), merchant: m }))));
  const source = { base, byId, keys };
  configCache = { raw, base: variable, source };
  return source;
}

export async function merchantById(env: LookupEnv, id: string): Promise<MerchantConfig | undefined> {
  return configSource(env).byId.get(id);
}

/**
 * The merchant a secret key belongs to. Only SHA-256 hashes are compared, each in constant time and
 * all of them every time, so neither the key nor which merchant matched shows in the timing.
 */
export async function merchantByApiKey(env: LookupEnv, key: string): Promise<MerchantConfig | undefined> {
  const hash = await sha256Hex(key);
  let found: MerchantConfig | undefined;
  for (const entry of await configSource(env).keys) if (timingSafeEqual(entry.hash, hash)) found = entry.merchant;
  return found;
}

export async function allMerchants(env: LookupEnv): Promise<MerchantConfig[]> {
  return [...configSource(env).byId.values()];
}

/**
 * Where this Worker is reachable: the PUBLIC_BASE_URL variable, else SHOUYIN_CONFIG's public_base_url.
 * Builds every URL handed to a provider or a shopper (notify, return, the simulators' base).
 */
export function publicBaseUrl(env: LookupEnv): string {
  const base = configSource(env).base;
  if (base === null) {
    throw new ConfigError(
      'public_base_url',
      'is not set: set the PUBLIC_BASE_URL variable (or public_base_url in SHOUYIN_CONFIG) to where this Worker is reachable.',
    );
  }
  return base;
}
