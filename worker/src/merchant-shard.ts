// The small merchant-wide state the API needs, sharded by a hash of the key so no single object is
// hot: Idempotency-Key records and merchant_order_id claims. It is never on the notify path.
// Callers find the right object through shards.ts. One instance per merchant also holds the list
// index (`<merchant>:index`, listing/store.ts) and one the webhook endpoints and delivery log
// (`<merchant>:webhooks`, webhooks/endpoints.ts).
//
// The event log's shards also send the webhooks of events no session sends (Apple's notifications):
// stored with the event in one transaction, delivered by the shard's alarm with the same signing and
// retry schedule as every other Shouyin webhook (docs/webhooks.md); the merchant's webhook shard sends
// them to its API endpoints.

import { DurableObject } from 'cloudflare:workers';
import type { Env } from './env';
import type { SessionStatus } from './contract';
import { LEDGER_SCHEMA, insertLedgerEntry, ledgerDay, ledgerEntries, ledgerEntryOf, ledgerLookup, ledgerShardName, type LedgerEntry } from './bills/ledger';
import type { ReconciliationReport } from './bills/reconcile';
import { RECON_SCHEMA, reportFor, runAlarm, runState, scheduleRun, storedInFlight } from './bills/run';
import { ErrorType, ShouyinError, type ErrorData } from './lib/errors';
import { takeToken, type BucketSpec } from './lib/token-bucket';
import {
  LISTING_SCHEMA,
  listRefunds,
  listSessions,
  listedVersion,
  removeListing,
  upsertListing,
  type ListingRecord,
  type Position,
  type RefundQuery,
  type SessionQuery,
} from './listing/store';
import { merchantById, publicBaseUrl } from './merchants';
import { DAY_MS, retentionDays } from './session/retention';
import { EVENT_LOG_DAYS, webhooksFor } from './shards';
import { DASHBOARD_SCHEMA, consumeLink, deleteSession, insertLink, insertSession, peekLink, touchSession } from './dashboard/store';
import type { LinkState, SessionTouch } from './dashboard/store';
import { OUTCOME_SCHEMA, dayStats, insertOutcome, type DayStats, type SessionOutcome } from './reports/outcomes';
import { PAYMENT_INDEX_SCHEMA, findPayment, insertPayment, type IndexedPayment } from './reports/payment-index';
import { CREDENTIAL_ALERTS_SCHEMA, checkCredentials, credentialAlertState, credentialAlertsAlarm } from './registry/health-alerts';
import { retryDelay, sendWebhook } from './session/webhooks';
import { MerchantWebhooks, WEBHOOK_SCHEMA, type DeliveryView, type EndpointInput, type EndpointPatch, type EndpointView } from './webhooks/endpoints';
import type { DeliveryEndpoint, DeliveryRecord } from './webhooks/fanout';

/** Stripe prunes idempotency keys after at least 24 h. */
export const IDEMPOTENCY_TTL_MS = 24 * 3600_000;
/** A request that began but never finished (the isolate died) stops blocking its key after this. */
export const IN_FLIGHT_TIMEOUT_MS = 60_000;
/** A webhook being sent is not sent again by another alarm run for this long (the send times out first). */
const OUTBOX_LEASE_MS = 60_000;

type OutboxRow = {
  merchant: string;
  event_id: string;
  body: string;
  due: number | null;
  tries: number;
  delivery: 'pending' | 'delivered' | 'failed' | 'none';
};

export interface LoggedEvent {
  id: string;
  type: string;
  created: number;
  session: string;
  body: string;
}

export type IdempotencyBegin = { kind: 'new' } | { kind: 'replay'; status: number; body: string } | { kind: 'mismatch' } | { kind: 'in_flight' };

export type OrderClaim = { kind: 'claimed' } | { kind: 'taken'; sessionId: string; status: SessionStatus };

/** A refusal that crosses the RPC boundary as plain data (a thrown error would lose its type). */
export type ShardResult<T> = { ok: true; value: T } | { ok: false; error: ErrorData };

