// Refunds of one session: asked of the provider until it accepts, then followed by refund notify or
// refund query until it settles. One refund number from the first request to the last retry, so a
// timeout or a crash can never refund twice (reliability invariant I3).

import type { MerchantConfig } from '../config';
import { ProviderError } from '../lib/errors';
import type { ResolvedProvider } from '../providers/registry';
import type { ProviderContext, RefundResult } from '../providers/types';
import { refundNoFor, refundObject } from './refunds';
import { REFUND_RETRY_MS, at } from './schedules';
import type { AttemptRow, RefundRow, SessionRow, SessionStore } from './store';
import { recordEvent } from './webhooks';

export type RefundFault = 'refund.beforeRequest' | 'refund.afterProvider' | 'refund.afterStore';

/** What the engine needs from the session's Durable Object. */
export interface SessionHost {
  readonly store: SessionStore;
  now(): number;
  transaction(fn: () => void): void;
  session(): SessionRow;
  merchant(): MerchantConfig;
  resolvedFor(a: AttemptRow): ResolvedProvider;
  providerCtx(): ProviderContext;
  notifyUrl(channel: string): string;
  /** A test's fault point (session/durable-object.ts): awaited, so a restart there stops what follows. */
  fault(point: RefundFault): Promise<void> | undefined;
  changed(): void;
}

const parse = (json: string | null): Record<string, string> | undefined => (json ? (JSON.parse(json) as Record<string, string>) : undefined);

export class RefundEngine {
  constructor(private readonly host: SessionHost) {}

  /** Stores a pending refund and its first due item (call inside the caller's transaction). */
  insert(attemptId: string, amount: number, reason: string | null, kind: RefundRow['kind']): string {
    const { store } = this.host;
    const seq = store.nextRefundSeq();
    const id = refundNoFor(this.host.session().id, seq);
    const now = this.host.now();
    store.insertRefund({
      id,
      seq,
      attempt_id: attemptId,
      amount,
      reason,
      kind,
      status: 'pending',
      submitted: 0,
      created: now,
      updated: now,
      provider_refund_id: null,
      provider_data: null,
      failure: null,
    });
    store.schedule(`refund:${id}`, 'refund', now, { refund: id });
    return id;
  }

  /** One step: request the refund (until accepted) or ask how it went (after). Re-schedules itself. */
  async run(refundNo: string, tries: number): Promise<void> {
    const { store } = this.host;
    const r = store.refund(refundNo);
    if (r?.status !== 'pending') return store.unschedule(`refund:${refundNo}`);
    const s = this.host.session();
    const a = store.attempt(r.attempt_id)!;
    const { provider, config } = this.host.resolvedFor(a);
    const ctx = this.host.providerCtx();
    const retry = () => store.schedule(`refund:${refundNo}`, 'refund', this.host.now() + at(REFUND_RETRY_MS, tries), { refund: refundNo }, tries + 1);
    await this.host.fault('refund.beforeRequest');
    try {
      const result = r.submitted
        ? await provider.refundQuery(ctx, config, refundNo, parse(r.provider_data))
        : await provider.refund(ctx, config, {
            attemptId: a.id,
            refundId: refundNo,
            amount: r.amount,
            total: a.paid_amount ?? s.amount,
            currency: 'CNY',
            ...(r.reason ? { reason: r.reason } : {}),
            notifyUrl: this.host.notifyUrl(a.channel),
            ...(a.provider_data ? { providerData: parse(a.provider_data)! } : {}),
            ...(a.provider_transaction_id ? { providerTransactionId: a.provider_transaction_id } : {}),
          });
      await this.host.fault('refund.afterProvider');
      if (result.state !== 'pending') {
        this.settle(store.refund(refundNo)!, result);
        return await this.host.fault('refund.afterStore');
      }
      store.updateRefund(
        refundNo,
        {
          submitted: 1,
          ...(result.providerRefundId ? { provider_refund_id: result.providerRefundId } : {}),
          ...(result.providerData ? { provider_data: JSON.stringify(result.providerData) } : {}),
        },
        this.host.now(),
      );
      await this.host.fault('refund.afterStore');
      retry();
    } catch (e) {
      if (e instanceof ProviderError && !e.retryable && !r.submitted) {
        // A definite refusal of the request (e.g. more than remains at the provider): nothing moved.
        return this.settle(r, { state: 'failed', raw: { code: e.code } }, e.message);
      }
      // Unknown outcome (timeout, 5xx): ask again later with the same refund number.
      console.warn(`refund ${refundNo} attempt failed: ${e instanceof Error ? e.message : String(e)}`);
      retry();
    }
  }

  /** A final answer (from the provider's answer, a refund query or a refund notify), applied once. */
  settle(r: RefundRow, result: RefundResult, failure = 'The provider refused or closed the refund.'): void {
    if (r.status !== 'pending' || result.state === 'pending') return;
    const { store } = this.host;
    const now = this.host.now();
    this.host.transaction(() => {
      store.updateRefund(
        r.id,
        {
          status: result.state,
          submitted: 1,
          ...(result.providerRefundId ? { provider_refund_id: result.providerRefundId } : {}),
          ...(result.state === 'failed' ? { failure } : {}),
        },
        now,
      );
      store.unschedule(`refund:${r.id}`);
      const s = this.host.session();
      recordEvent(
        store,
        this.host.merchant(),
        result.state === 'succeeded' ? 'refund.succeeded' : 'refund.failed',
        now,
        refundObject(store.refund(r.id)!, s, store.attempt(r.attempt_id)),
      );
    });
    this.host.changed();
  }
}
