// The UnionPay simulator's memory: one Durable Object (`unionpay`) with orders, refunds and the
// backUrl notify outbox in SQLite. State model
// (https://open.unionpay.com/tjweb/acproduct/APIList?acpAPIId=757&apiservId=448&version=V2.2): a consume goes UNPAID
// (query: origRespCode 05) → PAID (00), or FAILED once its payTimeout passes; a refund is its own transaction (new
// orderId, origQryId) that is accepted PROCESSING and settles to SUCCESS, with its own notify.

import type { Env } from '../env';
import {
  RESP,
  consumeFields,
  maskCard,
  newQrCode,
  newQueryId,
  newTraceNo,
  refundFields,
  settleDateOf,
  traceTimeOf,
  type ConsumeInput,
  type GatewayError,
  type OrderRow,
  type RefundInput,
  type RefundRow,
} from './model';
import { NotifyOutbox, OUTBOX_SCHEMA, type NotifyView, type SentRecord } from './outbox';
import { refreshConfig } from '../config';
import { unionpayLedgerSettings, type UnionpayLedgerSettings } from './settings';
import type { BillItem } from '../bills';
import { unionpayBillItems } from './bill-ledger';
import { SimulatorLedger } from '../common/ledger';

/** A refund is accepted PROCESSING and succeeds this long after (× time_scale). */
export const REFUND_SETTLE_SECONDS = 5;

export type NotifyMode = 'normal' | 'drop' | 'duplicate';
export type OrderRef = { ref: string } | { mer_id: string; order_id: string };

export interface PayResult {
  result: 'paid' | 'already_paid' | 'failed' | 'not_found';
  order?: OrderRow;
  notify_id?: string | null;
}

