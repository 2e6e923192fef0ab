// The small merchant-wide state the API needs, sharded by a hash of the key so no single object is
// hot: Idempotency-Key records and merchant_order_id claims. It is never on the notify path.
// Callers find the right object through shards.ts.
//
// The event log's shards also send the webhooks of events no session sends (Apple's notifications):
// stored with the event in one transaction, delivered by the shard's alarm with the same signing and
// retry schedule as every other Shouyin webhook (docs/webhooks.md).

import { DurableObject } from 'cloudflare:workers';
import type { Env } from './env';
import type { SessionStatus } from './contract';
import { LEDGER_SCHEMA, insertLedgerEntry, ledgerDay, ledgerEntries, ledgerEntryOf, ledgerLookup, ledgerShardName, type LedgerEntry } from './bills/ledger';
import type { ReconciliationReport } from './bills/reconcile';
import { RECON_SCHEMA, reportFor, runAlarm, runState, scheduleRun, storedInFlight } from './bills/run';
import { merchantById, publicBaseUrl } from './merchants';
import { DASHBOARD_SCHEMA, consumeLink, deleteSession, insertLink, insertSession, peekLink, touchSession } from './dashboard/store';
import type { LinkState, SessionTouch } from './dashboard/store';
import { OUTCOME_SCHEMA, dayStats, insertOutcome, type DayStats, type SessionOutcome } from './reports/outcomes';
import { PAYMENT_INDEX_SCHEMA, findPayment, insertPayment, type IndexedPayment } from './reports/payment-index';
import { CREDENTIAL_ALERTS_SCHEMA, checkCredentials, credentialAlertState, credentialAlertsAlarm } from './registry/health-alerts';
import { WEBHOOK_RETRY_MS } from './session/schedules';
import { sendWebhook } from './session/webhooks';

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

export class MerchantShard extends DurableObject<Env> {
  private sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
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
    this.insertEvent(merchant, e);
    await this.fileInLedger(merchant, e);
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
    if (!fresh) return;
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

  /** One try of every webhook due: 2xx delivers it, anything else waits for the next slot of WEBHOOK_RETRY_MS. */
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
      const { status, error } = await sendWebhook(base, webhook, r.event_id, now, r.body);
      this.sql.exec('INSERT INTO outbox_deliveries (event_id, try, at, status, error) VALUES (?, ?, ?, ?, ?)', r.event_id, tryNo, now, status, error);
      if (status !== null && status >= 200 && status < 300) set("due = NULL, tries = ?, delivery = 'delivered'", tryNo);
      else {
        const delay = WEBHOOK_RETRY_MS[r.tries];
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
    const m = await merchantById(this.env, merchant);
    return m ? reportFor(this.env, this.sql, m, date, refresh) : null;
  }

  async scheduleReconciliation(merchant: string, date: string, now: number): Promise<boolean> {
    const scheduled = await scheduleRun(this.ctx.storage, this.sql, merchant, date, now);
    // The run sets the alarm for its own work; webhooks waiting here keep theirs.
    await this.armOutbox();
    return scheduled;
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
   * Reconciliation runs (the scheduled run, its retries and its webhook), credential expiry webhooks and
   * the webhooks of recordMerchantEvent set the alarm; each lives in its own shard, and the last two only
   * ever bring it forward.
   */
  override async alarm(): Promise<void> {
    await runAlarm(this.env, this.ctx.storage, this.sql);
    await credentialAlertsAlarm(this.env, this.ctx.storage, this.sql);
    await this.runOutbox();
    await this.armOutbox();
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

  recordOutcome(merchant: string, outcome: SessionOutcome): void {
    insertOutcome(this.sql, merchant, outcome);
  }

  dayStats(merchant: string, date: string): DayStats {
    return dayStats(this.sql, merchant, date);
  }

  indexPayment(merchant: string, payment: IndexedPayment): void {
    insertPayment(this.sql, merchant, payment);
  }

  findPayment(merchant: string, providerTransactionId: string): IndexedPayment | null {
    return findPayment(this.sql, merchant, providerTransactionId);
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
