// The one interface every payment provider implements. Registered in ./registry.ts.
// Nothing provider-specific may leak out of a provider's folder: the session Durable Object and
// the routes only ever see the shapes below.

import type { Channel, Flow, NextAction } from '../contract';
import type { StatementResult } from '../bills/statement';

/** How a provider reaches the outside world. Tests and the sandbox swap `fetch`; nothing else differs. */
export interface ProviderContext {
  fetch: (request: Request) => Promise<Response>;
  /** Milliseconds since the epoch (injected so tests can move time). */
  now: () => number;
  /** `true` for `sk_test_` merchants. */
  testMode: boolean;
  /** `{public_base_url}/sandbox`: where a test merchant's provider calls go when no api_base is configured. */
  sandboxBaseUrl: string;
}

export interface CreateAttemptInput {
  /** Our attempt id, sent to the provider as its merchant order number (≤ 32, [0-9A-Za-z]). */
  attemptId: string;
  flow: Flow;
  /** Integer fen. */
  amount: number;
  currency: 'CNY';
  description: string;
  /** When the provider order must stop being payable (ms since epoch). */
  expiresAt: number;
  /** `{public_base_url}/notify/{channel}/{merchant}`. */
  notifyUrl: string;
  /** Where a redirect / page flow returns the shopper. */
  returnUrl?: string;
  client: { ip?: string; userAgent?: string; openid?: string };
}

export interface CreateAttemptResult {
  nextAction: NextAction;
  /** Provider data kept with the attempt (e.g. prepay_id); never shown to the browser. */
  providerData?: Record<string, string>;
}

/** Facts of a successful payment, as reported by a verified notify or a query. */
export interface PaymentFacts {
  /** The provider order number = our attempt id. */
  attemptId: string;
  /** The provider's own transaction id. */
  providerTransactionId: string;
  /** Integer fen actually paid for the order. */
  amount: number;
  currency: string;
  /** The app id / merchant id the provider says the payment belongs to (checked against config). */
  appId?: string;
  providerMerchantId?: string;
  /** ms since epoch, when the provider says it was paid. */
  paidAt: number;
  payer?: string;
}

export type QueryResult =
  | { state: 'paid'; payment: PaymentFacts; raw: unknown }
  | { state: 'pending'; raw: unknown }
  | { state: 'closed'; raw: unknown }
  | { state: 'not_found'; raw: unknown };

export type CloseResult = { state: 'closed' } | { state: 'already_paid' } | { state: 'not_found' };

export interface RefundInput {
  attemptId: string;
  /** What createAttempt returned for the paid attempt. */
  providerData?: Record<string, string>;
  /** The provider's transaction id of the payment being refunded (UnionPay's origQryId). */
  providerTransactionId?: string;
  /** Our refund id, sent as out_refund_no / out_request_no. */
  refundId: string;
  amount: number;
  /** Total of the original payment, integer fen. */
  total: number;
  currency: 'CNY';
  reason?: string;
  notifyUrl: string;
}

export type RefundState = 'pending' | 'succeeded' | 'failed';

export interface RefundResult {
  state: RefundState;
  providerRefundId?: string;
  /** Kept with the refund and handed back to refundQuery (e.g. UnionPay's refund orderId + txnTime). */
  providerData?: Record<string, string>;
  raw: unknown;
}

/** In-store payment: the shopper shows a payment code (付款码), the merchant's till scans it. */
export interface CodePayInput {
  /** Our attempt id, sent as out_trade_no. */
  attemptId: string;
  /** The scanned code, digits only (worker/src/session/payment-code.ts decided the channel). */
  authCode: string;
  /** Integer fen. */
  amount: number;
  currency: 'CNY';
  description: string;
  /** `{public_base_url}/notify/{channel}/{merchant}` (Alipay notifies barcode trades; WeChat does not). */
  notifyUrl: string;
  /** The till's address, where the provider asks for one (spbill_create_ip / device_ip). */
  client: { ip?: string };
}

