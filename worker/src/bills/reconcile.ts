// The diff: one day of Shouyin's ledger against each provider's statement for the same Beijing day.
// Rows are matched by what both sides know for certain — the attempt id Shouyin sent as the order
// number, and its refund number — never by amount or time. What does not match is a discrepancy:
//   missing_at_provider  短款  Shouyin recorded money the statement does not show
//   missing_here         长款  the statement shows money Shouyin has no record of
//   amount_mismatch           both have it, for different amounts
//   duplicate_at_provider     the statement lists the same payment or refund twice
//   statement_inconsistent    the file's own totals disagree with its rows
// Near midnight the two sides may file one movement on adjacent days (Shouyin dates a refund when it
// learns of it; the provider when it happened), so before calling something missing the diff looks
// at the neighbouring day: the ledger of the day before and after for statement rows, the provider's
// previous statement for ledger entries in the first minutes of the day.

import type { LedgerEntry } from './ledger';
import type { MoneyKind, StatementCheck, StatementResult, StatementRow } from './statement';
import { dayStart } from './time';

export const BOUNDARY_MS = 15 * 60_000;

export type DiscrepancyKind = 'missing_at_provider' | 'missing_here' | 'amount_mismatch' | 'duplicate_at_provider' | 'statement_inconsistent';
const LABEL: Record<DiscrepancyKind, string> = {
  missing_at_provider: '短款',
  missing_here: '长款',
  amount_mismatch: '金额不符',
  duplicate_at_provider: '重复',
  statement_inconsistent: '账单自身不平',
};

export interface Discrepancy {
  kind: DiscrepancyKind;
  label: string;
  object: MoneyKind | 'statement';
  provider: string | null;
  out_trade_no: string | null;
  out_refund_no: string | null;
  provider_transaction_id: string | null;
  provider_refund_id: string | null;
  session: string | null;
  /** Integer fen on Shouyin's side / on the statement; null where that side has nothing. */
  amount_here: number | null;
  amount_provider: number | null;
  /** Unix seconds of the movement, from whichever side has it. */
  time: number | null;
  /** Line or record of the statement file. */
  line: number | null;
  note: string | null;
}

export type ProviderStatus = StatementResult['status'] | 'error' | 'unsupported';

export interface ProviderInput {
  provider: string;
  channel: string;
  result: StatementResult | { status: 'error'; reason: string } | { status: 'unsupported'; reason: string };
}

interface Sum {
  count: number;
  amount: number;
}
const zero = (): Sum => ({ count: 0, amount: 0 });
const add = (s: Sum, amount: number): void => {
  s.count++;
  s.amount += amount;
};

export interface ProviderReport {
  provider: string;
  channel: string;
  status: ProviderStatus;
  reason: string | null;
  file: string | null;
  statement: { payments: Sum; refunds: Sum; ignored: number };
  shouyin: { payments: Sum; refunds: Sum };
  matched: { payments: number; refunds: number };
  discrepancies: number;
  checks: StatementCheck[];
}

export interface AnomalyLine {
  session: string;
  attempt: string;
  reason: string;
  amount: number;
  provider: string | null;
  provider_transaction_id: string | null;
  /** Whether the provider's statement shows this payment (it should: the money did arrive). */
  on_statement: boolean;
}

export interface ReconciliationReport {
  object: 'reconciliation_report';
  merchant: string;
  date: string;
  timezone: 'Asia/Shanghai';
  /** balanced: every statement fetched and nothing differs; incomplete: a statement could not be had. */
  status: 'balanced' | 'discrepancies' | 'incomplete';
  /** Unix seconds. */
  created: number;
  livemode: boolean;
  providers: ProviderReport[];
  counts: { discrepancies: number; by_kind: Partial<Record<DiscrepancyKind, number>>; anomalies: number; unchecked: number };
  discrepancies: Discrepancy[];
  anomalies: AnomalyLine[];
}

