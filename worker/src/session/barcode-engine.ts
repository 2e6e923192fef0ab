// In-store payments of one session: the till scanned the shopper's payment code (付款码). The pay call
// either answers at once (paid, or refused), or the shopper must enter a password (WeChat USERPAYING,
// Alipay 10003 WAIT_BUYER_PAY), or no answer comes. Then the order is queried every 5 s for up to 30 s,
// and whatever is still not paid is reversed (WeChat reverse, Alipay trade.cancel), again and again
// until the provider confirms, so the shopper is never charged for a sale the till gave up on.
//
// Every step is stored before the provider is called and re-read after it answers: the pay call has a
// query due 5 s later from the start, the reversal a retry due from the start, so a crash anywhere
// leaves due work that picks the attempt up again. The pure decisions are in state-machine.ts.
//
// A reversal is retried only while the provider still takes one: WeChat Pay for 7 days after the order
// (the provider's reverseWindowMs), Alipay until it answers that the trade can no longer be cancelled.
// Then the attempt is `reverse_failed` and a payment.anomaly asks a person to check the order.

import type { Channel } from '../contract';
import { ErrorCode, ErrorType, ShouyinError, type ErrorData } from '../lib/errors';
import type { ResolvedProvider } from '../providers/registry';
import type { CodePayResult, PaymentIdentity, PaymentFacts, QueryResult, ReverseResult } from '../providers/types';
import { attemptIdFor } from './ids';
import { maskPaymentCode } from './payment-code';
import type { SessionHost } from './refund-engine';
import { REVERSE_RETRY_MS, at } from './schedules';
import { BARCODE_DEADLINE_MS, BARCODE_QUERY_MS, canGiveUp, decideBarcodeQuery, decideStartBarcode, phaseAfterPay } from './state-machine';
import type { BarcodeRow } from './store';
import { barcodePaymentView, type BarcodePaymentView } from './views';
import { recordEvent } from './webhooks';

export type BarcodeFault = 'barcode.afterPay' | 'query.beforeStore' | 'reverse.afterProvider';

/** What the engine needs from the session's Durable Object: the refund engine's host, plus these. */
export interface BarcodeHost extends Omit<SessionHost, 'fault'> {
  /** The Durable Object's one way to apply a payment (decidePayment, events, anomalies, refunds). */
  applyPayment(p: PaymentFacts, raw: unknown, identity: PaymentIdentity, source: 'pay' | 'query'): void;
  fault(point: BarcodeFault): Promise<void> | undefined;
  rearm(): Promise<void>;
}

export type BarcodeStart = { ok: true; value: BarcodePaymentView } | { ok: false; error: ErrorData };

