// The WeChat Pay simulator's ledger as statement items (called inside SandboxLedger): payments by
// success_time, successful refunds by their success_time, within one Beijing day.

import { dayStart, DAY_MS } from '../../../worker/src/bills/time';
import type { BillItem } from '../bills';

export function wechatBillItems(sql: SqlStorage, mchid: string, date: string): BillItem[] {
  const from = dayStart(date);
  const to = from + DAY_MS;
  const payments = sql
    .exec<{
      out_trade_no: string;
      total: number;
      success_time: number;
      transaction_id: string;
      appid: string;
      payer_openid: string | null;
      trade_type: string;
      description: string;
    }>(
      `SELECT out_trade_no, total, success_time, transaction_id, appid, payer_openid, trade_type, description FROM orders
     WHERE mchid = ? AND transaction_id IS NOT NULL AND success_time >= ? AND success_time < ?`,
      mchid,
      from,
      to,
    )
    .toArray();
  const refunds = sql
    .exec<{
      out_refund_no: string;
      out_trade_no: string;
      transaction_id: string;
      refund_id: string;
      amount: number;
      success_time: number;
      appid: string;
      payer_openid: string | null;
      trade_type: string;
      description: string;
    }>(
      `SELECT r.out_refund_no, r.out_trade_no, r.transaction_id, r.refund_id, r.amount, r.success_time, o.appid, o.payer_openid, o.trade_type, o.description
     FROM refunds r JOIN orders o ON o.mchid = r.mchid AND o.out_trade_no = r.out_trade_no
     WHERE r.mchid = ? AND r.status = 'SUCCESS' AND r.success_time >= ? AND r.success_time < ?`,
      mchid,
      from,
      to,
    )
    .toArray();
  const extra = (o: { appid: string; payer_openid: string | null; trade_type: string; description: string }) => ({
    appid: o.appid,
    openid: o.payer_openid ?? '',
    trade_type: o.trade_type,
    body: o.description,
  });
  return [
    ...payments.map(
      (o): BillItem => ({
        kind: 'payment',
        outTradeNo: o.out_trade_no,
        amount: o.total,
        time: o.success_time,
        transactionId: o.transaction_id,
        extra: extra(o),
      }),
    ),
    ...refunds.map(
      (r): BillItem => ({
        kind: 'refund',
        outTradeNo: r.out_trade_no,
        outRefundNo: r.out_refund_no,
        amount: r.amount,
        time: r.success_time,
        transactionId: r.transaction_id,
        refundId: r.refund_id,
        extra: extra(r),
      }),
    ),
  ].sort((a, b) => a.time - b.time);
}
