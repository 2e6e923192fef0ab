/**
 * The element's events. All bubble and cross the shadow boundary (`composed`), so a page can listen
 * on the element or any ancestor:
 *
 *   el.addEventListener('shouyin-paid', (e) => location.assign(`/thanks?order=${e.detail.merchant_order_id}`));
 *
 * `shouyin-paid` is a UI signal: fulfil orders from the server-side webhook, never from this event.
 */
import type { SessionStatus } from '../../worker/src/contract';

export interface ShouyinPaidDetail {
  session_id: string;
  merchant_order_id: string;
  /** Integer fen, as the server reported it. */
  amount: number;
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
  'shouyin-paid': CustomEvent<ShouyinPaidDetail>;
  'shouyin-status': CustomEvent<ShouyinStatusDetail>;
  'shouyin-error': CustomEvent<ShouyinErrorDetail>;
}

declare global {
  interface HTMLElementEventMap extends ShouyinEventMap {}
}
