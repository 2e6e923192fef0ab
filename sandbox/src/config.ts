// The sandbox Worker's view of SHOUYIN_CONFIG: the document the Shouyin Worker reads (merchants, parsed
// by its own parser), plus the `sandbox` section, which only the sandbox reads — its signing keys,
// `time_scale` and `notify_delay_seconds` — and the checks that each test merchant on a built-in
// simulator can verify what that simulator signs. Errors name the field, never a secret.
//
// Serving, the test merchants are SHOUYIN_CONFIG's and the merchant registry's: the Shouyin Worker
// hands the registry's sk_test_ merchants over the SHOUYIN_MERCHANTS service binding (its
// SandboxMerchants entrypoint), keys as hashes only. refreshConfig() runs before every request (the
// app's middleware), and loadConfig() then answers synchronously. Every request the Shouyin Worker
// forwards carries the registry version its own lookups serve (REGISTRY_VERSION_HEADER): the
// merchants are fetched again when that differs from what the sandbox has, so a merchant the Worker
// knows is known here too, and no request pays a round trip otherwise. Without the hint the sandbox
// asks for the version itself, at most every REFRESH_MS. A merchant that does not validate, or cannot
// verify what its simulator signs, is left out alone (logged once); the others keep working.

import { parseConfig, parseConfigEntries, parseMerchantEntry, type MerchantConfig, type ShouyinConfig } from '../../worker/src/config';
import { sha256Hex } from '../../worker/src/crypto/digest';
import { timingSafeEqual } from '../../worker/src/crypto/timing-safe';
import { ConfigError, obj, onlyKeys, str, PRIVATE_KEY_PEM } from '../../worker/src/lib/config-fields';
import type { TestMerchantExport } from '../../worker/src/registry/types';
import type { Env } from './env';
import { checkAlipaySandbox, parseAlipaySandbox, type AlipaySandboxConfig } from './alipay/config';
import { checkUnionpaySandbox, parseUnionpaySandbox, type UnionpaySandboxConfig } from './unionpay/config';

export interface SandboxConfig {
  /** Multiplies every simulated provider delay (notify retry schedule). 1 = real time. */
  time_scale: number;
  /** Seconds between the shopper paying in the sandbox wallet and the first notify. */
  notify_delay_seconds: number;
  wechat_pay?: {
    /** The serial the simulator signs with: `PUB_KEY_ID_…` (public-key mode) or a platform cert serial. */
    serial: string;
    private_key: string;
  };
  /** The key the Alipay simulator signs with; test merchants on it configure its public half. */
  alipay?: AlipaySandboxConfig;
  /** The UnionPay simulator's signing key and certificate chain; test merchants on it trust its root and middle. */
  unionpay?: UnionpaySandboxConfig;
}

/** SHOUYIN_CONFIG as the sandbox reads it. */
export interface SandboxedConfig extends ShouyinConfig {
  sandbox: SandboxConfig;
}

function parseSandbox(v: unknown): SandboxConfig {
  const o = obj(v ?? {}, 'sandbox');
  onlyKeys(o, 'sandbox', ['time_scale', 'notify_delay_seconds', 'wechat_pay', 'alipay', 'unionpay']);
  const scale = o.time_scale ?? 1;
  if (typeof scale !== 'number' || !(scale > 0) || scale > 1) throw new ConfigError('sandbox.time_scale', 'must be a number in (0, 1].');
  const delay = o.notify_delay_seconds ?? 1;
  if (typeof delay !== 'number' || delay < 0 || delay > 60)
    throw new ConfigError('sandbox.notify_delay_seconds', 'must be a number of seconds between 0 and 60.');
  const out: SandboxConfig = { time_scale: scale, notify_delay_seconds: delay };
  if (o.wechat_pay !== undefined) {
    const w = obj(o.wechat_pay, 'sandbox.wechat_pay');
    onlyKeys(w, 'sandbox.wechat_pay', ['serial', 'private_key']);
    out.wechat_pay = {
      serial: str(w, 'serial', 'sandbox.wechat_pay', {
        pattern: /^(PUB_KEY_ID_[0-9A-Za-z]+|[0-9A-Fa-f]{8,64})$/,
        hint: 'must be a PUB_KEY_ID_… or a hex certificate serial',
      }),
      private_key: str(w, 'private_key', 'sandbox.wechat_pay', { secret: true, pattern: PRIVATE_KEY_PEM, hint: 'must be a PEM private key' }),
    };
  }
  if (o.alipay !== undefined) out.alipay = parseAlipaySandbox(o.alipay);
  if (o.unionpay !== undefined) out.unionpay = parseUnionpaySandbox(o.unionpay);
  return out;
}

