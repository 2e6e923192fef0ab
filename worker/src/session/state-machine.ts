// The pure transition table of a checkout session. The Durable Object persists what this decides
// and enforces nothing on its own; every rule about money lives here and is unit-tested without a DO.
//
//   session:  open ──payment──▶ paid          (exactly once, bound to one attempt)
//             open ──expire───▶ expired
//             open ──cancel───▶ canceled
//   attempt:  pending ──payment──▶ succeeded      pending ──close──▶ closed      pending ──error──▶ failed
//
//   payment code (flow `barcode`, the till scanned the shopper's 付款码; docs/instore.md):
//             paying ──paid──▶ paid          paying ──declined──▶ failed
//             paying ──password / unknown──▶ waiting ──query every 5 s──▶ paid | failed
//             paying | waiting ──30 s, cancel, expiry, another payment──▶ reversing ──provider done──▶ reversed
//   A payment seen on a reversing or reversed order is reversed again (a reversal refunds a paid order),
//   never bound: the till gave up on it, so the shopper must not be charged for it.
//
// Terminal statuses never change. A successful payment that cannot become
// *the* payment (late, duplicate, mismatched) is an anomaly, never a second `paid`.

import type { AttemptStatus, Channel, Flow, SessionStatus } from '../contract';
import { ErrorType } from '../lib/errors';
import { channelInfo } from '../providers/registry';
import type { PaymentIdentity } from '../providers/types';

export interface AttemptState {
  id: string;
  channel: Channel;
  flow: Flow;
  provider: string;
  status: AttemptStatus;
  /** Set once an anomaly was recorded for this attempt, so a repeated notify records nothing new. */
  anomaly: AnomalyReason | null;
  /** Payment-code attempts only: where the charge stands. */
  barcode?: BarcodePhase | null;
  /**
   * Its provider order is being closed (a close is due): the shopper switched away, or its create
   * went unanswered. Still `pending` until the provider confirms, but never shown again.
   */
  closing?: boolean;
}

/** Where a payment-code (barcode) attempt stands. */
export type BarcodePhase =
  /** The pay call is out (or was, when the object restarted): its outcome is not known yet. */
  | 'paying'
  /** The shopper is entering a password, or the outcome is unknown: the order is queried every 5 s. */
  | 'waiting'
  /** The till gave up: reversed (WeChat reverse, Alipay trade.cancel) until the provider confirms. */
  | 'reversing'
  /** The provider reversed it: closed if it was unpaid, refunded if it was paid. */
  | 'reversed'
  /**
   * The provider stopped accepting its reversal (past its window, or refused for good) before it
   * confirmed one: a payment.anomaly asks a person to check the order (docs/instore.md).
   */
  | 'reverse_failed'
  /** Paid (the session's payment, or an anomaly's). */
  | 'paid'
  /** The provider refused it: nothing was charged. */
  | 'failed';

const GIVEN_UP: readonly (BarcodePhase | null | undefined)[] = ['reversing', 'reversed'];

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

export type AnomalyReason =
  | 'amount_mismatch'
  | 'currency_mismatch'
  | 'app_mismatch'
  | 'merchant_mismatch'
  /**
   * A verified payment on another rail's order: a notify (say WeChat Pay's) whose order number is an
   * attempt made with another provider (say Alipay). Money moved on the reporting rail, not on the
   * attempt's order, so the attempt is left as it is (its own order may still be paid) and nothing is
   * refunded through its provider: a person returns the money on the reporting rail.
   */
  | 'channel_mismatch'
  | 'unknown_attempt'
  | 'late_payment'
  | 'duplicate_payment'
  /** A payment-code order the till gave up on could not be reversed within the provider's window. */
  | 'reverse_window_closed';

export type PaymentDecision =
  /** Bind this attempt as the session's payment: open → paid. */
  | { kind: 'paid'; attemptId: string }
  /** Already applied (a retried or duplicated notify): nothing changes, ack success. */
  | { kind: 'already_applied' }
  /** Money moved but must not count. `refund` = eligible for an automatic refund. */
  | { kind: 'anomaly'; reason: AnomalyReason; refund: boolean; attemptId: string }
  /** A payment-code order the till gave up on: reverse it (again); its reversal returns the money. */
  | { kind: 'reverse'; attemptId: string };

