// The small merchant-wide state the API needs, sharded by a hash of the key so no single object is
// hot: Idempotency-Key records and merchant_order_id claims. It is never on the notify path.
// Callers find the right object through shards.ts. One instance per merchant also holds the list
// index (`<merchant>:index`, listing/store.ts) and one the webhook endpoints and delivery log
// (`<merchant>:webhooks`, webhooks/endpoints.ts).

import { DurableObject } from 'cloudflare:workers';
import type { Env } from './env';
import type { SessionStatus } from './contract';
import { LEDGER_SCHEMA, insertLedgerEntry, ledgerDay, ledgerEntries, ledgerEntryOf, ledgerLookup, ledgerShardName, type LedgerEntry } from './bills/ledger';
import type { ReconciliationReport } from './bills/reconcile';
import { RECON_SCHEMA, reportFor, runAlarm, runState, scheduleRun } from './bills/run';
import { loadConfig } from './config';
import { ErrorType, ShouyinError, type ErrorData } from './lib/errors';
import {
  LISTING_SCHEMA,
  listRefunds,
  listSessions,
  listedVersion,
  upsertListing,
  type ListingRecord,
  type RefundQuery,
  type SessionQuery,
} from './listing/store';
import { MerchantWebhooks, WEBHOOK_SCHEMA, type DeliveryView, type EndpointInput, type EndpointPatch, type EndpointView } from './webhooks/endpoints';
import type { DeliveryEndpoint, DeliveryRecord } from './webhooks/fanout';
import type { Position } from './listing/store';

/** Stripe prunes idempotency keys after at least 24 h. */
export const IDEMPOTENCY_TTL_MS = 24 * 3600_000;
/** A request that began but never finished (the isolate died) stops blocking its key after this. */
export const IN_FLIGHT_TIMEOUT_MS = 60_000;

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
  /** Injected so tests can move time (the webhook shard's rotation overlaps and its own retries). */
  clock: { now(): number } = { now: () => Date.now() };
  readonly webhooks: MerchantWebhooks;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.webhooks = new MerchantWebhooks(this.sql, ctx.storage, env, { now: () => this.clock.now() });
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
  }

  /** The list index's and the webhook shard's tables, made on first use in the instances that hold them. */
  private readonly made = new Set<'listing' | 'webhooks'>();
  private tables(which: 'listing' | 'webhooks'): void {
    if (this.made.has(which)) return;
    for (const schema of which === 'listing' ? LISTING_SCHEMA : WEBHOOK_SCHEMA) this.sql.exec(schema);
    this.made.add(which);
  }

  /** Starts an idempotent request, or says what to answer instead. */
  beginIdempotent(merchant: string, key: string, fingerprint: string, now: number): IdempotencyBegin {
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

  /** Idempotent: an event indexed twice (a retried due item) is stored once. Money events are also filed in the day ledger. */
  async appendEvent(merchant: string, e: LoggedEvent): Promise<void> {
    this.sql.exec(
      'INSERT OR IGNORE INTO events (merchant, id, type, created, session, body) VALUES (?, ?, ?, ?, ?, ?)',
      merchant,
      e.id,
      e.type,
      e.created,
      e.session,
      e.body,
    );
    const entry = ledgerEntryOf(e.type, e.body);
    if (entry) await this.env.MERCHANT_SHARDS.getByName(ledgerShardName(merchant, ledgerDay(entry))).recordLedgerEntry(merchant, entry);
  }

  recordLedgerEntry(merchant: string, entry: LedgerEntry): void {
    insertLedgerEntry(this.sql, merchant, entry);
  }

  ledgerEntries(merchant: string): LedgerEntry[] {
    return ledgerEntries(this.sql, merchant);
  }

  ledgerLookup(merchant: string, keys: string[]): LedgerEntry[] {
    return ledgerLookup(this.sql, merchant, keys);
  }

  async reconciliationReport(merchant: string, date: string, refresh: boolean): Promise<ReconciliationReport | null> {
    const m = loadConfig(this.env).merchants.find((x) => x.id === merchant);
    return m ? reportFor(this.env, this.sql, m, date, refresh) : null;
  }

  scheduleReconciliation(merchant: string, date: string, now: number): Promise<boolean> {
    return scheduleRun(this.ctx.storage, this.sql, merchant, date, now);
  }

  reconciliationRun(merchant: string, date: string): ReturnType<typeof runState> {
    return runState(this.sql, merchant, date);
  }

  /**
   * Reconciliation runs (the scheduled run, its retries and its webhook) and the webhook shard (its own
   * events' tries) set alarms; each instance has only one of the two kinds of work.
   */
  override alarm(): Promise<void> {
    // Chained: a test harness firing the alarm by hand while the real one runs waits its turn.
    const run = this.alarmChain.then(async () => {
      await runAlarm(this.env, this.ctx.storage, this.sql);
      this.tables('webhooks');
      await this.webhooks.alarm();
    });
    this.alarmChain = run.catch(() => {});
    return run;
  }
  private alarmChain: Promise<void> = Promise.resolve();

  // ── the list index (`<merchant>:index`) ───────────────────────────────────────────────────────

  upsertListing(merchant: string, record: ListingRecord): void {
    this.tables('listing');
    upsertListing(this.sql, merchant, record);
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
