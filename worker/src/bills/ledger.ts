// Shouyin's own side of reconciliation: a small ledger per merchant per Beijing day, kept in the
// merchant shard named `<merchant>:ledger:<YYYY-MM-DD>`. Sessions live in one Durable Object each,
// so nothing could list "everything paid on a day" without it. It is fed from the merchant event
// log, which receives every event once stored (merchant-shard.ts appendEvent): a payment is filed
// under the Beijing day the provider says it was paid (paid_at, what the provider's statement uses),
// an anomaly and a refund under the day Shouyin recorded them.

import type { MoneyKind } from './statement';
import { beijingDay } from './time';

export const LEDGER_SCHEMA = `CREATE TABLE IF NOT EXISTS ledger (
  merchant TEXT NOT NULL, kind TEXT NOT NULL, key TEXT NOT NULL, attempt TEXT NOT NULL, session TEXT NOT NULL, provider TEXT,
  provider_transaction_id TEXT, provider_refund_id TEXT, amount INTEGER NOT NULL, at INTEGER NOT NULL, anomaly TEXT,
  automatic INTEGER NOT NULL, event TEXT NOT NULL, PRIMARY KEY (merchant, kind, key))`;

/** Event types that move money at a provider. */
export const LEDGER_EVENT_TYPES: ReadonlySet<string> = new Set(['checkout.session.paid', 'payment.anomaly', 'refund.succeeded']);

export interface LedgerEntry {
  kind: MoneyKind;
  /** The attempt id (payments) or Shouyin's refund number (refunds): what the statement names. */
  key: string;
  attempt: string;
  session: string;
  /** The provider id (`wechat-v3` …) when the event says; anomaly and refund events do not (yet). */
  provider: string | null;
  provider_transaction_id: string | null;
  provider_refund_id: string | null;
  /** Integer fen. */
  amount: number;
  /** ms since epoch: paid_at for payments, when recorded for anomalies and refunds. */
  at: number;
  /** The anomaly reason (late, duplicate, amount mismatch…) of a payment Shouyin did not accept as the session's. */
  anomaly: string | null;
  /** A refund Shouyin made by itself (of an anomaly). */
  automatic: boolean;
  /** The event it came from. */
  event: string;
}

export const ledgerShardName = (merchant: string, day: string): string => `${merchant}:ledger:${day}`;

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | null => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : null);
const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const int = (v: unknown): number | null => (typeof v === 'number' && Number.isSafeInteger(v) ? v : null);

/** The ledger entry an event body carries, or null (other types, or a body without the facts). */
export function ledgerEntryOf(type: string, body: string): LedgerEntry | null {
  if (!LEDGER_EVENT_TYPES.has(type)) return null;
  let e: Json | null;
  try {
    e = obj(JSON.parse(body));
  } catch {
    return null;
  }
  const o = obj(obj(e?.data)?.object);
  const event = str(e?.id);
  const created = int(e?.created);
  if (!o || !event || created === null) return null;
  if (type === 'checkout.session.paid') {
    const p = obj(o.payment);
    const attempt = str(p?.attempt);
    const amount = int(p?.amount);
    if (!p || !attempt || amount === null) return null;
    const paidAt = int(p.paid_at);
    return {
      kind: 'payment',
      key: attempt,
      attempt,
      session: str(o.id) ?? '',
      provider: str(p.provider),
      provider_transaction_id: str(p.provider_transaction_id),
      provider_refund_id: null,
      amount,
      at: (paidAt ?? created) * 1000,
      anomaly: null,
      automatic: false,
      event,
    };
  }
  if (type === 'payment.anomaly') {
    const attempt = str(o.attempt);
    const amount = int(o.amount);
    if (!attempt || amount === null) return null;
    return {
      kind: 'payment',
      key: attempt,
      attempt,
      session: str(o.session) ?? '',
      provider: str(o.provider),
      provider_transaction_id: str(o.provider_transaction_id),
      provider_refund_id: null,
      amount,
      at: created * 1000,
      anomaly: str(o.reason) ?? 'anomaly',
      automatic: false,
      event,
    };
  }
  // refund.succeeded: the refund object; its API id is `re_` + the refund number sent to the provider.
  const id = str(o.id);
  const attempt = str(o.attempt);
  const amount = int(o.amount);
  if (!id?.startsWith('re_') || !attempt || amount === null) return null;
  return {
    kind: 'refund',
    key: id.slice(3),
    attempt,
    session: str(o.session) ?? '',
    provider: str(o.provider),
    provider_transaction_id: null,
    provider_refund_id: str(o.provider_refund_id),
    amount,
    at: created * 1000,
    anomaly: null,
    automatic: o.automatic === true,
    event,
  };
}

/** The Beijing day an entry belongs to. */
export const ledgerDay = (e: LedgerEntry): string => beijingDay(e.at);

type Row = Omit<LedgerEntry, 'automatic'> & { automatic: number };

/**
 * Idempotent: the same event filed twice is one entry. A payment already filed (paid) keeps its facts;
 * a later anomaly on the same attempt only adds its reason.
 */
export function insertLedgerEntry(sql: SqlStorage, merchant: string, e: LedgerEntry): void {
  sql.exec(
    `INSERT INTO ledger (merchant, kind, key, attempt, session, provider, provider_transaction_id, provider_refund_id, amount, at, anomaly, automatic, event)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (merchant, kind, key) DO UPDATE SET anomaly = COALESCE(ledger.anomaly, excluded.anomaly)`,
    merchant,
    e.kind,
    e.key,
    e.attempt,
    e.session,
    e.provider,
    e.provider_transaction_id,
    e.provider_refund_id,
    e.amount,
    e.at,
    e.anomaly,
    e.automatic ? 1 : 0,
    e.event,
  );
}

const fromRow = (r: Row): LedgerEntry => ({ ...r, automatic: r.automatic === 1 });

export function ledgerEntries(sql: SqlStorage, merchant: string): LedgerEntry[] {
  return sql.exec<Row>('SELECT * FROM ledger WHERE merchant = ? ORDER BY at, kind, key', merchant).toArray().map(fromRow);
}

/** The entries among `keys` (`<kind>:<key>`) this day holds. */
export function ledgerLookup(sql: SqlStorage, merchant: string, keys: readonly string[]): LedgerEntry[] {
  const out: LedgerEntry[] = [];
  for (const k of keys) {
    const i = k.indexOf(':');
    const row = sql.exec<Row>('SELECT * FROM ledger WHERE merchant = ? AND kind = ? AND key = ?', merchant, k.slice(0, i), k.slice(i + 1)).toArray()[0];
    if (row) out.push(fromRow(row));
  }
  return out;
}
