// The Alipay simulator's ledger as statement items (called inside AlipaySandboxLedger): trades by
// gmt_payment, refunds (synchronous in this simulator) by when they were made, within one Beijing day.

import { dayStart, DAY_MS } from '../../../worker/src/bills/time';
import type { BillItem } from '../bills';

export function alipayBillItems(sql: SqlStorage, appId: string, date: string): BillItem[] {
  const from = dayStart(date);
  const to = from + DAY_MS;
  type T = {
    out_trade_no: string;
    total: number;
    trade_no: string;
    subject: string;
    buyer_logon_id: string | null;
    gmt_create: number | null;
    gmt_payment: number;
  };
  const trades = sql
    .exec<T>(
      `SELECT out_trade_no, total, trade_no, subject, buyer_logon_id, gmt_create, gmt_payment FROM trades
     WHERE app_id = ? AND trade_no IS NOT NULL AND gmt_payment >= ? AND gmt_payment < ?`,
      appId,
      from,
      to,
    )
    .toArray();
  const refunds = sql
    .exec<T & { out_request_no: string; amount: number; created_at: number }>(
      `SELECT r.out_request_no, r.amount, r.created_at, t.out_trade_no, t.total, t.trade_no, t.subject, t.buyer_logon_id, t.gmt_create, t.gmt_payment
     FROM refunds r JOIN trades t ON t.app_id = r.app_id AND t.out_trade_no = r.out_trade_no
     WHERE r.app_id = ? AND r.created_at >= ? AND r.created_at < ?`,
      appId,
      from,
      to,
    )
    .toArray();
  const extra = (t: T) => ({ subject: t.subject, buyer: t.buyer_logon_id ?? '', created: String(t.gmt_create ?? t.gmt_payment) });
  return [
    ...trades.map(
      (t): BillItem => ({ kind: 'payment', outTradeNo: t.out_trade_no, amount: t.total, time: t.gmt_payment, transactionId: t.trade_no, extra: extra(t) }),
    ),
    ...refunds.map(
      (r): BillItem => ({
        kind: 'refund',
        outTradeNo: r.out_trade_no,
        outRefundNo: r.out_request_no,
        amount: r.amount,
        time: r.created_at,
        transactionId: r.trade_no,
        extra: extra(r),
      }),
    ),
  ].sort((a, b) => a.time - b.time);
}
