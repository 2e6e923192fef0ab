// The day's reconciliation report (`GET /v1/reconciliation/{date}`) and the summary that
// `reconciliation.completed` carries (docs/reconciliation.md).

import type { ReconciliationReport } from '../../bills/reconcile';
import { z } from '../openapi';
import { orNull, Timestamp } from './common';

const Sum = z.object({ count: z.number().int(), amount: z.number().int().openapi({ description: 'Integer fen.' }) });
const ProviderStatus = z.enum(['ok', 'empty', 'not_ready', 'error', 'unsupported']).openapi({
  description:
    '`ok`: the statement was read. `empty`: the provider has none (no trades). `not_ready`: not generated yet. `error`, `unsupported`: see `reason`.',
});
const DiscrepancyKind = z.enum([
  'missing_at_provider',
  'missing_here',
  'amount_mismatch',
  'duplicate_at_provider',
  'statement_inconsistent',
  'unreadable_row',
  'refund_reversed',
]);
const Money = z
  .object({
    gross: z.number().int().openapi({ description: 'Settled payments minus refunds, fen.' }),
    fee: z.number().int().openapi({ description: "The provider's fees, fen." }),
    net: z.number().int().openapi({ description: 'gross − fee, fen.' }),
  })
  .openapi('StatementMoney');
const Matched = z.object({
  payments: z.number().int(),
  refunds: z.number().int(),
  other_days: z.number().int().openapi({ description: "Of them, found on the neighbouring day's statement or ledger." }),
});
const Counts = z.object({
  discrepancies: z.number().int(),
  by_kind: z.partialRecord(DiscrepancyKind, z.number().int()),
  anomalies: z.number().int(),
  unchecked: z.number().int(),
  in_flight: z.number().int(),
  cleared: z.number().int(),
});
const InFlight = {
  reason: z.enum(['refund_processing', 'awaiting_clearing']).openapi({
    description:
      "`refund_processing`: a refund the statement listed before it finished; `awaiting_clearing`: Shouyin's movement after the provider's clearing cut-off, expected on the next clearing day's file.",
  }),
  object: z.enum(['payment', 'refund']),
  provider: z.string(),
  out_trade_no: z.string().nullable(),
  out_refund_no: z.string().nullable(),
  provider_transaction_id: z.string().nullable(),
  provider_refund_id: z.string().nullable(),
  session: z.string().nullable(),
  amount: z.number().int(),
  since: z.string().openapi({ description: 'The day it was opened, YYYY-MM-DD.' }),
};

export const Discrepancy = z
  .object({
    kind: DiscrepancyKind,
    label: z.string().openapi({ description: 'The kind as accountants say it: 短款, 长款, 金额不符, 重复, 账单自身不平.' }),
    object: z.enum(['payment', 'refund', 'statement']),
    provider: z.string().nullable(),
    out_trade_no: z.string().nullable(),
    out_refund_no: z.string().nullable(),
    provider_transaction_id: z.string().nullable(),
    provider_refund_id: z.string().nullable(),
    session: z.string().nullable(),
    amount_here: z.number().int().nullable(),
    amount_provider: z.number().int().nullable(),
    time: Timestamp.nullable(),
    line: z.number().int().nullable(),
    file: z.string().nullable(),
    note: z.string().nullable(),
  })
  .openapi('Discrepancy');

