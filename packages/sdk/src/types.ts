// The merchant API's objects as they travel on the wire (docs/merchant-api.md, docs/webhooks.md).
//
// These are declared here rather than imported from the worker so that the published .d.ts stands on
// its own: a merchant's project has no worker/ folder, and the worker's types reach into its storage
// rows and the Workers runtime. worker/test/sdk.test.ts asserts, at type-check time (`npx tsc -p .`),
// that every type below that has a twin in the worker is exactly that twin, so the two cannot drift.

/** Payment channels (worker/src/contract.ts `CHANNELS`). */
export type Channel = 'wechat_pay' | 'alipay' | 'unionpay';
/** How an attempt is paid (worker/src/contract.ts `FLOWS`); `barcode` is a payment code scanned at a till. */
export type Flow = 'qr' | 'h5' | 'jsapi' | 'page' | 'app' | 'barcode';
export type SessionStatus = 'open' | 'paid' | 'expired' | 'canceled';
export type AttemptStatus = 'pending' | 'succeeded' | 'closed' | 'failed';
export type RefundStatus = 'pending' | 'succeeded' | 'failed';

/** What the shopper's device does next for an attempt (docs/widget.md). */
export type NextAction =
  | {
      type: 'display_qr';
      /** The text to encode in the QR code (e.g. `weixin://wxpay/bizpayurl?pr=…`). */
      data: string;
      /** ISO 8601; when this QR stops being payable. */
      expires_at: string;
      /** Test mode only: the sandbox wallet page a person opens instead of scanning. */
      sandbox_wallet_url?: string;
      /** `data` encoded as a QR code by the Worker (docs/widget.md, "The QR matrix"). */
      qr?: QrMatrix;
    }
  | { type: 'redirect'; url: string }
  | { type: 'form_post'; url: string; fields: Record<string, string> }
  | { type: 'wechat_jsapi'; params: Record<string, string> }
  | { type: 'app_payload'; payload: string | Record<string, string> };

/** A QR code's modules: `size` × `size`, row by row, eight to a byte, MSB first, 1 = dark, base64 in `bits`. */
export interface QrMatrix {
  size: number;
  bits: string;
}

/** One payment attempt of a session. */
export interface Attempt {
  id: string;
  channel: Channel;
  flow: Flow;
  status: AttemptStatus;
  created: number;
  next_action: NextAction | null;
}

/** `POST /v1/checkout/sessions/:id/attempts` → 201. */
export interface AttemptResult {
  attempt: Attempt;
  next_action: NextAction;
}

/** A paid session's payment. */
export interface Payment {
  /** The order number the provider saw (`out_trade_no` / `orderId`). */
  attempt: string;
  channel: Channel;
  /** `wechat-v3`, `wechat-v2`, `alipay` or `unionpay`. */
  provider: string;
  provider_transaction_id: string | null;
  amount: number;
  currency: 'CNY';
  /** Unix seconds. */
  paid_at: number | null;
}

/** A refund (`re_…`), docs/merchant-api.md#refunds. */
export interface Refund {
  id: string;
  object: 'refund';
  session: string;
  merchant_order_id: string;
  amount: number;
  currency: 'CNY';
  status: RefundStatus;
  reason: string | null;
  /** `true` for Shouyin's own refunds of late and duplicate payments (not counted in amount_refunded). */
  automatic: boolean;
  /** The provider order the money is returned from, and its channel and provider. */
  attempt: string;
  channel: Channel | null;
  provider: string | null;
  provider_refund_id: string | null;
  failure_reason: string | null;
  /** Unix seconds. */
  created: number;
}

/** A checkout session (`cs_…`), docs/merchant-api.md#the-session-object. */
export interface CheckoutSession {
  id: string;
  object: 'checkout.session';
  status: SessionStatus;
  /** Integer fen: 8888 is ¥88.88. */
  amount: number;
  amount_refunded: number;
  currency: 'CNY';
  description: string;
  merchant_order_id: string;
  channels: Channel[];
  /** Give this to the page's `<shouyin-checkout client-secret>`, and nothing else of the session. */
  client_secret: string;
  /** Unix seconds. */
  expires_at: number;
  /** Unix seconds. */
  created: number;
  livemode: boolean;
  return_url: string | null;
  cancel_url: string | null;
  /** The hosted checkout page: redirect the shopper here instead of embedding the widget (docs/hosted-checkout.md). */
  url: string;
  metadata: Record<string, string>;
  payment: Payment | null;
  refunds: Refund[];
}