/**
 * What the pay call says. `unknown` whenever the answer cannot be believed or never came (timeout,
 * 5xx, SYSTEMERROR, an unverifiable answer): the caller queries before deciding, never assumes failure.
 * `failed` only for a definite refusal: nothing was charged.
 */
export type CodePayResult =
  | { state: 'paid'; payment: PaymentFacts; raw: unknown }
  | { state: 'user_paying'; raw: unknown }
  | { state: 'failed'; code: string; message: string; raw: unknown }
  | { state: 'unknown'; reason: string; raw?: unknown };

/** Reversing a payment-code order (WeChat reverse, Alipay trade.cancel): closes it if unpaid, refunds it if paid. */
export type ReverseResult = { state: 'done'; raw: unknown } | { state: 'retry'; reason: string; raw?: unknown };

/** What a verified notify says. Anything unverifiable throws VerificationError instead. */
export type NotifyEvent =
  | { kind: 'payment'; payment: PaymentFacts; raw: unknown }
  /** A verified notify that moves nothing (e.g. Alipay WAIT_BUYER_PAY); still acked. */
  | { kind: 'informational'; attemptId: string; state: string; raw: unknown }
  | { kind: 'refund'; attemptId: string; refundId: string; state: RefundState; providerRefundId?: string; raw: unknown };

export interface IncomingNotify {
  method: string;
  /** Lowercased header names. */
  headers: Record<string, string>;
  /** The exact body text as received. */
  body: string;
  contentType: string;
}

export interface Ack {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface PaymentProvider<Config> {
  /** e.g. `wechat-v3`. Stable: stored with every attempt. */
  readonly id: string;
  readonly channel: Channel;
  /** Flows this provider implements. */
  readonly flows: readonly Flow[];

  createAttempt(ctx: ProviderContext, config: Config, input: CreateAttemptInput): Promise<CreateAttemptResult>;
  /** `providerData` is what createAttempt returned for this attempt (e.g. UnionPay's original txnTime). */
  query(ctx: ProviderContext, config: Config, attemptId: string, providerData?: Record<string, string>): Promise<QueryResult>;
  close(ctx: ProviderContext, config: Config, attemptId: string, providerData?: Record<string, string>): Promise<CloseResult>;
  refund(ctx: ProviderContext, config: Config, input: RefundInput): Promise<RefundResult>;
  /** `refundData` is what refund() returned in RefundResult.providerData for this refund. */
  refundQuery(ctx: ProviderContext, config: Config, refundId: string, refundData?: Record<string, string>): Promise<RefundResult>;
  /** Optional: charge a scanned payment code (付款码). Providers without it cannot take in-store payments. */
  payWithCode?(ctx: ProviderContext, config: Config, input: CodePayInput): Promise<CodePayResult>;
  /** With payWithCode: undo a payment-code order the till gave up on, paid or not. Idempotent. */
  reverse?(ctx: ProviderContext, config: Config, attemptId: string, providerData?: Record<string, string>): Promise<ReverseResult>;
  /** Optional: the provider's statement (对账单) for one Beijing day `YYYY-MM-DD`, parsed into one row shape (worker/src/bills). */
  downloadStatement?(ctx: ProviderContext, config: Config, date: string): Promise<StatementResult>;
  /** Verify on the raw bytes, then decrypt/parse. Throws VerificationError when anything fails. */
  parseNotify(ctx: ProviderContext, config: Config, notify: IncomingNotify): Promise<NotifyEvent>;
  /** The provider's exact acknowledgement: success only after the effect is stored. */
  ack(ok: true): Ack;
  ack(ok: false, failure: AckFailure): Ack;
}

export type AckFailureReason = 'unverified' | 'unknown_order' | 'not_stored' | 'too_large';
export interface AckFailure {
  reason: AckFailureReason;
  message: string;
}