export interface ReconcileInput {
  merchant: string;
  date: string;
  livemode: boolean;
  now: number;
  providers: ProviderInput[];
  ledger: readonly LedgerEntry[];
  /** Ledger entries of the day before and after with these `<kind>:<key>` keys. */
  neighbours: (keys: string[]) => Promise<LedgerEntry[]>;
  /** The provider's statement rows of the previous day (null when it cannot be had). */
  previousDay: (provider: string) => Promise<StatementRow[] | null>;
  /** Which provider an attempt of a session used, when neither the entry nor this day knows (a refund of an earlier payment). */
  providerOf?: (session: string, attempt: string) => Promise<string | null>;
}

const rowKey = (r: StatementRow): string => `${r.kind}:${r.kind === 'payment' ? r.outTradeNo : r.outRefundNo || r.providerRefundId || ''}`;
const entryKey = (e: LedgerEntry): string => `${e.kind}:${e.key}`;
const secs = (ms: number): number => Math.floor(ms / 1000);

export async function reconcile(input: ReconcileInput): Promise<ReconciliationReport> {
  const discrepancies: Discrepancy[] = [];
  const reports = new Map<string, ProviderReport>();
  const rows = new Map<string, { row: StatementRow; provider: string }[]>();
  for (const p of input.providers) {
    const r = p.result;
    const rep: ProviderReport = {
      provider: p.provider,
      channel: p.channel,
      status: r.status,
      reason: r.status === 'ok' ? null : r.reason,
      file: r.status === 'ok' ? r.statement.file : null,
      statement: { payments: zero(), refunds: zero(), ignored: 0 },
      shouyin: { payments: zero(), refunds: zero() },
      matched: { payments: 0, refunds: 0 },
      discrepancies: 0,
      checks: r.status === 'ok' ? r.statement.checks : [],
    };
    reports.set(p.provider, rep);
    if (r.status !== 'ok') continue;
    rep.statement.ignored = r.statement.ignored;
    for (const row of r.statement.rows) {
      add(row.kind === 'payment' ? rep.statement.payments : rep.statement.refunds, row.amount);
      const k = rowKey(row);
      const list = rows.get(k) ?? [];
      list.push({ row, provider: p.provider });
      rows.set(k, list);
    }
    for (const c of r.statement.checks) {
      if (c.ok) continue;
      discrepancies.push(
        base('statement_inconsistent', 'statement', p.provider, {
          amount_here: c.computed,
          amount_provider: c.declared,
          note: `${r.statement.file}: ${c.what} declared ${c.declared}, rows add up to ${c.computed}`,
        }),
      );
    }
  }
  const checked = (provider: string | null): boolean => {
    if (provider !== null) return reports.get(provider)?.status === 'ok' || reports.get(provider)?.status === 'empty';
    return [...reports.values()].every((r) => r.status === 'ok' || r.status === 'empty');
  };

  // Duplicates: the first row of a key is the one matched; any further one is money listed twice.
  for (const list of rows.values()) {
    for (const { row, provider } of list.slice(1)) discrepancies.push(fromRow('duplicate_at_provider', row, provider, null));
  }

  // Refund and anomaly events do not name their provider; the attempt's payment (in the ledger or on
  // a statement) does, else the session is asked.
  const byAttempt = new Map<string, string>();
  for (const list of rows.values()) for (const { row, provider } of list) if (row.outTradeNo) byAttempt.set(row.outTradeNo, provider);
  for (const e of input.ledger) if (e.provider) byAttempt.set(e.attempt, e.provider);
  const ledger: LedgerEntry[] = [];
  for (const e of input.ledger) {
    const provider = e.provider ?? byAttempt.get(e.attempt) ?? (input.providerOf ? await input.providerOf(e.session, e.attempt) : null);
    ledger.push(provider === e.provider ? e : { ...e, provider });
  }
  const used = new Set<string>();
  let unchecked = 0;
  const anomalies: AnomalyLine[] = [];
  const credit = (provider: string | null, e: LedgerEntry) => {
    const rep = provider ? reports.get(provider) : undefined;
    if (rep) add(e.kind === 'payment' ? rep.shouyin.payments : rep.shouyin.refunds, e.amount);
  };
  for (const e of ledger) {
    const k = entryKey(e);
    const hit = rows.get(k)?.[0];
    if (e.anomaly !== null) {
      anomalies.push({
        session: e.session,
        attempt: e.attempt,
        reason: e.anomaly,
        amount: e.amount,
        provider: e.provider ?? hit?.provider ?? null,
        provider_transaction_id: e.provider_transaction_id,
        on_statement: hit !== undefined,
      });
    }
    if (hit) {
      used.add(k);
      credit(hit.provider, e);
      if (hit.row.amount !== e.amount) discrepancies.push(fromRow('amount_mismatch', hit.row, hit.provider, e));
      else (reports.get(hit.provider) as ProviderReport).matched[e.kind === 'payment' ? 'payments' : 'refunds']++;
      continue;
    }
    credit(e.provider, e);
    if (!checked(e.provider)) {
      unchecked++;
      continue;
    }
    // Filed by Shouyin just after midnight, by the provider just before: yesterday's statement has it.
    if (e.provider !== null && e.at - dayStart(input.date) < BOUNDARY_MS) {
      const prev = await input.previousDay(e.provider);
      if (prev?.some((r) => rowKey(r) === k)) continue;
    }
    discrepancies.push(fromEntry('missing_at_provider', e));
  }

  const leftover = [...rows.entries()].filter(([k]) => !used.has(k));
  const near = leftover.length ? new Set((await input.neighbours(leftover.map(([k]) => k))).map(entryKey)) : new Set<string>();
  for (const [k, list] of leftover) {
    const first = list[0] as { row: StatementRow; provider: string };
    if (near.has(k)) continue;
    discrepancies.push(fromRow('missing_here', first.row, first.provider, null));
  }

  for (const d of discrepancies) {
    const rep = d.provider ? reports.get(d.provider) : undefined;
    if (rep) rep.discrepancies++;
  }
  const byKind: Partial<Record<DiscrepancyKind, number>> = {};
  for (const d of discrepancies) byKind[d.kind] = (byKind[d.kind] ?? 0) + 1;
  const incomplete = [...reports.values()].some((r) => r.status === 'not_ready' || r.status === 'error') || unchecked > 0;
  return {
    object: 'reconciliation_report',
    merchant: input.merchant,
    date: input.date,
    timezone: 'Asia/Shanghai',
    status: incomplete ? 'incomplete' : discrepancies.length ? 'discrepancies' : 'balanced',
    created: secs(input.now),
    livemode: input.livemode,
    providers: [...reports.values()],
    counts: { discrepancies: discrepancies.length, by_kind: byKind, anomalies: anomalies.length, unchecked },
    discrepancies,
    anomalies,
  };
}

