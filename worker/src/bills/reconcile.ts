// The diff: one day of Shouyin's ledger against each provider's statement for the same day.
// Rows are matched by what both sides know for certain — the attempt id Shouyin sent as the order
// number, and its refund number — never by amount or time. What does not match is a discrepancy:
//   missing_at_provider  短款       Shouyin recorded money the statement does not show
//   missing_here         长款       the statement shows money Shouyin has no record of
//   amount_mismatch      金额不符   both have it, for different amounts
//   duplicate_at_provider 重复      the statement lists the same payment or refund twice
//   statement_inconsistent 账单自身不平  the file's own totals disagree with its rows
//   unreadable_row       无法识别   a row of the file could not be read (bytes that are not the charset…)
//   refund_reversed      退款失败   the statement lists a refund that failed afterwards
// Providers date money differently (docs/reconciliation.md), and the diff follows each one's dating:
//   - near midnight the two sides may file one movement on adjacent days, so before calling something
//     missing the diff looks next door: the ledger of the day before and after for statement rows, the
//     provider's previous statement for ledger entries in the first minutes of the day;
//   - a provider that lists money on its clearing day (UnionPay 清算日期) may list Shouyin's movement on
//     the day before or, after its cut-off, on the next: the diff looks in both files, and when the next
//     one is not out yet the movement is carried to the next day's report ("awaiting_clearing");
//   - WeChat Pay lists a refund once, on its request day, with the status it had when the bill was
//     made: a refund still PROCESSING is carried from report to report ("refund_processing") until
//     Shouyin has the provider's answer, then reported as cleared.
// Carried items are the previous day's report's `in_flight` list.

import type { LedgerEntry } from './ledger';
import { moneyOf, type MoneyKind, type MoneyTotals, type StatementCheck, type StatementDating, type StatementResult, type StatementRow } from './statement';
import { addDays, atClock, dayStart, daysBetween } from './time';

export const BOUNDARY_MS = 15 * 60_000;
/** A refund a statement listed in flight and still without an outcome this many days later is reported. */
export const IN_FLIGHT_DAYS = 14;
/** How providers without a declared dating list their money. */
export const CALENDAR_DATING: StatementDating = { day: 'calendar', refunds: 'settled' };

export type DiscrepancyKind =
  | 'missing_at_provider'
  | 'missing_here'
  | 'amount_mismatch'
  | 'duplicate_at_provider'
  | 'statement_inconsistent'
  | 'unreadable_row'
  | 'refund_reversed';
const LABEL: Record<DiscrepancyKind, string> = {
  missing_at_provider: '短款',
  missing_here: '长款',
  amount_mismatch: '金额不符',
  duplicate_at_provider: '重复',
  statement_inconsistent: '账单自身不平',
  unreadable_row: '无法识别',
  refund_reversed: '退款失败',
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
  /** Line or record of the statement file (`file` names the file when the statement came in several). */
  line: number | null;
  file: string | null;
  note: string | null;
}

export type ProviderStatus = StatementResult['status'] | 'error' | 'unsupported';