export interface LedgerView {
  now: string;
  order: OrderRow & { pay_timeout_iso: string | null };
  refunds: RefundRow[];
  notifies: NotifyView[];
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS orders (
  mer_id TEXT NOT NULL, order_id TEXT NOT NULL, txn_time TEXT NOT NULL, kind TEXT NOT NULL, ref TEXT NOT NULL UNIQUE,
  txn_sub_type TEXT NOT NULL, biz_type TEXT NOT NULL, channel_type TEXT NOT NULL, txn_amt INTEGER NOT NULL,
  currency_code TEXT NOT NULL, order_desc TEXT, front_url TEXT, back_url TEXT NOT NULL, pay_timeout INTEGER,
  req_reserved TEXT, qr_code TEXT UNIQUE, fingerprint TEXT NOT NULL, state TEXT NOT NULL, query_id TEXT UNIQUE,
  trace_no TEXT, trace_time TEXT, settle_date TEXT, acc_no TEXT, paid_at INTEGER, created_at INTEGER NOT NULL,
  refunded INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (mer_id, order_id));
CREATE TABLE IF NOT EXISTS refunds (
  mer_id TEXT NOT NULL, order_id TEXT NOT NULL, txn_time TEXT NOT NULL, orig_order_id TEXT NOT NULL,
  orig_query_id TEXT NOT NULL, txn_amt INTEGER NOT NULL, back_url TEXT NOT NULL, req_reserved TEXT, biz_type TEXT NOT NULL,
  channel_type TEXT NOT NULL, query_id TEXT NOT NULL UNIQUE, state TEXT NOT NULL, created_at INTEGER NOT NULL,
  settled_at INTEGER, PRIMARY KEY (mer_id, order_id));
`;

/** A successful consume's notify (and front return): its fields with respCode 00. */
const notifyFields = (o: OrderRow) => ({ ...consumeFields(o), ...RESP.ok });

export type QueryAnswer = { kind: 'order'; order: OrderRow } | { kind: 'refund'; refund: RefundRow } | null;

export class UnionpaySandboxLedger extends SimulatorLedger<UnionpayLedgerSettings, SentRecord, NotifyOutbox> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env, (sql, now) => new NotifyOutbox(sql, now));
    this.open(() => this.sql.exec(SCHEMA + OUTBOX_SCHEMA));
  }

  protected async configured(): Promise<UnionpayLedgerSettings | null> {
    return unionpayLedgerSettings(await refreshConfig(this.env));
  }

  // ------------------------------------------------------------------------------ consumes

  /**
   * Front (browser post), app (tn) or apply-QR consume. The same orderId with the same fields is a
   * retry and gets the same order back; with other fields it is 12 重复交易.
   */
  consume(input: ConsumeInput): { ok: true; order: OrderRow } | { ok: false; error: GatewayError } {
    const existing = this.order(input.mer_id, input.order_id);
    if (existing) return existing.fingerprint === input.fingerprint ? { ok: true, order: existing } : { ok: false, error: RESP.duplicate };
    const now = this.now();
    if (input.pay_timeout !== null && input.pay_timeout <= now) return { ok: false, error: RESP.timeout };
    for (;;) {
      const ref = newQueryId(now);
      const qr = input.kind === 'qr' ? newQrCode() : null;
      const clash = this.sql.exec('SELECT 1 FROM orders WHERE ref = ? OR (qr_code IS NOT NULL AND qr_code = ?)', ref, qr).toArray().length > 0;
      if (clash) continue;
      this.sql.exec(
        `INSERT INTO orders (mer_id, order_id, txn_time, kind, ref, txn_sub_type, biz_type, channel_type, txn_amt, currency_code,
           order_desc, front_url, back_url, pay_timeout, req_reserved, qr_code, fingerprint, state, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'UNPAID', ?)`,
        input.mer_id,
        input.order_id,
        input.txn_time,
        input.kind,
        ref,
        input.txn_sub_type,
        input.biz_type,
        input.channel_type,
        input.txn_amt,
        input.currency_code,
        input.order_desc,
        input.front_url,
        input.back_url,
        input.pay_timeout,
        input.req_reserved,
        qr,
        input.fingerprint,
        now,
      );
      return { ok: true, order: this.order(input.mer_id, input.order_id) as OrderRow };
    }
  }

  /**
   * orderId + the ORIGINAL txnTime find a consume or a refund
   * (https://open.unionpay.com/tjweb/acproduct/APIList?acpAPIId=757&apiservId=448&version=V2.2); anything else is 34.
   */
  query(merId: string, orderId: string, txnTime: string): QueryAnswer {
    const o = this.order(merId, orderId);
    if (o) return o.txn_time === txnTime ? { kind: 'order', order: o } : null;
    const r = this.refundRow(merId, orderId);
    return r && r.txn_time === txnTime ? { kind: 'refund', refund: r } : null;
  }

  /** The order behind a cashier page (front ref, app tn or QR code). */
  cashier(by: { ref: string } | { qr_code: string }): OrderRow | null {
    const row =
      'ref' in by
        ? this.sql.exec<OrderRow>('SELECT * FROM orders WHERE ref = ?', by.ref).toArray()[0]
        : this.sql.exec<OrderRow>('SELECT * FROM orders WHERE qr_code = ?', by.qr_code).toArray()[0];
    return this.fresh(row);
  }

  /**
   * The shopper pays (cashier) or a test says so (control). Past payTimeout the order is FAILED and
   * cannot be paid. `drop` never notifies; `duplicate` sends `copies` at once.
   */
  async pay(settings: UnionpayLedgerSettings, ref: OrderRef, opts: { notify?: NotifyMode; copies?: number; accNo?: string } = {}): Promise<PayResult> {
    this.remember(settings);
    const o = 'ref' in ref ? this.cashier({ ref: ref.ref }) : this.order(ref.mer_id, ref.order_id);
    if (!o) return { result: 'not_found' };
    if (o.state === 'PAID') return { result: 'already_paid', order: o };
    if (o.state === 'FAILED') return { result: 'failed', order: o };
    const now = this.now();
    // Synchronous check-and-set before any await: two racing payments cannot both succeed.
    this.sql.exec(
      `UPDATE orders SET state = 'PAID', query_id = ?, trace_no = ?, trace_time = ?, settle_date = ?, acc_no = ?, paid_at = ?
       WHERE mer_id = ? AND order_id = ? AND state = 'UNPAID'`,
      newQueryId(now),
      newTraceNo(),
      traceTimeOf(now),
      settleDateOf(now),
      maskCard(opts.accNo ?? '6216261000000000018'),
      now,
      o.mer_id,
      o.order_id,
    );
    const paid = this.order(o.mer_id, o.order_id) as OrderRow;
    let notifyId: string | null = null;
    if (opts.notify !== 'drop') {
      const copies = opts.notify === 'duplicate' ? Math.min(Math.max(opts.copies ?? 2, 2), 20) : 1;
      notifyId = await this.outbox.queue(
        settings,
        { mer_id: paid.mer_id, order_id: paid.order_id, about: paid.order_id },
        'consume',
        paid.back_url,
        notifyFields(paid),
        { copies },
      );
    }
    await this.rearm();
    return { result: 'paid', order: paid, notify_id: notifyId };
  }

  /**
   * The signed fields UnionPay posts to frontUrl when the shopper returns: the same as the backUrl
   * notify (https://open.unionpay.com/tjweb/acproduct/APIList?acpAPIId=754&apiservId=448&version=V2.2). Built
   * (unscheduled) if the notify was dropped.
   */
  async frontReturnBody(settings: UnionpayLedgerSettings, merId: string, orderId: string): Promise<string | null> {
    const o = this.order(merId, orderId);
    if (o?.state !== 'PAID') return null;
    const body = this.outbox.body(merId, orderId, 'consume');
    if (body !== undefined) return body;
    const id = await this.outbox.queue(settings, { mer_id: merId, order_id: orderId, about: orderId }, 'consume', o.back_url, notifyFields(o), {
      schedule: false,
    });
    this.sql.exec(`UPDATE notifies SET state = 'delivered' WHERE id = ?`, id);
    return this.outbox.body(merId, orderId, 'consume') ?? null;
  }

  /** Move an unpaid order past its payTimeout (control: "the shopper let it expire"). */
  expire(merId: string, orderId: string): OrderRow | null {
    const o = this.order(merId, orderId);
    if (o?.state === 'UNPAID')
      this.sql.exec(`UPDATE orders SET state = 'FAILED', pay_timeout = ? WHERE mer_id = ? AND order_id = ?`, this.now(), merId, orderId);
    return this.order(merId, orderId);
  }

  /** Send the payment notify once more, now (created if it was dropped). */
  async notifyNow(settings: UnionpayLedgerSettings, merId: string, orderId: string): Promise<SentRecord | null> {
    this.remember(settings);
    const o = this.order(merId, orderId);
    if (o?.state !== 'PAID') return null;
    const id =
      this.outbox.first(merId, orderId, 'consume') ??
      (await this.outbox.queue(settings, { mer_id: merId, order_id: orderId, about: orderId }, 'consume', o.back_url, notifyFields(o), { schedule: false }));
    return this.outbox.deliver(settings, id, 'manual');
  }

  // ------------------------------------------------------------------------------- refunds

  async refund(settings: UnionpayLedgerSettings, input: RefundInput): Promise<{ ok: true; refund: RefundRow } | { ok: false; error: GatewayError }> {
    this.remember(settings);
    if (this.refundRow(input.mer_id, input.order_id) || this.order(input.mer_id, input.order_id)) return { ok: false, error: RESP.duplicate };
    const o = this.sql.exec<OrderRow>('SELECT * FROM orders WHERE mer_id = ? AND query_id = ?', input.mer_id, input.orig_query_id).toArray()[0];
    if (o?.state !== 'PAID') return { ok: false, error: RESP.origState };
    if (input.txn_amt > o.txn_amt - o.refunded) return { ok: false, error: RESP.origMismatch(`退货金额超过可退金额 ${o.txn_amt - o.refunded}`) };
    const now = this.now();
    this.ctx.storage.transactionSync(() => {
      this.sql.exec(
        `INSERT INTO refunds (mer_id, order_id, txn_time, orig_order_id, orig_query_id, txn_amt, back_url, req_reserved, biz_type, channel_type,
           query_id, state, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'PROCESSING', ?)`,
        input.mer_id,
        input.order_id,
        input.txn_time,
        o.order_id,
        input.orig_query_id,
        input.txn_amt,
        input.back_url,
        input.req_reserved,
        input.biz_type,
        input.channel_type,
        newQueryId(now),
        now,
      );
      this.sql.exec('UPDATE orders SET refunded = refunded + ? WHERE mer_id = ? AND order_id = ?', input.txn_amt, o.mer_id, o.order_id);
      this.sql.exec(
        `INSERT OR REPLACE INTO due (kind, ref, due_at) VALUES ('refund', ?, ?)`,
        JSON.stringify([input.mer_id, input.order_id]),
        now + Math.round(REFUND_SETTLE_SECONDS * 1000 * settings.time_scale),
      );
    });
    await this.rearm();
    return { ok: true, refund: this.refundRow(input.mer_id, input.order_id) as RefundRow };
  }

  // ---------------------------------------------------------- statements (bill.ts, ../bills.ts)

  /** The items of clearing day `date`; with a cut-off (`HH:mm`), what happened after it the day before clears on `date`. */
  billItems(merId: string, date: string, cutoff: string | null = null): BillItem[] {
    return unionpayBillItems(this.sql, merId, date, cutoff);
  }

  // ------------------------------------------------------------------------ tests and alarm

  inspect(merId: string, orderId: string): LedgerView | null {
    const o = this.order(merId, orderId);
    if (!o) return null;
    return {
      now: new Date(this.now()).toISOString(),
      order: { ...o, pay_timeout_iso: o.pay_timeout === null ? null : new Date(o.pay_timeout).toISOString() },
      refunds: this.sql.exec<RefundRow>('SELECT * FROM refunds WHERE mer_id = ? AND orig_order_id = ? ORDER BY created_at', merId, orderId).toArray(),
      notifies: this.outbox.view(merId, orderId),
    };
  }

  /** Settle processing refunds and send every queued notify now, whatever the schedule. */
  flush(settings: UnionpayLedgerSettings): Promise<SentRecord[]> {
    return this.flushDue(settings);
  }

  /** Moves the clock forward (`ms`) or back to the wall clock (`null`); due work that fell due runs. */
  async advanceClock(ms: number | null): Promise<number> {
    // Added as given (not rounded), as this ledger always has.
    this.testClock.advance(ms, true);
    await this.runDue(this.now(), 'schedule');
    return this.now();
  }

  /** Refunds settle when due (their notify is queued then). */
  protected settleDue(settings: UnionpayLedgerSettings, until: number): Promise<void> {
    return this.eachDue<[string, string]>('refund', until, ([merId, orderId]) => this.settleRefund(settings, merId, orderId));
  }

  private async settleRefund(settings: UnionpayLedgerSettings, merId: string, orderId: string): Promise<void> {
    const r = this.refundRow(merId, orderId);
    if (r?.state !== 'PROCESSING') return;
    this.sql.exec(`UPDATE refunds SET state = 'SUCCESS', settled_at = ? WHERE mer_id = ? AND order_id = ?`, this.now(), merId, orderId);
    const done = this.refundRow(merId, orderId) as RefundRow;
    // Back-type transactions notify on success or failure
    // (https://open.unionpay.com/tjweb/acproduct/APIList?acpAPIId=754&apiservId=448&version=V2.2).
    await this.outbox.queue(settings, { mer_id: merId, order_id: orderId, about: done.orig_order_id }, 'refund', done.back_url, {
      ...refundFields(done),
      ...RESP.ok,
    });
  }

  // -------------------------------------------------------------------------------- helpers

  /** Reads apply payTimeout lazily: an unpaid order past it is FAILED from then on. */
  private fresh(o: OrderRow | undefined): OrderRow | null {
    if (!o) return null;
    if (o.state === 'UNPAID' && o.pay_timeout !== null && o.pay_timeout <= this.now()) {
      this.sql.exec(`UPDATE orders SET state = 'FAILED' WHERE mer_id = ? AND order_id = ? AND state = 'UNPAID'`, o.mer_id, o.order_id);
      return { ...o, state: 'FAILED' };
    }
    return o;
  }

  private order(merId: string, orderId: string): OrderRow | null {
    return this.fresh(this.sql.exec<OrderRow>('SELECT * FROM orders WHERE mer_id = ? AND order_id = ?', merId, orderId).toArray()[0]);
  }

  private refundRow(merId: string, orderId: string): RefundRow | undefined {
    return this.sql.exec<RefundRow>('SELECT * FROM refunds WHERE mer_id = ? AND order_id = ?', merId, orderId).toArray()[0];
  }
}
