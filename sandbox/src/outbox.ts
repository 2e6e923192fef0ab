// The ledger's notify outbox: each notification is built once (fixed id and body), then sent on
// WeChat's retry schedule until acknowledged — any 2xx for APIv3, the SUCCESS XML for APIv2
// (https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=9_7, https://pay.weixin.qq.com/doc/v3/merchant/4012791861).
// Due times live in the ledger's shared `due` table (kind 'notify'), which its one alarm works through. Every send is
// recorded.

import { Outbox, type NotifyState, type NotifyView as View, type OutboxRow, type SentRecord as Sent, type Trigger } from './common/outbox';
import type { LedgerSettings } from './settings';
import type { Api } from './wechatpay/model';
import { sendNotify, sendV2Notify, type NotifyEvent } from './wechatpay/notify';

export type { Trigger, NotifyState };

export type NotifyRow = OutboxRow & {
  mchid: string;
  out_trade_no: string;
  event_type: NotifyEvent;
  /** The API of the order: how the body is sent and what acknowledges it. */
  api: Api;
};

type SentHead = { event_type: string; url: string; out_trade_no: string };
type ViewHead = { id: string; event_type: NotifyEvent; api: Api; url: string };
export type SentRecord = Sent<SentHead>;
export type NotifyView = View<ViewHead>;

export const OUTBOX_SCHEMA = `
CREATE TABLE IF NOT EXISTS notifies (
  id TEXT PRIMARY KEY, mchid TEXT NOT NULL, out_trade_no TEXT NOT NULL, event_type TEXT NOT NULL, api TEXT NOT NULL, url TEXT NOT NULL,
  body TEXT NOT NULL, copies INTEGER NOT NULL, rounds INTEGER NOT NULL, state TEXT NOT NULL, created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS deliveries (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, notify_id TEXT NOT NULL, at INTEGER NOT NULL, status INTEGER NOT NULL,
  error TEXT, trig TEXT NOT NULL);
`;

export class NotifyOutbox extends Outbox<LedgerSettings, NotifyRow, SentHead, ViewHead> {
  constructor(sql: SqlStorage, now: () => number) {
    // The API of the order picks the wire format and the ack rule; WeChat's default schedule applies.
    super(sql, now, {
      send: (settings, n) => (n.api === 'v2' ? sendV2Notify : sendNotify)(settings, n.url, n.body),
      sentHead: (n) => ({ event_type: n.event_type, url: n.url, out_trade_no: n.out_trade_no }),
      viewHead: (n) => ({ id: n.id, event_type: n.event_type, api: n.api, url: n.url }),
    });
  }

  /**
   * Stores one notification, its body built once by the caller (`id` is the v3 envelope's id; v2
   * bodies have none of their own), sent on WeChat's schedule (16 sends).
   */
  queue(
    settings: LedgerSettings,
    order: { mchid: string; out_trade_no: string },
    notify: { id: string; event: NotifyEvent; api: Api; url: string; body: string },
    opts: { copies?: number; schedule?: boolean } = {},
  ): string {
    const { id, event, api, url, body } = notify;
    return this.add(settings, { id, mchid: order.mchid, out_trade_no: order.out_trade_no, event_type: event, api, url, body, copies: opts.copies }, opts);
  }

  first(mchid: string, outTradeNo: string, event: NotifyEvent): string | undefined {
    return this.find({ mchid, out_trade_no: outTradeNo, event_type: event })[0]?.id;
  }

  /** Every notify of an order (payment and refunds), with every send. */
  view(mchid: string, outTradeNo: string): NotifyView[] {
    return this.views({ mchid, out_trade_no: outTradeNo });
  }
}
