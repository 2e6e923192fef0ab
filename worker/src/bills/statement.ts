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
  /** The file the row is in, when the statement came in several (Alipay's `…_业务明细_N.csv` parts, UnionPay's ZM files). */
  file?: string;
  /**
   * Fen the provider settles for this row before fees, positive: WeChat 应结订单金额 / 退款金额, Alipay
   * 商家实收, UnionPay txnAmt. `amount` when absent.
   */
  settled?: number;
  /** Signed fen of the provider's fee on this row: charged (+) on a payment, returned (−) on a refund. */
  fee?: number;
  /**
   * A refund the provider listed before it finished: WeChat Pay lists a refund once, on the day it was
   * requested, with the status it had when the bill was made (PROCESSING). Its outcome comes later.
   */
  inFlight?: boolean;
}

/** A row of the file Shouyin could not read exactly (bytes that are not the charset, a cell that is not an amount). */
export interface StatementNote {
  file: string;
  line: number;
  message: string;
  /** True when the row was left out (an id, an amount or a time could not be read); false when only a text cell was. */
  skipped: boolean;
}

/**
 * How a provider dates its statement, so the diff knows where to look for a movement
 * (docs/reconciliation.md, "How each provider dates its statement").
 */
export interface StatementDating {
  /**
   * `calendar`: a movement is on the statement of the Beijing day it happened (WeChat Pay, Alipay).
   * `clearing`: on the provider's clearing day (UnionPay 清算日期), which moves to the next day after `cutoff`.
   */
  readonly day: 'calendar' | 'clearing';
  /** `HH:mm` Beijing: movements after it clear on the next day (`clearing` only). */
  readonly cutoff?: string;
  /** Which day lists a refund: the day it was requested (WeChat Pay), or the day it settled (Alipay, UnionPay). */
  readonly refunds: 'requested' | 'settled';
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
  /** Rows that move no money Shouyin tracks (e.g. WeChat REVOKED, a refund closed before the bill was made, Alipay freezes). */
  ignored: number;
  checks: StatementCheck[];
  /** The file the rows came from (inside an archive: the entry name; several joined by ", "). */
  file: string;
  /** Every file read, when there were several (Alipay's split detail files, UnionPay's ZM files and RD summary). */
  files?: string[];
  /** Rows Shouyin could not read exactly. */
  notes?: StatementNote[];
}

export type StatementResult =
  | { status: 'ok'; statement: Statement }
  /**
   * The provider says it had no trades that day: WeChat NO_STATEMENT_EXIST / "No Bill Exist", Alipay
   * isp.bill_not_exist, a UnionPay zip holding only its RD summary.
   */
  | { status: 'empty'; reason: string }
  /** The statement is not generated yet (WeChat STATEMENT_CREATING, UnionPay respCode 98): ask again later. */
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

/** The day's money on a statement, in fen: settled amounts (payments − refunds), the provider's fees, and what it pays out. */
export interface MoneyTotals {
  gross: number;
  fee: number;
  net: number;
}

/** gross = Σ settled (payments +, refunds −), fee = Σ fee, net = gross − fee. */
export function moneyOf(rows: readonly StatementRow[]): MoneyTotals {
  let gross = 0;
  let fee = 0;
  for (const r of rows) {
    const settled = r.settled ?? r.amount;
    gross += r.kind === 'payment' ? settled : -settled;
    fee += r.fee ?? 0;
  }
  return { gross, fee, net: gross - fee };
}