export interface ProviderInput {
  provider: string;
  channel: string;
  result: StatementResult | { status: 'error'; reason: string } | { status: 'unsupported'; reason: string };
  /** How the provider dates its statement (its bill format's `dating`); calendar days and settled refunds when absent. */
  dating?: StatementDating;
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
  /** Every file read (split Alipay details, UnionPay's ZM files and RD summary); null when none was. */
  files: string[] | null;
  statement: { payments: Sum; refunds: Sum; ignored: number };
  shouyin: { payments: Sum; refunds: Sum };
  /** Matched by ids; `other_days` of them were found on the neighbouring day's statement or ledger. */
  matched: { payments: number; refunds: number; other_days: number };
  /** The statement's money, fen: gross (settled payments − refunds), the provider's fees, net = gross − fee. Null without a statement. */
  money: MoneyTotals | null;
  discrepancies: number;
  checks: StatementCheck[];
  /** Rows Shouyin could not read exactly (skipped ones are also discrepancies). */
  notes: { file: string; line: number; message: string; skipped: boolean }[];
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

/** A movement one day's report could not settle yet, carried into the next day's report. */
export interface InFlight {
  /**
   * `refund_processing`: a refund the statement of `since` listed before it finished (WeChat PROCESSING);
   * `awaiting_clearing`: Shouyin's movement of `since`, after the provider's clearing cut-off, expected on the next clearing day's file.
   */
  reason: 'refund_processing' | 'awaiting_clearing';
  object: MoneyKind;
  provider: string;
  out_trade_no: string | null;
  out_refund_no: string | null;
  provider_transaction_id: string | null;
  provider_refund_id: string | null;
  session: string | null;
  /** Integer fen. */
  amount: number;
  /** The day it was opened: the statement day that listed it, or the ledger day of Shouyin's movement. */
  since: string;
}

/** A carried item this day's report closed. */
export interface Cleared extends InFlight {
  /** `succeeded` / `failed`: the provider's later answer, as Shouyin recorded it; `on_statement`: it appeared on this day's statement. */
  outcome: 'succeeded' | 'failed' | 'on_statement';
  /** Unix seconds Shouyin learned the outcome (`succeeded` / `failed`). */
  at: number | null;
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
  /** Every provider's statement money added up (providers with a statement only), fen. */
  money: MoneyTotals;
  counts: {
    discrepancies: number;
    by_kind: Partial<Record<DiscrepancyKind, number>>;
    anomalies: number;
    unchecked: number;
    in_flight: number;
    cleared: number;
  };
  discrepancies: Discrepancy[];
  anomalies: AnomalyLine[];
  /** Open at the end of this day: carried into the next day's report. */
  in_flight: InFlight[];
  /** Carried in from the day before and closed on this day. */
  cleared: Cleared[];
  /** The day whose report's in-flight list was carried in; null when there was none to read. */
  carried_from: string | null;
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
  /** Ledger entries of any day with these keys (a carried refund's request day). */
  ledgerOf?: (day: string, keys: string[]) => Promise<LedgerEntry[]>;
  /** The provider's statement rows of another day; null when it cannot be had (not out yet, an error). */
  statementOf: (provider: string, day: string) => Promise<StatementRow[] | null>;
  /** Which provider an attempt of a session used, when neither the entry nor this day knows (a refund of an earlier payment). */
  providerOf?: (session: string, attempt: string) => Promise<string | null>;
  /** What Shouyin knows of one of its refund numbers: null when it never made such a refund. */
  refundStatus?: (refundNo: string) => Promise<'pending' | 'succeeded' | 'failed' | null>;
  /** The previous day's in-flight list, and its day; null when no report of that day is stored. */
  carried?: { from: string; items: readonly InFlight[] } | null;
}

const keyOf = (kind: MoneyKind, key: string): string => `${kind}:${key}`;
const rowKey = (r: StatementRow): string => keyOf(r.kind, r.kind === 'payment' ? r.outTradeNo : r.outRefundNo || r.providerRefundId || '');
const entryKey = (e: LedgerEntry): string => keyOf(e.kind, e.key);
const itemKey = (c: InFlight): string => keyOf(c.object, (c.object === 'payment' ? c.out_trade_no : c.out_refund_no) ?? '');
const secs = (ms: number): number => Math.floor(ms / 1000);
const field = (kind: MoneyKind) => (kind === 'payment' ? 'payments' : 'refunds');

export async function reconcile(input: ReconcileInput): Promise<ReconciliationReport> {
  const { date } = input;
  const discrepancies: Discrepancy[] = [];
  const reports = new Map<string, ProviderReport>();
  const dating = new Map<string, StatementDating>();
  const rows = new Map<string, { row: StatementRow; provider: string }[]>();
  for (const p of input.providers) {
    const r = p.result;
    dating.set(p.provider, p.dating ?? CALENDAR_DATING);
    const ok = r.status === 'ok';
    const rep: ProviderReport = {
      provider: p.provider,
      channel: p.channel,
      status: r.status,
      reason: ok ? null : r.reason,
      file: ok ? r.statement.file : null,
      files: ok ? (r.statement.files ?? [r.statement.file]) : null,
      statement: { payments: zero(), refunds: zero(), ignored: 0 },
      shouyin: { payments: zero(), refunds: zero() },
      matched: { payments: 0, refunds: 0, other_days: 0 },
      money: ok ? moneyOf(r.statement.rows) : r.status === 'empty' ? { gross: 0, fee: 0, net: 0 } : null,
      discrepancies: 0,
      checks: ok ? r.statement.checks : [],
      notes: ok ? (r.statement.notes ?? []) : [],
    };
    reports.set(p.provider, rep);
    if (!ok) continue;
    rep.statement.ignored = r.statement.ignored;
    for (const row of r.statement.rows) {
      add(rep.statement[field(row.kind)], row.amount);
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
          file: r.statement.file,
          note: `${r.statement.file}: ${c.what} declared ${c.declared}, rows add up to ${c.computed}`,
        }),
      );
    }
    for (const n of r.statement.notes ?? []) {
      if (!n.skipped) continue;
      discrepancies.push(base('unreadable_row', 'statement', p.provider, { line: n.line, file: n.file, note: `${n.file} line ${n.line}: ${n.message}` }));
    }
  }
  const checked = (provider: string | null): boolean => {
    if (provider !== null) return reports.get(provider)?.status === 'ok' || reports.get(provider)?.status === 'empty';
    return [...reports.values()].every((r) => r.status === 'ok' || r.status === 'empty');
  };
  const matched = (provider: string, kind: MoneyKind, otherDay: boolean) => {
    const rep = reports.get(provider);
    if (!rep) return;
    rep.matched[field(kind)]++;
    if (otherDay) rep.matched.other_days++;
  };
  // Other days' statements, asked for at most once each.
  const other = new Map<string, Promise<StatementRow[] | null>>();
  const statementOf = (provider: string, day: string): Promise<StatementRow[] | null> => {
    const k = `${provider} ${day}`;
    if (!other.has(k)) other.set(k, input.statementOf(provider, day));
    return other.get(k) as Promise<StatementRow[] | null>;
  };
  const lists = async (provider: string, day: string, k: string): Promise<boolean | null> => {
    const rs = await statementOf(provider, day);
    return rs === null ? null : rs.some((r) => rowKey(r) === k);
  };

  // Duplicates: the first row of a key is the one matched; any further one is money listed twice.
  for (const list of rows.values()) {
    for (const { row, provider } of list.slice(1)) discrepancies.push(fromRow('duplicate_at_provider', row, provider, null));
  }

  const used = new Set<string>();
  const inFlight: InFlight[] = [];
  const cleared: Cleared[] = [];
  let unchecked = 0;

  // What the day before left open.
  for (const c of input.carried?.items ?? []) {
    const k = itemKey(c);
    const hit = rows.get(k)?.find((r) => r.provider === c.provider);
    if (hit && !used.has(k)) {
      used.add(k);
      cleared.push({ ...c, outcome: 'on_statement', at: null });
      if (hit.row.amount !== c.amount) {
        discrepancies.push(fromRow('amount_mismatch', hit.row, c.provider, null, { amount_here: c.amount, session: c.session }));
      } else matched(c.provider, c.object, true);
      continue;
    }
    if (c.reason === 'refund_processing') {
      // Booked on its request day: the statement's day, or next door when the two clocks straddled midnight.
      let answer: LedgerEntry | undefined;
      for (const day of [c.since, addDays(c.since, 1), addDays(c.since, -1)]) {
        answer ??= input.ledgerOf ? (await input.ledgerOf(day, [k])).find((e) => entryKey(e) === k) : undefined;
      }
      if (answer && answer.at < dayStart(addDays(date, 1))) {
        cleared.push({ ...c, outcome: answer.status, at: secs(answer.at) });
        if (answer.status === 'failed') discrepancies.push(fromItem('refund_reversed', c, `listed in flight on ${c.since}'s statement; failed afterwards`));
        continue;
      }
      if (daysBetween(c.since, date) >= IN_FLIGHT_DAYS) {
        discrepancies.push(fromItem('missing_here', c, `listed in flight on ${c.since}'s statement; no outcome ${IN_FLIGHT_DAYS} days later`));
        continue;
      }
      inFlight.push(c);
      continue;
    }
    // awaiting_clearing: on neither the day's own file nor this one.
    if (!checked(c.provider)) {
      unchecked++;
      inFlight.push(c);
      continue;
    }
    discrepancies.push(
      fromItem('missing_at_provider', c, `Shouyin's movement of ${c.since}, after the clearing cut-off: on neither ${c.since}'s nor ${date}'s file`),
    );
  }

  // Refund and anomaly events may not name their provider; the attempt's payment (in the ledger or on
  // a statement) does, else the session is asked.
  const byAttempt = new Map<string, string>();
  for (const list of rows.values()) for (const { row, provider } of list) if (row.outTradeNo) byAttempt.set(row.outTradeNo, provider);
  for (const e of input.ledger) if (e.provider) byAttempt.set(e.attempt, e.provider);
  const ledger: LedgerEntry[] = [];
  for (const e of input.ledger) {
    const provider = e.provider ?? byAttempt.get(e.attempt) ?? (input.providerOf ? await input.providerOf(e.session, e.attempt) : null);
    ledger.push(provider === e.provider ? e : { ...e, provider });
  }
  const anomalies: AnomalyLine[] = [];
  const credit = (provider: string | null, e: LedgerEntry) => {
    const rep = provider ? reports.get(provider) : undefined;
    if (rep) add(rep.shouyin[field(e.kind)], e.amount);
  };
  for (const e of ledger) {
    const k = entryKey(e);
    const hit = used.has(k) ? undefined : rows.get(k)?.[0];
    if (e.status === 'failed') {
      // A failed refund moved nothing, unless the statement listed it.
      if (hit) {
        used.add(k);
        discrepancies.push(fromRow('refund_reversed', hit.row, hit.provider, e, { note: 'the statement lists this refund; Shouyin recorded that it failed' }));
      }
      continue;
    }
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
      else matched(hit.provider, e.kind, false);
      continue;
    }
    credit(e.provider, e);
    if (!checked(e.provider)) {
      unchecked++;
      continue;
    }
    if (e.provider !== null) {
      const d = dating.get(e.provider) ?? CALENDAR_DATING;
      if (d.day === 'clearing') {
        // Cleared the day before (Shouyin learned of it after midnight), or after the cut-off: the next day.
        if (await lists(e.provider, addDays(date, -1), k)) {
          matched(e.provider, e.kind, true);
          continue;
        }
        if (d.cutoff && e.at >= atClock(date, d.cutoff)) {
          const next = await lists(e.provider, addDays(date, 1), k);
          if (next) {
            matched(e.provider, e.kind, true);
            continue;
          }
          if (next === null) {
            inFlight.push(itemOf('awaiting_clearing', e, e.provider, date));
            continue;
          }
        }
      } else {
        // Filed by Shouyin just after midnight, by the provider just before: yesterday's statement has it.
        const when = e.kind === 'refund' && d.refunds === 'requested' && e.requested_at !== null ? e.requested_at : e.at;
        if (when - dayStart(date) < BOUNDARY_MS && (await lists(e.provider, addDays(date, -1), k))) {
          matched(e.provider, e.kind, true);
          continue;
        }
      }
    }
    discrepancies.push(fromEntry('missing_at_provider', e));
  }

  const leftover = [...rows.entries()].filter(([k]) => !used.has(k));
  const near = new Map<string, LedgerEntry>();
  if (leftover.length) for (const e of await input.neighbours(leftover.map(([k]) => k))) near.set(entryKey(e), e);
  for (const [k, list] of leftover) {
    const { row, provider } = list[0] as { row: StatementRow; provider: string };
    const e = near.get(k);
    if (e?.status === 'failed') {
      discrepancies.push(fromRow('refund_reversed', row, provider, e, { note: 'the statement lists this refund; Shouyin recorded that it failed' }));
      continue;
    }
    if (e) {
      matched(provider, row.kind, true);
      continue;
    }
    if (row.kind === 'refund' && row.inFlight) {
      const known = input.refundStatus && row.outRefundNo ? await input.refundStatus(row.outRefundNo) : 'pending';
      if (known === 'failed') {
        discrepancies.push(fromRow('refund_reversed', row, provider, null, { note: 'listed in flight; Shouyin recorded that it failed' }));
        continue;
      }
      if (known !== null) {
        inFlight.push({
          reason: 'refund_processing',
          object: 'refund',
          provider,
          out_trade_no: row.outTradeNo || null,
          out_refund_no: row.outRefundNo ?? null,
          provider_transaction_id: row.providerTransactionId || null,
          provider_refund_id: row.providerRefundId ?? null,
          session: null,
          amount: row.amount,
          since: date,
        });
        continue;
      }
    }
    discrepancies.push(fromRow('missing_here', row, provider, null, row.inFlight ? { note: 'listed in flight (the provider had not finished it)' } : {}));
  }

  for (const d of discrepancies) {
    const rep = d.provider ? reports.get(d.provider) : undefined;
    if (rep) rep.discrepancies++;
  }
  const byKind: Partial<Record<DiscrepancyKind, number>> = {};
  for (const d of discrepancies) byKind[d.kind] = (byKind[d.kind] ?? 0) + 1;
  const incomplete = [...reports.values()].some((r) => r.status === 'not_ready' || r.status === 'error') || unchecked > 0;
  const money = { gross: 0, fee: 0, net: 0 };
  for (const r of reports.values()) {
    if (!r.money) continue;
    money.gross += r.money.gross;
    money.fee += r.money.fee;
    money.net += r.money.net;
  }
  return {
    object: 'reconciliation_report',
    merchant: input.merchant,
    date,
    timezone: 'Asia/Shanghai',
    status: incomplete ? 'incomplete' : discrepancies.length ? 'discrepancies' : 'balanced',
    created: secs(input.now),
    livemode: input.livemode,
    providers: [...reports.values()],
    money,
    counts: {
      discrepancies: discrepancies.length,
      by_kind: byKind,
      anomalies: anomalies.length,
      unchecked,
      in_flight: inFlight.length,
      cleared: cleared.length,
    },
    discrepancies,
    anomalies,
    in_flight: inFlight,
    cleared,
    carried_from: input.carried?.from ?? null,
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
    file: null,
    note: null,
    ...over,
  };
}

function fromRow(kind: DiscrepancyKind, row: StatementRow, provider: string, e: LedgerEntry | null, over: Partial<Discrepancy> = {}): Discrepancy {
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
    file: row.file ?? null,
    ...over,
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

function fromItem(kind: DiscrepancyKind, c: InFlight, note: string): Discrepancy {
  const ours = c.reason === 'awaiting_clearing';
  return base(kind, c.object, c.provider, {
    out_trade_no: c.out_trade_no,
    out_refund_no: c.out_refund_no,
    provider_transaction_id: c.provider_transaction_id,
    provider_refund_id: c.provider_refund_id,
    session: c.session,
    amount_here: ours ? c.amount : null,
    amount_provider: ours ? null : c.amount,
    note,
  });
}

function itemOf(reason: InFlight['reason'], e: LedgerEntry, provider: string, since: string): InFlight {
  return {
    reason,
    object: e.kind,
    provider,
    out_trade_no: e.attempt,
    out_refund_no: e.kind === 'refund' ? e.key : null,
    provider_transaction_id: e.provider_transaction_id,
    provider_refund_id: e.provider_refund_id,
    session: e.session,
    amount: e.amount,
    since,
  };
}
