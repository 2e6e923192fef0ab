// The Alipay simulator's memory: one Durable Object (`alipay`) holding trades, refunds and the notify
// outbox in SQLite. State model (https://opendocs.alipay.com/open/6f534d7f_alipay.trade.query?pathHash=98c03720): (not
// exist) → WAIT_BUYER_PAY when scanned or logged into → TRADE_SUCCESS (paid) → TRADE_FINISHED; WAIT_BUYER_PAY →
// TRADE_CLOSED (close, expiry); TRADE_SUCCESS → TRADE_CLOSED (fully refunded). Refunds are kept by out_request_no.
// Payment codes (alipay.trade.pay): TRADE_SUCCESS at once, WAIT_BUYER_PAY while a password is awaited, TRADE_CLOSED
// when declined; trade.cancel closes or refunds them. One alarm drives a table of due work (notify sends).

import type { Env } from '../env';
import { AlipayOutbox, OUTBOX_SCHEMA, type NotifyView, type SentRecord } from './outbox';
import {
  TRADE_NOT_EXIST,
  bizError,
  newBuyerId,
  newCashierToken,
  newNotifyId,
  newQrCode,
  newTradeNo,
  notifyFields,
  queryJson,
  tradeFingerprint,
  type GatewayError,
  type RefundRow,
  type TradeInput,
  type TradeRow,
} from './model';
import { refreshConfig } from '../config';
import { alipayLedgerSettings, type AlipayLedgerSettings } from './settings';
import { CodeBook, codeBookSchema, type CodeRow } from '../code-book';
import { codeBehavior, passwordDoneAt, type CodeBehavior } from '../payment-codes';
import type { BillItem } from '../bills';
import { alipayBillItems } from './bill-ledger';
import { SimulatorLedger } from '../common/ledger';

export type { SentRecord } from './outbox';

export type NotifyMode = 'normal' | 'drop' | 'duplicate';
export type CodePayOutcome = { trade: TradeRow; behavior: CodeBehavior };
export type TradeRef = { token: string } | { qr_code: string } | { app_id: string; out_trade_no: string };

export interface PayResult {
  result: 'paid' | 'already_paid' | 'closed' | 'expired' | 'not_found';
  trade?: TradeRow;
  notify_id?: string | null;
}

export interface LedgerView {
  now: string;
  trade: Omit<TradeRow, 'time_expire' | 'gmt_create' | 'gmt_payment' | 'gmt_close' | 'created_at'> & {
    time_expire: string | null;
    gmt_create: string | null;
    gmt_payment: string | null;
    gmt_close: string | null;
    created_at: string;
  };
  /** What alipay.trade.query answers now: null while the trade does not exist for Alipay yet. */
  query: Record<string, unknown> | null;
  refunds: RefundRow[];
  notifies: NotifyView[];
  /** Payment-code trades: the code, its story, and whether a cancel refunded it. */
  barcode: CodeRow | null;
}

type Result<T> = { ok: true; value: T } | { ok: false; error: GatewayError };

const SCHEMA = `
CREATE TABLE IF NOT EXISTS trades (
  app_id TEXT NOT NULL, out_trade_no TEXT NOT NULL, method TEXT NOT NULL, subject TEXT NOT NULL, total INTEGER NOT NULL,
  notify_url TEXT, return_url TEXT, quit_url TEXT, time_expire INTEGER, fingerprint TEXT NOT NULL, qr_code TEXT UNIQUE,
  cashier_token TEXT NOT NULL UNIQUE, seller_id TEXT NOT NULL, state TEXT NOT NULL, trade_no TEXT UNIQUE, buyer_id TEXT,
  buyer_logon_id TEXT, gmt_create INTEGER, gmt_payment INTEGER, gmt_close INTEGER, refunded INTEGER NOT NULL,
  created_at INTEGER NOT NULL, PRIMARY KEY (app_id, out_trade_no));
CREATE TABLE IF NOT EXISTS refunds (
  app_id TEXT NOT NULL, out_trade_no TEXT NOT NULL, out_request_no TEXT NOT NULL, amount INTEGER NOT NULL, reason TEXT,
  created_at INTEGER NOT NULL, PRIMARY KEY (app_id, out_trade_no, out_request_no));
`;

