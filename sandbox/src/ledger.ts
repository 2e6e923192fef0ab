// The sandbox's memory: one Durable Object (`wechatpay`) holding the simulated provider's orders,
// refunds, notify outbox and OAuth codes in SQLite. One ledger serves APIv2 and APIv3 (WeChat Pay
// keeps one order book per merchant); each order remembers the API it was placed with, and its
// notifies speak that API. State model (https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=9_2): NOTPAY → SUCCESS
// | CLOSED; SUCCESS → REFUND; refunds PROCESSING → SUCCESS. Payment codes (MICROPAY): SUCCESS | PAYERROR |
// USERPAYING → SUCCESS, and USERPAYING | SUCCESS → REVOKED by a reversal (which refunds a paid order).
// One alarm drives a table of due work.

import { randomAlnum } from '../../worker/src/crypto/encoding';
import type { Env } from './env';
import { NotifyOutbox, OUTBOX_SCHEMA, type NotifyView, type SentRecord } from './outbox';
import { refreshConfig } from './config';
import { ledgerSettings, type LedgerSettings } from './settings';
import {
  newCodeUrl,
  newPrepayId,
  newRefundId,
  newTransactionId,
  orderFingerprint,
  refundJson,
  refundNotifyJson,
  transactionJson,
  type Api,
  type OrderInput,
  type OrderRow,
  type RefundJson,
  type RefundRow,
  type TransactionJson,
} from './wechatpay/model';
import { buildNotifyBody, type NotifyEvent } from './wechatpay/notify';
import { v2PaymentNotify, v2RefundNotify } from './wechatpay/v2model';
import type { BillItem } from './bills';
import { wechatBillItems } from './wechatpay/bill-ledger';
import { CodeBook, codeBookSchema, type CodeRow } from './code-book';
import { codeBehavior, passwordDoneAt, type CodeBehavior } from './payment-codes';
import { SimulatorLedger } from './common/ledger';

export type { SentRecord } from './outbox';

/** A refund is accepted as PROCESSING and succeeds this long after (× time_scale). */
export const REFUND_SETTLE_SECONDS = 5;
/** An OAuth code is good for 5 minutes and once (WeChat's web OAuth rule). */
export const OAUTH_CODE_TTL_MS = 5 * 60_000;
/** Bumped whenever the tables change shape: an older sandbox database is dropped (it only holds test data). */
const SCHEMA_VERSION = '2';

export type NotifyMode = 'normal' | 'drop' | 'duplicate';
export type OrderRef = { code_url: string } | { prepay_id: string } | { mchid: string; out_trade_no: string };
export interface PayResult {
  result: 'paid' | 'already_paid' | 'closed' | 'not_found';
  order?: OrderRow;
  transaction?: TransactionJson;
  notify_id?: string | null;
}
export type OrderError = 'OUT_TRADE_NO_USED' | 'ORDERPAID' | 'ORDERCLOSED';
export type MicropayResult = { ok: true; order: OrderRow; behavior: CodeBehavior } | { ok: false; error: 'OUT_TRADE_NO_USED' | 'AUTH_CODE_USED' };
export type ReverseOutcome = { ok: true; refunded: boolean } | { ok: false; error: 'ORDER_NOT_FOUND' | 'NOT_MICROPAY' | 'SYSTEMERROR' | 'REVERSE_EXPIRE' };
/** WeChat: "7天以内的交易单可调用撤销". */
export const REVERSE_WINDOW_MS = 7 * 86_400_000;
export interface RefundRequest {
  api: Api;
  out_trade_no?: string;
  transaction_id?: string;
  out_refund_no: string;
  reason: string | null;
  notify_url: string | null;
  refund: number;
  total: number;
}
export type RefundError = 'ORDER_NOT_FOUND' | 'REFUND_NO_REUSED' | 'NOT_PAID' | 'TOTAL_MISMATCH' | 'EXCEEDS_REMAINING';

/** What `inspect` shows a test: times are ISO 8601 (UTC) on the ledger's clock. */
export interface LedgerView {
  now: string;
  order: Omit<OrderRow, 'time_expire' | 'success_time' | 'created_at' | 'closed_at'> & {
    time_expire: string | null;
    success_time: string | null;
    created_at: string;
    closed_at: string | null;
  };
  transaction: TransactionJson;
  refunds: RefundJson[];
  notifies: NotifyView[];
  /** Payment-code orders: the code, its story, and whether a reversal refunded it. */
  micropay: CodeRow | null;
}