/** The checks a test merchant on a built-in simulator must pass; throws ConfigError. */
function checkTestMerchant(m: MerchantConfig, i: number, sandbox: SandboxConfig): void {
  if (m.livemode) return;
  // The APIv3 simulator signs with its own key; the APIv2 one signs with each merchant's APIv2 key.
  if (m.providers.wechat_pay?.api_version === 'v3' && m.providers.wechat_pay.api_base === undefined && sandbox.wechat_pay === undefined) {
    throw new ConfigError(
      'sandbox.wechat_pay',
      `is missing: merchants[${i}] is a test merchant using the built-in WeChat Pay sandbox, which needs its signing key.`,
    );
  }
  if (m.providers.alipay) checkAlipaySandbox(m.providers.alipay, sandbox.alipay, i);
  if (m.providers.unionpay) checkUnionpaySandbox(m.providers.unionpay, m.livemode, sandbox.unionpay, i);
}

const sandboxSectionOf = (raw: string | undefined): unknown => {
  if (raw === undefined || raw.trim() === '') return undefined;
  try {
    return (JSON.parse(raw) as Record<string, unknown>).sandbox;
  } catch {
    return undefined;
  }
};

/** The whole document, strictly: the first problem is thrown. */
export function parseSandboxedConfig(raw: string | undefined): SandboxedConfig {
  const config = parseConfig(raw);
  // parseConfig has read `raw` as a JSON object.
  const sandbox = parseSandbox(sandboxSectionOf(raw));
  for (const [i, m] of config.merchants.entries()) checkTestMerchant(m, i, sandbox);
  return { ...config, sandbox };
}

// ── serving ──────────────────────────────────────────────────────────────────────────────────────

type ConfigEnv = Pick<Env, 'SHOUYIN_CONFIG' | 'PUBLIC_BASE_URL' | 'SHOUYIN_MERCHANTS'>;

interface Served {
  raw: string;
  variable: string;
  /** The registry version the registry merchants are of (-1: none fetched). */
  version: number;
  config: SandboxedConfig;
  /** SHA-256 hex of each accepted secret key, by merchant. */
  hashes: Map<MerchantConfig, string[]>;
  /** The registry's test merchants as fetched (rebuilt from when only SHOUYIN_CONFIG changes). */
  registry: TestMerchantExport[];
}

let served: Served | null = null;
/** A registry merchant's simulator seed (the Apple chain derives from it: it has no plaintext key). */
const seeds = new WeakMap<MerchantConfig, string>();
/** Problems already logged (each is logged once per isolate). */
const logged = new Set<string>();

function logOnce(message: string): void {
  if (logged.has(message)) return;
  if (logged.size > 256) logged.clear();
  logged.add(message);
  console.error(message);
}

async function build(env: ConfigEnv, version: number, registry: TestMerchantExport[]): Promise<Served> {
  const raw = env.SHOUYIN_CONFIG ?? '';
  const entries = parseConfigEntries(raw);
  const variable = env.PUBLIC_BASE_URL?.trim() ?? '';
  const base = variable ? variable.replace(/\/+$/, '') : entries.public_base_url;
  if (base === null) {
    throw new ConfigError('public_base_url', 'is not set: set PUBLIC_BASE_URL or public_base_url in SHOUYIN_CONFIG to where the Shouyin Worker is reachable.');
  }
  const sandbox = parseSandbox(sandboxSectionOf(raw));
  for (const p of entries.problems) logOnce(`${p.message} This merchant is left out of the sandbox; the others are served.`);
  const hashes = new Map<MerchantConfig, string[]>();
  const merchants: MerchantConfig[] = [];
  const fromRegistry = new Set(registry.map((r) => r.entry.id));
  for (const [i, m] of entries.merchants.entries()) {
    // The registry's entry wins over SHOUYIN_CONFIG's, as in the Shouyin Worker.
    if (fromRegistry.has(m.id)) continue;
    try {
      checkTestMerchant(m, i, sandbox);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      logOnce(`${e.message} This merchant is left out of the sandbox; the others are served.`);
      continue;
    }
    merchants.push(m);
    hashes.set(m, await Promise.all(m.secret_keys.map((k) => sha256Hex(k))));
  }
  for (const r of registry) {
    const id = String(r.entry.id);
    try {
      const m = parseMerchantEntry(r.entry, '', { id, keysOptional: true });
      if (m.livemode) continue;
      checkTestMerchant(m, merchants.length, sandbox);
      merchants.push(m);
      hashes.set(m, r.key_hashes);
      seeds.set(m, r.sandbox_seed);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      // The sandbox checks name the field by a SHOUYIN_CONFIG index; a registry entry's paths start at its top.
      const path = e.path.replace(/^merchants\[\d+\]\./, '');
      logOnce(`merchant registry: ${id} is left out of the sandbox: ${path} ${e.problem.replace(/merchants\[\d+\]/g, 'this merchant')}`);
    }
  }
  return { raw, variable, version, config: { public_base_url: base, merchants, sandbox }, hashes, registry };
}