export class MerchantShard extends DurableObject<Env> {
  private sql: SqlStorage;
  /** Injected so tests can move time (retention, the webhook shard's rotation overlaps and its own retries). */
  clock: { now(): number } = { now: () => Date.now() };
  readonly webhooks: MerchantWebhooks;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.webhooks = new MerchantWebhooks(this.sql, ctx.storage, env, { now: () => this.clock.now() });
    this.schema();
  }

  /** The tables of every kind of shard (they are few and small; a shard uses its own). */
  private schema(): void {
    // Retention (docs/data-retention.md): when this whole shard may be deleted (an event day, a ledger
    // day, a reconciliation run), kept as the latest time anything in it is needed.
    this.sql.exec('CREATE TABLE IF NOT EXISTS retention (k TEXT PRIMARY KEY, at INTEGER NOT NULL)');
    // Rate limits (`<m>:limits`, shards.ts limiterFor): one token bucket per name.
    this.sql.exec(`CREATE TABLE IF NOT EXISTS buckets (
      merchant TEXT NOT NULL, name TEXT NOT NULL, tokens REAL NOT NULL, at INTEGER NOT NULL, PRIMARY KEY (merchant, name))`);
    this.sql.exec(`CREATE TABLE IF NOT EXISTS idempotency (
      merchant TEXT NOT NULL, key TEXT NOT NULL, fingerprint TEXT NOT NULL, created INTEGER NOT NULL,
      status INTEGER, body TEXT, PRIMARY KEY (merchant, key))`);
    this.sql.exec(`CREATE TABLE IF NOT EXISTS events (
      merchant TEXT NOT NULL, id TEXT NOT NULL, type TEXT NOT NULL, created INTEGER NOT NULL, session TEXT NOT NULL,
      body TEXT NOT NULL, PRIMARY KEY (merchant, id))`);
    this.sql.exec(`CREATE TABLE IF NOT EXISTS order_ids (
      merchant TEXT NOT NULL, order_id TEXT NOT NULL, session_id TEXT NOT NULL, PRIMARY KEY (merchant, order_id))`);
    // Reconciliation (worker/src/bills): the day ledger (`<m>:ledger:<day>`) and the day's run (`<m>:recon:<day>`).
    for (const schema of [LEDGER_SCHEMA, ...RECON_SCHEMA]) this.sql.exec(schema);
    // The dashboard's sign-in links and sessions (`~dashboard:…`), the daily session outcomes
    // (`<m>:stats:<day>`) and the provider transaction index (`<m>:txn:<n>`).
    for (const schema of [...DASHBOARD_SCHEMA, OUTCOME_SCHEMA, PAYMENT_INDEX_SCHEMA]) this.sql.exec(schema);
    // Credential expiry warnings (registry/health-alerts.ts), in the merchant's `<m>:credentials` shard.
    for (const schema of CREDENTIAL_ALERTS_SCHEMA) this.sql.exec(schema);
    // Webhooks of events no session sends (recordMerchantEvent), and every try of each.
    this.sql.exec(`CREATE TABLE IF NOT EXISTS outbox (
      merchant TEXT NOT NULL, event_id TEXT NOT NULL, body TEXT NOT NULL, due INTEGER, tries INTEGER NOT NULL,
      delivery TEXT NOT NULL, PRIMARY KEY (merchant, event_id))`);
    this.sql.exec(`CREATE TABLE IF NOT EXISTS outbox_deliveries (
      event_id TEXT NOT NULL, try INTEGER NOT NULL, at INTEGER NOT NULL, status INTEGER, error TEXT)`);
  }

  /** The list index's and the webhook shard's tables, made on first use in the instances that hold them. */
  private readonly made = new Set<'listing' | 'webhooks'>();
  private tables(which: 'listing' | 'webhooks'): void {
    if (this.made.has(which)) return;
    for (const schema of which === 'listing' ? LISTING_SCHEMA : WEBHOOK_SCHEMA) this.sql.exec(schema);
    this.made.add(which);
  }

  /** Whether this instance holds the list index's or the webhook shard's tables (without making them). */
  private hasTables(which: 'listing' | 'webhooks'): boolean {
    if (this.made.has(which)) return true;
    const table = which === 'listing' ? 'listed_sessions' : 'wh_endpoints';
    return this.sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", table).toArray().length > 0;
  }

  /** Starts an idempotent request, or says what to answer instead. */
  async beginIdempotent(merchant: string, key: string, fingerprint: string, now: number): Promise<IdempotencyBegin> {
    const begin = this.beginIdempotentNow(merchant, key, fingerprint, now);
    // A stored answer (a session with its client_secret, say) is deleted after 24 h even if the shard
    // is never asked again: the alarm prunes it.
    if (begin.kind === 'new') await this.armAt(now + IDEMPOTENCY_TTL_MS);
    return begin;
  }

  private beginIdempotentNow(merchant: string, key: string, fingerprint: string, now: number): IdempotencyBegin {
    this.sql.exec('DELETE FROM idempotency WHERE created < ?', now - IDEMPOTENCY_TTL_MS);
    const row = this.sql
      .exec<{ fingerprint: string; created: number; status: number | null; body: string | null }>(
        'SELECT fingerprint, created, status, body FROM idempotency WHERE merchant = ? AND key = ?',
        merchant,
        key,
      )
      .toArray()[0];
    if (row) {
      if (row.fingerprint !== fingerprint) return { kind: 'mismatch' };
      if (row.status !== null && row.body !== null) return { kind: 'replay', status: row.status, body: row.body };
      if (now - row.created < IN_FLIGHT_TIMEOUT_MS) return { kind: 'in_flight' };
    }
    this.sql.exec(
      'INSERT OR REPLACE INTO idempotency (merchant, key, fingerprint, created, status, body) VALUES (?, ?, ?, ?, NULL, NULL)',
      merchant,
      key,
      fingerprint,
      now,
    );
    return { kind: 'new' };
  }

  finishIdempotent(merchant: string, key: string, status: number, body: string): void {
    this.sql.exec('UPDATE idempotency SET status = ?, body = ? WHERE merchant = ? AND key = ?', status, body, merchant, key);
  }

  /** Releases a key whose request was not executed (e.g. an internal error before any effect). */
  abandonIdempotent(merchant: string, key: string): void {
    this.sql.exec('DELETE FROM idempotency WHERE merchant = ? AND key = ? AND status IS NULL', merchant, key);
  }

  /**
   * Claims a merchant_order_id for a new session. It stays unique among open and paid sessions:
   * a holder that expired or was canceled (or never got created) gives the id up.
   */
  async claimOrderId(merchant: string, orderId: string, sessionId: string): Promise<OrderClaim> {
    const holder = this.holderOf(merchant, orderId);
    if (holder !== null && holder !== sessionId) {
      const status = await this.env.SESSIONS.getByName(holder).statusForMerchant(merchant);
      if (status === 'open' || status === 'paid') return { kind: 'taken', sessionId: holder, status };
      // Another claim may have run while we asked the holder; only replace what we looked at.
      if (this.holderOf(merchant, orderId) !== holder) return this.claimOrderId(merchant, orderId, sessionId);
    }
    this.sql.exec('INSERT OR REPLACE INTO order_ids (merchant, order_id, session_id) VALUES (?, ?, ?)', merchant, orderId, sessionId);
    return { kind: 'claimed' };
  }

  /** Takes a token from the merchant's bucket `name` (session/limits.ts); how long to wait when there is none. */
  takeToken(merchant: string, name: string, spec: BucketSpec, now: number): { ok: true } | { ok: false; retryAfterMs: number } {
    const row = this.sql.exec<{ tokens: number; at: number }>('SELECT tokens, at FROM buckets WHERE merchant = ? AND name = ?', merchant, name).toArray()[0];
    const t = takeToken(row ?? null, spec, now);
    this.sql.exec('INSERT OR REPLACE INTO buckets (merchant, name, tokens, at) VALUES (?, ?, ?, ?)', merchant, name, t.state.tokens, t.state.at);
    return t.ok ? { ok: true } : { ok: false, retryAfterMs: t.retryAfterMs };
  }

  /** Idempotent: an event indexed twice (a retried due item) is stored once. Money events are also filed in the day ledger. */
  async appendEvent(merchant: string, e: LoggedEvent): Promise<void> {
    this.insertEvent(merchant, e);
    await this.keepEventDay(e);
    await this.fileInLedger(merchant, e);
  }

  /** This is the shard of the event's UTC day: read for EVENT_LOG_DAYS days, deleted the day after. */
  private keepEventDay(e: LoggedEvent): Promise<void> {
    return this.keepUntil(Date.parse(`${new Date(e.created).toISOString().slice(0, 10)}T00:00:00Z`) + (EVENT_LOG_DAYS + 1) * DAY_MS);
  }

  /**
   * An event no session sends (an App Store Server Notification): stored in the event log and, when
   * the merchant has a webhook, queued for it — in one transaction, so a stored event is always sent.
   * Idempotent: the same event id again (Apple retrying) stores and sends nothing more.
   */
  async recordMerchantEvent(merchant: string, e: LoggedEvent): Promise<void> {
    const webhook = (await merchantById(this.env, merchant))?.webhook;
    const now = Date.now();
    let fresh = false;
    this.ctx.storage.transactionSync(() => {
      fresh = this.insertEvent(merchant, e);
      if (fresh && webhook) {
        this.sql.exec("INSERT INTO outbox (merchant, event_id, body, due, tries, delivery) VALUES (?, ?, ?, ?, 0, 'pending')", merchant, e.id, e.body, now);
      }
    });
    // The merchant's API endpoints get it from its webhook shard (webhooks/endpoints.ts), which keeps
    // one copy per event id: handed over again when the same event comes again (Apple retrying after
    // an answer that was not a 2xx), so a handover that failed is made then.
    await webhooksFor(this.env, merchant).fanOutMerchantEvent(merchant, e);
    if (!fresh) return;
    await this.keepEventDay(e);
    await this.fileInLedger(merchant, e);
    if (webhook) await this.armOutbox();
  }

  /** The webhook of an event recorded here, and every try (for tests and operators). */
  outboxState(
    merchant: string,
    eventId: string,
  ): (OutboxRow & { tries_made: { try: number; at: number; status: number | null; error: string | null }[] }) | null {
    const row = this.sql.exec<OutboxRow>('SELECT * FROM outbox WHERE merchant = ? AND event_id = ?', merchant, eventId).toArray()[0];
    if (!row) return null;
    const tries = this.sql
      .exec<{ try: number; at: number; status: number | null; error: string | null }>(
        'SELECT try, at, status, error FROM outbox_deliveries WHERE event_id = ? ORDER BY try',
        eventId,
      )
      .toArray();
    return { ...row, tries_made: tries };
  }

  /** True when the event is new here. */
  private insertEvent(merchant: string, e: LoggedEvent): boolean {
    return (
      this.sql.exec(
        'INSERT OR IGNORE INTO events (merchant, id, type, created, session, body) VALUES (?, ?, ?, ?, ?, ?)',
        merchant,
        e.id,
        e.type,
        e.created,
        e.session,
        e.body,
      ).rowsWritten > 0
    );
  }

  private async fileInLedger(merchant: string, e: LoggedEvent): Promise<void> {
    const entry = ledgerEntryOf(e.type, e.body);
    if (entry) await this.env.MERCHANT_SHARDS.getByName(ledgerShardName(merchant, ledgerDay(entry))).recordLedgerEntry(merchant, entry);
  }

  /** One try of every webhook due: 2xx delivers it, anything else waits for the next slot of WEBHOOK_RETRY_MS (longer on a Retry-After, retryDelay). */
  private async runOutbox(): Promise<void> {
    const now = Date.now();
    const due = this.sql.exec<OutboxRow>('SELECT * FROM outbox WHERE due IS NOT NULL AND due <= ?', now).toArray();
    // Leased before the first await: a run that starts meanwhile finds nothing due.
    for (const r of due) this.sql.exec('UPDATE outbox SET due = ? WHERE merchant = ? AND event_id = ?', now + OUTBOX_LEASE_MS, r.merchant, r.event_id);
    const base = publicBaseUrl(this.env);
    for (const r of due) {
      const set = (fields: string, ...args: (string | number | null)[]) =>
        this.sql.exec(`UPDATE outbox SET ${fields} WHERE merchant = ? AND event_id = ?`, ...args, r.merchant, r.event_id);
      const webhook = (await merchantById(this.env, r.merchant))?.webhook;
      if (!webhook) {
        set("due = NULL, delivery = 'none'");
        continue;
      }
      const tryNo = r.tries + 1;
      const { status, error, retry_after_ms } = await sendWebhook(base, webhook, r.event_id, now, r.body);
      this.sql.exec('INSERT INTO outbox_deliveries (event_id, try, at, status, error) VALUES (?, ?, ?, ?, ?)', r.event_id, tryNo, now, status, error);
      if (status !== null && status >= 200 && status < 300) set("due = NULL, tries = ?, delivery = 'delivered'", tryNo);
      else {
        const delay = retryDelay(r.tries, retry_after_ms);
        if (delay === undefined) set("due = NULL, tries = ?, delivery = 'failed'", tryNo);
        else set('due = ?, tries = ?', now + delay, tryNo);
      }
    }
  }

  /** Sets the alarm for the next webhook due, unless it already fires sooner (a reconciliation run). */
  private async armOutbox(): Promise<void> {
    const next = this.sql.exec<{ t: number | null }>('SELECT MIN(due) AS t FROM outbox').one().t;
    if (next === null) return;
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > next) await this.ctx.storage.setAlarm(next);
  }

  /** A day ledger is kept as long as a session where money moved (reconciliation of that day, refunds). */
  async recordLedgerEntry(merchant: string, entry: LedgerEntry): Promise<void> {
    insertLedgerEntry(this.sql, merchant, entry);
    await this.keepUntil(Date.parse(`${ledgerDay(entry)}T00:00:00+08:00`) + (retentionDays(this.env).money + 1) * DAY_MS);
  }

  ledgerEntries(merchant: string): LedgerEntry[] {
    return ledgerEntries(this.sql, merchant);
  }

  ledgerLookup(merchant: string, keys: string[]): LedgerEntry[] {
    return ledgerLookup(this.sql, merchant, keys);
  }

  async reconciliationReport(merchant: string, date: string, refresh: boolean): Promise<ReconciliationReport | null> {
    const m = await merchantById(this.env, merchant);
    if (!m) return null;
    await this.keepReconciliation(date);
    return reportFor(this.env, this.sql, m, date, refresh);
  }

  async scheduleReconciliation(merchant: string, date: string, now: number): Promise<boolean> {
    const scheduled = await scheduleRun(this.ctx.storage, this.sql, merchant, date, now);
    // The run sets the alarm for its own work; webhooks waiting here keep theirs.
    await this.armOutbox();
    await this.keepReconciliation(date);
    return scheduled;
  }

  /** A day's reconciliation run is kept as long as that day's ledger. */
  private keepReconciliation(date: string): Promise<void> {
    return this.keepUntil(Date.parse(`${date}T00:00:00+08:00`) + (retentionDays(this.env).money + 1) * DAY_MS);
  }

  // ── retention (docs/data-retention.md) ──────────────────────────────────────────────────────────

  /**
   * Nothing in this shard is needed after `at` (the latest such time wins). Whatever the day it is
   * about, a shard written now is kept at least a day: a report just asked for, an event dated
   * earlier, is never deleted under its writer.
   */
  private async keepUntil(at: number): Promise<void> {
    at = Math.max(at, this.clock.now() + DAY_MS);
    this.sql.exec("INSERT INTO retention (k, at) VALUES ('purge', ?) ON CONFLICT (k) DO UPDATE SET at = MAX(at, excluded.at)", at);
    await this.armAt(this.purgeAt() ?? at);
  }

  private purgeAt(): number | null {
    return this.sql.exec<{ at: number }>("SELECT at FROM retention WHERE k = 'purge'").toArray()[0]?.at ?? null;
  }

  /** Makes sure the alarm fires by `at` (an earlier alarm, a reconciliation run's, stays). */
  private async armAt(at: number): Promise<void> {
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > at) await this.ctx.storage.setAlarm(at);
  }

  /**
   * The shard's retention work: the whole shard deleted once its purge time passed and no webhook of
   * it is still being retried; idempotency records pruned after 24 h, payment index entries after the
   * money retention. True when the shard was deleted.
   */
  private async retire(now: number): Promise<boolean> {
    const purge = this.purgeAt();
    const sending = this.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM outbox WHERE due IS NOT NULL').one().n > 0;
    if (purge !== null && now >= purge && !sending) {
      await this.ctx.storage.deleteAlarm();
      await this.ctx.storage.deleteAll();
      // Empty tables again, for a caller that reaches this same instance later.
      this.made.clear();
      this.schema();
      return true;
    }
    this.sql.exec('DELETE FROM idempotency WHERE created < ?', now - IDEMPOTENCY_TTL_MS);
    this.sql.exec('DELETE FROM payment_index WHERE at < ?', now - retentionDays(this.env).money * DAY_MS);
    return false;
  }

  /** After an alarm: the next retention work, if nothing else set an earlier alarm. */
  private async rearmRetention(): Promise<void> {
    const oldest = this.sql.exec<{ m: number | null }>('SELECT MIN(created) AS m FROM idempotency').one().m;
    const indexed = this.sql.exec<{ m: number | null }>('SELECT MIN(at) AS m FROM payment_index').one().m;
    const times = [
      this.purgeAt(),
      oldest === null ? null : oldest + IDEMPOTENCY_TTL_MS,
      indexed === null ? null : indexed + retentionDays(this.env).money * DAY_MS,
    ].filter((t): t is number => t !== null);
    if (times.length > 0) await this.armAt(Math.min(...times));
  }

  /** The stored report's in-flight list, which the next day's report carries in (null when none is stored). */
  reconciliationInFlight(merchant: string, date: string): ReturnType<typeof storedInFlight> {
    return storedInFlight(this.sql, merchant, date);
  }

  reconciliationRun(merchant: string, date: string): ReturnType<typeof runState> {
    return runState(this.sql, merchant, date);
  }

  /** The daily credential check (Cron Trigger) at `at`: the `merchant.credentials_expiring` event id, or null. */
  async checkCredentials(merchant: string, at: number): Promise<string | null> {
    const m = await merchantById(this.env, merchant);
    return m ? checkCredentials(this.env, this.ctx.storage, this.sql, m, at) : null;
  }

  credentialAlerts(merchant: string): ReturnType<typeof credentialAlertState> {
    return credentialAlertState(this.sql, merchant);
  }

  /**
   * Retention first (a shard past its time is deleted and that is all), then what set the alarm:
   * reconciliation runs (the scheduled run, its retries and its webhook), credential expiry webhooks, the
   * webhooks of recordMerchantEvent and the webhook shard's own tries and pruning (each in its own
   * shard; all but the first only ever bring it forward), then the next retention alarm.
   */
  override alarm(): Promise<void> {
    // Chained: a test harness firing the alarm by hand while the real one runs waits its turn.
    const run = this.alarmChain.then(() => this.runAlarm());
    this.alarmChain = run.catch(() => {});
    return run;
  }
  private alarmChain: Promise<void> = Promise.resolve();

  private async runAlarm(): Promise<void> {
    if (await this.retire(this.clock.now())) return;
    await runAlarm(this.env, this.ctx.storage, this.sql);
    await credentialAlertsAlarm(this.env, this.ctx.storage, this.sql);
    await this.runOutbox();
    await this.armOutbox();
    if (this.hasTables('webhooks')) await this.webhooks.alarm();
    await this.rearmRetention();
  }

  // ── dashboard sign-in (worker/src/dashboard): only token hashes reach these ─────────────────────

  createDashboardLink(hash: string, merchant: string, email: string | null, now: number, expires: number): void {
    insertLink(this.sql, hash, merchant, email, now, expires);
  }

  peekDashboardLink(hash: string, now: number): LinkState {
    return peekLink(this.sql, hash, now);
  }

  consumeDashboardLink(hash: string, now: number): LinkState {
    return consumeLink(this.sql, hash, now);
  }

  createDashboardSession(hash: string, merchant: string, email: string | null, now: number, expires: number): void {
    insertSession(this.sql, hash, merchant, email, now, expires);
  }

  touchDashboardSession(hash: string, now: number, idleMs: number): SessionTouch {
    return touchSession(this.sql, hash, now, idleMs);
  }

  endDashboardSession(hash: string): boolean {
    return deleteSession(this.sql, hash);
  }

  // ── reports (worker/src/reports) ──────────────────────────────────────────────────────────────

  /** A day's outcomes (counts and amounts, no shopper data) are kept as long as that day's ledger. */
  async recordOutcome(merchant: string, outcome: SessionOutcome): Promise<void> {
    insertOutcome(this.sql, merchant, outcome);
    await this.keepUntil(outcome.at + (retentionDays(this.env).money + 1) * DAY_MS);
  }

  dayStats(merchant: string, date: string): DayStats {
    return dayStats(this.sql, merchant, date);
  }

  /** Pruned, entry by entry, as long after the payment as a session where money moved is kept. */
  async indexPayment(merchant: string, payment: IndexedPayment): Promise<void> {
    insertPayment(this.sql, merchant, payment);
    await this.armAt(payment.at + retentionDays(this.env).money * DAY_MS);
  }

  findPayment(merchant: string, providerTransactionId: string): IndexedPayment | null {
    return findPayment(this.sql, merchant, providerTransactionId);
  }

  // ── the list index (`<merchant>:index`) ───────────────────────────────────────────────────────

  upsertListing(merchant: string, record: ListingRecord): void {
    this.tables('listing');
    upsertListing(this.sql, merchant, record);
  }

  removeListing(merchant: string, sessionId: string): void {
    if (!this.hasTables('listing')) return;
    removeListing(this.sql, merchant, sessionId);
  }

  listedVersion(merchant: string, sessionId: string): number | null {
    this.tables('listing');
    return listedVersion(this.sql, merchant, sessionId);
  }

  listSessions(merchant: string, q: SessionQuery): { id: string; created: number; body: string }[] {
    this.tables('listing');
    return listSessions(this.sql, merchant, q);
  }

  listRefunds(merchant: string, q: RefundQuery): { id: string; created: number; body: string }[] {
    this.tables('listing');
    return listRefunds(this.sql, merchant, q);
  }

  // ── webhook endpoints and deliveries (`<merchant>:webhooks`) ──────────────────────────────────

  createEndpoint(merchant: string, input: EndpointInput): Promise<EndpointView | null> {
    this.tables('webhooks');
    return this.webhooks.create(merchant, input);
  }

  listEndpoints(merchant: string, before: Position | undefined, limit: number): { id: string; created: number; item: EndpointView }[] {
    this.tables('webhooks');
    return this.webhooks.list(merchant, before, limit);
  }

  getEndpoint(merchant: string, id: string): EndpointView | null {
    this.tables('webhooks');
    return this.webhooks.get(merchant, id);
  }

  updateEndpoint(merchant: string, id: string, patch: EndpointPatch): EndpointView | null {
    this.tables('webhooks');
    return this.webhooks.update(merchant, id, patch);
  }

  deleteEndpoint(merchant: string, id: string): boolean {
    this.tables('webhooks');
    return this.webhooks.remove(merchant, id);
  }

  rotateEndpointSecret(merchant: string, id: string, overlapSeconds: number): Promise<EndpointView | null> {
    this.tables('webhooks');
    return this.webhooks.rotate(merchant, id, overlapSeconds);
  }

  deliveryEndpoints(merchant: string): Promise<DeliveryEndpoint[]> {
    this.tables('webhooks');
    return this.webhooks.deliveryEndpoints(merchant);
  }

  recordDeliveries(merchant: string, records: DeliveryRecord[]): Promise<void> {
    this.tables('webhooks');
    return this.webhooks.recordDeliveries(merchant, records);
  }

  listDeliveries(
    merchant: string,
    by: { event: string } | { endpoint: string },
    status: 'succeeded' | 'failed' | undefined,
    before: Position | undefined,
    limit: number,
  ): { id: string; created: number; item: DeliveryView }[] {
    this.tables('webhooks');
    return this.webhooks.listDeliveries(merchant, by, status, before, limit);
  }

  /** An event no session sends, for the merchant's API endpoints subscribed to its type (idempotent by id). */
  async fanOutMerchantEvent(merchant: string, event: { id: string; type: string; created: number; body: string }): Promise<void> {
    if (!this.hasTables('webhooks')) return;
    await this.webhooks.fanOut(merchant, event);
  }

  /** Seals every endpoint secret again under the first SHOUYIN_MASTER_KEY (admin master key rotation). */
  async resealEndpointSecrets(merchant: string): Promise<number> {
    if (!this.hasTables('webhooks')) return 0;
    this.tables('webhooks');
    return this.webhooks.reseal(merchant);
  }

  async resendEvent(
    merchant: string,
    event: { id: string; type: string; created: number; body: string },
    endpointId: string | undefined,
  ): Promise<ShardResult<DeliveryRecord[]>> {
    this.tables('webhooks');
    try {
      return { ok: true, value: await this.webhooks.resend(merchant, event, endpointId) };
    } catch (e) {
      if (e instanceof ShouyinError && e.type !== ErrorType.api) return { ok: false, error: e.toData() };
      throw e;
    }
  }

  /** One event of the log, by id, or null. */
  getEvent(merchant: string, id: string): LoggedEvent | null {
    return (
      this.sql
        .exec<{ id: string; type: string; created: number; session: string; body: string }>(
          'SELECT id, type, created, session, body FROM events WHERE merchant = ? AND id = ?',
          merchant,
          id,
        )
        .toArray()[0] ?? null
    );
  }

  /** Newest first, strictly before the (created, id) cursor when given. */
  listEvents(merchant: string, opts: { before?: { created: number; id: string }; type?: string; limit: number }): LoggedEvent[] {
    const where = ['merchant = ?'];
    const args: (string | number)[] = [merchant];
    if (opts.before) {
      where.push('(created < ? OR (created = ? AND id < ?))');
      args.push(opts.before.created, opts.before.created, opts.before.id);
    }
    if (opts.type) {
      where.push('type = ?');
      args.push(opts.type);
    }
    return this.sql
      .exec<{ id: string; type: string; created: number; session: string; body: string }>(
        `SELECT id, type, created, session, body FROM events WHERE ${where.join(' AND ')} ORDER BY created DESC, id DESC LIMIT ?`,
        ...args,
        opts.limit,
      )
      .toArray();
  }

  private holderOf(merchant: string, orderId: string): string | null {
    const row = this.sql.exec<{ session_id: string }>('SELECT session_id FROM order_ids WHERE merchant = ? AND order_id = ?', merchant, orderId).toArray()[0];
    return row?.session_id ?? null;
  }
}
