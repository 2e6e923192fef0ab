// Where a merchant comes from, for every caller: the routes, the session and merchant-shard Durable
// Objects, the reconciliation run. Callers ask by id, by API key or for all of them, and never learn
// which source answered: the merchant registry (registry/, encrypted, managed through the
// admin API) or SHOUYIN_CONFIG (config.ts). A registry entry wins over a SHOUYIN_CONFIG merchant with
// the same id.
//
// The hot path pays no round trip per request. Each isolate keeps the registry's index (which ids
// and key hashes it holds) and every merchant it opened, tagged with the registry's version, and asks
// the registry for its version at most once every REFRESH_MS: an update made anywhere is served
// everywhere within REFRESH_MS (plus the request in flight). A lookup that finds nothing may ask
// again sooner, at most once every MISS_REFRESH_MS, so a merchant created a moment ago is found
// without a flood of unknown ids reaching the registry. An admin write made in this isolate is seen
// by it at once (invalidate()).
//
// One bad merchant never takes down the others: SHOUYIN_CONFIG is read merchant by merchant, and an
// entry that does not validate is refused alone — logged once per isolate for the operator (the
// field's path and the rule, never a secret), and to the public exactly like a merchant that does not
// exist (its notify and client routes answer as for an unknown id, its keys are unknown keys). A
// registry entry that does not open or validate is refused the same way (and does not fall back to a
// SHOUYIN_CONFIG merchant of the same id).

import { parseConfigEntries, parseMerchantEntry, type MerchantConfig } from './config';
import { sha256Hex } from './crypto/digest';
import { timingSafeEqual } from './crypto/timing-safe';
import { ConfigError } from './lib/config-fields';
import type { Env } from './env';
import { registryStub } from './registry/durable-object';
import type { OpenedEntry, RegistryIndex } from './registry/types';

export type { MerchantConfig } from './config';

type LookupEnv = Pick<Env, 'SHOUYIN_CONFIG' | 'PUBLIC_BASE_URL' | 'MERCHANT_REGISTRY'>;

/** How stale a registry update may be served: the bound docs/configuration.md states. */
export const REFRESH_MS = 5_000;
/** A lookup that found nothing asks the registry again at most this often. */
export const MISS_REFRESH_MS = 1_000;

/** The lookups' clock; tests move it instead of waiting. */
export const lookupClock = { now: (): number => Date.now() };

interface KeyEntry {
  /** SHA-256 hex of the secret key. */
  hash: string;
  merchant: string;
  /** Unix seconds; null: no end. */
  expires_at: number | null;
}

// ── SHOUYIN_CONFIG ───────────────────────────────────────────────────────────────────────────────

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

/** A live merchant's notify and return URLs must be https: on an http base it is refused alone. */
const liveOnHttp = (m: MerchantConfig, base: string | null): boolean => m.livemode && base !== null && !base.startsWith('https://');

function configSource(env: LookupEnv): ConfigSource {
  const raw = env.SHOUYIN_CONFIG ?? '';
  const variable = env.PUBLIC_BASE_URL ?? '';
  if (configCache && configCache.raw === raw && configCache.base === variable) return configCache.source;
  const entries = parseConfigEntries(raw);
  const base = baseVariable(env) ?? entries.public_base_url;
  const problems = [...entries.problems];
  const byId = new Map<string, MerchantConfig>();
  for (const m of entries.merchants) {
    if (liveOnHttp(m, base)) {
      problems.push(new ConfigError('public_base_url', `must be https when a live merchant is configured; merchant ${JSON.stringify(m.id)} is refused.`));
      continue;
    }
    byId.set(m.id, m);
  }
  // Logged once per isolate per document: the path and the rule, never a value of a secret.
  for (const p of problems) console.error(`${p.message} This merchant entry is refused; the others are served.`);
  const keys = Promise.all([...byId.values()].flatMap((m) => m.secret_keys.map(async (k) => ({ hash: await sha256Hex(k), merchant: m.id, expires_at: null }))));
  const source = { base, byId, keys };
  configCache = { raw, base: variable, source };
  return source;
}

// ── the registry ─────────────────────────────────────────────────────────────────────────────────

interface RegistryView {
  index: RegistryIndex;
  ids: Set<string>;
  /** When the version was last confirmed (lookupClock). */
  checkedAt: number;
  /** Opened and parsed merchants of this version; null: refused (logged). */
  opened: Map<string, Promise<MerchantConfig | null>>;
}

let view: RegistryView | null = null;
let refreshing: Promise<RegistryView> | null = null;
/** The binding the view was read from: a test may run the Worker with other bindings. */
let viewOf: unknown = null;

/** Forgets the cached version: the next lookup asks the registry (an admin write in this isolate). */
export function invalidate(): void {
  if (view) view.checkedAt = Number.NEGATIVE_INFINITY;
}

async function refresh(stub: NonNullable<ReturnType<typeof registryStub>>): Promise<RegistryView> {
  const now = lookupClock.now();
  const current = view;
  try {
    if (current && (await stub.version()) === current.index.version) {
      current.checkedAt = now;
      return current;
    }
    const index = await stub.index();
    const next: RegistryView = { index, ids: new Set(index.merchants.map((m) => m.id)), checkedAt: now, opened: new Map() };
    view = next;
    return next;
  } catch (e) {
    // Unreachable: what this isolate has keeps being served, and it asks again soon. With nothing
    // cached the lookup fails (a 5xx the caller retries) rather than guess which source wins.
    if (!current) throw e;
    console.error(`merchant registry unreachable, serving version ${current.index.version}: ${e instanceof Error ? e.message : String(e)}`);
    current.checkedAt = now - REFRESH_MS + MISS_REFRESH_MS;
    return current;
  }
}

