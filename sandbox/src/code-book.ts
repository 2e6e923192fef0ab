// The simulators' payment-code side table (WeChat Pay `micropay`, Alipay `barcode_trades`): for each
// order paid with a scanned code, the code, what the simulated shopper does (payment-codes.ts), when
// a password comes in, and the failures a test asked the next reversals to answer. `scope` is the
// merchant (WeChat mchid, Alipay app_id); the order itself lives in the simulator's own table.

import type { CodeBehavior } from './payment-codes';

export type CodeRow = {
  scope: string;
  out_trade_no: string;
  auth_code: string;
  behavior: CodeBehavior;
  /** `password` codes: when the shopper's password is in (ledger clock). */
  pay_at: number | null;
  /** Reversals still to be refused (WeChat SYSTEMERROR + recall=Y, Alipay ACQ.SYSTEM_ERROR): control surface. */
  reverse_failures: number;
  reversed_at: number | null;
  /** 1 when a reversal refunded a paid order (WeChat: "如果用户支付成功，微信支付系统会将此订单资金退还给用户"). */
  refunded_by_reverse: number;
};

export const codeBookSchema = (table: 'micropay' | 'barcode_trades'): string => `
CREATE TABLE IF NOT EXISTS ${table} (
  scope TEXT NOT NULL, out_trade_no TEXT NOT NULL, auth_code TEXT NOT NULL UNIQUE, behavior TEXT NOT NULL, pay_at INTEGER,
  reverse_failures INTEGER NOT NULL, reversed_at INTEGER, refunded_by_reverse INTEGER NOT NULL, PRIMARY KEY (scope, out_trade_no));
`;

export class CodeBook {
  constructor(
    private readonly sql: SqlStorage,
    private readonly table: 'micropay' | 'barcode_trades',
  ) {}

  row(scope: string, outTradeNo: string): CodeRow | null {
    return this.sql.exec<CodeRow>(`SELECT * FROM ${this.table} WHERE scope = ? AND out_trade_no = ?`, scope, outTradeNo).toArray()[0] ?? null;
  }

  /** A payment code pays once: the order it was used for, if any. */
  usedBy(authCode: string): CodeRow | null {
    return this.sql.exec<CodeRow>(`SELECT * FROM ${this.table} WHERE auth_code = ?`, authCode).toArray()[0] ?? null;
  }

  insert(r: Pick<CodeRow, 'scope' | 'out_trade_no' | 'auth_code' | 'behavior' | 'pay_at'>): void {
    this.sql.exec(
      `INSERT INTO ${this.table} (scope, out_trade_no, auth_code, behavior, pay_at, reverse_failures, refunded_by_reverse) VALUES (?, ?, ?, ?, ?, 0, 0)`,
      r.scope,
      r.out_trade_no,
      r.auth_code,
      r.behavior,
      r.pay_at,
    );
  }

  /** The next `count` reversals of this order are refused. */
  failReversals(scope: string, outTradeNo: string, count: number): boolean {
    if (!this.row(scope, outTradeNo)) return false;
    this.sql.exec(`UPDATE ${this.table} SET reverse_failures = ? WHERE scope = ? AND out_trade_no = ?`, count, scope, outTradeNo);
    return true;
  }

  /** True when this reversal must be refused (one injected failure used up). */
  takeReverseFailure(scope: string, outTradeNo: string): boolean {
    const r = this.row(scope, outTradeNo);
    if (!r || r.reverse_failures <= 0) return false;
    this.sql.exec(`UPDATE ${this.table} SET reverse_failures = reverse_failures - 1 WHERE scope = ? AND out_trade_no = ?`, scope, outTradeNo);
    return true;
  }

  markReversed(scope: string, outTradeNo: string, at: number, refunded: boolean): void {
    this.sql.exec(
      `UPDATE ${this.table} SET reversed_at = ?, refunded_by_reverse = MAX(refunded_by_reverse, ?) WHERE scope = ? AND out_trade_no = ?`,
      at,
      refunded ? 1 : 0,
      scope,
      outTradeNo,
    );
  }
}
