// Which checkout session a provider's transaction id belongs to — the number a shopper reads off their
// WeChat Pay, Alipay or UnionPay receipt (微信支付订单号, 支付宝交易号, UnionPay queryId) — for
// `GET /v1/provider_transactions/:id` (docs/merchant-api.md#find-a-payment-by-the-providers-transaction-id).
// Filed by the session's Durable Object when it indexes a paid or payment.anomaly event (idempotent),
// in the merchant shard `<merchant>:txn:<n>` (shards.ts paymentIndexFor).

export const PAYMENT_INDEX_SCHEMA = `CREATE TABLE IF NOT EXISTS payment_index (
  merchant TEXT NOT NULL, txn TEXT NOT NULL, session TEXT NOT NULL, attempt TEXT NOT NULL, anomaly TEXT, at INTEGER NOT NULL,
  PRIMARY KEY (merchant, txn))`;

export interface IndexedPayment {
  provider_transaction_id: string;
  session: string;
  attempt: string;
  /** The anomaly reason when Shouyin did not take this payment as the session's (late, duplicate…). */
  anomaly: string | null;
  /** ms since epoch, when it was filed. */
  at: number;
}

/** The payment an event tells of (its transaction id, session and attempt), or null. */
export function paymentOfEvent(type: string, body: string): Omit<IndexedPayment, 'at'> | null {
  let o: Record<string, unknown> | undefined;
  try {
    o = (JSON.parse(body) as { data?: { object?: Record<string, unknown> } }).data?.object;
  } catch {
    return null;
  }
  if (!o) return null;
  if (type === 'checkout.session.paid') {
    const p = o.payment as { attempt?: unknown; provider_transaction_id?: unknown } | null | undefined;
    if (typeof p?.provider_transaction_id !== 'string' || typeof p.attempt !== 'string' || typeof o.id !== 'string') return null;
    return { provider_transaction_id: p.provider_transaction_id, session: o.id, attempt: p.attempt, anomaly: null };
  }
  if (type === 'payment.anomaly') {
    const { provider_transaction_id: txn, session, attempt, reason } = o;
    if (typeof txn !== 'string' || typeof session !== 'string' || typeof attempt !== 'string') return null;
    return { provider_transaction_id: txn, session, attempt, anomaly: typeof reason === 'string' ? reason : 'anomaly' };
  }
  return null;
}

/** Idempotent: a transaction id is one provider payment, filed once (a retried index item changes nothing). */
export function insertPayment(sql: SqlStorage, merchant: string, p: IndexedPayment): void {
  sql.exec(
    'INSERT OR IGNORE INTO payment_index (merchant, txn, session, attempt, anomaly, at) VALUES (?, ?, ?, ?, ?, ?)',
    merchant,
    p.provider_transaction_id,
    p.session,
    p.attempt,
    p.anomaly,
    p.at,
  );
}

export function findPayment(sql: SqlStorage, merchant: string, txn: string): IndexedPayment | null {
  const r = sql
    .exec<{ txn: string; session: string; attempt: string; anomaly: string | null; at: number }>(
      'SELECT txn, session, attempt, anomaly, at FROM payment_index WHERE merchant = ? AND txn = ?',
      merchant,
      txn,
    )
    .toArray()[0];
  return r ? { provider_transaction_id: r.txn, session: r.session, attempt: r.attempt, anomaly: r.anomaly, at: r.at } : null;
}