const TABLES = ['orders', 'refunds', 'due', 'notifies', 'deliveries', 'oauth_codes', 'micropay'];
const SCHEMA = `
CREATE TABLE IF NOT EXISTS orders (
  mchid TEXT NOT NULL, out_trade_no TEXT NOT NULL, api TEXT NOT NULL, trade_type TEXT NOT NULL, prepay_id TEXT NOT NULL UNIQUE,
  openid TEXT, client_ip TEXT, sign_type TEXT, product_id TEXT, appid TEXT NOT NULL, description TEXT NOT NULL,
  notify_url TEXT NOT NULL, total INTEGER NOT NULL, currency TEXT NOT NULL, attach TEXT, time_expire INTEGER,
  fingerprint TEXT NOT NULL, code_url TEXT UNIQUE, state TEXT NOT NULL, transaction_id TEXT UNIQUE,
  success_time INTEGER, payer_openid TEXT, created_at INTEGER NOT NULL, closed_at INTEGER,
  PRIMARY KEY (mchid, out_trade_no));
CREATE TABLE IF NOT EXISTS refunds (
  api TEXT NOT NULL, mchid TEXT NOT NULL, out_refund_no TEXT NOT NULL, out_trade_no TEXT NOT NULL, transaction_id TEXT NOT NULL,
  refund_id TEXT NOT NULL UNIQUE, amount INTEGER NOT NULL, total INTEGER NOT NULL, currency TEXT NOT NULL,
  reason TEXT, notify_url TEXT, status TEXT NOT NULL, created_at INTEGER NOT NULL, success_time INTEGER,
  PRIMARY KEY (mchid, out_refund_no));
CREATE TABLE IF NOT EXISTS oauth_codes (code TEXT PRIMARY KEY, appid TEXT NOT NULL, openid TEXT NOT NULL, expires_at INTEGER NOT NULL, used INTEGER NOT NULL);
`;