/** A payment-code charge at a till (docs/instore.md). */
export interface BarcodePayment {
  id: string;
  object: 'barcode_payment';
  session: string;
  session_status: SessionStatus;
  channel: Channel;
  provider: string;
  /**
   * `processing`: ask again with `retrieveBarcode`; `reversing` / `reversed`: the till gave up and the shopper is not charged;
   * `reverse_failed`: the wallet stopped accepting the reversal first (a `payment.anomaly` asks a person to check the order).
   */
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
  payment: Payment | null;
}

/** `payment.anomaly`'s object: money arrived that cannot be the session's payment (docs/reliability.md#anomalies). */
export interface PaymentAnomaly {
  object: 'payment.anomaly';
  session: string;
  merchant_order_id: string;
  attempt: string;
  reason:
    | 'late_payment'
    | 'duplicate_payment'
    | 'amount_mismatch'
    | 'currency_mismatch'
    | 'app_mismatch'
    | 'merchant_mismatch'
    | 'channel_mismatch'
    | 'unknown_attempt'
    | 'reverse_window_closed';
  channel: Channel | null;
  provider: string | null;
  amount: number;
  currency: string;
  provider_transaction_id: string | null;
  refund: { status: 'pending'; id: string } | { status: 'disabled' } | { status: 'not_applicable' };
  /** The provider's raw message. */
  evidence: unknown;
}

/** `reconciliation.completed`'s object: the day's summary and the path of the full report (docs/reconciliation.md). */
export interface ReconciliationSummary {
  object: 'reconciliation.summary';
  /** Beijing calendar date, `YYYY-MM-DD`. */
  date: string;
  timezone: 'Asia/Shanghai';
  status: 'balanced' | 'discrepancies' | 'incomplete';
  counts: { discrepancies: number; by_kind: Record<string, number>; anomalies: number; unchecked: number };
  providers: {
    provider: string;
    channel: Channel;
    status: string;
    statement: { payments: unknown; refunds: unknown };
    shouyin: unknown;
    matched: unknown;
    discrepancies: unknown;
  }[];
  /** `GET` this path for the full report. */
  report: string;
}

export type AppleEnvironment = 'production' | 'sandbox';

/** A verified App Store transaction (docs/apple.md). */
export interface AppleTransaction {
  object: 'apple.transaction';
  livemode: boolean;
  environment: AppleEnvironment;
  bundle_id: string;
  product_id: string;
  transaction_id: string;
  original_transaction_id: string | null;
  web_order_line_item_id: string | null;
  /** `Consumable`, `Non-Consumable`, `Auto-Renewable Subscription`, `Non-Renewing Subscription`. */
  type: string | null;
  quantity: number;
  purchase_date: number;
  original_purchase_date: number | null;
  expires_date: number | null;
  subscription_group_identifier: string | null;
  revocation_date: number | null;
  revocation_reason: number | null;
  in_app_ownership_type: string | null;
  transaction_reason: string | null;
  app_account_token: string | null;
  storefront: string | null;
  currency: string | null;
  /** In milliunits of `currency` (Apple's unit: 9990 = 9.99). */
  price: number | null;
  is_upgraded: boolean;
  offer_type: number | null;
  offer_identifier: string | null;
  signed_date: number;
}

export interface AppleRenewalInfo {
  original_transaction_id: string | null;
  product_id: string | null;
  auto_renew_product_id: string | null;
  auto_renew_status: boolean;
  expiration_intent: number | null;
  is_in_billing_retry_period: boolean;
  grace_period_expires_date: number | null;
  renewal_date: number | null;
  signed_date: number;
}

/** An App Store Server Notification V2, verified and decoded (docs/apple.md). */
export interface AppleNotification {
  object: 'apple.notification';
  livemode: boolean;
  notification_uuid: string;
  /** SUBSCRIBED, DID_RENEW, REFUND, ONE_TIME_CHARGE, TEST, … */
  notification_type: string;
  subtype: string | null;
  version: string | null;
  environment: AppleEnvironment;
  bundle_id: string;
  signed_date: number;
  status: number | null;
  transaction: AppleTransaction | null;
  renewal_info: AppleRenewalInfo | null;
}

/** A webhook endpoint (`we_…`). `secret` is only in the answers of create and rotate_secret. */
export interface WebhookEndpoint {
  id: string;
  object: 'webhook_endpoint';
  url: string;
  /** `["*"]` for every event type, or the types sent to this endpoint. */
  enabled_events: string[];
  status: 'enabled' | 'disabled';
  description: string | null;
  /** Unix seconds. */
  created: number;
}

/** The answer of create and rotate_secret: the only time the `whsec_…` secret is shown. */
export interface WebhookEndpointWithSecret extends WebhookEndpoint {
  secret: string;
}

export interface DeletedWebhookEndpoint {
  id: string;
  object: 'webhook_endpoint';
  deleted: true;
}

