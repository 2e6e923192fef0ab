/**
 * The element's events. All bubble and cross the shadow boundary (`composed`), so a page can listen
 * on the element or any ancestor:
 *
 *   el.addEventListener('shouyin-paid', (e) => location.assign(`/thanks?order=${e.detail.merchant_order_id}`));
 *
 * `shouyin-paid` is a UI signal: fulfil orders from the server-side webhook, never from this event.
 */
import type { Channel, Flow, NextAction, SessionStatus } from '../../worker/src/contract';

export interface ShouyinReadyDetail {
  session_id: string;
  status: SessionStatus;
  /** The channels the shopper can pick here, in order. */
  channels: Channel[];
}

export interface ShouyinAttemptDetail {
  session_id: string;
  /** The provider order number. */
  attempt_id: string;
  channel: Channel;
  flow: Flow;
  /** What the widget does next: show a QR code, leave the page, or open WeChat's payment sheet. */
  next_action: NextAction['type'];
}

export interface ShouyinPaidDetail {
  session_id: string;
  merchant_order_id: string;
  /** Integer fen, as the server reported it. */
  amount: number;
}

export interface ShouyinExpiredDetail {
  session_id: string;
  merchant_order_id: string;
}

/**
 * The session can no longer be paid (expired or canceled). To start over in place, create a new
 * session on the merchant's server and set its client secret on the element:
 *
 *   el.addEventListener('shouyin-ended', async () => { el.clientSecret = await newSessionSecret(); });
 */
export interface ShouyinEndedDetail {
  session_id: string;
  merchant_order_id: string;
  status: 'expired' | 'canceled';
}

export interface ShouyinStatusDetail {
  session_id: string;
  status: SessionStatus;
  /** The status before this change; undefined for the first status the element learns. */
  previous: SessionStatus | undefined;
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

declare global {
  interface HTMLElementEventMap extends ShouyinEventMap {}
}