export class SandboxLedger extends SimulatorLedger<LedgerSettings, SentRecord, NotifyOutbox> {
  private readonly micropays: CodeBook;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env, (sql, now) => new NotifyOutbox(sql, now));
    this.micropays = new CodeBook(this.sql, 'micropay');
    this.open(() => {
      if (this.setting('schema_version') !== SCHEMA_VERSION) {
        for (const t of TABLES) this.sql.exec(`DROP TABLE IF EXISTS ${t}`);
        this.sql.exec('INSERT OR REPLACE INTO settings (k, v) VALUES (?, ?)', 'schema_version', SCHEMA_VERSION);
      }
      this.sql.exec(SCHEMA + OUTBOX_SCHEMA + codeBookSchema('micropay'));
    });
  }

  protected async configured(): Promise<LedgerSettings | null> {
    return ledgerSettings(await refreshConfig(this.env));
  }

  // ------------------------------------------------------------------------------------ orders

  /**
   * A new order from either API (NATIVE gets a code_url, every order a prepay_id). An identical
   * re-request (same fields; only the nonce and the client IP may differ) is a retry and gets the same
   * order back while it can be paid; different fields for a used out_trade_no are OUT_TRADE_NO_USED.
   */
  createOrder(input: OrderInput): { ok: true; order: OrderRow } | { ok: false; error: OrderError } {
    const fingerprint = orderFingerprint(input);
    const existing = this.order(input.mchid, input.out_trade_no);
    if (existing) {
      if (existing.fingerprint !== fingerprint) return { ok: false, error: 'OUT_TRADE_NO_USED' };
      if (existing.state === 'NOTPAY') return { ok: true, order: existing };
      return { ok: false, error: existing.state === 'CLOSED' ? 'ORDERCLOSED' : 'ORDERPAID' };
    }
    const now = this.now();
    for (;;) {
      const prepayId = newPrepayId(now);
      const codeUrl = input.trade_type === 'NATIVE' ? newCodeUrl() : null;
      const clash = this.sql.exec('SELECT 1 FROM orders WHERE prepay_id = ? OR code_url = ?', prepayId, codeUrl ?? '').toArray().length > 0;
      if (clash) continue;
      this.sql.exec(
        `INSERT INTO orders (mchid, out_trade_no, api, trade_type, prepay_id, openid, client_ip, sign_type, product_id, appid, description,
           notify_url, total, currency, attach, time_expire, fingerprint, code_url, state, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'NOTPAY', ?)`,
        input.mchid,
        input.out_trade_no,
        input.api,
        input.trade_type,
        prepayId,
        input.openid,
        input.client_ip,
        input.sign_type,
        input.product_id,
        input.appid,
        input.description,
        input.notify_url,
        input.total,
        input.currency,
        input.attach,
        input.time_expire,
        fingerprint,
        codeUrl,
        now,
      );
      return { ok: true, order: this.order(input.mchid, input.out_trade_no) as OrderRow };
    }
  }

  /**
   * `/pay/micropay` (v2) or `/v3/pay/transactions/codepay`: the till scanned `authCode`. What happens
   * next is the code's story (payment-codes.ts): paid at once, a password (USERPAYING, paid later or
   * never), a decline (PAYERROR), or a hang (USERPAYING; the route never answers). No notify: WeChat
   * does not notify payment-code orders.
   */
  micropay(settings: LedgerSettings, input: OrderInput, authCode: string): MicropayResult {
    this.remember(settings);
    const existing = this.order(input.mchid, input.out_trade_no);
    const used = this.micropays.usedBy(authCode);
    if (existing) {
      // The same request again (WeChat: "如返回系统错误，可用相同参数重新调用") gets the order's state back.
      if (used && used.scope === input.mchid && used.out_trade_no === input.out_trade_no && existing.fingerprint === orderFingerprint(input)) {
        return { ok: true, order: existing, behavior: used.behavior };
      }
      return { ok: false, error: 'OUT_TRADE_NO_USED' };
    }
    if (used) return { ok: false, error: 'AUTH_CODE_USED' };
    const now = this.now();
    const behavior = codeBehavior(authCode);
    const state = behavior === 'pay' ? 'SUCCESS' : behavior === 'decline' ? 'PAYERROR' : 'USERPAYING';
    this.sql.exec(
      `INSERT INTO orders (mchid, out_trade_no, api, trade_type, prepay_id, openid, client_ip, sign_type, product_id, appid, description,
         notify_url, total, currency, attach, time_expire, fingerprint, code_url, state, transaction_id, success_time, payer_openid, created_at)
       VALUES (?, ?, ?, 'MICROPAY', ?, NULL, ?, ?, NULL, ?, ?, '', ?, ?, ?, NULL, ?, NULL, ?, ?, ?, ?, ?)`,
      input.mchid,
      input.out_trade_no,
      input.api,
      newPrepayId(now),
      input.client_ip,
      input.sign_type,
      input.appid,
      input.description,
      input.total,
      input.currency,
      input.attach,
      orderFingerprint(input),
      state,
      state === 'SUCCESS' ? newTransactionId(now) : null,
      state === 'SUCCESS' ? now : null,
      state === 'SUCCESS' ? `o${randomAlnum(27)}` : null,
      now,
    );
    this.micropays.insert({
      scope: input.mchid,
      out_trade_no: input.out_trade_no,
      auth_code: authCode,
      behavior,
      pay_at: behavior === 'password' ? passwordDoneAt(now, settings.time_scale) : null,
    });
    return { ok: true, order: this.order(input.mchid, input.out_trade_no) as OrderRow, behavior };
  }

  /**
   * `/secapi/pay/reverse` (v2) or `…/reverse` (v3): a payment-code order is closed if unpaid and
   * refunded if paid (REVOKED either way); reversing twice is fine. Only payment-code orders, only
   * within 7 days. A test may make the next reversals fail (SYSTEMERROR, recall=Y).
   */
  reverse(mchid: string, outTradeNo: string): ReverseOutcome {
    const o = this.order(mchid, outTradeNo);
    if (!o) return { ok: false, error: 'ORDER_NOT_FOUND' };
    if (o.trade_type !== 'MICROPAY') return { ok: false, error: 'NOT_MICROPAY' };
    if (this.micropays.takeReverseFailure(mchid, outTradeNo)) return { ok: false, error: 'SYSTEMERROR' };
    const now = this.now();
    if (now - o.created_at > REVERSE_WINDOW_MS) return { ok: false, error: 'REVERSE_EXPIRE' };
    if (o.state === 'REVOKED') return { ok: true, refunded: false };
    const paid = o.state === 'SUCCESS' || o.state === 'REFUND';
    this.sql.exec(`UPDATE orders SET state = 'REVOKED', closed_at = ? WHERE mchid = ? AND out_trade_no = ?`, now, mchid, outTradeNo);
    this.micropays.markReversed(mchid, outTradeNo, now, paid);
    return { ok: true, refunded: paid };
  }

  /** Control surface: the next `count` reversals of this order fail with SYSTEMERROR and recall=Y. */
  failReversals(mchid: string, outTradeNo: string, count: number): boolean {
    return this.micropays.failReversals(mchid, outTradeNo, count);
  }

  /** The order as stored (expiry applied), or null. */
  orderRow(mchid: string, by: { out_trade_no: string } | { transaction_id: string }): OrderRow | null {
    if ('out_trade_no' in by) return this.order(mchid, by.out_trade_no);
    return this.fresh(this.sql.exec<OrderRow>('SELECT * FROM orders WHERE mchid = ? AND transaction_id = ?', mchid, by.transaction_id).toArray()[0]);
  }

  /** The Transaction JSON, or null for an unknown order (→ 404 ORDER_NOT_EXIST). */
  query(mchid: string, by: { out_trade_no: string } | { transaction_id: string }): TransactionJson | null {
    const row = this.orderRow(mchid, by);
    return row ? transactionJson(row) : null;
  }

  /**
   * Close is idempotent on a closed order; a paid one answers ORDERPAID
   * (https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=9_3).
   */
  close(mchid: string, outTradeNo: string): 'closed' | 'paid' | 'not_found' {
    const o = this.order(mchid, outTradeNo);
    if (!o) return 'not_found';
    if (o.state === 'SUCCESS' || o.state === 'REFUND') return 'paid';
    if (o.state === 'NOTPAY') this.setClosed(o, this.now());
    return 'closed';
  }

  /** Force an unpaid order past its time_expire (control surface: "let it expire"). */
  expire(mchid: string, outTradeNo: string): OrderRow | null {
    const o = this.order(mchid, outTradeNo);
    if (o?.state === 'NOTPAY') {
      this.sql.exec('UPDATE orders SET time_expire = ? WHERE mchid = ? AND out_trade_no = ?', this.now(), mchid, outTradeNo);
    }
    return this.order(mchid, outTradeNo);
  }

  /** The shopper's view of the order behind a scanned code_url. */
  walletView(codeUrl: string): OrderRow | null {
    return this.byCodeUrl(codeUrl);
  }

  /** The order a prepay_id names (H5 cashier, JSAPI bridge, APP SDK, Native mode 1). */
  byPrepayId(prepayId: string): OrderRow | null {
    return this.fresh(this.sql.exec<OrderRow>('SELECT * FROM orders WHERE prepay_id = ?', prepayId).toArray()[0]);
  }

  /**
   * The shopper pays (wallet, H5 cashier, JSAPI sheet, app) or a test says so (control). An expired
   * unpaid order is refused and becomes CLOSED. `payer` is the paying user's openid (a JSAPI order
   * is paid by its own openid). `drop` marks it paid without ever notifying; `duplicate` sends
   * `copies` at once.
   */
  async pay(settings: LedgerSettings, ref: OrderRef, opts: { notify?: NotifyMode; copies?: number; payer?: string } = {}): Promise<PayResult> {
    this.remember(settings);
    const o = 'code_url' in ref ? this.byCodeUrl(ref.code_url) : 'prepay_id' in ref ? this.byPrepayId(ref.prepay_id) : this.order(ref.mchid, ref.out_trade_no);
    if (!o) return { result: 'not_found' };
    if (o.state === 'SUCCESS' || o.state === 'REFUND') return { result: 'already_paid', order: o, transaction: transactionJson(o) };
    if (o.state === 'CLOSED' || o.state === 'REVOKED' || o.state === 'PAYERROR') return { result: 'closed', order: o };
    const now = this.now();
    // Synchronous check-and-set before any await: two racing payments cannot both succeed.
    this.sql.exec(
      `UPDATE orders SET state = 'SUCCESS', transaction_id = ?, success_time = ?, payer_openid = ? WHERE mchid = ? AND out_trade_no = ?`,
      newTransactionId(now),
      now,
      o.openid ?? opts.payer ?? `o${randomAlnum(27)}`,
      o.mchid,
      o.out_trade_no,
    );
    const paid = this.order(o.mchid, o.out_trade_no) as OrderRow;
    let notifyId: string | null = null;
    // Payment-code orders carry no notify_url: WeChat does not notify them.
    if (opts.notify !== 'drop' && paid.notify_url !== '') {
      const copies = opts.notify === 'duplicate' ? Math.min(Math.max(opts.copies ?? 2, 2), 20) : 1;
      notifyId = await this.queuePaymentNotify(settings, paid, { copies });
    }
    await this.rearm();
    return { result: 'paid', order: paid, transaction: transactionJson(paid), notify_id: notifyId };
  }

  // ------------------------------------------------------------------------------- refunds

  async refund(
    settings: LedgerSettings,
    mchid: string,
    input: RefundRequest,
  ): Promise<{ ok: true; refund: RefundRow } | { ok: false; error: RefundError; remaining?: number }> {
    this.remember(settings);
    const o = input.out_trade_no !== undefined ? this.order(mchid, input.out_trade_no) : this.orderRow(mchid, { transaction_id: input.transaction_id ?? '' });
    if (!o) return { ok: false, error: 'ORDER_NOT_FOUND' };
    const same = this.refundRow(mchid, input.out_refund_no);
    if (same) {
      // Retrying with the same out_refund_no returns that refund (https://pay.weixin.qq.com/doc/v3/merchant/4012791883:
      // "reuse the same one").
      if (same.out_trade_no === o.out_trade_no && same.amount === input.refund) return { ok: true, refund: same };
      return { ok: false, error: 'REFUND_NO_REUSED' };
    }
    if (o.state !== 'SUCCESS' && o.state !== 'REFUND') return { ok: false, error: 'NOT_PAID' };
    if (input.total !== o.total) return { ok: false, error: 'TOTAL_MISMATCH' };
    const refunded =
      this.sql.exec<{ s: number | null }>('SELECT SUM(amount) AS s FROM refunds WHERE mchid = ? AND out_trade_no = ?', mchid, o.out_trade_no).one().s ?? 0;
    if (input.refund > o.total - refunded) return { ok: false, error: 'EXCEEDS_REMAINING', remaining: o.total - refunded };
    const now = this.now();
    this.sql.exec(
      `INSERT INTO refunds (api, mchid, out_refund_no, out_trade_no, transaction_id, refund_id, amount, total, currency, reason,
         notify_url, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'PROCESSING', ?)`,
      input.api,
      mchid,
      input.out_refund_no,
      o.out_trade_no,
      o.transaction_id,
      newRefundId(now),
      input.refund,
      o.total,
      o.currency,
      input.reason,
      input.notify_url,
      now,
    );
    this.sql.exec(`UPDATE orders SET state = 'REFUND' WHERE mchid = ? AND out_trade_no = ?`, mchid, o.out_trade_no);
    const settleAt = now + Math.round(REFUND_SETTLE_SECONDS * 1000 * settings.time_scale);
    this.sql.exec('INSERT OR REPLACE INTO due (kind, ref, due_at) VALUES (?, ?, ?)', 'refund', JSON.stringify([mchid, input.out_refund_no]), settleAt);
    await this.rearm();
    return { ok: true, refund: this.refundRow(mchid, input.out_refund_no) as RefundRow };
  }

  refundQuery(mchid: string, outRefundNo: string): RefundJson | null {
    const r = this.refundRow(mchid, outRefundNo);
    return r ? refundJson(r) : null;
  }

  /** APIv2 refundquery: the order and the refunds it names (one out_refund_no, or all of an order's). */
  refundsOf(
    mchid: string,
    by: { out_refund_no: string } | { out_trade_no: string } | { transaction_id: string },
  ): { order: OrderRow; refunds: RefundRow[] } | null {
    if ('out_refund_no' in by) {
      const r = this.refundRow(mchid, by.out_refund_no);
      const o = r ? this.order(mchid, r.out_trade_no) : null;
      return r && o ? { order: o, refunds: [r] } : null;
    }
    const o = this.orderRow(mchid, by);
    if (!o) return null;
    const refunds = this.sql.exec<RefundRow>('SELECT * FROM refunds WHERE mchid = ? AND out_trade_no = ? ORDER BY created_at', mchid, o.out_trade_no).toArray();
    return refunds.length ? { order: o, refunds } : null;
  }

  // ------------------------------------------------------- statements (wechatpay/bill.ts, ../bills.ts)

  billItems(mchid: string, date: string): BillItem[] {
    return wechatBillItems(this.sql, mchid, date, this.now());
  }

  // --------------------------------------------------------------------- official account OAuth

  /** A fresh code for `openid` under `appid` (the snsapi_base redirect). */
  issueOauthCode(appid: string, openid: string): string {
    const code = randomAlnum(32);
    this.sql.exec(
      'INSERT INTO oauth_codes (code, appid, openid, expires_at, used) VALUES (?, ?, ?, ?, 0)',
      code,
      appid,
      openid,
      this.now() + OAUTH_CODE_TTL_MS,
    );
    return code;
  }

  /** code → openid, once: 40029 for an unknown, expired or other-appid code, 40163 for a used one. */
  redeemOauthCode(appid: string, code: string): { openid: string } | { errcode: 40029 | 40163 } {
    const row = this.sql
      .exec<{ appid: string; openid: string; expires_at: number; used: number }>('SELECT * FROM oauth_codes WHERE code = ?', code)
      .toArray()[0];
    if (!row || row.appid !== appid || row.expires_at <= this.now()) return { errcode: 40029 };
    if (row.used) return { errcode: 40163 };
    this.sql.exec('UPDATE oauth_codes SET used = 1 WHERE code = ?', code);
    return { openid: row.openid };
  }

  // ----------------------------------------------------------------- notifies (control surface)

  /** Send the order's payment notify once more, now (creating it if it was dropped). */
  async notifyNow(settings: LedgerSettings, mchid: string, outTradeNo: string): Promise<SentRecord | null> {
    this.remember(settings);
    const o = this.order(mchid, outTradeNo);
    if (!o || (o.state !== 'SUCCESS' && o.state !== 'REFUND') || o.notify_url === '') return null;
    const id = this.outbox.first(mchid, outTradeNo, 'TRANSACTION.SUCCESS') ?? (await this.queuePaymentNotify(settings, o, { schedule: false }));
    return this.outbox.deliver(settings, id, 'manual');
  }

  /** Everything due, now, whatever the schedule: settle processing refunds, send queued notifies. */
  async flush(settings: LedgerSettings): Promise<{ sent: SentRecord[] }> {
    return { sent: await this.flushDue(settings) };
  }

  /** The whole story of one order, for tests: the row, its refunds, its notifies and every send. */
  inspect(mchid: string, outTradeNo: string): LedgerView | null {
    const o = this.order(mchid, outTradeNo);
    if (!o) return null;
    const iso = (t: number) => new Date(t).toISOString();
    const isoOrNull = (t: number | null) => (t === null ? null : iso(t));
    return {
      now: iso(this.now()),
      order: {
        ...o,
        time_expire: isoOrNull(o.time_expire),
        success_time: isoOrNull(o.success_time),
        created_at: iso(o.created_at),
        closed_at: isoOrNull(o.closed_at),
      },
      transaction: transactionJson(o),
      refunds: this.sql
        .exec<RefundRow>('SELECT * FROM refunds WHERE mchid = ? AND out_trade_no = ? ORDER BY created_at', mchid, outTradeNo)
        .toArray()
        .map(refundJson),
      notifies: this.outbox.view(mchid, outTradeNo),
      micropay: this.micropays.row(mchid, outTradeNo),
    };
  }

  /** Moves the ledger's clock (tests: expiry, retry schedule); `null` puts it back on the wall clock. */
  async advanceClock(ms: number | null): Promise<number> {
    this.testClock.advance(ms);
    await this.rearm();
    return this.now();
  }

  // ------------------------------------------------------------------------------ the alarm

  /** Refunds settle when due (their notify is queued then). */
  protected settleDue(settings: LedgerSettings, until: number): Promise<void> {
    return this.eachDue<[string, string]>('refund', until, ([mchid, no]) => this.settleRefund(settings, mchid, no));
  }

  private async settleRefund(settings: LedgerSettings, mchid: string, outRefundNo: string): Promise<void> {
    const r = this.refundRow(mchid, outRefundNo);
    if (r?.status !== 'PROCESSING') return;
    this.sql.exec(`UPDATE refunds SET status = 'SUCCESS', success_time = ? WHERE mchid = ? AND out_refund_no = ?`, this.now(), mchid, outRefundNo);
    const done = this.refundRow(mchid, outRefundNo) as RefundRow;
    const o = this.order(mchid, done.out_trade_no);
    // No notify_url on the refund request: nothing to notify (real WeChat would use the URL
    // configured on the merchant platform, which a sandbox merchant does not have).
    if (!o || !done.notify_url) return;
    await this.queueNotify(settings, o, 'REFUND.SUCCESS', done.notify_url, async (key) =>
      done.api === 'v2' ? v2RefundNotify(o, done, key) : JSON.stringify(refundNotifyJson(done)),
    );
  }

  private queuePaymentNotify(settings: LedgerSettings, o: OrderRow, opts: { copies?: number; schedule?: boolean }): Promise<string> {
    return this.queueNotify(
      settings,
      o,
      'TRANSACTION.SUCCESS',
      o.notify_url,
      async (key) => (o.api === 'v2' ? v2PaymentNotify(o, key) : JSON.stringify(transactionJson(o))),
      opts,
    );
  }

  /**
   * Builds one notification in the order's API and queues it. `content` gets the merchant's key:
   * the APIv2 key (the v2 body is complete), or the APIv3 key (the plaintext to encrypt).
   */
  private async queueNotify(
    settings: LedgerSettings,
    o: OrderRow,
    event: NotifyEvent,
    url: string,
    content: (key: string) => Promise<string>,
    opts: { copies?: number; schedule?: boolean } = {},
  ): Promise<string> {
    const id = crypto.randomUUID();
    if (o.api === 'v2') {
      const key = settings.apiv2_keys[o.mchid];
      if (!key) throw new Error(`No APIv2 test merchant with mch_id ${o.mchid} in SHOUYIN_CONFIG: cannot sign its notify.`);
      return this.outbox.queue(settings, o, { id, event, api: 'v2', url, body: await content(key) }, opts);
    }
    const key = settings.apiv3_keys[o.mchid];
    if (!key) throw new Error(`No APIv3 test merchant with mchid ${o.mchid} in SHOUYIN_CONFIG: cannot encrypt its notify.`);
    const body = await buildNotifyBody({ id, event, apiv3Key: key, plaintext: JSON.parse(await content(key)) as TransactionJson, now: this.now() });
    return this.outbox.queue(settings, o, { id, event, api: 'v3', url, body }, opts);
  }

  // -------------------------------------------------------------------------------- helpers

  /** Reads apply expiry lazily: an unpaid order past time_expire is CLOSED from then on. */
  private fresh(o: OrderRow | undefined): OrderRow | null {
    if (!o) return null;
    if (o.state === 'USERPAYING') {
      // A password code: the shopper's password is in by pay_at; from then on the order is paid.
      const m = this.micropays.row(o.mchid, o.out_trade_no);
      if (m?.pay_at !== null && m?.pay_at !== undefined && m.pay_at <= this.now()) {
        this.sql.exec(
          `UPDATE orders SET state = 'SUCCESS', transaction_id = ?, success_time = ?, payer_openid = ? WHERE mchid = ? AND out_trade_no = ? AND state = 'USERPAYING'`,
          newTransactionId(m.pay_at),
          m.pay_at,
          `o${randomAlnum(27)}`,
          o.mchid,
          o.out_trade_no,
        );
        return this.sql.exec<OrderRow>('SELECT * FROM orders WHERE mchid = ? AND out_trade_no = ?', o.mchid, o.out_trade_no).toArray()[0] ?? null;
      }
    }
    if (o.state === 'NOTPAY' && o.time_expire !== null && o.time_expire <= this.now()) return this.setClosed(o, o.time_expire);
    return o;
  }

  private setClosed(o: OrderRow, at: number): OrderRow {
    this.sql.exec(`UPDATE orders SET state = 'CLOSED', closed_at = ? WHERE mchid = ? AND out_trade_no = ? AND state = 'NOTPAY'`, at, o.mchid, o.out_trade_no);
    return { ...o, state: 'CLOSED', closed_at: at };
  }

  private order(mchid: string, outTradeNo: string): OrderRow | null {
    return this.fresh(this.sql.exec<OrderRow>('SELECT * FROM orders WHERE mchid = ? AND out_trade_no = ?', mchid, outTradeNo).toArray()[0]);
  }

  private byCodeUrl(codeUrl: string): OrderRow | null {
    return this.fresh(this.sql.exec<OrderRow>('SELECT * FROM orders WHERE code_url = ?', codeUrl).toArray()[0]);
  }

  private refundRow(mchid: string, outRefundNo: string): RefundRow | undefined {
    return this.sql.exec<RefundRow>('SELECT * FROM refunds WHERE mchid = ? AND out_refund_no = ?', mchid, outRefundNo).toArray()[0];
  }
}
