// One row shape for every provider's statement (对账单), so a single diff (reconcile.ts) serves every
// provider. Each provider's folder reads its own file format into this (its registry entry's `bill`,
// e.g. providers/alipay/bill-format.ts) and downloads the file (providers/<provider>/bill.ts).

export type MoneyKind = 'payment' | 'refund';

export interface StatementRow {
  kind: MoneyKind;
  /** Shouyin's attempt id = the provider order number (out_trade_no, UnionPay's consume orderId). Empty when the file has none (UnionPay refunds). */
  outTradeNo: string;
  /** Shouyin's refund number (out_refund_no, Alipay out_request_no, UnionPay's refund orderId). Refunds only. */
  outRefundNo?: string;
  /** The provider's payment id: WeChat 微信订单号, Alipay 支付宝交易号, UnionPay queryId (origQryId on a refund). */
  providerTransactionId: string;
  /** The provider's refund id (WeChat 微信退款单号, UnionPay the refund's queryId). */
  providerRefundId?: string;
  /** Integer fen, positive for both kinds. */
  amount: number;
  /** When the provider says the money moved (ms since epoch). */
  time: number;
  /** 1-based line (or record) number in the source file, for people reading the report. */
  line: number;
}

/** What the file declares about itself (a summary / totals block), checked against its rows. */
export interface StatementCheck {
  what: string;
  declared: number;
  computed: number;
  ok: boolean;
}

export interface Statement {
  rows: StatementRow[];
  /** Rows that move no money Shouyin tracks (e.g. WeChat REVOKED, Alipay freezes, refunds still processing). */
  ignored: number;
  checks: StatementCheck[];
  /** The file the rows came from (inside an archive: the entry name). */
  file: string;
}

export type StatementResult =
  | { status: 'ok'; statement: Statement }
  /** The provider says it has no statement for the day: it had no trades (WeChat NO_STATEMENT_EXIST, Alipay isp.bill_not_exist). */
  | { status: 'empty'; reason: string }
  /** The statement is not generated yet (WeChat STATEMENT_CREATING): ask again later. */
  | { status: 'not_ready'; reason: string };

/** Sum and count of rows of one kind. */
export function totals(rows: readonly StatementRow[], kind: MoneyKind): { count: number; amount: number } {
  let count = 0;
  let amount = 0;
  for (const r of rows) {
    if (r.kind !== kind) continue;
    count++;
    amount += r.amount;
  }
  return { count, amount };
}

export function check(what: string, declared: number, computed: number): StatementCheck {
  return { what, declared, computed, ok: declared === computed };
}
