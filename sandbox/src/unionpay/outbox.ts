// The UnionPay ledger's backUrl notify outbox
// (https://open.unionpay.com/tjweb/acproduct/APIList?acpAPIId=754&apiservId=448&version=V2.2): each notification is
// built and signed once (the same body on every send), then POSTed as a form until the answer is HTTP 200 (or 302,
// which UnionPay also takes), five sends in all: right away, then 0, 1, 2 and 4 minutes after each unanswered one (×
// sandbox.time_scale). Due times live in the ledger's `due` table.

import { signAsUnionpay } from '../../../worker/src/providers/unionpay/sign';
import { encodeForm, type Fields } from '../../../worker/src/providers/unionpay/wire';
import { postNotify } from '../common/dispatch';
import { Outbox, type Answer, type NotifyState, type NotifyView as View, type OutboxRow, type SentRecord as Sent, type Trigger } from '../common/outbox';
import type { UnionpayLedgerSettings } from './settings';

/**
 * Delay before the next send after the n-th unanswered one. "共发送5次，每次的间隔时间为0,1,2,4分钟"
 * in most copies of the official demo; one variant says 1,2,4,5 minutes
 * (https://open.unionpay.com/tjweb/acproduct/APIList?acpAPIId=754&apiservId=448&version=V2.2, UNVERIFIED).
 */
export const UNIONPAY_RETRY_SECONDS: readonly number[] = [0, 60, 120, 240];

/**
 * UnionPay waits 10 s for the answer
 * (https://open.unionpay.com/tjweb/acproduct/APIList?acpAPIId=754&apiservId=448&version=V2.2).
 */
const SEND_TIMEOUT_MS = 10_000;

export type { Trigger, NotifyState };
export type NotifyKind = 'consume' | 'refund';

type NotifyRow = OutboxRow & {
  mer_id: string;
  order_id: string;
  /** The consume's orderId this notify concerns (a refund's notify names its own orderId). */
  about: string;
  kind: NotifyKind;
};

type SentHead = { kind: NotifyKind; url: string; order_id: string };
type ViewHead = { id: string; kind: NotifyKind; order_id: string; url: string };
export type SentRecord = Sent<SentHead>;
export type NotifyView = View<ViewHead>;

export const OUTBOX_SCHEMA = `
CREATE TABLE IF NOT EXISTS notifies (
  id TEXT PRIMARY KEY, mer_id TEXT NOT NULL, order_id TEXT NOT NULL, about TEXT NOT NULL, kind TEXT NOT NULL,
  url TEXT NOT NULL, body TEXT NOT NULL, copies INTEGER NOT NULL, rounds INTEGER NOT NULL, state TEXT NOT NULL,
  created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS deliveries (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, notify_id TEXT NOT NULL, at INTEGER NOT NULL, status INTEGER NOT NULL,
  error TEXT, trig TEXT NOT NULL);
`;

/** One POST. A backUrl on our own public_base_url goes to the Shouyin Worker (`dispatch`: no port listens under the test runner). */
function send(settings: UnionpayLedgerSettings, url: string, body: string): Promise<Answer> {
  const headers = { 'Content-Type': 'application/x-www-form-urlencoded; charset=UTF-8', 'User-Agent': 'UnionPay/1.0 (Shouyin sandbox)' };
  return postNotify(settings.public_base_url, url, body, { headers: () => headers, timeoutMs: SEND_TIMEOUT_MS, redirect: 'manual' }, async (res) => {
    await res.arrayBuffer().catch(() => undefined);
    return { ok: res.status === 200 || res.status === 302 };
  });
}

export class NotifyOutbox extends Outbox<UnionpayLedgerSettings, NotifyRow, SentHead, ViewHead> {
  constructor(sql: SqlStorage, now: () => number) {
    super(sql, now, {
      send: (settings, n) => send(settings, n.url, n.body),
      retrySeconds: UNIONPAY_RETRY_SECONDS,
      sentHead: (n) => ({ kind: n.kind, url: n.url, order_id: n.order_id }),
      viewHead: (n) => ({ id: n.id, kind: n.kind, order_id: n.order_id, url: n.url }),
    });
  }

  /**
   * Signs `fields` once as UnionPay and queues them for `url`, sent on UnionPay's schedule (5 sends,
   * acked by 200 or 302); the first send is due after notify_delay_seconds.
   */
  async queue(
    settings: UnionpayLedgerSettings,
    ref: { mer_id: string; order_id: string; about: string },
    kind: NotifyKind,
    url: string,
    fields: Fields,
    opts: { copies?: number; schedule?: boolean } = {},
  ): Promise<string> {
    const body = encodeForm(await signAsUnionpay(fields, settings.signer));
    const n = { id: crypto.randomUUID(), mer_id: ref.mer_id, order_id: ref.order_id, about: ref.about, kind, url, body, copies: opts.copies };
    return this.add(settings, n, { ...opts, replace: true });
  }

  /** The signed body of the first notify of a kind for an order (the front return posts the same fields). */
  body(merId: string, about: string, kind: NotifyKind): string | undefined {
    return this.find({ mer_id: merId, about, kind })[0]?.body;
  }

  first(merId: string, about: string, kind: NotifyKind): string | undefined {
    return this.find({ mer_id: merId, about, kind })[0]?.id;
  }

  /** Every notify about a consume (its payment and its refunds), with every send. */
  view(merId: string, about: string): NotifyView[] {
    return this.views({ mer_id: merId, about });
  }
}
