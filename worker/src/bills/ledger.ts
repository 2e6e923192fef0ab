// Shouyin's own side of reconciliation: a small ledger per merchant per Beijing day, kept in the
// merchant shard named `<merchant>:ledger:<YYYY-MM-DD>`. Sessions live in one Durable Object each,
// so nothing could list "everything paid on a day" without it. It is fed from the merchant event
// log, which receives every event once stored (merchant-shard.ts appendEvent): a payment is filed
// under the Beijing day the provider says it was paid (paid_at, what the provider's statement uses),
// an anomaly under the day Shouyin recorded it, and a refund's outcome under the day the provider's
// statement lists the refund: the day it was requested for WeChat Pay (which lists a refund once, on
// its request day), the day Shouyin learned its outcome for the others (docs/reconciliation.md).

import { PROVIDERS } from '../providers/registry';
import type { MoneyKind } from './statement';
import { beijingDay } from './time';

export const LEDGER_SCHEMA = `CREATE TABLE IF NOT EXISTS ledger (
  merchant TEXT NOT NULL, kind TEXT NOT NULL, key TEXT NOT NULL, attempt TEXT NOT NULL, session TEXT NOT NULL, provider TEXT,
  provider_transaction_id TEXT, provider_refund_id TEXT, amount INTEGER NOT NULL, at INTEGER NOT NULL, anomaly TEXT,
  automatic INTEGER NOT NULL, event TEXT NOT NULL, requested_at INTEGER, status TEXT NOT NULL DEFAULT 'succeeded',
  PRIMARY KEY (merchant, kind, key))`;

/** Columns added after the table first shipped: a shard created before them gets them on first use. */
const ADDED_COLUMNS = [
  ['requested_at', 'INTEGER'],
  ['status', "TEXT NOT NULL DEFAULT 'succeeded'"],
] as const;
const migrated = new WeakSet<SqlStorage>();

function ensureColumns(sql: SqlStorage): void {
  if (migrated.has(sql)) return;
  for (const [name, type] of ADDED_COLUMNS) {
    try {
      sql.exec(`SELECT ${name} FROM ledger LIMIT 0`);
    } catch {
      sql.exec(`ALTER TABLE ledger ADD COLUMN ${name} ${type}`);
    }
  }
  migrated.add(sql);
}

/** Event types that move money at a provider (refund.failed: the outcome of a refund a statement may have listed in flight). */
export const LEDGER_EVENT_TYPES: ReadonlySet<string> = new Set(['checkout.session.paid', 'payment.anomaly', 'refund.succeeded', 'refund.failed']);

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
  /** ms since epoch: paid_at for payments, when recorded for anomalies, when Shouyin learned a refund's outcome. */
  at: number;
  /** ms since epoch: when a refund was requested (its `created`); null for payments. */
  requested_at: number | null;
  /** A refund's outcome; payments are always `succeeded`. A failed refund moved no money. */
  status: 'succeeded' | 'failed';
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
      requested_at: null,
      status: 'succeeded',
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
      requested_at: null,
      status: 'succeeded',
      anomaly: str(o.reason) ?? 'anomaly',
      automatic: false,
      event,
    };
  }
  // refund.succeeded / refund.failed: the refund object; its API id is `re_` + the refund number sent
  // to the provider, its `created` when it was requested.
  const id = str(o.id);
  const requested = int(o.created);
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
    requested_at: requested === null ? null : requested * 1000,
    status: type === 'refund.failed' ? 'failed' : 'succeeded',
    anomaly: null,
    automatic: o.automatic === true,
    event,
  };
}

/** Whether `provider`'s statement lists a refund on the day it was requested (its bill format's dating). */
export function refundsListedWhenRequested(provider: string | null): boolean {
  return PROVIDERS.find((p) => p.id === provider)?.bill?.dating.refunds === 'requested';
}

/** The Beijing day an entry belongs to: a refund's request day where its provider lists refunds so, else when it happened. */
export function ledgerDay(e: LedgerEntry): string {
  if (e.kind === 'refund' && e.requested_at !== null && refundsListedWhenRequested(e.provider)) return beijingDay(e.requested_at);
  return beijingDay(e.at);
}

type Row = Omit<LedgerEntry, 'automatic'> & { automatic: number };

/**
 * Idempotent: the same event filed twice is one entry. A payment already filed (paid) keeps its facts;
 * a later anomaly on the same attempt only adds its reason.
 */
export function insertLedgerEntry(sql: SqlStorage, merchant: string, e: LedgerEntry): void {
  ensureColumns(sql);
  sql.exec(
    `INSERT INTO ledger (merchant, kind, key, attempt, session, provider, provider_transaction_id, provider_refund_id, amount, at, anomaly, automatic, event, requested_at, status)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
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
    e.requested_at,
    e.status,
  );
}

const fromRow = (r: Row): LedgerEntry => ({ ...r, automatic: r.automatic === 1 });

export function ledgerEntries(sql: SqlStorage, merchant: string): LedgerEntry[] {
  ensureColumns(sql);
  return sql.exec<Row>('SELECT * FROM ledger WHERE merchant = ? ORDER BY at, kind, key', merchant).toArray().map(fromRow);
}

/** The entries among `keys` (`<kind>:<key>`) this day holds. */
export function ledgerLookup(sql: SqlStorage, merchant: string, keys: readonly string[]): LedgerEntry[] {
  ensureColumns(sql);
  const out: LedgerEntry[] = [];
  for (const k of keys) {
    const i = k.indexOf(':');
    const row = sql.exec<Row>('SELECT * FROM ledger WHERE merchant = ? AND kind = ? AND key = ?', merchant, k.slice(0, i), k.slice(i + 1)).toArray()[0];
    if (row) out.push(fromRow(row));
  }
  return out;
}
