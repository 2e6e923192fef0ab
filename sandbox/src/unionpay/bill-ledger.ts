// The UnionPay simulator's ledger as statement items (called inside UnionpaySandboxLedger): consumes
// by paid_at, settled refunds by settled_at, on their clearing day (清算日期). Without a cut-off the
// clearing day is the Beijing calendar day; with one (the switch's `clearing_cutoff`, UnionPay's is
// commonly 23:00), a movement after it clears on the next day's file, as UnionPay's do.

import { addDays, atClock, dayStart, DAY_MS } from '../../../worker/src/bills/time';
import type { BillItem } from '../bills';

export function unionpayBillItems(sql: SqlStorage, merId: string, date: string, cutoff: string | null): BillItem[] {
  const from = cutoff ? atClock(addDays(date, -1), cutoff) : dayStart(date);
  const to = from + DAY_MS;
  const orders = sql
    .exec<{
      order_id: string;
      txn_amt: number;
      query_id: string;
      trace_no: string | null;
      acc_no: string | null;
      paid_at: number;
      biz_type: string;
      txn_sub_type: string;
    }>(
      `SELECT order_id, txn_amt, query_id, trace_no, acc_no, paid_at, biz_type, txn_sub_type FROM orders
     WHERE mer_id = ? AND query_id IS NOT NULL AND paid_at >= ? AND paid_at < ?`,
      merId,
      from,
      to,
    )
    .toArray();
  const refunds = sql
    .exec<{ order_id: string; orig_order_id: string; orig_query_id: string; txn_amt: number; query_id: string; settled_at: number; biz_type: string }>(
      `SELECT order_id, orig_order_id, orig_query_id, txn_amt, query_id, settled_at, biz_type FROM refunds
     WHERE mer_id = ? AND state = 'SUCCESS' AND settled_at >= ? AND settled_at < ?`,
      merId,
      from,
      to,
    )
    .toArray();
  return [
    ...orders.map(
      (o): BillItem => ({
        kind: 'payment',
        outTradeNo: o.order_id,
        amount: o.txn_amt,
        time: o.paid_at,
        transactionId: o.query_id,
        extra: { traceNo: o.trace_no ?? '', accNo: o.acc_no ?? '', bizType: o.biz_type, txnSubType: o.txn_sub_type },
      }),
    ),
    ...refunds.map(
      (r): BillItem => ({
        kind: 'refund',
        outTradeNo: r.orig_order_id,
        outRefundNo: r.order_id,
        amount: r.txn_amt,
        time: r.settled_at,
        transactionId: r.orig_query_id,
        refundId: r.query_id,
        extra: { bizType: r.biz_type },
      }),
    ),
  ].sort((a, b) => a.time - b.time);
}
