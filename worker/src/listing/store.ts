// The merchant's list index: one row per checkout session and one per refund, so `GET
// /v1/checkout/sessions` and `GET /v1/refunds` can filter and page across sessions. It lives in the
// merchant shard named `<merchant>:index` (shards.ts) and is written only by the sessions themselves,
// from their outbox (session/durable-object.ts, due work `listing`): the session's Durable Object stays
// the source of truth, this is a copy that trails it by the time one due item takes (docs/merchant-api.md,
// "How fresh a list is").
//
// Every write carries the session's version (bumped by every change, session/store.ts); a row is replaced
// only by a higher version, so a retried or late write never undoes a newer one.

export const LISTING_SCHEMA = [
  `CREATE TABLE IF NOT EXISTS listed_sessions (
    merchant TEXT NOT NULL, id TEXT NOT NULL, version INTEGER NOT NULL, created INTEGER NOT NULL, status TEXT NOT NULL,
    channel TEXT, merchant_order_id TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (merchant, id))`,
  'CREATE INDEX IF NOT EXISTS listed_sessions_created ON listed_sessions (merchant, created, id)',
  'CREATE INDEX IF NOT EXISTS listed_sessions_status ON listed_sessions (merchant, status, created, id)',
  'CREATE INDEX IF NOT EXISTS listed_sessions_channel ON listed_sessions (merchant, channel, created, id)',
  'CREATE INDEX IF NOT EXISTS listed_sessions_order ON listed_sessions (merchant, merchant_order_id, created, id)',
  `CREATE TABLE IF NOT EXISTS listed_refunds (
    merchant TEXT NOT NULL, id TEXT NOT NULL, session TEXT NOT NULL, version INTEGER NOT NULL, created INTEGER NOT NULL,
    status TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (merchant, id))`,
  'CREATE INDEX IF NOT EXISTS listed_refunds_created ON listed_refunds (merchant, created, id)',
  'CREATE INDEX IF NOT EXISTS listed_refunds_session ON listed_refunds (merchant, session, created, id)',
  'CREATE INDEX IF NOT EXISTS listed_refunds_status ON listed_refunds (merchant, status, created, id)',
];

/** One session as the index holds it. `created` is in ms; `body` is the list item's JSON. */
export interface ListedSession {
  id: string;
  version: number;
  created: number;
  status: string;
  /** The paid attempt's channel, else the newest attempt's, else null (no attempt yet). */
  channel: string | null;
  merchant_order_id: string;
  body: string;
}

export interface ListedRefund {
  id: string;
  session: string;
  created: number;
  status: string;
  body: string;
}

/** What a session sends on every change: itself and its refunds, at one version. */
export interface ListingRecord {
  session: ListedSession;
  refunds: ListedRefund[];
}

/** A position in a list, newest first: the next page is everything strictly before it. */
export interface Position {
  created: number;
  id: string;
}

/** Applies a session's record unless the index already holds the same or a newer version (one transaction: the caller's RPC). */
export function upsertListing(sql: SqlStorage, merchant: string, r: ListingRecord): void {
  const s = r.session;
  sql.exec(
    `INSERT INTO listed_sessions (merchant, id, version, created, status, channel, merchant_order_id, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (merchant, id) DO UPDATE SET version = excluded.version, created = excluded.created, status = excluded.status,
       channel = excluded.channel, merchant_order_id = excluded.merchant_order_id, body = excluded.body
     WHERE excluded.version > listed_sessions.version`,
    merchant,
    s.id,
    s.version,
    s.created,
    s.status,
    s.channel,
    s.merchant_order_id,
    s.body,
  );
  for (const f of r.refunds) {
    sql.exec(
      `INSERT INTO listed_refunds (merchant, id, session, version, created, status, body) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (merchant, id) DO UPDATE SET version = excluded.version, status = excluded.status, body = excluded.body
       WHERE excluded.version > listed_refunds.version`,
      merchant,
      f.id,
      f.session,
      s.version,
      f.created,
      f.status,
      f.body,
    );
  }
}

/**
 * Retention (docs/data-retention.md): a session deleted by its retention purge takes its rows with it.
 * The session calls this before it deletes itself, so the index never lists a session that is gone.
 */
export function removeListing(sql: SqlStorage, merchant: string, sessionId: string): void {
  sql.exec('DELETE FROM listed_refunds WHERE merchant = ? AND session = ?', merchant, sessionId);
  sql.exec('DELETE FROM listed_sessions WHERE merchant = ? AND id = ?', merchant, sessionId);
}

/** The version the index holds for a session, or null. */
export function listedVersion(sql: SqlStorage, merchant: string, id: string): number | null {
  return sql.exec<{ version: number }>('SELECT version FROM listed_sessions WHERE merchant = ? AND id = ?', merchant, id).toArray()[0]?.version ?? null;
}

export interface SessionQuery {
  status?: string;
  channel?: string;
  merchantOrderId?: string;
  /** ms, inclusive */
  createdGte?: number;
  /** ms, exclusive */
  createdLt?: number;
  before?: Position;
  limit: number;
}

export interface RefundQuery {
  session?: string;
  status?: string;
  createdGte?: number;
  createdLt?: number;
  before?: Position;
  limit: number;
}

type Row = { id: string; created: number; body: string };

function page(
  sql: SqlStorage,
  table: string,
  merchant: string,
  equal: [string, string | undefined][],
  q: Omit<SessionQuery, 'status' | 'channel' | 'merchantOrderId'>,
): Row[] {
  const where = ['merchant = ?'];
  const args: (string | number)[] = [merchant];
  for (const [column, value] of equal) {
    if (value === undefined) continue;
    where.push(`${column} = ?`);
    args.push(value);
  }
  if (q.createdGte !== undefined) {
    where.push('created >= ?');
    args.push(q.createdGte);
  }
  if (q.createdLt !== undefined) {
    where.push('created < ?');
    args.push(q.createdLt);
  }
  if (q.before) {
    // Keyset pagination: a row-value comparison the (…, created, id) indexes answer as a range scan.
    where.push('(created, id) < (?, ?)');
    args.push(q.before.created, q.before.id);
  }
  return sql
    .exec<Row>(`SELECT id, created, body FROM ${table} WHERE ${where.join(' AND ')} ORDER BY created DESC, id DESC LIMIT ?`, ...args, q.limit)
    .toArray();
}

/** Newest first, strictly before `before` when given. */
export function listSessions(sql: SqlStorage, merchant: string, q: SessionQuery): Row[] {
  return page(
    sql,
    'listed_sessions',
    merchant,
    [
      ['status', q.status],
      ['channel', q.channel],
      ['merchant_order_id', q.merchantOrderId],
    ],
    q,
  );
}

export function listRefunds(sql: SqlStorage, merchant: string, q: RefundQuery): Row[] {
  return page(
    sql,
    'listed_refunds',
    merchant,
    [
      ['session', q.session],
      ['status', q.status],
    ],
    q,
  );
}
