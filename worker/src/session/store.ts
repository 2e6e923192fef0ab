// SQLite schema and row mapping for one checkout session's Durable Object.

import type { AttemptStatus, Channel, Flow, NextAction, SessionStatus } from '../contract';
import type { DeliveryRecord, TargetRow } from '../webhooks/fanout';
import type { AnomalyReason, AttemptState, BarcodePhase, SessionState } from './state-machine';

export type SessionRow = {
  id: string;
  merchant_id: string;
  livemode: number;
  status: SessionStatus;
  amount: number;
  currency: 'CNY';
  description: string;
  merchant_order_id: string;
  channels: string;
  client_secret: string;
  expires_at: number;
  created: number;
  return_url: string | null;
  metadata: string;
  paid_attempt_id: string | null;
  paid_at: number | null;
  version: number;
};

export type AttemptRow = {
  id: string;
  seq: number;
  channel: Channel;
  flow: Flow;
  provider: string;
  status: AttemptStatus;
  created: number;
  next_action: string | null;
  provider_data: string | null;
  anomaly: AnomalyReason | null;
  provider_transaction_id: string | null;
  paid_amount: number | null;
  paid_at: number | null;
};

export type EventRow = {
  id: string;
  type: string;
  created: number;
  data: string;
  delivery: 'pending' | 'delivered' | 'failed' | 'none';
};

export type DueRow = {
  key: string;
  kind: DueKind;
  at: number;
  payload: string;
  tries: number;
};

/**
 * `listing` copies the session into the merchant's list index after any change (one key, so changes
 * made before it runs go in one write); `report` sends new webhook delivery records to the merchant's
 * delivery log. Both are due at once (`at` 0) when scheduled and retried on LISTING_RETRY_MS.
 */
export type DueKind = 'expire' | 'close' | 'webhook' | 'query' | 'refund' | 'index' | 'reverse' | 'purge' | 'listing' | 'report';

/** A stored webhook try (`deliveries`): rows written before endpoints existed have no id and went to `we_config`. */
export type DeliveryRow = {
  id: string | null;
  event_id: string;
  endpoint_id: string | null;
  try: number;
  at: number;
  status: number | null;
  error: string | null;
  duration_ms: number | null;
  next_retry_at: number | null;
};

/** A payment-code attempt's own state, beside its row in `attempts` (docs/instore.md). */
export type BarcodeRow = {
  attempt_id: string;
  /** The scanned code with all but its ends masked: it is a bearer credential for a minute. */
  auth_code: string;
  phase: BarcodePhase;
  started: number;
  /** When the till gives up and reverses (started + 30 s). */
  deadline: number;
  updated: number;
  failure_code: string | null;
  failure_message: string | null;
  /** Why the till gave up: `deadline`, `canceled`, `expired`, `paid_elsewhere`, `paid_after_reversal`. */
  reverse_reason: string | null;
  /** Bumped by every request to reverse, so a reversal that was asked again mid-call runs once more. */
  reverse_generation: number;
};

