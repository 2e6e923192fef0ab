// TypeScript declarations for <shouyin-checkout> (served as /shouyin.d.ts; copy it into your
// project, or reference it with /// <reference path="shouyin.d.ts" />). Kept in step with
// widget/src/events.ts and widget/src/shouyin-checkout.ts by widget/types/declarations.test.ts.

export type ShouyinChannel = 'wechat_pay' | 'alipay' | 'unionpay';
export type ShouyinFlow = 'qr' | 'h5' | 'jsapi' | 'page' | 'app';
export type ShouyinSessionStatus = 'open' | 'paid' | 'expired' | 'canceled';
export type ShouyinNextActionType = 'display_qr' | 'redirect' | 'form_post' | 'wechat_jsapi' | 'app_payload';

export interface ShouyinReadyDetail {
  session_id: string;
  status: ShouyinSessionStatus;
  /** The channels the shopper can pick here, in order. */
  channels: ShouyinChannel[];
}

export interface ShouyinAttemptDetail {
  session_id: string;
  /** The provider order number. */
  attempt_id: string;
  channel: ShouyinChannel;
  flow: ShouyinFlow;
  next_action: ShouyinNextActionType;
}

export interface ShouyinPaidDetail {
  session_id: string;
  merchant_order_id: string;
  /** Integer fen. A hint for the page: fulfil orders from the webhook, never from this event. */
  amount: number;
}

export interface ShouyinExpiredDetail {
  session_id: string;
  merchant_order_id: string;
}

/** The session can no longer be paid. Set a new session's `clientSecret` to start over in place. */
export interface ShouyinEndedDetail {
  session_id: string;
  merchant_order_id: string;
  status: 'expired' | 'canceled';
}

export interface ShouyinStatusDetail {
  session_id: string;
  status: ShouyinSessionStatus;
  previous: ShouyinSessionStatus | undefined;
}

export interface ShouyinErrorDetail {
  type: string;
  code: string;
  message: string;
  param?: string;
}

export interface ShouyinEventMap {
  'shouyin-ready': CustomEvent<ShouyinReadyDetail>;
  'shouyin-attempt': CustomEvent<ShouyinAttemptDetail>;
  'shouyin-paid': CustomEvent<ShouyinPaidDetail>;
  'shouyin-expired': CustomEvent<ShouyinExpiredDetail>;
  'shouyin-ended': CustomEvent<ShouyinEndedDetail>;
  'shouyin-status': CustomEvent<ShouyinStatusDetail>;
  'shouyin-error': CustomEvent<ShouyinErrorDetail>;
}

export declare class ShouyinCheckout extends HTMLElement {
  /** `client-secret`: `cs_<id>_secret_<random>` from your server. Setting a new one restarts the element. */
  clientSecret: string | null | undefined;
  /** `api-base`: the Shouyin API origin (default: where the script was loaded from). */
  apiBase: string | null | undefined;
  /** `locale`: `zh-CN`, `zh-TW` or `en` (default: from the browser's languages). */
  locale: string | null | undefined;
  /** `channels`: offer only these, e.g. `"wechat_pay alipay"`. */
  channels: string | null | undefined;
  /** Resolves after the pending render. */
  readonly updateComplete: Promise<boolean>;
  addEventListener<K extends keyof ShouyinEventMap>(
    type: K,
    listener: (this: ShouyinCheckout, ev: ShouyinEventMap[K]) => unknown,
    options?: boolean | AddEventListenerOptions,
  ): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject, options?: boolean | AddEventListenerOptions): void;
}

declare global {
  interface HTMLElementTagNameMap {
    'shouyin-checkout': ShouyinCheckout;
  }
  interface DocumentEventMap extends ShouyinEventMap {}
}
