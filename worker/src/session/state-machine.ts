// The pure transition table of a checkout session. The Durable Object persists what this decides
// and enforces nothing on its own; every rule about money lives here and is unit-tested without a DO.
//
//   session:  open ──payment──▶ paid          (exactly once, bound to one attempt)
//             open ──expire───▶ expired
//             open ──cancel───▶ canceled
//   attempt:  pending ──payment──▶ succeeded      pending ──close──▶ closed      pending ──error──▶ failed
//
// Terminal statuses never change (reliability invariant I7). A successful payment that cannot become
// *the* payment (late, duplicate, mismatched) is an anomaly, never a second `paid`.

import type { AttemptStatus, Channel, Flow, SessionStatus } from '../contract';

export interface AttemptState {
  id: string;
  channel: Channel;
  flow: Flow;
  provider: string;
  status: AttemptStatus;
  /** Set once an anomaly was recorded for this attempt, so a repeated notify records nothing new. */
  anomaly: AnomalyReason | null;
}

export interface SessionState {
  status: SessionStatus;
  amount: number;
  currency: 'CNY';
  expiresAt: number;
  channels: Channel[];
  paidAttemptId: string | null;
  attempts: AttemptState[];
}

/** What a verified notify or a query says was paid. */
export interface ReportedPayment {
  attemptId: string;
  amount: number;
  currency: string;
  appId?: string;
  providerMerchantId?: string;
}

/** What the merchant's configuration says the payment must belong to. */
export interface ExpectedIdentity {
  appId?: string;
  providerMerchantId?: string;
}

export type AnomalyReason =
  | 'amount_mismatch'
  | 'currency_mismatch'
  | 'app_mismatch'
  | 'merchant_mismatch'
  | 'unknown_attempt'
  | 'late_payment'
  | 'duplicate_payment';

export type PaymentDecision =
  /** Bind this attempt as the session's payment: open → paid. */
  | { kind: 'paid'; attemptId: string }
  /** Already applied (a retried or duplicated notify): nothing changes, ack success. */
  | { kind: 'already_applied' }
  /** Money moved but must not count. `refund` = eligible for an automatic refund. */
  | { kind: 'anomaly'; reason: AnomalyReason; refund: boolean; attemptId: string };

export function decidePayment(s: SessionState, p: ReportedPayment, expected: ExpectedIdentity): PaymentDecision {
  const attempt = s.attempts.find((a) => a.id === p.attemptId);
  if (!attempt) return { kind: 'anomaly', reason: 'unknown_attempt', refund: false, attemptId: p.attemptId };
  if (s.paidAttemptId === attempt.id) return { kind: 'already_applied' };
  if (attempt.anomaly !== null) return { kind: 'already_applied' };

  // Identity and amount first: a payment that does not match the order is never `paid`,
  // whatever the session's status (providers.md §6.5: always check the amount).
  if (expected.appId !== undefined && p.appId !== expected.appId) {
    return { kind: 'anomaly', reason: 'app_mismatch', refund: false, attemptId: attempt.id };
  }
  if (expected.providerMerchantId !== undefined && p.providerMerchantId !== expected.providerMerchantId) {
    return { kind: 'anomaly', reason: 'merchant_mismatch', refund: false, attemptId: attempt.id };
  }
  if (p.currency !== s.currency) return { kind: 'anomaly', reason: 'currency_mismatch', refund: false, attemptId: attempt.id };
  if (!Number.isSafeInteger(p.amount) || p.amount !== s.amount) {
    return { kind: 'anomaly', reason: 'amount_mismatch', refund: false, attemptId: attempt.id };
  }

  switch (s.status) {
    case 'open':
      return { kind: 'paid', attemptId: attempt.id };
    case 'paid':
      // Paid twice (another attempt or channel): the second one goes back to the shopper.
      return { kind: 'anomaly', reason: 'duplicate_payment', refund: true, attemptId: attempt.id };
    case 'expired':
    case 'canceled':
      return { kind: 'anomaly', reason: 'late_payment', refund: true, attemptId: attempt.id };
  }
}

export type StartDecision =
  | { kind: 'reuse'; attemptId: string }
  | { kind: 'create'; closeFirst: string[] }
  | { kind: 'reject'; code: 'session_not_open' | 'session_expired' | 'channel_unavailable'; message: string };

/** Minimum time left for a new QR to be worth showing. */
export const MIN_ATTEMPT_LIFETIME_MS = 10_000;

export function decideStartAttempt(s: SessionState, channel: Channel, flow: Flow, now: number): StartDecision {
  if (s.status !== 'open') return { kind: 'reject', code: 'session_not_open', message: `This checkout session is ${s.status}.` };
  if (now >= s.expiresAt - MIN_ATTEMPT_LIFETIME_MS) {
    return { kind: 'reject', code: 'session_expired', message: 'This checkout session has expired.' };
  }
  if (!s.channels.includes(channel)) {
    return { kind: 'reject', code: 'channel_unavailable', message: `The channel '${channel}' is not offered for this session.` };
  }
  const pending = s.attempts.filter((a) => a.status === 'pending');
  const same = pending.find((a) => a.channel === channel && a.flow === flow);
  // A provider order stays payable until the session expires, so showing the same QR again is
  // correct and avoids piling up provider orders when the shopper reloads the page.
  if (same) return { kind: 'reuse', attemptId: same.id };
  // Switching channel: the previous provider orders are closed, so one checkout is paid once.
  return { kind: 'create', closeFirst: pending.filter((a) => a.channel !== channel || a.flow !== flow).map((a) => a.id) };
}

export type EndDecision =
  | { kind: 'end'; status: 'expired' | 'canceled'; closeAttempts: string[] }
  | { kind: 'reject'; code: 'session_not_open'; message: string };

export function decideEnd(s: SessionState, status: 'expired' | 'canceled'): EndDecision {
  if (s.status !== 'open') return { kind: 'reject', code: 'session_not_open', message: `This checkout session is already ${s.status}.` };
  return { kind: 'end', status, closeAttempts: s.attempts.filter((a) => a.status === 'pending').map((a) => a.id) };
}

/** Whether the expiry work is due. */
export const isExpired = (s: SessionState, now: number): boolean => s.status === 'open' && now >= s.expiresAt;
