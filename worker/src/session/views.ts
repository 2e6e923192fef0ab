// What each audience sees of a session. The merchant view carries the client_secret and payment
// facts; the public view (the browser's) carries neither provider data nor anything secret.

import type { Channel, NextAction, PublicAttempt, PublicChannel, PublicSessionView, StatusView } from '../contract';
import { refundObject, refundedAmount, type RefundObject } from './refunds';
import type { AttemptRow, RefundRow, SessionRow } from './store';

export interface MerchantPayment {
  attempt: string;
  channel: Channel;
  provider: string;
  provider_transaction_id: string | null;
  amount: number;
  currency: 'CNY';
  paid_at: number | null;
}

export interface MerchantSession {
  id: string;
  object: 'checkout.session';
  status: SessionRow['status'];
  amount: number;
  amount_refunded: number;
  currency: 'CNY';
  description: string;
  merchant_order_id: string;
  channels: Channel[];
  client_secret: string;
  /** Unix seconds. */
  expires_at: number;
  /** Unix seconds. */
  created: number;
  livemode: boolean;
  return_url: string | null;
  metadata: Record<string, string>;
  payment: MerchantPayment | null;
  refunds: RefundObject[];
}

const seconds = (ms: number): number => Math.floor(ms / 1000);

export function merchantSession(s: SessionRow, attempts: AttemptRow[], refunds: RefundRow[]): MerchantSession {
  const paid = s.paid_attempt_id ? attempts.find((a) => a.id === s.paid_attempt_id) : undefined;
  return {
    id: s.id,
    object: 'checkout.session',
    status: s.status,
    amount: s.amount,
    amount_refunded: refundedAmount(refunds),
    currency: s.currency,
    description: s.description,
    merchant_order_id: s.merchant_order_id,
    channels: JSON.parse(s.channels) as Channel[],
    client_secret: s.client_secret,
    expires_at: seconds(s.expires_at),
    created: seconds(s.created),
    livemode: s.livemode === 1,
    return_url: s.return_url,
    metadata: JSON.parse(s.metadata) as Record<string, string>,
    payment: paid
      ? {
          attempt: paid.id,
          channel: paid.channel,
          provider: paid.provider,
          provider_transaction_id: paid.provider_transaction_id,
          amount: paid.paid_amount ?? s.amount,
          currency: s.currency,
          paid_at: paid.paid_at === null ? null : seconds(paid.paid_at),
        }
      : null,
    refunds: refunds.map((r) => refundObject(r, s)),
  };
}

export function publicAttempt(a: AttemptRow): PublicAttempt {
  return {
    id: a.id,
    channel: a.channel,
    flow: a.flow,
    status: a.status,
    created: seconds(a.created),
    next_action: a.next_action ? (JSON.parse(a.next_action) as NextAction) : null,
  };
}

/** The attempt the widget should show: the newest pending one with an action, else the paid one. */
export function activeAttempt(s: SessionRow, attempts: AttemptRow[]): PublicAttempt | null {
  if (s.paid_attempt_id) {
    const paid = attempts.find((a) => a.id === s.paid_attempt_id);
    if (paid) return publicAttempt(paid);
  }
  const pending = attempts.filter((a) => a.status === 'pending' && a.next_action !== null);
  const last = pending[pending.length - 1];
  return last ? publicAttempt(last) : null;
}

export function publicView(s: SessionRow, attempts: AttemptRow[], merchantName: string, channels: PublicChannel[]): PublicSessionView {
  return {
    id: s.id,
    object: 'checkout.session.public',
    status: s.status,
    amount: s.amount,
    currency: s.currency,
    description: s.description,
    merchant_name: merchantName,
    merchant_order_id: s.merchant_order_id,
    expires_at: new Date(s.expires_at).toISOString(),
    livemode: s.livemode === 1,
    channels,
    active_attempt: activeAttempt(s, attempts),
  };
}

export function statusView(s: SessionRow, attempts: AttemptRow[]): StatusView {
  return { id: s.id, status: s.status, version: s.version, active_attempt: activeAttempt(s, attempts) };
}
