// The WeChat Pay simulator's ledger as statement items (called inside SandboxLedger): payments by
// success_time, and refunds as WeChat Pay lists them — once, on the day they were requested, with the
// status they had when the bill was made (https://pay.weixin.qq.com/docs/merchant/products/bill-download/format-trade.html):
// the bill of day D is made at 09:00 the next morning, so a refund that had not succeeded by then is
// listed PROCESSING and never listed again. Asked earlier (the simulator serves today's bill too), the
// bill shows the statuses as they are now.

import { atClock, addDays, dayStart, DAY_MS } from '../../../worker/src/bills/time';
import type { BillItem } from '../bills';

/** When WeChat Pay makes the bill of a day: 09:00 the next morning. */
export const WECHAT_BILL_MADE_AT = '09:00';

export function wechatBillItems(sql: SqlStorage, mchid: string, date: string, now: number): BillItem[] {
  const from = dayStart(date);
  const to = from + DAY_MS;
  const madeAt = Math.min(now, atClock(addDays(date, 1), WECHAT_BILL_MADE_AT));
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
      success_time: number | null;
      created_at: number;
      appid: string;
      payer_openid: string | null;
      trade_type: string;
      description: string;
    }>(
      `SELECT r.out_refund_no, r.out_trade_no, r.transaction_id, r.refund_id, r.amount, r.success_time, r.created_at, o.appid, o.payer_openid, o.trade_type, o.description
     FROM refunds r JOIN orders o ON o.mchid = r.mchid AND o.out_trade_no = r.out_trade_no
     WHERE r.mchid = ? AND r.created_at >= ? AND r.created_at < ? AND r.created_at <= ?`,
      mchid,
      from,
      to,
      madeAt,
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
        time: r.created_at,
        transactionId: r.transaction_id,
        refundId: r.refund_id,
        extra: extra(r),
        ...(r.success_time !== null && r.success_time <= madeAt ? {} : { inFlight: true }),
      }),
    ),
  ].sort((a, b) => a.time - b.time);
}