const PAID = new Set(['TRADE_SUCCESS', 'TRADE_FINISHED']);
const iso = (t: number) => new Date(t).toISOString();
const isoOrNull = (t: number | null) => (t === null ? null : iso(t));

export class AlipaySandboxLedger extends SimulatorLedger<AlipayLedgerSettings, SentRecord, AlipayOutbox> {
  private readonly codes: CodeBook;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env, (sql, now) => new AlipayOutbox(sql, now));
    this.codes = new CodeBook(this.sql, 'barcode_trades');
    this.open(() => {
      this.sql.exec(SCHEMA + OUTBOX_SCHEMA + codeBookSchema('barcode_trades'));
      // Added later than the table: a ledger stored before has no passback_params column yet.
      const cols = this.sql.exec<{ name: string }>('PRAGMA table_info(trades)').toArray();
      if (!cols.some((c) => c.name === 'passback_params')) this.sql.exec('ALTER TABLE trades ADD COLUMN passback_params TEXT');
    });
  }

  protected async configured(): Promise<AlipayLedgerSettings | null> {
    return alipayLedgerSettings(await refreshConfig(this.env));
  }

  // ------------------------------------------------------------------------- trades (gateway)

  /**
   * precreate, or a page / wap / app order submitted to Alipay. An identical repeat is the same trade
   * (the same qr_code); the same out_trade_no with other terms, or for a paid or closed trade, is refused.
   */
  createTrade(input: TradeInput): Result<TradeRow> {
    const existing = this.trade(input.app_id, input.out_trade_no);
    if (existing) {
      if (PAID.has(existing.state)) return { ok: false, error: bizError('ACQ.TRADE_HAS_SUCCESS', '交易已被支付') };
      if (existing.state === 'TRADE_CLOSED') return { ok: false, error: bizError('ACQ.TRADE_HAS_CLOSE', '交易已经关闭') };
      if (existing.fingerprint !== tradeFingerprint(input)) return { ok: false, error: bizError('ACQ.CONTEXT_INCONSISTENT', '交易信息被篡改') };
      // A re-submitted cashier form may carry another return_url / quit_url: the latest one counts.
      this.sql.exec(
        'UPDATE trades SET return_url = ?, quit_url = ? WHERE app_id = ? AND out_trade_no = ?',
        input.return_url,
        input.quit_url,
        input.app_id,
        input.out_trade_no,
      );
      return { ok: true, value: this.trade(input.app_id, input.out_trade_no) as TradeRow };
    }
    const qr = input.method === 'alipay.trade.precreate' ? newQrCode() : null;
    this.sql.exec(
      `INSERT INTO trades (app_id, out_trade_no, method, subject, total, notify_url, return_url, quit_url, time_expire, fingerprint,
         qr_code, cashier_token, seller_id, state, refunded, created_at, passback_params)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'NOT_EXIST', 0, ?, ?)`,
      input.app_id,
      input.out_trade_no,
      input.method,
      input.subject,
      input.total,
      input.notify_url,
      input.return_url,
      input.quit_url,
      input.time_expire,
      tradeFingerprint(input),
      qr,
      newCashierToken(),
      input.seller_id,
      this.now(),
      input.passback_params,
    );
    return { ok: true, value: this.trade(input.app_id, input.out_trade_no) as TradeRow };
  }

  /** The trade behind a cashier token or QR code, without changing it; `expired` on the ledger's clock. */
  cashierView(ref: TradeRef): { trade: TradeRow; expired: boolean } | null {
    const t = this.byRef(ref);
    return t ? { trade: t, expired: this.expired(t) } : null;
  }

  /**
   * The shopper scanned the QR or reached the cashier: the trade comes into existence for Alipay
   * (WAIT_BUYER_PAY, with its trade_no) — unless it has expired unscanned.
   */
  openCashier(ref: TradeRef): { trade: TradeRow; expired: boolean } | null {
    const t = this.byRef(ref);
    if (t && t.state === 'NOT_EXIST' && !this.expired(t)) this.exists(t);
    return this.cashierView(ref);
  }

  /**
   * The shopper pays (cashier) or a test says so (control, app SDK). An expired unpaid trade is
   * refused. `drop` pays without ever notifying; `duplicate` sends `copies` at once.
   */
  async pay(settings: AlipayLedgerSettings, ref: TradeRef, opts: { notify?: NotifyMode; copies?: number } = {}): Promise<PayResult> {
    this.remember(settings);
    const t = this.byRef(ref);
    if (!t) return { result: 'not_found' };
    if (PAID.has(t.state)) return { result: 'already_paid', trade: t };
    if (t.state === 'TRADE_CLOSED') return { result: 'closed', trade: t };
    if (this.expired(t)) return { result: 'expired', trade: t };
    const now = this.now();
    if (t.state === 'NOT_EXIST') this.exists(t);
    // Synchronous check-and-set before any await: two racing payments cannot both succeed.
    this.sql.exec(`UPDATE trades SET state = 'TRADE_SUCCESS', gmt_payment = ? WHERE app_id = ? AND out_trade_no = ?`, now, t.app_id, t.out_trade_no);
    const paid = this.trade(t.app_id, t.out_trade_no) as TradeRow;
    let notifyId: string | null = null;
    if (opts.notify !== 'drop' && paid.notify_url) {
      const copies = opts.notify === 'duplicate' ? Math.min(Math.max(opts.copies ?? 2, 2), 20) : 1;
      notifyId = await this.queueNotify(settings, paid, 'payment', undefined, { copies });
    }
    await this.rearm();
    return { result: 'paid', trade: paid, notify_id: notifyId };
  }

  /**
   * alipay.trade.pay (scene bar_code): the till scanned `authCode`; the code's story (payment-codes.ts)
   * decides: paid at once (notified), a password (WAIT_BUYER_PAY, paid later or never), declined
   * (TRADE_CLOSED), or a hang (WAIT_BUYER_PAY; the gateway never answers). A password payment is not
   * notified by the sandbox: the query finds it.
   */
  async payWithCode(settings: AlipayLedgerSettings, input: TradeInput, authCode: string): Promise<Result<CodePayOutcome>> {
    this.remember(settings);
    const existing = this.trade(input.app_id, input.out_trade_no);
    const used = this.codes.usedBy(authCode);
    if (existing) {
      // The same request again (after a timeout): the trade as it stands.
      if (used && used.scope === input.app_id && used.out_trade_no === input.out_trade_no && existing.fingerprint === tradeFingerprint(input)) {
        return { ok: true, value: { trade: existing, behavior: used.behavior } };
      }
      return { ok: false, error: bizError('ACQ.CONTEXT_INCONSISTENT', '交易信息被篡改') };
    }
    if (used) return { ok: false, error: bizError('ACQ.PAYMENT_AUTH_CODE_INVALID', '支付失败，付款码已被使用，请顾客刷新付款码后重新收款') };
    const created = this.createTrade(input);
    if (!created.ok) return created;
    const now = this.now();
    const behavior = codeBehavior(authCode);
    this.codes.insert({
      scope: input.app_id,
      out_trade_no: input.out_trade_no,
      auth_code: authCode,
      behavior,
      pay_at: behavior === 'password' ? passwordDoneAt(now, settings.time_scale) : null,
    });
    // The code names the buyer: the trade exists for Alipay from the scan on.
    this.exists(created.value);
    if (behavior === 'pay') {
      await this.pay(settings, { app_id: input.app_id, out_trade_no: input.out_trade_no });
    } else if (behavior === 'decline') {
      this.sql.exec(`UPDATE trades SET state = 'TRADE_CLOSED', gmt_close = ? WHERE app_id = ? AND out_trade_no = ?`, now, input.app_id, input.out_trade_no);
    }
    return { ok: true, value: { trade: this.trade(input.app_id, input.out_trade_no) as TradeRow, behavior } };
  }

  /** Control surface: the next `count` cancels of this payment-code trade answer ACQ.SYSTEM_ERROR. */
  failCancels(appId: string, outTradeNo: string, count: number): boolean {
    return this.codes.failReversals(appId, outTradeNo, count);
  }

  /** The trade as query sees it: null for an unknown one and for one that does not exist yet. */
  query(appId: string, outTradeNo: string): TradeRow | null {
    const t = this.trade(appId, outTradeNo);
    return t && t.state !== 'NOT_EXIST' ? t : null;
  }

  /** alipay.trade.close: only a WAIT_BUYER_PAY trade can be closed. */
  close(appId: string, outTradeNo: string): Result<TradeRow> {
    const t = this.trade(appId, outTradeNo);
    if (!t || t.state === 'NOT_EXIST') return { ok: false, error: TRADE_NOT_EXIST };
    if (t.state !== 'WAIT_BUYER_PAY') return { ok: false, error: bizError('ACQ.TRADE_STATUS_ERROR', '交易状态不合法') };
    this.setClosed(t, this.now());
    return { ok: true, value: this.trade(appId, outTradeNo) as TradeRow };
  }

  /**
   * alipay.trade.cancel: an unpaid trade (scanned or not) is closed, a paid one fully refunded
   * (action `close` / `refund`). A finished trade can no longer be cancelled.
   */
  async cancel(settings: AlipayLedgerSettings, appId: string, outTradeNo: string): Promise<Result<{ trade: TradeRow; action: 'close' | 'refund' }>> {
    this.remember(settings);
    const t = this.trade(appId, outTradeNo);
    if (!t) return { ok: false, error: TRADE_NOT_EXIST };
    if (this.codes.takeReverseFailure(appId, outTradeNo)) return { ok: false, error: bizError('ACQ.SYSTEM_ERROR', '系统异常，请重试撤销') };
    if (t.state === 'TRADE_FINISHED') return { ok: false, error: bizError('ACQ.TRADE_STATUS_ERROR', '交易状态不合法') };
    if (t.state === 'TRADE_SUCCESS') {
      const r = await this.refund(settings, appId, { out_trade_no: outTradeNo, out_request_no: outTradeNo, amount: t.total - t.refunded, reason: '撤销' });
      if (!r.ok) return r;
      this.codes.markReversed(appId, outTradeNo, this.now(), true);
      return { ok: true, value: { trade: r.value.trade, action: 'refund' } };
    }
    this.codes.markReversed(appId, outTradeNo, this.now(), false);
    if (t.state === 'NOT_EXIST') this.exists(t);
    const now = this.now();
    const fresh = this.trade(appId, outTradeNo) as TradeRow;
    if (fresh.state === 'WAIT_BUYER_PAY') this.setClosed(fresh, now);
    return { ok: true, value: { trade: this.trade(appId, outTradeNo) as TradeRow, action: 'close' } };
  }

  // ------------------------------------------------------------------------------- refunds

  /**
   * alipay.trade.refund. The same out_request_no again returns that refund (fund_change N); a full
   * refund closes the trade. Each accepted refund notifies the trade's notify_url
   * (https://opendocs.alipay.com/open/270/105902).
   */
  async refund(
    settings: AlipayLedgerSettings,
    appId: string,
    input: { out_trade_no: string; out_request_no: string; amount: number; reason: string | null },
  ): Promise<Result<{ trade: TradeRow; refund: RefundRow; fund_change: 'Y' | 'N' }>> {
    this.remember(settings);
    const t = this.trade(appId, input.out_trade_no);
    if (!t || t.state === 'NOT_EXIST') return { ok: false, error: TRADE_NOT_EXIST };
    const same = this.refundRow(appId, input.out_trade_no, input.out_request_no);
    if (same) {
      if (same.amount !== input.amount) return { ok: false, error: bizError('ACQ.INVALID_PARAMETER', 'out_request_no 已用于另一金额的退款') };
      return { ok: true, value: { trade: t, refund: same, fund_change: 'N' } };
    }
    if (t.state !== 'TRADE_SUCCESS') return { ok: false, error: bizError('ACQ.TRADE_STATUS_ERROR', '交易状态不合法') };
    if (input.amount > t.total - t.refunded) return { ok: false, error: bizError('ACQ.REFUND_AMT_NOT_EQUAL_TOTAL', '退款金额超限') };
    const now = this.now();
    this.sql.exec(
      'INSERT INTO refunds (app_id, out_trade_no, out_request_no, amount, reason, created_at) VALUES (?, ?, ?, ?, ?, ?)',
      appId,
      input.out_trade_no,
      input.out_request_no,
      input.amount,
      input.reason,
      now,
    );
    const refunded = t.refunded + input.amount;
    this.sql.exec('UPDATE trades SET refunded = ? WHERE app_id = ? AND out_trade_no = ?', refunded, appId, input.out_trade_no);
    if (refunded === t.total) {
      this.sql.exec(`UPDATE trades SET state = 'TRADE_CLOSED', gmt_close = ? WHERE app_id = ? AND out_trade_no = ?`, now, appId, input.out_trade_no);
    }
    const after = this.trade(appId, input.out_trade_no) as TradeRow;
    const refund = this.refundRow(appId, input.out_trade_no, input.out_request_no) as RefundRow;
    if (after.notify_url) await this.queueNotify(settings, after, 'refund', refund);
    await this.rearm();
    return { ok: true, value: { trade: after, refund, fund_change: 'Y' } };
  }

  refundQuery(appId: string, outTradeNo: string, outRequestNo: string): { trade: TradeRow; refund: RefundRow | null } | null {
    const t = this.query(appId, outTradeNo);
    return t ? { trade: t, refund: this.refundRow(appId, outTradeNo, outRequestNo) ?? null } : null;
  }

  // ------------------------------------------------------------------------ control surface

  /** Send the trade's payment notify once more, now (creating it if it was dropped). */
  async notifyNow(settings: AlipayLedgerSettings, appId: string, outTradeNo: string): Promise<SentRecord | null> {
    this.remember(settings);
    const t = this.trade(appId, outTradeNo);
    if (!t || t.gmt_payment === null || !t.notify_url) return null;
    const id = this.outbox.firstPayment(appId, outTradeNo) ?? (await this.queueNotify(settings, t, 'payment', undefined, { schedule: false }));
    return this.outbox.deliver(settings, id, 'manual');
  }

  /** TRADE_SUCCESS → TRADE_FINISHED (the refund window closed), notified like a payment. */
  async finish(settings: AlipayLedgerSettings, appId: string, outTradeNo: string): Promise<TradeRow | null> {
    this.remember(settings);
    const t = this.trade(appId, outTradeNo);
    if (t?.state !== 'TRADE_SUCCESS') return null;
    this.sql.exec(`UPDATE trades SET state = 'TRADE_FINISHED' WHERE app_id = ? AND out_trade_no = ?`, appId, outTradeNo);
    const done = this.trade(appId, outTradeNo) as TradeRow;
    if (done.notify_url) await this.queueNotify(settings, done, 'payment');
    await this.rearm();
    return done;
  }

  /** Move an unpaid trade past its time_expire (a scanned one closes). */
  expire(appId: string, outTradeNo: string): TradeRow | null {
    const t = this.trade(appId, outTradeNo);
    if (t && (t.state === 'NOT_EXIST' || t.state === 'WAIT_BUYER_PAY')) {
      this.sql.exec('UPDATE trades SET time_expire = ? WHERE app_id = ? AND out_trade_no = ?', this.now(), appId, outTradeNo);
    }
    return this.trade(appId, outTradeNo);
  }

  async flush(settings: AlipayLedgerSettings): Promise<{ sent: SentRecord[] }> {
    return { sent: await this.flushDue(settings) };
  }

  inspect(appId: string, outTradeNo: string): LedgerView | null {
    const t = this.trade(appId, outTradeNo);
    if (!t) return null;
    return {
      now: iso(this.now()),
      trade: {
        ...t,
        time_expire: isoOrNull(t.time_expire),
        gmt_create: isoOrNull(t.gmt_create),
        gmt_payment: isoOrNull(t.gmt_payment),
        gmt_close: isoOrNull(t.gmt_close),
        created_at: iso(t.created_at),
      },
      query: t.state === 'NOT_EXIST' ? null : queryJson(t),
      refunds: this.sql.exec<RefundRow>('SELECT * FROM refunds WHERE app_id = ? AND out_trade_no = ? ORDER BY created_at', appId, outTradeNo).toArray(),
      notifies: this.outbox.view(appId, outTradeNo),
      barcode: this.codes.row(appId, outTradeNo),
    };
  }

  async advanceClock(ms: number | null): Promise<number> {
    this.testClock.advance(ms);
    await this.rearm();
    return this.now();
  }

  // ---------------------------------------------------------- statements (bill.ts, ../bills.ts)

  billItems(appId: string, date: string): BillItem[] {
    return alipayBillItems(this.sql, appId, date);
  }

  // ------------------------------------------------------------------------------ the alarm

  /** Alipay's refunds settle at once: notifies are its only due work. */
  protected async settleDue(): Promise<void> {}

  // -------------------------------------------------------------------------------- helpers

  private queueNotify(
    settings: AlipayLedgerSettings,
    t: TradeRow,
    kind: 'payment' | 'refund',
    refund?: RefundRow,
    opts: { copies?: number; schedule?: boolean } = {},
  ): Promise<string> {
    const notifyId = newNotifyId(this.now());
    return this.outbox.queue(
      settings,
      { app_id: t.app_id, out_trade_no: t.out_trade_no, kind, url: t.notify_url as string, notifyId, fields: notifyFields(t, this.now(), notifyId, refund) },
      opts,
    );
  }

  /** Gives a not-yet-existing trade its trade_no, buyer and gmt_create: it now exists, WAIT_BUYER_PAY. */
  private exists(t: TradeRow): void {
    const now = this.now();
    const buyer = newBuyerId();
    this.sql.exec(
      `UPDATE trades SET state = 'WAIT_BUYER_PAY', trade_no = ?, buyer_id = ?, buyer_logon_id = ?, gmt_create = ?
       WHERE app_id = ? AND out_trade_no = ? AND state = 'NOT_EXIST'`,
      newTradeNo(now),
      buyer,
      `sbx***@${buyer.slice(-4)}.shouyin.test`,
      now,
      t.app_id,
      t.out_trade_no,
    );
  }

  private expired(t: TradeRow): boolean {
    return t.time_expire !== null && t.time_expire <= this.now();
  }

  /** Reads apply expiry lazily: a scanned, unpaid trade past time_expire is TRADE_CLOSED from then on. */
  private fresh(t: TradeRow | undefined): TradeRow | null {
    if (!t) return null;
    if (t.state === 'WAIT_BUYER_PAY' && t.method === 'alipay.trade.pay') {
      // A password code: the shopper's password is in by pay_at; from then on the trade is paid.
      const c = this.codes.row(t.app_id, t.out_trade_no);
      if (c?.pay_at !== null && c?.pay_at !== undefined && c.pay_at <= this.now()) {
        this.sql.exec(
          `UPDATE trades SET state = 'TRADE_SUCCESS', gmt_payment = ? WHERE app_id = ? AND out_trade_no = ? AND state = 'WAIT_BUYER_PAY'`,
          c.pay_at,
          t.app_id,
          t.out_trade_no,
        );
        return { ...t, state: 'TRADE_SUCCESS', gmt_payment: c.pay_at };
      }
    }
    if (t.state === 'WAIT_BUYER_PAY' && this.expired(t)) {
      this.setClosed(t, t.time_expire as number);
      return { ...t, state: 'TRADE_CLOSED', gmt_close: t.time_expire };
    }
    return t;
  }

  private setClosed(t: TradeRow, at: number): void {
    this.sql.exec(
      `UPDATE trades SET state = 'TRADE_CLOSED', gmt_close = ? WHERE app_id = ? AND out_trade_no = ? AND state = 'WAIT_BUYER_PAY'`,
      at,
      t.app_id,
      t.out_trade_no,
    );
  }

  private trade(appId: string, outTradeNo: string): TradeRow | null {
    return this.fresh(this.sql.exec<TradeRow>('SELECT * FROM trades WHERE app_id = ? AND out_trade_no = ?', appId, outTradeNo).toArray()[0]);
  }

  private byRef(ref: TradeRef): TradeRow | null {
    if ('app_id' in ref) return this.trade(ref.app_id, ref.out_trade_no);
    const row =
      'token' in ref
        ? this.sql.exec<TradeRow>('SELECT * FROM trades WHERE cashier_token = ?', ref.token).toArray()[0]
        : this.sql.exec<TradeRow>('SELECT * FROM trades WHERE qr_code = ?', ref.qr_code).toArray()[0];
    return this.fresh(row);
  }

  private refundRow(appId: string, outTradeNo: string, outRequestNo: string): RefundRow | undefined {
    return this.sql
      .exec<RefundRow>('SELECT * FROM refunds WHERE app_id = ? AND out_trade_no = ? AND out_request_no = ?', appId, outTradeNo, outRequestNo)
      .toArray()[0];
  }
}
