// The day's reconciliation report (`GET /v1/reconciliation/{date}`) and the summary that
// `reconciliation.completed` carries (docs/reconciliation.md).

import type { ReconciliationReport } from '../../bills/reconcile';
import { z } from '../openapi';
import { Timestamp } from './common';

const Sum = z.object({ count: z.number().int(), amount: z.number().int().openapi({ description: 'Integer fen.' }) });
const ProviderStatus = z.enum(['ok', 'empty', 'not_ready', 'error', 'unsupported']).openapi({
  description:
    '`ok`: the statement was read. `empty`: the provider has none (no trades). `not_ready`: not generated yet. `error`, `unsupported`: see `reason`.',
});
const DiscrepancyKind = z.enum(['missing_at_provider', 'missing_here', 'amount_mismatch', 'duplicate_at_provider', 'statement_inconsistent']);

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
        statement: z.object({ payments: Sum, refunds: Sum, ignored: z.number().int() }),
        shouyin: z.object({ payments: Sum, refunds: Sum }),
        matched: z.object({ payments: z.number().int(), refunds: z.number().int() }),
        discrepancies: z.number().int(),
        checks: z.array(z.object({ what: z.string(), declared: z.number(), computed: z.number(), ok: z.boolean() })),
      }),
    ),
    counts: z.object({
      discrepancies: z.number().int(),
      by_kind: z.partialRecord(DiscrepancyKind, z.number().int()),
      anomalies: z.number().int(),
      unchecked: z.number().int(),
    }),
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
  })
  .openapi('ReconciliationReport') satisfies z.ZodType<ReconciliationReport>;

/** `data.object` of `reconciliation.completed`: the report's summary and where the whole report is. */
export const ReconciliationSummary = z
  .object({
    object: z.literal('reconciliation.summary'),
    date: z.string(),
    timezone: z.literal('Asia/Shanghai'),
    status: z.enum(['balanced', 'discrepancies', 'incomplete']),
    counts: ReconciliationReportSchema.shape.counts,
    providers: z.array(
      z.object({
        provider: z.string(),
        channel: z.string(),
        status: ProviderStatus,
        statement: z.object({ payments: Sum, refunds: Sum }),
        shouyin: z.object({ payments: Sum, refunds: Sum }),
        matched: z.object({ payments: z.number().int(), refunds: z.number().int() }),
        discrepancies: z.number().int(),
      }),
    ),
    report: z.string().openapi({ description: 'The path of the whole report.', example: '/v1/reconciliation/2025-11-28' }),
  })
  .openapi('ReconciliationSummary');