export const ReconciliationReportSchema = z
  .object({
    object: z.literal('reconciliation_report'),
    merchant: z.string(),
    date: z.string().openapi({ description: 'The Beijing calendar day, YYYY-MM-DD.', example: '2025-11-28' }),
    timezone: z.literal('Asia/Shanghai'),
    status: z.enum(['balanced', 'discrepancies', 'incomplete']),
    created: Timestamp,
    livemode: z.boolean(),
    providers: z.array(
      z.object({
        provider: z.string(),
        channel: z.string(),
        status: ProviderStatus,
        reason: z.string().nullable(),
        file: z.string().nullable(),
        files: z.array(z.string()).nullable().openapi({ description: 'Every file read (split Alipay details, UnionPay ZM files and RD summary).' }),
        statement: z.object({ payments: Sum, refunds: Sum, ignored: z.number().int() }),
        shouyin: z.object({ payments: Sum, refunds: Sum }),
        matched: Matched,
        money: orNull(Money),
        discrepancies: z.number().int(),
        checks: z.array(z.object({ what: z.string(), declared: z.number(), computed: z.number(), ok: z.boolean() })),
        notes: z.array(z.object({ file: z.string(), line: z.number().int(), message: z.string(), skipped: z.boolean() })),
      }),
    ),
    money: Money,
    counts: Counts,
    discrepancies: z.array(Discrepancy),
    anomalies: z.array(
      z.object({
        session: z.string(),
        attempt: z.string(),
        reason: z.string(),
        amount: z.number().int(),
        provider: z.string().nullable(),
        provider_transaction_id: z.string().nullable(),
        on_statement: z.boolean(),
      }),
    ),
    in_flight: z.array(z.object(InFlight)).openapi({ description: "Open at the end of this day: carried into the next day's report." }),
    cleared: z
      .array(
        z.object({
          ...InFlight,
          outcome: z.enum(['succeeded', 'failed', 'on_statement']),
          at: Timestamp.nullable(),
        }),
      )
      .openapi({ description: 'Carried in from the day before and closed on this day.' }),
    carried_from: z.string().nullable().openapi({ description: "The day whose report's in-flight list was carried in." }),
  })
  .openapi('ReconciliationReport') satisfies z.ZodType<ReconciliationReport>;

/** `data.object` of `reconciliation.completed`: the report's summary and where the whole report is. */
export const ReconciliationSummary = z
  .object({
    object: z.literal('reconciliation.summary'),
    date: z.string(),
    timezone: z.literal('Asia/Shanghai'),
    status: z.enum(['balanced', 'discrepancies', 'incomplete']),
    counts: Counts,
    money: Money,
    providers: z.array(
      z.object({
        provider: z.string(),
        channel: z.string(),
        status: ProviderStatus,
        statement: z.object({ payments: Sum, refunds: Sum }),
        shouyin: z.object({ payments: Sum, refunds: Sum }),
        matched: Matched,
        money: orNull(Money),
        discrepancies: z.number().int(),
      }),
    ),
    report: z.string().openapi({ description: 'The path of the whole report.', example: '/v1/reconciliation/2025-11-28' }),
  })
  .openapi('ReconciliationSummary');

// ── one provider's statement of a day, normalised (`GET /v1/reconciliation/{date}/statements/{provider}`) ──

/** The CSV's columns (bills/export.ts), one row per payment or refund the provider's file lists. */
export const StatementCsv = z.string().openapi('StatementCsv', {
  description: [
    'RFC 4180 CSV, CRLF line ends, UTF-8. The header row is',
    '`kind,out_trade_no,out_refund_no,provider_transaction_id,provider_refund_id,amount_fen,amount_yuan,time_beijing,line`:',
    '`kind` is `payment` or `refund`; amounts are integer fen and the same in yuan; `time_beijing` is `YYYY-MM-DD HH:mm:ss`',
    "Beijing time; `line` is the row's line in the provider's own file. A text cell a spreadsheet would run as a formula",
    "starts with `'` (docs/reconciliation.md#the-normalised-statement).",
  ].join(' '),
  example:
    'kind,out_trade_no,out_refund_no,provider_transaction_id,provider_refund_id,amount_fen,amount_yuan,time_beijing,line\r\npayment,cs4sV0yIuR0mYqKcEo5JmZ2b7Q01,,4200002345202511281234567890,,8888,88.88,2025-11-28 10:15:02,3\r\n',
});

/** 200 as JSON instead of the CSV: the provider has no statement of that day (yet). */
export const StatementUnavailable = z
  .object({
    object: z.literal('statement'),
    provider: z.string().openapi({ example: 'wechat-v3' }),
    date: z.string().openapi({ example: '2025-11-28' }),
    status: z
      .enum(['empty', 'not_ready'])
      .openapi({ description: '`empty`: the provider had no trades that day. `not_ready`: not generated yet; ask again later.' }),
    reason: z.string().openapi({ description: "The provider's own words." }),
  })
  .openapi('StatementUnavailable');
