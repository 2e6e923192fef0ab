// The wire contract shared by the worker and the widget. The widget imports only types from here.

/**
 * The channels on the wire. Everything else about a channel (its providers, name, flow order,
 * payment codes) is in the provider registry (worker/src/providers/registry.ts), which serves each.
 */
export const CHANNELS = ['wechat_pay', 'alipay', 'unionpay'] as const;
export type Channel = (typeof CHANNELS)[number];

/** `barcode`: the merchant's till scanned the shopper's payment code (POST /v1/checkout/sessions/:id/barcode). */
export const FLOWS = ['qr', 'h5', 'jsapi', 'page', 'app', 'barcode'] as const;
export type Flow = (typeof FLOWS)[number];

/** The languages the widget and the hosted page speak (docs/widget.md, "Languages"). */
export const LOCALES = ['zh-CN', 'zh-TW', 'en'] as const;
export type Locale = (typeof LOCALES)[number];

export type SessionStatus = 'open' | 'paid' | 'expired' | 'canceled';
export type AttemptStatus = 'pending' | 'succeeded' | 'closed' | 'failed';

export type NextAction =
  | {
      type: 'display_qr';
      /** The text to encode in the QR code (e.g. `weixin://wxpay/bizpayurl?pr=…`). */
      data: string;
      /** ISO 8601; when this QR stops being payable. */
      expires_at: string;
      /** Test mode only: the sandbox wallet page a person opens instead of scanning. */
      sandbox_wallet_url?: string;
      /**
       * `data` encoded as a QR code by the Worker, for the widget to draw. Every `display_qr` the
       * Worker serves carries it (added as the action is served, worker/src/lib/qr.ts).
       */
      qr?: QrMatrix;
    }
  | { type: 'redirect'; url: string }
  | { type: 'form_post'; url: string; fields: Record<string, string> }
  | { type: 'wechat_jsapi'; params: Record<string, string> }
  | { type: 'app_payload'; payload: string | Record<string, string> };

/**
 * A QR code's modules: `size` × `size`, row by row from the top-left, packed eight to a byte, most
 * significant bit first, 1 = dark, the last byte zero-padded, as standard base64 in `bits`. No quiet
 * zone: the drawing adds four modules of white around it.
 */
export interface QrMatrix {
  size: number;
  bits: string;
}

/** A payment attempt as the browser sees it. */
export interface PublicAttempt {
  id: string;
  channel: Channel;
  flow: Flow;
  status: AttemptStatus;
  created: number;
  next_action: NextAction | null;
}

export interface PublicChannel {
  channel: Channel;
  /** Usable in the shopper's environment, best first (worker/src/session/environment.ts). */
  flows: Flow[];
  /** The shopper's app blocks this channel (Alipay inside WeChat): guide them to a browser. */
  notice?: 'open_in_browser';
}

/** `GET /v1/client/sessions/:id`: everything the widget may know, nothing secret. */
export interface PublicSessionView {
  id: string;
  object: 'checkout.session.public';
  status: SessionStatus;
  amount: number;
  currency: 'CNY';
  description: string;
  merchant_name: string;
  merchant_order_id: string;
  expires_at: string;
  livemode: boolean;
  /**
   * The merchant's pages to send the shopper back to: `cancel_url` while unpaid or when the session
   * ended, `return_url` once paid. `{CHECKOUT_SESSION_ID}` is filled in; `{LOCALE}` is left for the
   * page showing the session to fill with the shopper's language.
   */
  cancel_url: string | null;
  return_url: string | null;
  channels: PublicChannel[];
  active_attempt: PublicAttempt | null;
}

/** `GET /v1/client/sessions/:id/status` */
export interface StatusView {
  id: string;
  status: SessionStatus;
  /** Increments on every change the widget should re-render for. */
  version: number;
  active_attempt: PublicAttempt | null;
}

export interface AttemptResponse {
  attempt: PublicAttempt;
  next_action: NextAction;
}

export interface ErrorBody {
  error: { type: string; code: string; message: string; param?: string };
}
