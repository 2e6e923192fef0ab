// The merchant registry: one Durable Object (named "registry", SQLite) holding the merchants that do
// not fit in a 5 KB Worker secret — their API keys (as SHA-256 hashes), allowed origins, webhook and
// provider credentials. Whatever is secret (every provider section, the Apple section, the webhook
// secret, a test merchant's simulator seed) is sealed with AES-256-GCM under SHOUYIN_MASTER_KEY
// (sealing.ts); the rest (name, mode, origins, webhook URL, which channels) is plain, so listing
// merchants opens nothing. Every write is validated by the same parser as SHOUYIN_CONFIG
// (config.ts parseMerchantEntry) and lands in one transaction, or not at all.
//
// The hot path never reads here per request: merchants.ts caches the index and each opened merchant
// per isolate and asks only for `version()` every few seconds (docs/configuration.md).

import { DurableObject } from 'cloudflare:workers';
import { parseConfigEntries, parseMerchantEntry } from '../config';
import type { Channel } from '../contract';
import { sha256Hex } from '../crypto/digest';
import { randomAlnum } from '../crypto/encoding';
import type { Env } from '../env';
import { ConfigError } from '../lib/config-fields';
import { ErrorCode, ErrorType, ShouyinError, type ErrorData } from '../lib/errors';
import { registeredChannels } from '../providers/registry';
import { keyring, seal, UnsealError, unseal, type Keyring, type Sealed } from './sealing';
import type { ApiKeySummary, MerchantSummary, OpenedEntry, RegistryIndex, TestMerchantExport } from './types';

/** The one registry object's name. */
export const REGISTRY_NAME = 'registry';

export type Rpc<T> = { ok: true; value: T } | { ok: false; error: ErrorData };

/** Whoever calls the admin API sees the parser's message and path, as a 400 naming the field. */
export function fieldError(e: ConfigError): ErrorData {
  const code = e.problem.startsWith('is missing')
    ? ErrorCode.request.parameter_missing
    : e.problem === 'is not a known field.'
      ? ErrorCode.request.parameter_unknown
      : ErrorCode.request.parameter_invalid;
  return new ShouyinError(ErrorType.invalid_request, code, `${e.path} ${e.problem}`, e.path).toData();
}

const fail = (type: ErrorType, code: ErrorCode, message: string, param?: string): { ok: false; error: ErrorData } => ({
  ok: false,
  error: new ShouyinError(type, code, message, param).toData(),
});
const noSuchMerchant = (id: string) => fail(ErrorType.not_found, ErrorCode.request.resource_missing, `No such merchant in the registry: '${id}'.`);

/** What an admin write reports for its thrown errors: field errors as 400s, the rest as they are. */
function asError(e: unknown): { ok: false; error: ErrorData } {
  if (e instanceof ConfigError && e.path.startsWith('SHOUYIN_MASTER_KEY')) return { ok: false, error: e.toData() };
  if (e instanceof ConfigError) return { ok: false, error: fieldError(e) };
  if (e instanceof ShouyinError) return { ok: false, error: e.toData() };
  if (e instanceof UnsealError) return fail(ErrorType.configuration, ErrorCode.config.config_invalid, e.message, 'SHOUYIN_MASTER_KEY');
  throw e;
}

type MerchantRow = {
  id: string;
  name: string;
  livemode: number;
  allowed_origins: string;
  webhook_url: string | null;
  auto_refund_anomalies: number;
  channels: string;
  apple: number;
  version: number;
  created: number;
  updated: number;
};
type KeyRow = { id: string; merchant: string; hash: string; prefix: string; created: number; expires_at: number | null; revoked: number };
type SealedRow = { merchant: string; field: string; kid: string; value: string };

/** One merchant validated and sealed, ready to write. */
interface WritePlan {
  id: string;
  created: boolean;
  /** The key made for a new merchant that listed none: shown once. */
  generated: string | null;
  /** Every key the merchant is to have, when the entry says (none: keys unchanged). */
  keys: { hash: string; prefix: string }[];
  sealed: Map<string, Sealed>;
  row: Omit<MerchantRow, 'id' | 'version' | 'created' | 'updated'>;
}