/** The registry's index as this isolate has it, confirmed within REFRESH_MS (or `maxAge`). */
async function registryView(env: LookupEnv, maxAge = REFRESH_MS): Promise<RegistryView | null> {
  const stub = registryStub(env);
  if (!stub) return null;
  if (viewOf !== env.MERCHANT_REGISTRY) {
    view = null;
    refreshing = null;
    viewOf = env.MERCHANT_REGISTRY;
  }
  if (view && lookupClock.now() - view.checkedAt < maxAge) return view;
  // One refresh at a time per isolate: concurrent requests wait for the same answer.
  refreshing ??= refresh(stub).finally(() => {
    refreshing = null;
  });
  return refreshing;
}

/** The registry merchant, opened and parsed once per version per isolate; null when it is refused. */
function openedMerchant(env: LookupEnv, v: RegistryView, id: string): Promise<MerchantConfig | null> {
  let p = v.opened.get(id);
  if (!p) {
    const stub = registryStub(env);
    // Entries are JSON; the RPC typing cannot express `unknown` values, hence the cast.
    p = (stub ? (stub.entries([id]) as Promise<OpenedEntry[]>) : Promise.resolve([])).then((r) => parseOpened(env, r[0]));
    p.catch(() => v.opened.delete(id));
    v.opened.set(id, p);
  }
  return p;
}

function parseOpened(env: LookupEnv, opened: OpenedEntry | undefined): MerchantConfig | null {
  if (!opened) return null;
  if (!opened.ok) {
    console.error(`merchant registry: ${opened.id} is refused: ${opened.error.message}`);
    return null;
  }
  try {
    const m = parseMerchantEntry(opened.entry, '', { id: opened.id, keysOptional: true });
    const base = publicBaseOrNull(env);
    if (liveOnHttp(m, base)) {
      console.error(`merchant registry: ${opened.id} is refused: it is live and the public base URL is not https.`);
      return null;
    }
    return m;
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    // The rules may have tightened since it was stored: refused alone, the path and rule logged.
    console.error(`merchant registry: ${opened.id} is refused: ${e.path} ${e.problem}`);
    return null;
  }
}

// ── lookups ──────────────────────────────────────────────────────────────────────────────────────

async function byIdIn(env: LookupEnv, v: RegistryView | null, id: string): Promise<MerchantConfig | undefined> {
  if (v?.ids.has(id)) return (await openedMerchant(env, v, id)) ?? undefined;
  return configSource(env).byId.get(id);
}

export async function merchantById(env: LookupEnv, id: string): Promise<MerchantConfig | undefined> {
  const v = await registryView(env);
  const found = await byIdIn(env, v, id);
  if (found || !v) return found;
  return byIdIn(env, await registryView(env, MISS_REFRESH_MS), id);
}

/**
 * The merchant a secret key belongs to. Only SHA-256 hashes are compared, each in constant time and
 * all of them every time, so neither the key nor which merchant matched shows in the timing.
 */
export async function merchantByApiKey(env: LookupEnv, key: string): Promise<MerchantConfig | undefined> {
  const hash = await sha256Hex(key);
  const match = async (v: RegistryView | null): Promise<MerchantConfig | undefined> => {
    const nowS = lookupClock.now() / 1000;
    const candidates = [
      ...(v?.index.keys ?? []).filter((k) => k.expires_at === null || k.expires_at > nowS),
      // A SHOUYIN_CONFIG merchant that the registry shadows is served with the registry's keys only.
      ...(await configSource(env).keys).filter((k) => !v?.ids.has(k.merchant)),
    ];
    let found: string | undefined;
    for (const k of candidates) if (timingSafeEqual(k.hash, hash)) found = k.merchant;
    return found === undefined ? undefined : byIdIn(env, v, found);
  };
  const v = await registryView(env);
  const found = await match(v);
  if (found || !v) return found;
  return match(await registryView(env, MISS_REFRESH_MS));
}

/** The registry version this isolate serves (null: no registry bound), for the sandbox Worker's hint header. */
export async function registryVersion(env: LookupEnv): Promise<number | null> {
  return (await registryView(env))?.index.version ?? null;
}

/** Every merchant served: the registry's, then SHOUYIN_CONFIG's that the registry does not shadow. */
export async function allMerchants(env: LookupEnv): Promise<MerchantConfig[]> {
  const v = await registryView(env);
  const fromRegistry = v ? await Promise.all([...v.ids].map((id) => openedMerchant(env, v, id))) : [];
  const fromConfig = [...configSource(env).byId.values()].filter((m) => !v?.ids.has(m.id));
  return [...fromRegistry.filter((m): m is MerchantConfig => m !== null), ...fromConfig];
}

function publicBaseOrNull(env: LookupEnv): string | null {
  return configSource(env).base;
}

/**
 * Where this Worker is reachable: the PUBLIC_BASE_URL variable, else SHOUYIN_CONFIG's public_base_url.
 * Builds every URL handed to a provider or a shopper (notify, return, the simulators' base).
 */
export function publicBaseUrl(env: LookupEnv): string {
  const base = publicBaseOrNull(env);
  if (base === null) {
    throw new ConfigError(
      'public_base_url',
      'is not set: set the PUBLIC_BASE_URL variable (or public_base_url in SHOUYIN_CONFIG) to where this Worker is reachable.',
    );
  }
  return base;
}

/** The SHOUYIN_CONFIG merchants as served (the admin API lists them beside the registry's). */
export function configMerchants(env: LookupEnv): MerchantConfig[] {
  return [...configSource(env).byId.values()];
}
