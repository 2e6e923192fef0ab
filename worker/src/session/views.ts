// What each audience sees of a session. The merchant view carries the client_secret and payment
// facts; the public view (the browser's) carries neither provider data nor anything secret.

import type { Channel, NextAction, PublicAttempt, PublicChannel, PublicSessionView, StatusView } from '../contract';
import { withQrMatrix } from '../lib/qr';
import type { ListingRecord } from '../listing/store';
import { refundObject, refundedAmount, type RefundObject } from './refunds';
import type { AttemptRow, BarcodeRow, RefundRow, SessionRow } from './store';

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
  cancel_url: string | null;
  /**
   * The hosted checkout page for this session (docs/hosted-checkout.md): redirect the shopper here
   * instead of embedding the widget. The client secret rides in the fragment, which browsers never send.
   */
  url: string;
  metadata: Record<string, string>;
  payment: MerchantPayment | null;
  refunds: RefundObject[];
}

const seconds = (ms: number): number => Math.floor(ms / 1000);

/** What the session knows beyond its row: the merchant's cancel page and the hosted page's address. */
export interface SessionLinks {
  cancel_url: string | null;
  url: string;
}

export function merchantSession(s: SessionRow, attempts: AttemptRow[], refunds: RefundRow[], links: SessionLinks): MerchantSession {
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
    cancel_url: links.cancel_url,
    url: links.url,
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
    refunds: refunds.map((r) => refundObject(r, s, attempts.find((a) => a.id === r.attempt_id) ?? null)),
  };
}

/**
 * A session as `GET /v1/checkout/sessions` lists it: the retrieve shape without the client secret nor
 * the hosted page `url`, whose fragment is the secret.
 */
export type ListedSessionView = Omit<MerchantSession, 'client_secret' | 'url'>;

/**
 * What the session writes into the merchant's list index at its current version: the list item (never
 * the client secret: the index is a second copy, and whoever needs the secret retrieves the session),
 * the columns the filters use, and its refunds.
 */
export function listingRecord(s: SessionRow, attempts: AttemptRow[], refunds: RefundRow[], links: SessionLinks): ListingRecord {
  const { client_secret: _secret, url: _url, ...item } = merchantSession(s, attempts, refunds, links);
  const paid = s.paid_attempt_id ? attempts.find((a) => a.id === s.paid_attempt_id) : undefined;
  const channel = (paid ?? attempts[attempts.length - 1])?.channel ?? null;
  return {
    session: {
      id: s.id,
      version: s.version,
      created: s.created,
      status: s.status,
      channel,
      merchant_order_id: s.merchant_order_id,
      body: JSON.stringify(item satisfies ListedSessionView),
    },
    refunds: item.refunds.map((r, i) => ({ id: r.id, session: s.id, created: refunds[i]!.created, status: r.status, body: JSON.stringify(r) })),
  };
}

export function publicAttempt(a: AttemptRow): PublicAttempt {
  return {
    id: a.id,
    channel: a.channel,
    flow: a.flow,
    status: a.status,
    created: seconds(a.created),
    // The QR matrix is added as the action is served, not stored: it follows from `data`.
    next_action: a.next_action ? withQrMatrix(JSON.parse(a.next_action) as NextAction) : null,
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

/** `{CHECKOUT_SESSION_ID}` filled in; `{LOCALE}` left for the page that knows the shopper's language. */
const forSession = (url: string | null, id: string): string | null => url?.replaceAll('{CHECKOUT_SESSION_ID}', id) ?? null;

export function publicView(
  s: SessionRow,
  attempts: AttemptRow[],
  merchantName: string,
  channels: PublicChannel[],
  cancelUrl: string | null = null,
): PublicSessionView {
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
    cancel_url: forSession(cancelUrl, s.id),
    return_url: forSession(s.return_url, s.id),
    channels,
    active_attempt: activeAttempt(s, attempts),
  };
}

export function statusView(s: SessionRow, attempts: AttemptRow[]): StatusView {
  return { id: s.id, status: s.status, version: s.version, active_attempt: activeAttempt(s, attempts) };
}

/**
 * A payment-code charge as the till sees it (`POST|GET /v1/checkout/sessions/:id/barcode`).
 * `processing`: the shopper may be entering a password, or the answer is being confirmed; ask again.
 * `succeeded`: the session is paid by it. `failed`: the wallet refused it, nothing was charged.
 * `reversing` / `reversed`: the till gave up (30 s, cancel, expiry); the order is being / was reversed,
 * so the shopper is not charged (a payment that got through anyway is refunded by the reversal).
 * `reverse_failed`: the provider stopped accepting the reversal first; a person must check the order.
 */
export interface BarcodePaymentView {
  id: string;
  object: 'barcode_payment';
  session: string;
  session_status: SessionRow['status'];
  channel: Channel;
  provider: string;
  status: 'processing' | 'succeeded' | 'failed' | 'reversing' | 'reversed' | 'reverse_failed';
  /** The code as scanned, masked. */
  auth_code: string;
  amount: number;
  currency: 'CNY';
  /** Unix seconds. */
  created: number;
  /** Unix seconds: when the till gives up on a code still unconfirmed. */
  deadline: number;
  failure: { code: string; message: string } | null;
  payment: MerchantPayment | null;
}

export function barcodePaymentView(s: SessionRow, a: AttemptRow, b: BarcodeRow): BarcodePaymentView {
  const mine = s.paid_attempt_id === a.id;
  let status: BarcodePaymentView['status'];
  let failure = b.failure_code ? { code: b.failure_code, message: b.failure_message ?? '' } : null;
  switch (b.phase) {
    case 'paying':
    case 'waiting':
      status = 'processing';
      break;
    case 'paid':
      status = mine ? 'succeeded' : 'failed';
      if (!mine) {
        // Paid, but the session was already paid (or the payment did not match it): an anomaly,
        // refunded automatically when the merchant allows it (payment.anomaly).
        failure = {
          code: a.anomaly ?? 'anomaly',
          message:
            "The shopper paid, but this payment cannot be the session's; it is recorded as payment.anomaly (and refunded automatically when auto_refund_anomalies is on).",
        };
      }
      break;
    case 'failed':
      status = 'failed';
      break;
    case 'reversing':
    case 'reversed':
    case 'reverse_failed':
      status = b.phase;
      break;
  }
  return {
    id: a.id,
    object: 'barcode_payment',
    session: s.id,
    session_status: s.status,
    channel: a.channel,
    provider: a.provider,
    status,
    auth_code: b.auth_code,
    amount: s.amount,
    currency: s.currency,
    created: seconds(b.started),
    deadline: seconds(b.deadline),
    failure,
    payment: mine
      ? {
          attempt: a.id,
          channel: a.channel,
          provider: a.provider,
          provider_transaction_id: a.provider_transaction_id,
          amount: a.paid_amount ?? s.amount,
          currency: s.currency,
          paid_at: a.paid_at === null ? null : seconds(a.paid_at),
        }
      : null,
  };
}
