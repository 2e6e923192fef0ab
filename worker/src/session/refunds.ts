// Refund rules and views. A merchant refund is against the session's payment and never above what
// remains of it; an anomaly refund returns a late or duplicate payment in full.

import { ErrorType, type RefundCode } from '../lib/errors';
import type { AttemptRow, RefundRow, SessionRow } from './store';

export interface RefundObject {
  id: string;
  object: 'refund';
  session: string;
  merchant_order_id: string;
  amount: number;
  currency: 'CNY';
  status: RefundRow['status'];
  reason: string | null;
  /** `true` for Shouyin's own refunds of late and duplicate payments (not counted in amount_refunded). */
  automatic: boolean;
  /** The provider order the money is returned from, and its channel and provider. */
  attempt: string;
  channel: AttemptRow['channel'] | null;
  provider: string | null;
  provider_refund_id: string | null;
  failure_reason: string | null;
  /** Unix seconds. */
  created: number;
}

/** API ids carry the provider refund number so they lead to the session without a lookup. */
export const refundApiId = (refundNo: string): string => `re_${refundNo}`;
export const refundNoFromApiId = (id: string): string | null => (/^re_[0-9A-Za-z]{24}R[0-9]{1,7}$/.test(id) ? id.slice(3) : null);
export const refundNoFor = (sessionId: string, seq: number): string => `${sessionId.slice(3)}R${seq}`;
export const sessionIdOfRefundNo = (refundNo: string): string => `cs_${refundNo.slice(0, 24)}`;

export function refundObject(r: RefundRow, s: SessionRow, a: AttemptRow | null): RefundObject {
  return {
    id: refundApiId(r.id),
    object: 'refund',
    session: s.id,
    merchant_order_id: s.merchant_order_id,
    amount: r.amount,
    currency: 'CNY',
    status: r.status,
    reason: r.reason,
    automatic: r.kind === 'anomaly',
    attempt: r.attempt_id,
    channel: a?.channel ?? null,
    provider: a?.provider ?? null,
    provider_refund_id: r.provider_refund_id,
    failure_reason: r.failure,
    created: Math.floor(r.created / 1000),
  };
}

/** Fen of the session's payment already refunded or being refunded (failed refunds give it back). */
export function committedRefunds(refunds: RefundRow[]): number {
  return refunds.filter((r) => r.kind === 'merchant' && r.status !== 'failed').reduce((n, r) => n + r.amount, 0);
}

/** What `amount_refunded` shows: merchant refunds that succeeded. */
export function refundedAmount(refunds: RefundRow[]): number {
  return refunds.filter((r) => r.kind === 'merchant' && r.status === 'succeeded').reduce((n, r) => n + r.amount, 0);
}

export type RefundDecision = { ok: true; amount: number } | { ok: false; type: ErrorType; code: RefundCode; message: string; param?: string };

export function decideRefund(s: SessionRow, paidAmount: number, refunds: RefundRow[], requested: number | undefined): RefundDecision {
  if (s.status !== 'paid') {
    return {
      ok: false,
      type: ErrorType.conflict,
      code: 'session_not_paid',
      message: `Checkout session ${s.id} is ${s.status}; only a paid session can be refunded.`,
    };
  }
  const remaining = paidAmount - committedRefunds(refunds);
  if (remaining <= 0) return { ok: false, type: ErrorType.conflict, code: 'already_refunded', message: `Checkout session ${s.id} is already fully refunded.` };
  const amount = requested ?? remaining;
  if (amount > remaining) {
    return {
      ok: false,
      type: ErrorType.invalid_request,
      code: 'amount_too_large',
      message: `amount ${amount} is more than the ${remaining} fen left to refund.`,
      param: 'amount',
    };
  }
  return { ok: true, amount };
}