function base(kind: DiscrepancyKind, object: Discrepancy['object'], provider: string | null, over: Partial<Discrepancy>): Discrepancy {
  return {
    kind,
    label: LABEL[kind],
    object,
    provider,
    out_trade_no: null,
    out_refund_no: null,
    provider_transaction_id: null,
    provider_refund_id: null,
    session: null,
    amount_here: null,
    amount_provider: null,
    time: null,
    line: null,
    note: null,
    ...over,
  };
}

function fromRow(kind: DiscrepancyKind, row: StatementRow, provider: string, e: LedgerEntry | null): Discrepancy {
  return base(kind, row.kind, provider, {
    out_trade_no: row.outTradeNo || e?.attempt || null,
    out_refund_no: row.outRefundNo ?? null,
    provider_transaction_id: row.providerTransactionId || null,
    provider_refund_id: row.providerRefundId ?? null,
    session: e?.session ?? null,
    amount_here: e?.amount ?? null,
    amount_provider: row.amount,
    time: secs(row.time),
    line: row.line,
  });
}

function fromEntry(kind: DiscrepancyKind, e: LedgerEntry): Discrepancy {
  return base(kind, e.kind, e.provider, {
    out_trade_no: e.attempt,
    out_refund_no: e.kind === 'refund' ? e.key : null,
    provider_transaction_id: e.provider_transaction_id,
    provider_refund_id: e.provider_refund_id,
    session: e.session,
    amount_here: e.amount,
    time: secs(e.at),
    note: e.anomaly ? `anomaly: ${e.anomaly}` : null,
  });
}
