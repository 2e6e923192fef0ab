// The one interface every payment provider implements, and the registry entry that describes it
// (./registry.ts lists the entries). Nothing provider-specific may leak out of a provider's folder:
// the session Durable Object, the routes and the reconciliation run only ever see the shapes below.

import type { Channel, Flow, NextAction } from '../contract';
import type { Statement, StatementDating, StatementResult } from '../bills/statement';

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
  /**
   * The merchant's order number (1–32 of [A-Za-z0-9_-]), sent in the provider's field that comes back
   * to the merchant as is (WeChat Pay attach, Alipay passback_params, UnionPay reqReserved), so the
   * provider's records name the merchant's order, not only Shouyin's attempt id.
   */
  merchantOrderId?: string;
  /** The session's metadata, for a provider that reads its own keys there (WeChat Native mode 1: product_id, openid). */
  metadata?: Record<string, string>;
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

/**
 * Reversing a payment-code order (WeChat reverse, Alipay trade.cancel): closes it if unpaid, refunds it
 * if paid. `refused`: the provider will never reverse this order (past its reversal window, say);
 * asking again cannot help, and a person must look at it.
 */
export type ReverseResult =
  | { state: 'done'; raw: unknown }
  | { state: 'retry'; reason: string; raw?: unknown }
  | { state: 'refused'; code: string; reason: string; raw?: unknown };

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
  /**
   * With reverse: how long after the pay call the provider still accepts a reversal, when it says
   * (WeChat Pay: 7 days). Past it Shouyin stops asking and raises a payment.anomaly for a person.
   */
  reverseWindowMs?: number;
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

/** What the merchant's configuration says a payment must belong to (the session checks every payment against it). */
export interface ExpectedIdentity {
  appId?: string;
  providerMerchantId?: string;
}

/**
 * The identity a payment report is checked against, with the rail that verified it: the channel and
 * provider whose notify route, query or pay call the report came through. A verified report is only
 * ever about an order on that rail, so it can pay only an attempt made with that provider.
 */
export interface PaymentIdentity extends ExpectedIdentity {
  channel: Channel;
  provider: string;
}

/**
 * Where the shopper is, as worker/src/session/environment.ts reads it from the User-Agent:
 * - `desktop`: a computer's browser. The phone in the shopper's hand scans a QR code.
 * - `mobile`: a phone or tablet browser outside the wallets. Wallet redirects (WeChat H5, Alipay wap,
 *   UnionPay mobile front page) open the wallet on the same device.
 * - `wechat`: WeChat's in-app browser on a phone.
 * - `alipay`: Alipay's in-app browser.
 */
export type Environment = 'desktop' | 'mobile' | 'wechat' | 'alipay';

/**
 * The payment codes (付款码) of a channel's wallet, read from their digits (worker/src/session/payment-code.ts).
 * `accepted: false` names codes that are recognised only to be refused clearly.
 */
export type PaymentCodeRule =
  | {
      accepted: true;
      /** The first two digits, e.g. `/^1[0-5]$/`, and how people read them: `10–15`. */
      prefix: RegExp;
      prefixText: string;
      minLength: number;
      maxLength: number;
    }
  | {
      accepted: false;
      prefix: RegExp;
      prefixText: string;
      /** How the refusal names the codes: `UnionPay (云闪付)`. */
      label: string;
    };

/** What every provider of one channel shares (WeChat Pay's APIv3 and APIv2 providers share one). */
export interface ChannelInfo<C extends Channel = Channel> {
  readonly id: C;
  /** As merchants and shoppers read it: `WeChat Pay`. */
  readonly name: string;
  /**
   * The flows worth offering in each environment, best first (the first is the widget's default).
   * `app` is never here: it hands a payload to the merchant's native app, not a web page.
   */
  readonly flowOrder: Readonly<Record<Environment, readonly Flow[]>>;
  /** Environments whose app blocks this channel outright: the widget says to open a browser instead. */
  readonly blockedIn?: readonly Environment[];
  /** The wallet's payment codes, when a till may scan them (or should be told they are refused). */
  readonly paymentCode?: PaymentCodeRule;
}