/** Without the Worker's hint, how often the sandbox asks the registry's version itself. */
export const REFRESH_MS = 5_000;
let checkedAt = Number.NEGATIVE_INFINITY;

/**
 * Brings the served config up to date (SHOUYIN_CONFIG and the registry's test merchants). Runs before
 * every request; `hint` is the registry version the Shouyin Worker serves, when it said.
 */
export async function refreshConfig(env: ConfigEnv, hint: number | null = null): Promise<SandboxedConfig> {
  const raw = env.SHOUYIN_CONFIG ?? '';
  const variable = env.PUBLIC_BASE_URL?.trim() ?? '';
  let version = served?.version ?? -1;
  let registry: TestMerchantExport[] | null = null;
  const stale = hint !== null ? hint !== version : Date.now() - checkedAt >= REFRESH_MS;
  if (env.SHOUYIN_MERCHANTS && stale) {
    try {
      // Version 0: the registry is empty, nothing to fetch.
      version = hint ?? (await env.SHOUYIN_MERCHANTS.version());
      checkedAt = Date.now();
      if (!served || served.version !== version) registry = version === 0 ? [] : ((await env.SHOUYIN_MERCHANTS.testMerchants()) as TestMerchantExport[]);
    } catch (e) {
      // Unreachable: what was fetched last keeps being served.
      console.error(`the Shouyin Worker's registry merchants are unreachable: ${e instanceof Error ? e.message : String(e)}`);
      version = served?.version ?? -1;
    }
  }
  if (served && served.raw === raw && served.variable === variable && served.version === version && registry === null) return served.config;
  const kept = registry ?? (served?.version === version ? served.registry : []);
  served = await build(env, version, kept);
  return served.config;
}

/**
 * The config as served: SHOUYIN_CONFIG's test merchants and the registry's as refreshConfig() last
 * fetched them. Without a refresh for this document yet (a unit test), SHOUYIN_CONFIG's alone.
 */
export function loadConfig(env: ConfigEnv): SandboxedConfig {
  const raw = env.SHOUYIN_CONFIG ?? '';
  const variable = env.PUBLIC_BASE_URL?.trim() ?? '';
  if (served && served.raw === raw && served.variable === variable) return served.config;
  return parseSandboxedConfig(raw);
}

/**
 * The test merchant whose secret key this is (any mode: callers refuse live merchants themselves).
 * Keys are compared as SHA-256 hashes, each in constant time: a registry merchant's key is known here
 * only by its hash.
 */
export async function merchantByKey(config: SandboxedConfig, key: string): Promise<MerchantConfig | undefined> {
  const hash = await sha256Hex(key);
  let found: MerchantConfig | undefined;
  for (const m of config.merchants) {
    const hashes = served?.config === config ? (served.hashes.get(m) ?? []) : await Promise.all(m.secret_keys.map((k) => sha256Hex(k)));
    for (const h of hashes) if (timingSafeEqual(h, hash)) found = m;
  }
  return found;
}

/** What a test merchant's Apple simulator chain derives from: its first secret key, or the registry's seed for it. */
export function simulatorSeed(merchant: MerchantConfig): string | undefined {
  return merchant.secret_keys[0] ?? seeds.get(merchant);
}