export type RefundRow = {
  /** Our refund number, sent as out_refund_no / out_request_no: `<session key>R<n>`. */
  id: string;
  seq: number;
  attempt_id: string;
  amount: number;
  reason: string | null;
  /** `merchant`: asked for over the API. `anomaly`: Shouyin returning a late or duplicate payment. */
  kind: 'merchant' | 'anomaly';
  status: 'pending' | 'succeeded' | 'failed';
  /** 1 once the provider has accepted the request; from then on we only query it. */
  submitted: number;
  created: number;
  updated: number;
  provider_refund_id: string | null;
  provider_data: string | null;
  failure: string | null;
};

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS session (
    id TEXT PRIMARY KEY, merchant_id TEXT NOT NULL, livemode INTEGER NOT NULL, status TEXT NOT NULL,
    amount INTEGER NOT NULL, currency TEXT NOT NULL, description TEXT NOT NULL, merchant_order_id TEXT NOT NULL,
    channels TEXT NOT NULL, client_secret TEXT NOT NULL, expires_at INTEGER NOT NULL, created INTEGER NOT NULL,
    return_url TEXT, metadata TEXT NOT NULL, paid_attempt_id TEXT, paid_at INTEGER, version INTEGER NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS attempts (
    id TEXT PRIMARY KEY, seq INTEGER NOT NULL, channel TEXT NOT NULL, flow TEXT NOT NULL, provider TEXT NOT NULL,
    status TEXT NOT NULL, created INTEGER NOT NULL, next_action TEXT, provider_data TEXT, anomaly TEXT,
    provider_transaction_id TEXT, paid_amount INTEGER, paid_at INTEGER)`,
  `CREATE TABLE IF NOT EXISTS events (
    id TEXT PRIMARY KEY, type TEXT NOT NULL, created INTEGER NOT NULL, data TEXT NOT NULL, delivery TEXT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS deliveries (
    event_id TEXT NOT NULL, try INTEGER NOT NULL, at INTEGER NOT NULL, status INTEGER, error TEXT,
    id TEXT, endpoint_id TEXT, duration_ms INTEGER, next_retry_at INTEGER, reported INTEGER NOT NULL DEFAULT 1)`,
  `CREATE TABLE IF NOT EXISTS anomalies (
    attempt_id TEXT NOT NULL, reason TEXT NOT NULL, created INTEGER NOT NULL, source TEXT NOT NULL, evidence TEXT NOT NULL)`,
  /**
   * Every verified notify and query result that reached this session, for audit (docs/reliability.md):
   * each distinct message once; the same message again only counts in provider_message_repeats.
   */
  `CREATE TABLE IF NOT EXISTS provider_messages (
    at INTEGER NOT NULL, attempt_id TEXT NOT NULL, source TEXT NOT NULL, outcome TEXT NOT NULL, raw TEXT NOT NULL)`,
  'CREATE INDEX IF NOT EXISTS provider_messages_by_attempt ON provider_messages (attempt_id, source)',
  /** How often a stored provider message (by its rowid) came again, and when it last did. */
  `CREATE TABLE IF NOT EXISTS provider_message_repeats (
    message INTEGER PRIMARY KEY, repeats INTEGER NOT NULL, last_at INTEGER NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS refunds (
    id TEXT PRIMARY KEY, seq INTEGER NOT NULL, attempt_id TEXT NOT NULL, amount INTEGER NOT NULL, reason TEXT,
    kind TEXT NOT NULL, status TEXT NOT NULL, submitted INTEGER NOT NULL, created INTEGER NOT NULL, updated INTEGER NOT NULL,
    provider_refund_id TEXT, provider_data TEXT, failure TEXT)`,
  /** Small facts learned along the way (e.g. the payer's WeChat openid from the JSAPI OAuth hop). */
  `CREATE TABLE IF NOT EXISTS facts (k TEXT PRIMARY KEY, v TEXT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS barcode (
    attempt_id TEXT PRIMARY KEY, auth_code TEXT NOT NULL, phase TEXT NOT NULL, started INTEGER NOT NULL,
    deadline INTEGER NOT NULL, updated INTEGER NOT NULL, failure_code TEXT, failure_message TEXT, reverse_reason TEXT,
    reverse_generation INTEGER NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS due (
    key TEXT PRIMARY KEY, kind TEXT NOT NULL, at INTEGER NOT NULL, payload TEXT NOT NULL, tries INTEGER NOT NULL)`,
  /** One row per (event, endpoint) the event is sent to: its own tries and schedule (webhooks/fanout.ts). */
  `CREATE TABLE IF NOT EXISTS webhook_targets (
    event_id TEXT NOT NULL, endpoint_id TEXT NOT NULL, tries INTEGER NOT NULL, next_at INTEGER, state TEXT NOT NULL,
    PRIMARY KEY (event_id, endpoint_id))`,
];

/**
 * Columns a session stored before them lacks (new sessions get them from SCHEMA); SQLite's ADD COLUMN
 * keeps the rows. Delivery rows written before webhook endpoints existed count as reported: they were
 * never in the delivery log.
 */
const ADDED_COLUMNS: [table: string, column: string, definition: string][] = [
  ['deliveries', 'id', 'TEXT'],
  ['deliveries', 'endpoint_id', 'TEXT'],
  ['deliveries', 'duration_ms', 'INTEGER'],
  ['deliveries', 'next_retry_at', 'INTEGER'],
  ['deliveries', 'reported', 'INTEGER NOT NULL DEFAULT 1'],
];

/**
 * How long after a change the outbox's copy into the list index is due. The session writes it at once,
 * in the background, as soon as the change is stored (durable-object.ts publishSoon); the due item is
 * what makes it happen anyway when that write fails or the object dies first.
 */
export const LISTING_FALLBACK_MS = 2_000;

export class SessionStore {
  /**
   * False until the merchant API creates the session (init): the tables are made then, never by
   * merely reaching the object, so a probe of an id stores nothing (SECURITY.md, "Session ids").
   * Every read below answers "nothing" (null, []) while it is false.
   */
  private ready: boolean;

  constructor(
    private readonly sql: SqlStorage,
    private readonly now: () => number = () => Date.now(),
  ) {
    this.ready = sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'session'").toArray().length > 0;
    if (this.ready) {
      // A session stored before a table was added gets it (CREATE … IF NOT EXISTS), and its columns.
      for (const s of SCHEMA) sql.exec(s);
      const have = new Set(
        sql
          .exec<{ name: string }>('PRAGMA table_info(deliveries)')
          .toArray()
          .map((c) => c.name),
      );
      for (const [table, column, definition] of ADDED_COLUMNS) {
        if (table === 'deliveries' && !have.has(column)) sql.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${definition}`);
      }
    }
  }

  /** Creates the tables: called by the merchant API's create only. */
  init(): void {
    for (const s of SCHEMA) this.sql.exec(s);
    this.ready = true;
  }

  /** Called after the object's storage was deleted (retention): it holds nothing from then on. */
  forget(): void {
    this.ready = false;
  }

  /**
   * Rows of a read, or none while the session's tables do not exist. The reads an entry point makes
   * before it knows there is a session (the session, a refund, a fact, due work) go through it.
   */
  private rows<T extends Record<string, SqlStorageValue>>(query: string, ...args: SqlStorageValue[]): T[] {
    return this.ready ? this.sql.exec<T>(query, ...args).toArray() : [];
  }

  /**
   * Every change to the session, its attempts, refunds or payment codes passes here (it bumps the
   * version), and schedules the session's copy into the merchant's list index in the same transaction.
   */
  private changed(): void {
    this.sql.exec(
      "INSERT INTO due (key, kind, at, payload, tries) VALUES ('listing', 'listing', ?, '{}', 0) ON CONFLICT (key) DO UPDATE SET at = excluded.at, tries = 0",
      this.now() + LISTING_FALLBACK_MS,
    );
  }

  /** One due item by key, or null. */
  dueItem(key: string): DueRow | null {
    return this.rows<DueRow>('SELECT * FROM due WHERE key = ?', key)[0] ?? null;
  }

  session(): SessionRow | null {
    return this.rows<SessionRow>('SELECT * FROM session LIMIT 1')[0] ?? null;
  }

  attempts(): AttemptRow[] {
    return this.sql.exec<AttemptRow>('SELECT * FROM attempts ORDER BY seq').toArray();
  }

  /** The attempts whose provider order is being closed: a `close:<attempt>` is due. */
  closingAttemptIds(): Set<string> {
    return new Set(
      this.sql
        .exec<{ key: string }>("SELECT key FROM due WHERE key LIKE 'close:%'")
        .toArray()
        .map((d) => d.key.slice('close:'.length)),
    );
  }

  /**
   * The attempts a shopper may be shown: all but the pending ones whose order is being closed, whose
   * QR or link must not be offered again (state-machine.ts decideStartAttempt).
   */
  attemptsForShopper(): AttemptRow[] {
    const closing = this.closingAttemptIds();
    return this.attempts().filter((a) => a.status !== 'pending' || !closing.has(a.id));
  }

  attempt(id: string): AttemptRow | null {
    return this.sql.exec<AttemptRow>('SELECT * FROM attempts WHERE id = ?', id).toArray()[0] ?? null;
  }

  events(): EventRow[] {
    return this.sql.exec<EventRow>('SELECT * FROM events ORDER BY created, rowid').toArray();
  }

  event(id: string): EventRow | null {
    return this.sql.exec<EventRow>('SELECT * FROM events WHERE id = ?', id).toArray()[0] ?? null;
  }

  insertSession(r: SessionRow): void {
    this.sql.exec(
      `INSERT INTO session (id, merchant_id, livemode, status, amount, currency, description, merchant_order_id, channels,
        client_secret, expires_at, created, return_url, metadata, paid_attempt_id, paid_at, version)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      r.id,
      r.merchant_id,
      r.livemode,
      r.status,
      r.amount,
      r.currency,
      r.description,
      r.merchant_order_id,
      r.channels,
      r.client_secret,
      r.expires_at,
      r.created,
      r.return_url,
      r.metadata,
      r.paid_attempt_id,
      r.paid_at,
      r.version,
    );
    this.changed();
  }

  bumpVersion(): void {
    this.sql.exec('UPDATE session SET version = version + 1');
    this.changed();
  }

  setStatus(status: SessionStatus): void {
    this.sql.exec('UPDATE session SET status = ?, version = version + 1', status);
    this.changed();
  }

  markPaid(attemptId: string, paidAt: number): void {
    this.sql.exec("UPDATE session SET status = 'paid', paid_attempt_id = ?, paid_at = ?, version = version + 1", attemptId, paidAt);
    this.changed();
  }

  insertAttempt(a: AttemptRow): void {
    this.sql.exec(
      `INSERT INTO attempts (id, seq, channel, flow, provider, status, created, next_action, provider_data, anomaly,
        provider_transaction_id, paid_amount, paid_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      a.id,
      a.seq,
      a.channel,
      a.flow,
      a.provider,
      a.status,
      a.created,
      a.next_action,
      a.provider_data,
      a.anomaly,
      a.provider_transaction_id,
      a.paid_amount,
      a.paid_at,
    );
    this.bumpVersion();
  }

  nextAttemptSeq(): number {
    const row = this.sql.exec<{ m: number | null }>('SELECT MAX(seq) AS m FROM attempts').toArray()[0];
    return (row?.m ?? 0) + 1;
  }

  setAttemptAction(id: string, nextAction: NextAction, providerData: Record<string, string> | undefined): void {
    this.sql.exec(
      'UPDATE attempts SET next_action = ?, provider_data = ? WHERE id = ?',
      JSON.stringify(nextAction),
      providerData ? JSON.stringify(providerData) : null,
      id,
    );
    this.bumpVersion();
  }

  setAttemptStatus(id: string, status: AttemptStatus): void {
    this.sql.exec('UPDATE attempts SET status = ? WHERE id = ?', status, id);
    this.bumpVersion();
  }

  recordAttemptPayment(id: string, txn: string, amount: number, paidAt: number, anomaly: AnomalyReason | null): void {
    this.sql.exec(
      "UPDATE attempts SET status = 'succeeded', provider_transaction_id = ?, paid_amount = ?, paid_at = ?, anomaly = ? WHERE id = ?",
      txn,
      amount,
      paidAt,
      anomaly,
      id,
    );
    this.bumpVersion();
  }

  insertEvent(e: EventRow): void {
    this.sql.exec('INSERT INTO events (id, type, created, data, delivery) VALUES (?, ?, ?, ?, ?)', e.id, e.type, e.created, e.data, e.delivery);
  }

  setEventDelivery(id: string, delivery: EventRow['delivery']): void {
    this.sql.exec('UPDATE events SET delivery = ? WHERE id = ?', delivery, id);
  }

  /** Stores a webhook try; `report` sends it to the merchant's delivery log. */
  recordDelivery(d: DeliveryRecord): void {
    this.sql.exec(
      `INSERT INTO deliveries (id, event_id, endpoint_id, try, at, status, error, duration_ms, next_retry_at, reported)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0)`,
      d.id,
      d.event_id,
      d.endpoint_id,
      d.attempt,
      d.at,
      d.status,
      d.error,
      d.duration_ms,
      d.next_retry_at,
    );
    this.schedule('report', 'report', 0);
  }

  /** An event's tries, every endpoint's, in the order they were made. */
  deliveries(eventId: string): DeliveryRow[] {
    return this.sql
      .exec<DeliveryRow>(
        'SELECT id, event_id, endpoint_id, try, at, status, error, duration_ms, next_retry_at FROM deliveries WHERE event_id = ? ORDER BY at, rowid',
        eventId,
      )
      .toArray();
  }

  /** Tries not yet in the merchant's delivery log, oldest first. */
  unreportedDeliveries(limit: number): (DeliveryRow & { event_type: string })[] {
    return this.sql
      .exec<DeliveryRow & { event_type: string }>(
        `SELECT d.id, d.event_id, d.endpoint_id, d.try, d.at, d.status, d.error, d.duration_ms, d.next_retry_at, e.type AS event_type
         FROM deliveries d JOIN events e ON e.id = d.event_id WHERE d.reported = 0 ORDER BY d.rowid LIMIT ?`,
        limit,
      )
      .toArray();
  }

  markReported(ids: string[]): void {
    for (const id of ids) this.sql.exec('UPDATE deliveries SET reported = 1 WHERE id = ?', id);
  }

  webhookTargets(eventId: string): TargetRow[] {
    return this.sql.exec<TargetRow>('SELECT * FROM webhook_targets WHERE event_id = ? ORDER BY rowid', eventId).toArray();
  }

  putWebhookTarget(t: TargetRow): void {
    this.sql.exec(
      'INSERT OR REPLACE INTO webhook_targets (event_id, endpoint_id, tries, next_at, state) VALUES (?, ?, ?, ?, ?)',
      t.event_id,
      t.endpoint_id,
      t.tries,
      t.next_at,
      t.state,
    );
  }

  insertAnomaly(attemptId: string, reason: AnomalyReason, at: number, source: string, evidence: unknown): void {
    this.sql.exec(
      'INSERT INTO anomalies (attempt_id, reason, created, source, evidence) VALUES (?, ?, ?, ?, ?)',
      attemptId,
      reason,
      at,
      source,
      JSON.stringify(evidence),
    );
  }

  /** When the session's newest event happened (its end, a refund, an anomaly), or null. */
  lastEventAt(): number | null {
    return this.rows<{ m: number | null }>('SELECT MAX(created) AS m FROM events')[0]?.m ?? null;
  }

  anomalies(): { attempt_id: string; reason: AnomalyReason; created: number; source: string }[] {
    return this.sql
      .exec<{ attempt_id: string; reason: AnomalyReason; created: number; source: string }>(
        'SELECT attempt_id, reason, created, source FROM anomalies ORDER BY rowid',
      )
      .toArray();
  }

  /**
   * Stores a verified provider message once: the same content again for the same attempt and source
   * (a provider's retry, a query answering the same, or anyone replaying a signed message) only
   * counts as a repeat, so replays cannot grow storage. Returns false for a repeat.
   */
  recordProviderMessage(at: number, attemptId: string, source: string, outcome: string, raw: unknown): boolean {
    if (this.repeatOfProviderMessage(at, attemptId, source, raw)) return false;
    this.sql.exec(
      'INSERT INTO provider_messages (at, attempt_id, source, outcome, raw) VALUES (?, ?, ?, ?, ?)',
      at,
      attemptId,
      source,
      outcome,
      JSON.stringify(raw ?? null),
    );
    return true;
  }

  /** True (and counted) when exactly this message is already stored for the attempt and source. */
  repeatOfProviderMessage(at: number, attemptId: string, source: string, raw: unknown): boolean {
    const same = this.rows<{ id: number }>(
      'SELECT rowid AS id FROM provider_messages WHERE attempt_id = ? AND source = ? AND raw = ? LIMIT 1',
      attemptId,
      source,
      JSON.stringify(raw ?? null),
    )[0];
    if (!same) return false;
    this.sql.exec(
      'INSERT INTO provider_message_repeats (message, repeats, last_at) VALUES (?, 1, ?) ON CONFLICT (message) DO UPDATE SET repeats = repeats + 1, last_at = excluded.last_at',
      same.id,
      at,
    );
    return true;
  }

  /** Every provider message that reached this session, in arrival order (the timeline's evidence). */
  providerMessages(): { at: number; attempt_id: string; source: string; outcome: string; raw: string }[] {
    return this.sql
      .exec<{ at: number; attempt_id: string; source: string; outcome: string; raw: string }>(
        'SELECT at, attempt_id, source, outcome, raw FROM provider_messages ORDER BY rowid',
      )
      .toArray();
  }

  fact(k: string): string | null {
    return this.rows<{ v: string }>('SELECT v FROM facts WHERE k = ?', k)[0]?.v ?? null;
  }

  setFact(k: string, v: string): void {
    this.sql.exec('INSERT OR REPLACE INTO facts (k, v) VALUES (?, ?)', k, v);
  }

  refunds(): RefundRow[] {
    return this.sql.exec<RefundRow>('SELECT * FROM refunds ORDER BY seq').toArray();
  }

  refund(id: string): RefundRow | null {
    return this.rows<RefundRow>('SELECT * FROM refunds WHERE id = ?', id)[0] ?? null;
  }

  nextRefundSeq(): number {
    const row = this.sql.exec<{ m: number | null }>('SELECT MAX(seq) AS m FROM refunds').toArray()[0];
    return (row?.m ?? 0) + 1;
  }

  insertRefund(r: RefundRow): void {
    this.sql.exec(
      `INSERT INTO refunds (id, seq, attempt_id, amount, reason, kind, status, submitted, created, updated, provider_refund_id,
        provider_data, failure) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      r.id,
      r.seq,
      r.attempt_id,
      r.amount,
      r.reason,
      r.kind,
      r.status,
      r.submitted,
      r.created,
      r.updated,
      r.provider_refund_id,
      r.provider_data,
      r.failure,
    );
    this.bumpVersion();
  }

  updateRefund(id: string, patch: Partial<Pick<RefundRow, 'status' | 'submitted' | 'provider_refund_id' | 'provider_data' | 'failure'>>, now: number): void {
    const cur = this.refund(id);
    if (!cur) return;
    const n = { ...cur, ...patch };
    this.sql.exec(
      'UPDATE refunds SET status = ?, submitted = ?, provider_refund_id = ?, provider_data = ?, failure = ?, updated = ? WHERE id = ?',
      n.status,
      n.submitted,
      n.provider_refund_id,
      n.provider_data,
      n.failure,
      now,
      id,
    );
    this.bumpVersion();
  }

  insertBarcode(b: BarcodeRow): void {
    this.sql.exec(
      `INSERT INTO barcode (attempt_id, auth_code, phase, started, deadline, updated, failure_code, failure_message, reverse_reason,
        reverse_generation) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      b.attempt_id,
      b.auth_code,
      b.phase,
      b.started,
      b.deadline,
      b.updated,
      b.failure_code,
      b.failure_message,
      b.reverse_reason,
      b.reverse_generation,
    );
    this.bumpVersion();
  }

  barcode(attemptId: string): BarcodeRow | null {
    return this.sql.exec<BarcodeRow>('SELECT * FROM barcode WHERE attempt_id = ?', attemptId).toArray()[0] ?? null;
  }

  /** The newest payment-code attempt of the session. */
  latestBarcode(): BarcodeRow | null {
    return this.sql.exec<BarcodeRow>('SELECT * FROM barcode ORDER BY started DESC, rowid DESC LIMIT 1').toArray()[0] ?? null;
  }

  updateBarcode(attemptId: string, patch: Partial<Omit<BarcodeRow, 'attempt_id' | 'auth_code' | 'started' | 'deadline'>>, now: number): void {
    const cur = this.barcode(attemptId);
    if (!cur) return;
    const n = { ...cur, ...patch };
    this.sql.exec(
      `UPDATE barcode SET phase = ?, failure_code = ?, failure_message = ?, reverse_reason = ?, reverse_generation = ?, updated = ?
       WHERE attempt_id = ?`,
      n.phase,
      n.failure_code,
      n.failure_message,
      n.reverse_reason,
      n.reverse_generation,
      now,
      attemptId,
    );
    this.bumpVersion();
  }

  schedule(key: string, kind: DueKind, at: number, payload: unknown = {}, tries = 0): void {
    this.sql.exec('INSERT OR REPLACE INTO due (key, kind, at, payload, tries) VALUES (?, ?, ?, ?, ?)', key, kind, at, JSON.stringify(payload), tries);
  }

  unschedule(key: string): void {
    this.sql.exec('DELETE FROM due WHERE key = ?', key);
  }

  /** What is due by `now`, oldest first; the bookkeeping copies (`listing`, `report`) after the work itself. */
  dueBy(now: number): DueRow[] {
    return this.rows<DueRow>("SELECT * FROM due WHERE at <= ? ORDER BY kind IN ('listing', 'report'), at", now);
  }

  /** When the next due item is, leaving out `except` (items an entry point is running itself). */
  nextDueAt(except: readonly string[] = []): number | null {
    const row = this.rows<{ m: number | null }>(`SELECT MIN(at) AS m FROM due WHERE key NOT IN (${except.map(() => '?').join(', ')})`, ...except)[0];
    return row?.m ?? null;
  }

  allDue(): DueRow[] {
    return this.sql.exec<DueRow>('SELECT * FROM due ORDER BY at').toArray();
  }

  state(): SessionState | null {
    const s = this.session();
    if (!s) return null;
    const phases = new Map(
      this.sql
        .exec<{ attempt_id: string; phase: BarcodePhase }>('SELECT attempt_id, phase FROM barcode')
        .toArray()
        .map((b) => [b.attempt_id, b.phase]),
    );
    const closing = this.closingAttemptIds();
    return {
      status: s.status,
      amount: s.amount,
      currency: s.currency,
      expiresAt: s.expires_at,
      channels: JSON.parse(s.channels) as Channel[],
      paidAttemptId: s.paid_attempt_id,
      attempts: this.attempts().map(
        (a): AttemptState => ({
          id: a.id,
          channel: a.channel,
          flow: a.flow,
          provider: a.provider,
          status: a.status,
          anomaly: a.anomaly,
          barcode: phases.get(a.id) ?? null,
          closing: closing.has(a.id),
        }),
      ),
    };
  }
}