export function decidePayment(s: SessionState, p: ReportedPayment, expected: PaymentIdentity): PaymentDecision {
  const attempt = s.attempts.find((a) => a.id === p.attemptId);
  if (!attempt) return { kind: 'anomaly', reason: 'unknown_attempt', refund: false, attemptId: p.attemptId };
  // The rail first: a provider verifies only its own orders, so its report can be about this attempt
  // only when the attempt was made with it. Another rail's payment never binds, repeats, reverses or
  // refunds this attempt, whatever the attempt's state (docs/reliability.md#anomalies).
  if (expected.channel !== attempt.channel || expected.provider !== attempt.provider) {
    return { kind: 'anomaly', reason: 'channel_mismatch', refund: false, attemptId: attempt.id };
  }
  if (s.paidAttemptId === attempt.id) return { kind: 'already_applied' };
  if (attempt.anomaly !== null) return { kind: 'already_applied' };
  if (GIVEN_UP.includes(attempt.barcode)) return { kind: 'reverse', attemptId: attempt.id };
  // The till gave up and the provider no longer reverses it: money that arrives is returned by refund.
  if (attempt.barcode === 'reverse_failed') return { kind: 'anomaly', reason: 'late_payment', refund: true, attemptId: attempt.id };

  // Identity and amount first: a payment that does not match the order is never `paid`,
  // whatever the session's status: every provider's notify documentation asks the merchant to check
  // the amount (and the app and merchant ids) against its own order before treating it as paid.
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
  // A payment-code attempt runs to its own 30 s deadline (a shopper may be entering a password right now).
  const pending = s.attempts.filter((a) => a.status === 'pending' && a.flow !== 'barcode');
  // One being closed is not offered again: its close, retried, would close the QR the shopper is
  // looking at (an Alipay QR answers "no such trade" to a close until it is scanned, docs/alipay.md).
  const same = pending.find((a) => a.channel === channel && a.flow === flow && !a.closing);
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

// ── payment codes (in store) ─────────────────────────────────────────────────────────────────────

/** How long the till waits for a shopper's password before it gives up and reverses (docs/instore.md). */
export const BARCODE_DEADLINE_MS = 30_000;
/**
 * A payment code is not charged on a session about to expire: the 30 s wait and the reversal must fit
 * before expiry closes everything.
 */
export const MIN_BARCODE_LIFETIME_MS = 40_000;

export type BarcodeStartDecision =
  | { kind: 'create'; closeFirst: string[] }
  | {
      kind: 'reject';
      type: typeof ErrorType.invalid_request | typeof ErrorType.conflict;
      code: 'session_not_open' | 'session_expired' | 'channel_unavailable' | 'barcode_in_progress';
      message: string;
      param?: 'auth_code';
    };

export function decideStartBarcode(s: SessionState, channel: Channel, now: number): BarcodeStartDecision {
  if (s.status !== 'open') return { kind: 'reject', type: ErrorType.conflict, code: 'session_not_open', message: `This checkout session is ${s.status}.` };
  if (now >= s.expiresAt - MIN_BARCODE_LIFETIME_MS) {
    return {
      kind: 'reject',
      type: ErrorType.conflict,
      code: 'session_expired',
      message: 'This checkout session expires in less than 40 s, too soon to charge a payment code; create a new session.',
    };
  }
  if (!s.channels.includes(channel)) {
    return {
      kind: 'reject',
      type: ErrorType.invalid_request,
      code: 'channel_unavailable',
      param: 'auth_code',
      message: `This is a ${channelInfo(channel).name} payment code, but the session does not offer ${channel}. Ask the shopper for another wallet.`,
    };
  }
  const running = s.attempts.find((a) => a.flow === 'barcode' && (a.barcode === 'paying' || a.barcode === 'waiting'));
  if (running) {
    // One payment code at a time: a second one while the first may still be paid could charge twice.
    return {
      kind: 'reject',
      type: ErrorType.conflict,
      code: 'barcode_in_progress',
      message: `Payment code attempt ${running.id} is still being confirmed (the shopper may be entering a password); wait for its result, or cancel the session.`,
    };
  }
  // The shopper pays at the till: any QR or cashier order still open for this session is closed first
  // (a payment that lands on one anyway is a duplicate, refunded automatically).
  return { kind: 'create', closeFirst: s.attempts.filter((a) => a.status === 'pending' && a.flow !== 'barcode').map((a) => a.id) };
}

/** What the pay call's answer does to the attempt (`paid` goes through decidePayment like any payment). */
export function phaseAfterPay(result: 'paid' | 'user_paying' | 'unknown' | 'failed'): BarcodePhase {
  switch (result) {
    case 'paid':
      return 'paid';
    case 'failed':
      return 'failed';
    case 'user_paying':
    case 'unknown':
      // Never "failed" on an unknown outcome: the order may exist and be paid; ask the provider.
      return 'waiting';
  }
}

export type BarcodeQueryDecision = { kind: 'stop' } | { kind: 'apply' } | { kind: 'failed' } | { kind: 'query'; at: number } | { kind: 'reverse' };

/** Payment-code orders are asked every 5 s (WeChat: "等待5秒后调用查询订单API"). */
export const BARCODE_QUERY_MS = 5_000;

/**
 * One query of a payment-code order. Until the deadline the provider is asked again every 5 s; at the
 * deadline anything short of paid or definitely failed (USERPAYING, WAIT_BUYER_PAY, not found, no
 * answer) is reversed, so the shopper is never charged for a sale the till gave up on.
 */
export function decideBarcodeQuery(
  phase: BarcodePhase,
  deadline: number,
  now: number,
  answer: 'paid' | 'pending' | 'closed' | 'not_found' | 'error',
): BarcodeQueryDecision {
  if (phase !== 'paying' && phase !== 'waiting') return { kind: 'stop' };
  if (answer === 'paid') return { kind: 'apply' };
  // PAYERROR, CLOSED, REVOKED, TRADE_CLOSED: the order is over and nothing was charged.
  if (answer === 'closed') return { kind: 'failed' };
  if (now >= deadline) return { kind: 'reverse' };
  return { kind: 'query', at: Math.min(now + BARCODE_QUERY_MS, deadline) };
}

/** Whether the till may still give up on this attempt (it is neither settled nor given up already). */
export const canGiveUp = (phase: BarcodePhase): boolean => phase === 'paying' || phase === 'waiting';