/** The sealed fields of an entry: each provider section, the Apple section, the webhook secret. */
const providerField = (channel: string): string => `providers.${channel}`;
const APPLE_FIELD = 'apple';
const WEBHOOK_SECRET_FIELD = 'webhook.secret';
/** Test merchants only: what the Apple simulator derives the merchant's signing chain from (never a key). */
const SANDBOX_SEED_FIELD = 'sandbox_seed';

/** A new secret key: `sk_test_` / `sk_live_` + 32 base62 characters from crypto.getRandomValues. */
export function newSecretKey(livemode: boolean): string {
  return `sk_${livemode ? 'live' : 'test'}_${randomAlnum(32)}`;
}
const keyPrefix = (key: string): string => key.slice(0, 12);
const newKeyId = (): string => `key_${randomAlnum(16)}`;

/** `expire_previous_in` of a key roll: seconds the keys in use keep working beside the new one. */
export const DEFAULT_EXPIRE_PREVIOUS_IN = 86_400;

export class MerchantRegistry extends DurableObject<Env> {
  /** Injected so tests can move time (key expiry). */
  clock: { now(): number } = { now: () => Date.now() };
  /** Where the master keys come from; tests swap it to rotate. */
  masterKeys: () => string | undefined = () => this.env.SHOUYIN_MASTER_KEY;
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(`CREATE TABLE IF NOT EXISTS registry_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)`);
    this.sql.exec(`CREATE TABLE IF NOT EXISTS merchants (
      id TEXT PRIMARY KEY, name TEXT NOT NULL, livemode INTEGER NOT NULL, allowed_origins TEXT NOT NULL,
      webhook_url TEXT, auto_refund_anomalies INTEGER NOT NULL, channels TEXT NOT NULL, apple INTEGER NOT NULL,
      version INTEGER NOT NULL, created INTEGER NOT NULL, updated INTEGER NOT NULL)`);
    this.sql.exec(`CREATE TABLE IF NOT EXISTS sealed (
      merchant TEXT NOT NULL, field TEXT NOT NULL, kid TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (merchant, field))`);
    this.sql.exec(`CREATE TABLE IF NOT EXISTS api_keys (
      id TEXT PRIMARY KEY, merchant TEXT NOT NULL, hash TEXT NOT NULL UNIQUE, prefix TEXT NOT NULL,
      created INTEGER NOT NULL, expires_at INTEGER, revoked INTEGER NOT NULL DEFAULT 0)`);
  }

  // ── reads (the hot path's cache, the sandbox, the admin API) ───────────────────────────────────

  version(): number {
    return this.sql.exec<{ value: number }>(`SELECT value FROM registry_meta WHERE key = 'version'`).toArray()[0]?.value ?? 0;
  }

  index(): RegistryIndex {
    const nowS = this.nowS();
    return {
      version: this.version(),
      merchants: this.sql
        .exec<{ id: string; livemode: number }>('SELECT id, livemode FROM merchants ORDER BY id')
        .toArray()
        .map((r) => ({ id: r.id, livemode: r.livemode === 1 })),
      keys: this.sql
        .exec<KeyRow>('SELECT * FROM api_keys WHERE revoked = 0 AND (expires_at IS NULL OR expires_at > ?)', nowS)
        .toArray()
        .map((k) => ({ hash: k.hash, merchant: k.merchant, expires_at: k.expires_at })),
    };
  }

  /** Merchants opened, for the Worker that serves them: their entries (or why one does not open). */
  async entries(ids: string[]): Promise<OpenedEntry[]> {
    let ring: Keyring | null = null;
    let ringError: string | null = null;
    try {
      ring = await keyring(this.masterKeys());
    } catch (e) {
      ringError = e instanceof Error ? e.message : String(e);
    }
    const out: OpenedEntry[] = [];
    for (const id of ids) {
      const row = this.row(id);
      if (!row) continue;
      if (!ring) {
        out.push({ id, ok: false, error: { param: 'SHOUYIN_MASTER_KEY', message: ringError ?? '' } });
        continue;
      }
      try {
        const { entry, seed } = await this.open(ring, row);
        out.push({ id, ok: true, entry, sandbox_seed: seed });
      } catch (e) {
        if (!(e instanceof UnsealError)) throw e;
        out.push({ id, ok: false, error: { param: 'SHOUYIN_MASTER_KEY', message: e.message } });
      }
    }
    return out;
  }

  summaries(): MerchantSummary[] {
    return this.sql
      .exec<MerchantRow>('SELECT * FROM merchants ORDER BY id')
      .toArray()
      .map((r) => this.summaryOf(r));
  }

  summary(id: string): MerchantSummary | null {
    const row = this.row(id);
    return row ? this.summaryOf(row) : null;
  }

  /**
   * The test (sk_test_) merchants, opened, with their keys as hashes, for the sandbox Worker (its
   * service binding; worker/src/sandbox-merchants.ts). A live merchant is never in this list.
   */
  async testMerchants(): Promise<TestMerchantExport[]> {
    const ids = this.sql
      .exec<{ id: string }>('SELECT id FROM merchants WHERE livemode = 0 ORDER BY id')
      .toArray()
      .map((r) => r.id);
    const keys = this.index().keys;
    const out: TestMerchantExport[] = [];
    for (const opened of await this.entries(ids)) {
      if (!opened.ok || opened.entry.livemode !== false || !opened.sandbox_seed) continue;
      out.push({
        entry: opened.entry,
        key_hashes: keys.filter((k) => k.merchant === opened.id).map((k) => k.hash),
        sandbox_seed: opened.sandbox_seed,
      });
    }
    return out;
  }

  // ── writes (the admin API) ─────────────────────────────────────────────────────────────────────

  /**
   * Creates or replaces a merchant from one SHOUYIN_CONFIG-shaped entry. `secret_keys`, when given,
   * become the merchant's keys (stored as hashes; keys no longer listed are revoked); a new merchant
   * without them gets one generated key, returned once.
   */
  put(id: string, body: unknown): Promise<Rpc<{ created: boolean; merchant: MerchantSummary; api_key?: string }>> {
    return this.exclusive(async () => {
      const ring = await keyring(this.masterKeys());
      const plan = await this.prepare(ring, id, body, '', new Set());
      this.ctx.storage.transactionSync(() => {
        this.apply(plan);
        this.bump();
      });
      return { created: plan.created, merchant: this.summaryOf(this.row(id) as MerchantRow), ...(plan.generated ? { api_key: plan.generated } : {}) };
    });
  }

  /**
   * Every merchant of a SHOUYIN_CONFIG document (already validated as a whole by the caller), in one
   * transaction: all are stored, or none. Their secret_keys are kept, as hashes, so the servers using
   * them keep working.
   */
  importConfig(merchants: unknown[]): Promise<Rpc<{ imported: string[] }>> {
    return this.exclusive(async () => {
      const ring = await keyring(this.masterKeys());
      const plans: WritePlan[] = [];
      const ids = new Set(merchants.map((m) => (m as { id?: unknown }).id).filter((id): id is string => typeof id === 'string'));
      for (const [i, m] of merchants.entries()) {
        const id = (m as { id?: unknown }).id;
        if (typeof id !== 'string') throw new ConfigError(`merchants[${i}].id`, 'is missing.');
        plans.push(await this.prepare(ring, id, m, `merchants[${i}]`, ids));
      }
      this.ctx.storage.transactionSync(() => {
        for (const plan of plans) this.apply(plan);
        if (plans.length > 0) this.bump();
      });
      return { imported: plans.map((p) => p.id) };
    });
  }

  /** Adds or replaces one channel's section (`null` removes it); the whole entry is validated again. */
  putProvider(id: string, channel: Channel, section: unknown | null): Promise<Rpc<MerchantSummary>> {
    return this.exclusive(async () => {
      const ring = await keyring(this.masterKeys());
      const row = this.row(id);
      if (!row) return noSuchMerchant(id);
      const { entry, seed } = await this.open(ring, row);
      const providers = { ...(entry.providers as Record<string, unknown>) };
      if (section === null) {
        if (providers[channel] === undefined) {
          return fail(ErrorType.not_found, ErrorCode.request.resource_missing, `Merchant ${id} has no ${channel} provider.`, 'channel');
        }
        delete providers[channel];
      } else {
        providers[channel] = section;
      }
      const next = { ...entry, providers };
      try {
        parseMerchantEntry(next, '', { id, keysOptional: true });
      } catch (e) {
        // The section's own errors are named from its top (`app_id`), as the route's body is the section.
        if (e instanceof ConfigError && section !== null && e.path.startsWith(`providers.${channel}.`)) {
          throw new ConfigError(e.path.slice(`providers.${channel}.`.length), e.problem);
        }
        throw e;
      }
      const sealed = await this.sealEntry(ring, id, next, seed);
      this.ctx.storage.transactionSync(() => {
        this.sql.exec(
          'UPDATE merchants SET channels = ?, version = version + 1, updated = ? WHERE id = ?',
          JSON.stringify(registeredChannels().filter((c) => providers[c] !== undefined)),
          this.nowS(),
          id,
        );
        this.replaceSealed(id, sealed);
        this.bump();
      });
      return this.summaryOf(this.row(id) as MerchantRow);
    });
  }

  remove(id: string): Promise<Rpc<{ id: string; deleted: true }>> {
    return this.exclusive(async () => {
      if (!this.row(id)) return noSuchMerchant(id);
      this.ctx.storage.transactionSync(() => {
        this.sql.exec('DELETE FROM merchants WHERE id = ?', id);
        this.sql.exec('DELETE FROM sealed WHERE merchant = ?', id);
        this.sql.exec('DELETE FROM api_keys WHERE merchant = ?', id);
        this.bump();
      });
      return { id, deleted: true as const };
    });
  }

  /**
   * A new key, shown once. The keys in use keep working for `expirePreviousIn` seconds more (0: they
   * stop now), so servers can switch over without a failed request.
   */
  rollKey(id: string, expirePreviousIn: number): Promise<Rpc<{ id: string; api_key: string; prefix: string; previous_expire_at: number | null }>> {
    return this.exclusive(async () => {
      const row = this.row(id);
      if (!row) return noSuchMerchant(id);
      const key = newSecretKey(row.livemode === 1);
      const hash = await sha256Hex(key);
      await this.checkKeysFree(id, [hash], 'api_key', new Set());
      const nowS = this.nowS();
      const until = nowS + expirePreviousIn;
      const keyId = newKeyId();
      let previous = false;
      this.ctx.storage.transactionSync(() => {
        for (const k of this.keysOf(id)) {
          if (k.expires_at !== null && k.expires_at <= until) continue;
          this.sql.exec('UPDATE api_keys SET expires_at = ? WHERE id = ?', until, k.id);
          previous = true;
        }
        this.sql.exec(
          'INSERT INTO api_keys (id, merchant, hash, prefix, created, expires_at) VALUES (?, ?, ?, ?, ?, NULL)',
          keyId,
          id,
          hash,
          keyPrefix(key),
          nowS,
        );
        this.sql.exec('UPDATE merchants SET version = version + 1, updated = ? WHERE id = ?', nowS, id);
        this.bump();
      });
      return { id: keyId, api_key: key, prefix: keyPrefix(key), previous_expire_at: previous ? until : null };
    });
  }

  revokeKey(id: string, keyId: string): Promise<Rpc<{ id: string; revoked: true }>> {
    return this.exclusive(async () => {
      if (!this.row(id)) return noSuchMerchant(id);
      const key = this.keysOf(id).find((k) => k.id === keyId);
      if (!key) return fail(ErrorType.not_found, ErrorCode.request.resource_missing, `Merchant ${id} has no active key '${keyId}'.`, 'key_id');
      this.ctx.storage.transactionSync(() => {
        this.sql.exec('UPDATE api_keys SET revoked = 1 WHERE id = ?', keyId);
        this.sql.exec('UPDATE merchants SET version = version + 1, updated = ? WHERE id = ?', this.nowS(), id);
        this.bump();
      });
      return { id: keyId, revoked: true as const };
    });
  }

  /**
   * Re-seals every value under the active master key (each with a fresh IV). All values are opened and
   * sealed before anything is written; one that does not open stops the rotation with nothing changed.
   */
  rotateMasterKey(): Promise<Rpc<{ key_id: string; re_encrypted: number }>> {
    return this.exclusive(async () => {
      const ring = await keyring(this.masterKeys());
      const stale = this.sql.exec<SealedRow>('SELECT * FROM sealed').toArray();
      const resealed: SealedRow[] = [];
      for (const r of stale) {
        const plain = await unseal(ring, r.merchant, r.field, { kid: r.kid, value: r.value });
        resealed.push({ merchant: r.merchant, field: r.field, ...(await seal(ring, r.merchant, r.field, plain)) });
      }
      this.ctx.storage.transactionSync(() => {
        for (const r of resealed) this.sql.exec('UPDATE sealed SET kid = ?, value = ? WHERE merchant = ? AND field = ?', r.kid, r.value, r.merchant, r.field);
        if (resealed.length > 0) this.bump();
      });
      return { key_id: ring.active.kid, re_encrypted: resealed.length };
    });
  }

  // ── helpers ────────────────────────────────────────────────────────────────────────────────────

  /**
   * Validates an entry and seals it, without writing: what apply() then writes in a transaction.
   * `batch` holds the ids written beside it (an import), whose keys it must not share.
   */
  private async prepare(ring: Keyring, id: string, body: unknown, path: string, batch: Set<string>): Promise<WritePlan> {
    const existing = this.row(id);
    const parsed = parseMerchantEntry(body, path, { id, keysOptional: true });
    const at = (field: string) => (path === '' ? field : `${path}.${field}`);
    if (existing && (existing.livemode === 1) !== parsed.livemode) {
      throw new ConfigError(
        at(parsed.secret_keys.length > 0 ? 'secret_keys' : 'livemode'),
        `would make ${id} a ${parsed.livemode ? 'live' : 'test'} merchant; it is a ${existing.livemode ? 'live' : 'test'} one. A merchant keeps its mode: create another merchant.`,
      );
    }
    const generated = !existing && parsed.secret_keys.length === 0 ? newSecretKey(parsed.livemode) : null;
    const keys = generated ? [generated] : parsed.secret_keys;
    const hashes = await Promise.all(keys.map((k) => sha256Hex(k)));
    await this.checkKeysFree(id, hashes, generated ? 'api_key' : at('secret_keys'), batch);
    const seed = parsed.livemode ? null : ((existing ? await this.openSeed(ring, id) : null) ?? randomAlnum(43));
    const sealed = await this.sealEntry(ring, id, body as Record<string, unknown>, seed);
    return {
      id,
      created: !existing,
      generated,
      keys: keys.map((k, i) => ({ hash: hashes[i] as string, prefix: keyPrefix(k) })),
      sealed,
      row: {
        name: parsed.name,
        livemode: parsed.livemode ? 1 : 0,
        allowed_origins: JSON.stringify(parsed.allowed_origins),
        webhook_url: parsed.webhook?.url ?? null,
        auto_refund_anomalies: parsed.auto_refund_anomalies ? 1 : 0,
        channels: JSON.stringify(registeredChannels().filter((c) => parsed.providers[c] !== undefined)),
        apple: parsed.apple ? 1 : 0,
      },
    };
  }

  /** Writes a prepared merchant; inside the caller's transaction. */
  private apply(plan: WritePlan): void {
    const nowS = this.nowS();
    const r = plan.row;
    this.sql.exec(
      `INSERT INTO merchants (id, name, livemode, allowed_origins, webhook_url, auto_refund_anomalies, channels, apple, version, created, updated)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)
       ON CONFLICT (id) DO UPDATE SET name = excluded.name, allowed_origins = excluded.allowed_origins, webhook_url = excluded.webhook_url,
         auto_refund_anomalies = excluded.auto_refund_anomalies, channels = excluded.channels, apple = excluded.apple,
         version = merchants.version + 1, updated = excluded.updated`,
      plan.id,
      r.name,
      r.livemode,
      r.allowed_origins,
      r.webhook_url,
      r.auto_refund_anomalies,
      r.channels,
      r.apple,
      nowS,
      nowS,
    );
    this.replaceSealed(plan.id, plan.sealed);
    if (plan.keys.length === 0) return;
    // The listed keys are the merchant's keys now: the others are revoked, the new ones added.
    const keep = new Set(plan.keys.map((k) => k.hash));
    for (const k of this.keysOf(plan.id)) if (!keep.has(k.hash)) this.sql.exec('UPDATE api_keys SET revoked = 1 WHERE id = ?', k.id);
    const known = new Set(this.keysOf(plan.id).map((k) => k.hash));
    for (const k of plan.keys) {
      if (known.has(k.hash)) continue;
      // A key revoked or expired earlier and listed again is accepted again.
      this.sql.exec('DELETE FROM api_keys WHERE hash = ? AND merchant = ?', k.hash, plan.id);
      this.sql.exec(
        'INSERT INTO api_keys (id, merchant, hash, prefix, created, expires_at) VALUES (?, ?, ?, ?, ?, NULL)',
        newKeyId(),
        plan.id,
        k.hash,
        k.prefix,
        nowS,
      );
    }
  }

  /** One write at a time (the reads and seals of one never interleave with another's), errors as data. */
  private async exclusive<T>(fn: () => Promise<T | { ok: false; error: ErrorData }>): Promise<Rpc<T>> {
    return this.ctx.blockConcurrencyWhile(async () => {
      try {
        const r = await fn();
        if (r && typeof r === 'object' && 'ok' in r && r.ok === false && 'error' in r) return r as { ok: false; error: ErrorData };
        return { ok: true as const, value: r as T };
      } catch (e) {
        return asError(e);
      }
    });
  }

  private nowS(): number {
    return Math.floor(this.clock.now() / 1000);
  }

  private bump(): void {
    this.sql.exec(`INSERT INTO registry_meta (key, value) VALUES ('version', 1) ON CONFLICT (key) DO UPDATE SET value = value + 1`);
  }

  private row(id: string): MerchantRow | undefined {
    return this.sql.exec<MerchantRow>('SELECT * FROM merchants WHERE id = ?', id).toArray()[0];
  }

  /** The merchant's keys still accepted (not revoked, not expired). */
  private keysOf(id: string): KeyRow[] {
    return this.sql
      .exec<KeyRow>('SELECT * FROM api_keys WHERE merchant = ? AND revoked = 0 AND (expires_at IS NULL OR expires_at > ?) ORDER BY rowid', id, this.nowS())
      .toArray();
  }

  /**
   * A key must name one merchant: no other registry merchant's (revoked ones included: a key once
   * given out is never another merchant's), nor a SHOUYIN_CONFIG merchant's other than those being
   * written (`batch`: an import replaces them).
   */
  private async checkKeysFree(id: string, hashes: string[], param: string, batch: Set<string>): Promise<void> {
    const config = parseConfigEntries(this.env.SHOUYIN_CONFIG).merchants.filter((m) => m.id !== id && !batch.has(m.id));
    const configHashes = new Set(await Promise.all(config.flatMap((m) => m.secret_keys.map((k) => sha256Hex(k)))));
    hashes.forEach((hash, i) => {
      const other = this.sql.exec<{ merchant: string }>('SELECT merchant FROM api_keys WHERE hash = ? AND merchant != ?', hash, id).toArray()[0];
      if (other !== undefined || configHashes.has(hash)) {
        throw new ConfigError(param === 'api_key' ? param : `${param}[${i}]`, 'is also used by another merchant.');
      }
    });
  }

  private async sealEntry(ring: Keyring, id: string, o: Record<string, unknown>, seed: string | null): Promise<Map<string, Sealed>> {
    const out = new Map<string, Sealed>();
    const providers = (o.providers ?? {}) as Record<string, unknown>;
    for (const channel of registeredChannels()) {
      if (providers[channel] !== undefined) out.set(providerField(channel), await seal(ring, id, providerField(channel), JSON.stringify(providers[channel])));
    }
    if (o.apple !== undefined) out.set(APPLE_FIELD, await seal(ring, id, APPLE_FIELD, JSON.stringify(o.apple)));
    const webhook = o.webhook as { secret?: unknown } | undefined;
    if (typeof webhook?.secret === 'string') out.set(WEBHOOK_SECRET_FIELD, await seal(ring, id, WEBHOOK_SECRET_FIELD, webhook.secret));
    if (seed !== null) out.set(SANDBOX_SEED_FIELD, await seal(ring, id, SANDBOX_SEED_FIELD, seed));
    return out;
  }

  private replaceSealed(id: string, sealed: Map<string, Sealed>): void {
    this.sql.exec('DELETE FROM sealed WHERE merchant = ?', id);
    for (const [field, s] of sealed) this.sql.exec('INSERT INTO sealed (merchant, field, kid, value) VALUES (?, ?, ?, ?)', id, field, s.kid, s.value);
  }

  private async openSeed(ring: Keyring, id: string): Promise<string | null> {
    const r = this.sql.exec<SealedRow>('SELECT * FROM sealed WHERE merchant = ? AND field = ?', id, SANDBOX_SEED_FIELD).toArray()[0];
    return r ? unseal(ring, id, SANDBOX_SEED_FIELD, r) : null;
  }

  /** The stored merchant as a SHOUYIN_CONFIG entry (no secret_keys: they are hashes), and its simulator seed. */
  private async open(ring: Keyring, row: MerchantRow): Promise<{ entry: Record<string, unknown>; seed: string | null }> {
    const sealed = this.sql.exec<SealedRow>('SELECT * FROM sealed WHERE merchant = ?', row.id).toArray();
    const opened = new Map<string, string>();
    for (const s of sealed) opened.set(s.field, await unseal(ring, row.id, s.field, s));
    const providers: Record<string, unknown> = {};
    for (const channel of registeredChannels()) {
      const v = opened.get(providerField(channel));
      if (v !== undefined) providers[channel] = JSON.parse(v);
    }
    const apple = opened.get(APPLE_FIELD);
    const secret = opened.get(WEBHOOK_SECRET_FIELD);
    const entry: Record<string, unknown> = {
      id: row.id,
      name: row.name,
      livemode: row.livemode === 1,
      allowed_origins: JSON.parse(row.allowed_origins) as string[],
      ...(row.webhook_url !== null ? { webhook: { url: row.webhook_url, ...(secret !== undefined ? { secret } : {}) } } : {}),
      auto_refund_anomalies: row.auto_refund_anomalies === 1,
      providers,
      ...(apple !== undefined ? { apple: JSON.parse(apple) } : {}),
    };
    return { entry, seed: opened.get(SANDBOX_SEED_FIELD) ?? null };
  }

  private summaryOf(row: MerchantRow): MerchantSummary {
    const keys: ApiKeySummary[] = this.keysOf(row.id).map((k) => ({ id: k.id, prefix: k.prefix, created: k.created, expires_at: k.expires_at }));
    return {
      id: row.id,
      object: 'merchant',
      name: row.name,
      livemode: row.livemode === 1,
      allowed_origins: JSON.parse(row.allowed_origins) as string[],
      webhook: row.webhook_url !== null ? { url: row.webhook_url } : null,
      channels: JSON.parse(row.channels) as Channel[],
      apple: row.apple === 1,
      api_keys: keys,
      version: row.version,
      created: row.created,
      updated: row.updated,
      source: 'registry',
    };
  }
}

/** The registry's stub. */
export function registryStub(env: Pick<Env, 'MERCHANT_REGISTRY'>): DurableObjectStub<MerchantRegistry> | null {
  return env.MERCHANT_REGISTRY ? env.MERCHANT_REGISTRY.getByName(REGISTRY_NAME) : null;
}