/** One try at sending an event to an endpoint. */
export interface WebhookDelivery {
  id: string;
  object: 'webhook_delivery';
  event: string;
  endpoint: string;
  attempt: number;
  /** The endpoint's HTTP status; null when nothing came back (then `error` says why). */
  status_code: number | null;
  error: string | null;
  duration_ms: number;
  /** Unix seconds. */
  created: number;
  succeeded: boolean;
  /** Unix seconds of the next automatic try, or null when none is due. */
  next_retry_at: number | null;
}

/** A session as events carry it: without its `client_secret` and hosted page `url` (which holds it), which only the page needs. */
export type EventSession = Omit<CheckoutSession, 'client_secret' | 'url'>;

/** What the objects of each event type are (docs/webhooks.md#event-types). */
export interface EventObjects {
  'checkout.session.paid': EventSession;
  'checkout.session.expired': EventSession;
  'checkout.session.canceled': EventSession;
  'payment.anomaly': PaymentAnomaly;
  'refund.succeeded': Refund;
  'refund.failed': Refund;
  'reconciliation.completed': ReconciliationSummary;
  'apple.notification': AppleNotification;
  'webhook_endpoint.disabled': WebhookEndpoint;
}

export type EventType = keyof EventObjects;

/** An event: the body of a webhook, and an item of `GET /v1/events`. Narrow on `type`. */
export type ShouyinEvent = {
  [T in EventType]: { id: string; type: T; created: number; livemode: boolean; data: { object: EventObjects[T] } };
}[EventType];

/** One page of a list (`GET /v1/checkout/sessions`, `/v1/refunds`, `/v1/events`, …). */
export interface ListPage<T> {
  object: 'list';
  data: T[];
  has_more: boolean;
  /** Pass as `starting_after` for the next page; null on the last page. */
  next_cursor: string | null;
}

/** The answer of `POST /v1/events/:id/retry`: the deliveries it made now. */
export interface DeliveryList {
  object: 'list';
  data: WebhookDelivery[];
}

// ── parameters ────────────────────────────────────────────────────────────────────────────────────

/** A time filter: Unix seconds or a Date. `gte` is inclusive, `lt` exclusive. */
export interface CreatedFilter {
  gte?: number | Date;
  lt?: number | Date;
}

export interface PageParams {
  /** 1–100, default 20. */
  limit?: number;
  /** The `next_cursor` of the previous page. */
  starting_after?: string;
}

export interface CheckoutSessionCreateParams {
  /** Integer fen, 1 … 10 000 000 000 (8888 is ¥88.88). */
  amount: number;
  currency: 'CNY';
  /** 1–127 characters, shown to the shopper and sent to the provider. */
  description: string;
  /** 1–32 of `[A-Za-z0-9_-]`, unique among the merchant's open and paid sessions. */
  merchant_order_id: string;
  channels?: Channel[];
  /** Seconds, 60–7200, default 900. */
  expires_in?: number;
  return_url?: string;
  /** Where the shopper goes back to without paying; on one of the merchant's allowed_origins. */
  cancel_url?: string;
  metadata?: Record<string, string>;
}

export interface CheckoutSessionListParams extends PageParams {
  status?: SessionStatus;
  channel?: Channel;
  created?: CreatedFilter;
  merchant_order_id?: string;
}

export interface AttemptCreateParams {
  channel: Channel;
  flow: Flow;
}

export interface BarcodeChargeParams {
  /** The shopper's payment code (付款码) as the till scanned it. */
  auth_code: string;
}

export interface RefundCreateParams {
  /** The `cs_…` id of a paid session. */
  session: string;
  /** Integer fen; default everything that remains. */
  amount?: number;
  /** 1–80 characters. */
  reason?: string;
}

export interface RefundListParams extends PageParams {
  session?: string;
  status?: RefundStatus;
  created?: CreatedFilter;
}

export interface EventListParams extends PageParams {
  type?: EventType;
}

export interface DeliveryListParams extends PageParams {
  status?: 'failed' | 'succeeded';
}

export interface EventRetryParams {
  /** Resend to this endpoint only; default every enabled endpoint subscribed to the event. */
  endpoint?: string;
}

export interface WebhookEndpointCreateParams {
  /** An https URL. */
  url: string;
  enabled_events: ['*'] | EventType[];
  description?: string;
}

export interface WebhookEndpointUpdateParams {
  url?: string;
  enabled_events?: ['*'] | EventType[];
  status?: 'enabled' | 'disabled';
  description?: string | null;
}

export interface RotateSecretParams {
  /** Seconds the old secret keeps signing beside the new one, 0–604800, default 86400. */
  expire_previous_in?: number;
}
