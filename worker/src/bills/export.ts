// One provider's statement for one Beijing day in the one row shape every provider's file is read into
// (statement.ts), as CSV: `GET /v1/reconciliation/:date/statements/:provider`
// (docs/reconciliation.md#the-normalised-statement). Downloaded from the provider on each request,
// exactly as the reconciliation run downloads it, so a finance team can put the provider's own file
// and Shouyin's report side by side in a spreadsheet.

import type { MerchantConfig } from '../config';
import type { Env } from '../env';
import { providerContext } from '../lib/outbound';
import { publicBaseUrl } from '../merchants';
import { resolveProviderById } from '../providers/registry';
import type { StatementResult, StatementRow } from './statement';
import { formatBeijing } from './time';

export const STATEMENT_CSV_HEADER = [
  'kind',
  'out_trade_no',
  'out_refund_no',
  'provider_transaction_id',
  'provider_refund_id',
  'amount_fen',
  'amount_yuan',
  'time_beijing',
  'line',
] as const;

/** `8888` → `88.88`, digit by digit (never through a float). */
export const yuan = (fen: number): string => `${Math.trunc(fen / 100)}.${String(Math.abs(fen) % 100).padStart(2, '0')}`;

/** A CSV cell (RFC 4180 quoting); a text that a spreadsheet would run as a formula is prefixed with `'`. */
export function csvCell(v: string | number | null | undefined): string {
  let s = v === null || v === undefined ? '' : String(v);
  if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function statementCsv(rows: readonly StatementRow[]): string {
  const lines = [STATEMENT_CSV_HEADER.join(',')];
  for (const r of rows) {
    lines.push(
      [r.kind, r.outTradeNo, r.outRefundNo ?? '', r.providerTransactionId, r.providerRefundId ?? '', r.amount, yuan(r.amount), formatBeijing(r.time), r.line]
        .map(csvCell)
        .join(','),
    );
  }
  return `${lines.join('\r\n')}\r\n`;
}

export type StatementDownload = { kind: 'ok'; result: StatementResult } | { kind: 'no_provider' } | { kind: 'unsupported' };

/** The merchant's statement from `providerId` for `date`; a provider failure throws its ProviderError. */
export async function downloadStatementOf(env: Env, merchant: MerchantConfig, providerId: string, date: string): Promise<StatementDownload> {
  const r = resolveProviderById(merchant, providerId);
  if (!r) return { kind: 'no_provider' };
  if (!r.provider.downloadStatement) return { kind: 'unsupported' };
  const ctx = providerContext(publicBaseUrl(env), merchant.livemode, () => Date.now());
  return { kind: 'ok', result: await r.provider.downloadStatement(ctx, r.config, date) };
}