/** Why the till gave up, as the merchant sees it in `failure`. */
const GIVE_UP: Record<string, string> = {
  deadline: 'The shopper did not confirm the payment within 30 s; the order was reversed, so nothing stays charged.',
  canceled: 'The session was canceled while the payment code was being confirmed; the order was reversed.',
  expired: 'The session expired while the payment code was being confirmed; the order was reversed.',
  paid_elsewhere: 'The session was paid another way; this payment-code order was reversed.',
  paid_after_reversal: 'A payment arrived after the till gave up; the order is reversed again, which refunds it.',
};

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export class BarcodeEngine {
  constructor(private readonly host: BarcodeHost) {}

  /**
   * Charges a scanned code on this session. Answers once the pay call has (`succeeded`, `failed`)
   * or when the shopper must confirm / the answer is unknown (`processing`: ask again later).
   */
  async start(resolved: ResolvedProvider, channel: Channel, code: string, client: { ip?: string }): Promise<BarcodeStart> {
    const { store } = this.host;
    const { provider, config } = resolved;
    if (!provider.payWithCode || !provider.reverse) {
      const e = new ShouyinError(
        ErrorType.invalid_request,
        ErrorCode.session.channel_unavailable,
        `This is a ${channel} payment code, but the merchant's ${provider.id} provider cannot take payment codes (docs/instore.md).`,
        'auth_code',
      );
      return { ok: false, error: e.toData() };
    }
    const now = this.host.now();
    const d = decideStartBarcode(store.state()!, channel, now);
    if (d.kind === 'reject') {
      return { ok: false, error: new ShouyinError(d.type, d.code, d.message, d.param).toData() };
    }
    const s = this.host.session();
    const seq = store.nextAttemptSeq();
    const id = attemptIdFor(s.id, seq);
    // Stored before the pay call, with its first query already due: if the object dies mid-call,
    // the query finds out what the provider did, and the deadline still reverses what is unpaid.
    this.host.transaction(() => {
      store.insertAttempt({
        id,
        seq,
        channel,
        flow: 'barcode',
        provider: provider.id,
        status: 'pending',
        created: now,
        next_action: null,
        provider_data: null,
        anomaly: null,
        provider_transaction_id: null,
        paid_amount: null,
        paid_at: null,
      });
      store.insertBarcode({
        attempt_id: id,
        auth_code: maskPaymentCode(code),
        phase: 'paying',
        started: now,
        deadline: now + BARCODE_DEADLINE_MS,
        updated: now,
        failure_code: null,
        failure_message: null,
        reverse_reason: null,
        reverse_generation: 0,
      });
      store.schedule(`query:${id}`, 'query', now + BARCODE_QUERY_MS, { attempt: id });
      for (const old of d.closeFirst) store.schedule(`close:${old}`, 'close', now, { attempt: old });
    });
    await this.host.rearm();
    this.host.changed();

    let result: CodePayResult;
    try {
      result = await provider.payWithCode(this.host.providerCtx(), config, {
        attemptId: id,
        authCode: code,
        amount: s.amount,
        currency: 'CNY',
        description: s.description,
        notifyUrl: this.host.notifyUrl(channel),
        client,
      });
    } catch (e) {
      // No answer, or one that cannot be believed: unknown, never failed.
      result = { state: 'unknown', reason: message(e) };
    }
    await this.host.fault('barcode.afterPay');
    this.applyPayResult(id, result, resolved.identity);
    await this.host.rearm();
    this.host.changed();
    return { ok: true, value: this.view(id)! };
  }

  private applyPayResult(id: string, result: CodePayResult, identity: PaymentIdentity): void {
    const { store } = this.host;
    const now = this.host.now();
    store.recordProviderMessage(
      now,
      id,
      'pay',
      result.state === 'failed' ? `failed:${result.code}` : result.state,
      result.state === 'unknown' ? { reason: result.reason, raw: result.raw ?? null } : result.raw,
    );
    if (result.state === 'paid') {
      // Through decidePayment like any payment: the session may have ended or been paid meanwhile,
      // or the till may have given up during the call (then the order is reversed again).
      this.host.applyPayment(result.payment, result.raw, identity, 'pay');
      return;
    }
    const b = store.barcode(id);
    // Re-read after the call: a cancel or expiry may have started the reversal meanwhile.
    if (b?.phase !== 'paying') return;
    const phase = phaseAfterPay(result.state);
    this.host.transaction(() => {
      if (phase === 'failed' && result.state === 'failed') {
        store.updateBarcode(id, { phase, failure_code: result.code, failure_message: result.message }, now);
        store.setAttemptStatus(id, 'failed');
        store.unschedule(`query:${id}`);
      } else {
        store.updateBarcode(id, { phase }, now);
      }
    });
  }

  /** One query of a payment-code order (the due `query:<id>`, or a shopper's return re-check). */
  async query(id: string, tries: number): Promise<void> {
    const { store } = this.host;
    const a = store.attempt(id);
    const b = store.barcode(id);
    if (!a || !b || !canGiveUp(b.phase)) return store.unschedule(`query:${id}`);
    const resolved = this.host.resolvedFor(a);
    let q: QueryResult | null = null;
    try {
      q = await resolved.provider.query(
        this.host.providerCtx(),
        resolved.config,
        id,
        a.provider_data ? (JSON.parse(a.provider_data) as Record<string, string>) : undefined,
      );
      await this.host.fault('query.beforeStore');
    } catch (e) {
      console.warn(`barcode query ${id} failed: ${message(e)}`);
      q = null;
    }
    const now = this.host.now();
    const fresh = store.barcode(id)!;
    const d = decideBarcodeQuery(fresh.phase, fresh.deadline, now, q?.state ?? 'error');
    switch (d.kind) {
      case 'stop':
        return store.unschedule(`query:${id}`);
      case 'apply':
        store.unschedule(`query:${id}`);
        if (q?.state === 'paid') this.host.applyPayment(q.payment, q.raw, resolved.identity, 'query');
        return;
      case 'failed':
        return this.host.transaction(() => {
          store.recordProviderMessage(now, id, 'query', 'closed', q?.raw ?? null);
          store.updateBarcode(
            id,
            {
              phase: 'failed',
              failure_code: 'payment_failed',
              failure_message: 'The wallet reports the payment failed (PAYERROR / closed); nothing was charged.',
            },
            now,
          );
          store.setAttemptStatus(id, 'failed');
          store.unschedule(`query:${id}`);
        });
      case 'query':
        return store.schedule(`query:${id}`, 'query', d.at, { attempt: id }, tries + 1);
      case 'reverse':
        await this.giveUp(id, 'deadline');
        return;
    }
  }

  /**
   * The till gives up on an unconfirmed code (deadline, cancel, expiry, paid another way): reversed
   * at once, retried by due work until the provider confirms. A no-op once settled or given up.
   */
  async giveUp(id: string, reason: keyof typeof GIVE_UP): Promise<void> {
    const b = this.host.store.barcode(id);
    if (!b || !canGiveUp(b.phase)) return;
    this.requestReverse(id, reason);
    await this.reverse(id, 0);
  }

  /**
   * Stores "reverse this" with its due item (call it synchronously, before any await). `soon`: due
   * now, for the alarm to run; otherwise a safety net for the reversal the caller runs itself.
   */
  requestReverse(id: string, reason: keyof typeof GIVE_UP, soon = false): void {
    const { store } = this.host;
    const b = store.barcode(id);
    if (!b) return;
    const now = this.host.now();
    this.host.transaction(() => {
      store.updateBarcode(
        id,
        {
          phase: 'reversing',
          reverse_reason: reason,
          reverse_generation: b.reverse_generation + 1,
          failure_code: reason === 'deadline' ? 'timeout' : reason,
          failure_message: GIVE_UP[reason] ?? null,
        },
        now,
      );
      store.unschedule(`query:${id}`);
      // The safety net first: if this object dies during the reversal, the due item tries again.
      store.schedule(`reverse:${id}`, 'reverse', soon ? now : now + at(REVERSE_RETRY_MS, 0), { attempt: id }, soon ? 0 : 1);
    });
    this.host.changed();
  }

  /**
   * One reversal (the due `reverse:<id>`, or right after giving up). Re-schedules itself until done,
   * within the provider's reversal window.
   */
  async reverse(id: string, tries: number): Promise<void> {
    const { store } = this.host;
    const a = store.attempt(id);
    const b = store.barcode(id);
    if (!a || !b || b.phase !== 'reversing') return store.unschedule(`reverse:${id}`);
    const generation = b.reverse_generation;
    const resolved = this.host.resolvedFor(a);
    const closesAt = resolved.provider.reverseWindowMs === undefined ? null : b.started + resolved.provider.reverseWindowMs;
    if (closesAt !== null && this.host.now() >= closesAt) {
      const days = Math.round(resolved.provider.reverseWindowMs! / 86_400_000);
      return this.abandon(id, {
        code: 'reverse_window_closed',
        reason: `${resolved.provider.id} accepts a reversal only within ${days} days of the order; it was never confirmed.`,
      });
    }
    let r: ReverseResult;
    try {
      r = await resolved.provider.reverse!(
        this.host.providerCtx(),
        resolved.config,
        id,
        a.provider_data ? (JSON.parse(a.provider_data) as Record<string, string>) : undefined,
      );
    } catch (e) {
      r = { state: 'retry', reason: message(e) };
    }
    await this.host.fault('reverse.afterProvider');
    if (r.state === 'refused') return this.abandon(id, r);
    const now = this.host.now();
    const after = store.barcode(id)!;
    this.host.transaction(() => {
      store.recordProviderMessage(now, id, 'reverse', r.state, r.state === 'retry' ? { reason: r.reason, raw: r.raw ?? null } : r.raw);
      if (r.state === 'done' && after.reverse_generation === generation) {
        store.updateBarcode(id, { phase: 'reversed' }, now);
        if (a.status === 'pending') store.setAttemptStatus(id, 'closed');
        store.unschedule(`reverse:${id}`);
      } else if (r.state === 'done') {
        // A payment was reported while this reversal was out: reverse once more, now.
        store.schedule(`reverse:${id}`, 'reverse', now, { attempt: id }, 0);
      } else {
        console.warn(`reverse ${id} must be retried: ${r.reason}`);
        // Never past the provider's window: the last try runs when it closes, and finds it closed.
        const next = now + at(REVERSE_RETRY_MS, tries);
        store.schedule(`reverse:${id}`, 'reverse', closesAt === null ? next : Math.min(next, closesAt), { attempt: id }, tries + 1);
      }
    });
    this.host.changed();
  }

  /**
   * The provider will not reverse this order any more (its window closed, or it refuses for good), and
   * no reversal was confirmed: whether the shopper was charged is for a person to find out in the
   * provider's merchant platform (and to refund there). Stops the retries and raises payment.anomaly
   * (reason `reverse_window_closed`), in one transaction.
   */
  private abandon(id: string, why: { code: string; reason: string; raw?: unknown }): void {
    const { store } = this.host;
    const a = store.attempt(id)!;
    const s = this.host.session();
    const now = this.host.now();
    const evidence = { code: why.code, reason: why.reason, raw: why.raw ?? null };
    this.host.transaction(() => {
      store.recordProviderMessage(now, id, 'reverse', `refused:${why.code}`, evidence);
      store.updateBarcode(
        id,
        {
          phase: 'reverse_failed',
          failure_code: 'reverse_window_closed',
          failure_message: `The order could not be reversed (${why.reason}). Check it in the provider's merchant platform and refund it there if it was paid.`,
        },
        now,
      );
      store.unschedule(`reverse:${id}`);
      store.insertAnomaly(id, 'reverse_window_closed', now, 'reverse', evidence);
      recordEvent(store, this.host.merchant(), 'payment.anomaly', now, {
        object: 'payment.anomaly',
        session: s.id,
        merchant_order_id: s.merchant_order_id,
        attempt: id,
        reason: 'reverse_window_closed',
        channel: a.channel,
        provider: a.provider,
        amount: s.amount,
        currency: s.currency,
        provider_transaction_id: a.provider_transaction_id,
        refund: { status: 'not_applicable' },
        evidence,
      });
    });
    console.warn(`reverse ${id} abandoned: ${why.code}`);
    this.host.changed();
  }

  /**
   * A payment reported on an order the till gave up on (decidePayment said `reverse`): the reversal
   * runs (again) from the alarm, which refunds a paid order. Call it outside a transaction.
   */
  reverseAgain(id: string): void {
    const b = this.host.store.barcode(id);
    if (!b) return;
    if (b.phase === 'reversed') this.requestReverse(id, 'paid_after_reversal', true);
    else {
      // Still reversing: make sure the next reversal runs after this payment, and soon.
      this.host.transaction(() => {
        this.host.store.updateBarcode(id, { reverse_generation: b.reverse_generation + 1 }, this.host.now());
        this.host.store.schedule(`reverse:${id}`, 'reverse', this.host.now(), { attempt: id }, 0);
      });
    }
  }

  /**
   * After decidePayment bound (or recorded as an anomaly) a payment on this attempt. A code the wallet
   * had declined and then reports paid is paid too: the money moved for this sale.
   */
  markPaid(id: string, now: number): void {
    const b = this.host.store.barcode(id);
    if (b && (canGiveUp(b.phase) || b.phase === 'failed')) {
      this.host.store.updateBarcode(id, { phase: 'paid' }, now);
      this.host.store.unschedule(`query:${id}`);
    }
  }

  view(id?: string): BarcodePaymentView | null {
    const { store } = this.host;
    const b: BarcodeRow | null = id ? store.barcode(id) : store.latestBarcode();
    const a = b ? store.attempt(b.attempt_id) : null;
    return a && b ? barcodePaymentView(this.host.session(), a, b) : null;
  }
}
