// Where a merchant comes from, for every caller: the routes, the session and merchant-shard Durable
// Objects, the reconciliation run. Callers ask by id, by API key or for all of them, and never learn
// which source answered: today SHOUYIN_CONFIG (config.ts), parsed once per isolate.

import { loadConfig, type MerchantConfig } from './config';
import { sha256Hex } from './crypto/digest';
import { timingSafeEqual } from './crypto/timing-safe';
import { ConfigError } from './lib/config-fields';
import type { Env } from './env';

export type { MerchantConfig } from './config';

type LookupEnv = Pick<Env, 'SHOUYIN_CONFIG' | 'PUBLIC_BASE_URL'>;

/** `{ hash, merchant }` for every secret key of the config, computed once per isolate per document. */
const keyIndexes = new Map<string, Promise<{ hash: string; merchant: MerchantConfig }[]>>();

function configKeyIndex(env: LookupEnv): Promise<{ hash: string; merchant: MerchantConfig }[]> {
  const raw = env.SHOUYIN_CONFIG ?? '';
  let p = keyIndexes.get(raw);
  if (!p) {
    const merchants = loadConfig(env).merchants;
    p = Promise.all(merchants.flatMap((m) => m.secret_keys.map(async (k) => ({ hash: await sha256Hex(k), merchant: m }))));
    keyIndexes.clear();
    keyIndexes.set(raw, p);
  }
  return p;
}

export async function merchantById(env: LookupEnv, id: string): Promise<MerchantConfig | undefined> {
  return loadConfig(env).merchants.find((m) => m.id === id);
}

/**
 * The merchant a secret key belongs to. Only SHA-256 hashes are compared, each in constant time and
 * all of them every time, so neither the key nor which merchant matched shows in the timing.
 */
export async function merchantByApiKey(env: LookupEnv, key: string): Promise<MerchantConfig | undefined> {
  const hash = await sha256Hex(key);
  let found: MerchantConfig | undefined;
  for (const entry of await configKeyIndex(env)) if (timingSafeEqual(entry.hash, hash)) found = entry.merchant;
  return found;
}

export async function allMerchants(env: LookupEnv): Promise<MerchantConfig[]> {
  return loadConfig(env).merchants;
}

/**
 * Where this Worker is reachable: the PUBLIC_BASE_URL variable, else SHOUYIN_CONFIG's public_base_url.
 * Builds every URL handed to a provider or a shopper (notify, return, the simulators' base).
 */
export function publicBaseUrl(env: LookupEnv): string {
  const v = env.PUBLIC_BASE_URL?.trim();
  if (v) {
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
  return loadConfig(env).public_base_url;
}