/** When several providers serve one channel, the config field whose value picks one (WeChat Pay's `api_version`). */
export interface ConfigVariant {
  readonly field: string;
  readonly value: string;
  /** This provider is the one picked when the field is absent. */
  readonly default?: boolean;
  /** How an error lists the choice: `"v3" (JSON, RSA)`. */
  readonly describe: string;
}

/** The statement (对账单) file of a provider, turned into the one row shape worker/src/bills reconciles. */
export interface BillFormat {
  /** What the file is, for people: `WeChat Pay trade bill (交易账单, CSV)`. */
  readonly name: string;
  /** One file as downloaded and unpacked; `date` is the Beijing day it covers. Throws StatementFormatError. */
  parse(file: Uint8Array, fileName: string, date: string): Statement;
  /** Which day the statement lists a movement on: calendar or clearing day, and a refund's request or settle day. */
  readonly dating: StatementDating;
}

/** A product a static QR code sells. */
export interface Product {
  /** Integer fen. */
  amount: number;
  description: string;
}

/** A shopper scanned a static product QR: the checkout session to make for it. */
export interface ProductScan {
  productId: string;
  product: Product;
  /** Derived from the scan, so a retried callback finds the same session rather than selling twice. */
  merchantOrderId: string;
  idempotencyKey: string;
  metadata: Record<string, string>;
}

/**
 * Static product QR codes (WeChat Pay Native mode 1): a printed QR sells one configured product, and
 * every scan makes the provider call Shouyin for an order (worker/src/routes/product-qr.ts).
 */
export interface ProductQr<Config> {
  /** How messages name it: `Native mode 1`. */
  readonly name: string;
  /** What a merchant configures to use it: `an APIv2 wechat_pay config`. */
  readonly requires: string;
  /** The QR content for a configured product. Throws an invalid-request error naming product_id for any other. */
  link(ctx: ProviderContext, config: Config, productId: string): Promise<string>;
  /**
   * The provider's call after a scan: verified, then `order` makes the checkout session and its
   * attempt and returns the attempt as the provider must be asked for it. Answers the provider in
   * its own format, with the order or a refusal it shows the shopper.
   */
  callback(ctx: ProviderContext, config: Config, body: () => Promise<string>, order: (scan: ProductScan) => Promise<CreateAttemptInput>): Promise<Ack>;
}

/**
 * A flow that needs the payer's id under one of the merchant's apps, which only the app's web OAuth
 * gives (WeChat JSAPI needs the openid): Shouyin runs that hop itself (worker/src/routes/wechat-oauth.ts).
 */
export interface PayerOauth<Config> {
  /** The app whose OAuth gives the payer's id, if the merchant configured one. */
  account(config: Config): { appid: string; appsecret: string } | undefined;
  /** True when the OAuth pages are the built-in sandbox's (a test merchant on the sandbox). */
  sandboxed(config: Config, livemode: boolean): boolean;
}

/**
 * One provider as the registry knows it: everything the core needs, so adding a provider is its
 * folder plus one line in ./registry.ts.
 */
export interface ProviderEntry<Config = unknown, C extends Channel = Channel> {
  /** Stable: stored with every attempt (= provider.id). */
  readonly id: string;
  /** The channel this provider serves, and what every provider of it shares. */
  readonly channel: ChannelInfo<C>;
  /** Needed when another provider serves the same channel; the parsed config keeps the field. */
  readonly variant?: ConfigVariant;
  /** `merchants[i].providers.<channel>` → this provider's config. Throws ConfigError naming the field's path. */
  parseConfig(raw: unknown, path: string, livemode: boolean): Config;
  /** The ids a verified payment must carry to belong to the merchant. */
  identity(config: Config): ExpectedIdentity;
  /** The flows the merchant's config allows; all of provider.flows when absent. */
  flows?(config: Config): readonly Flow[];
  /** For a flow `flows` can leave out: the config fields that turn it on (the admin API's `check` says what is missing). */
  readonly flowRequires?: Partial<Record<Flow, string>>;
  readonly provider: PaymentProvider<Config>;
  /** The format of the statement provider.downloadStatement reads. */
  readonly bill?: BillFormat;
  readonly productQr?: ProductQr<Config>;
  readonly payerOauth?: PayerOauth<Config>;
}
