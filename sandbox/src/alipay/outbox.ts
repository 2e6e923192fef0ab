// The Alipay ledger's notify outbox (https://opendocs.alipay.com/open/270/105902): each notification is built and
// signed once (fixed notify_id and body), then POSTed as a form on Alipay's schedule — right away, then after
// 4m, 10m, 10m, 1h, 2h, 6h, 15h (× sandbox.time_scale) — until the answer is exactly `success`.
// Due times live in the ledger's `due` table (kind 'notify'); every send is recorded.

import { encodeForm, signNotify } from '../../../worker/src/providers/alipay/sign';
import { postNotify } from '../common/dispatch';
import { Outbox, type Answer, type NotifyState, type NotifyView as View, type OutboxRow, type SentRecord as Sent, type Trigger } from '../common/outbox';
import type { AlipayLedgerSettings } from './settings';

/**
 * Alipay re-sends an unacknowledged notify after 4m,10m,10m,1h,2h,6h,15h: 8 sends in about 25 h
 * (https://opendocs.alipay.com/open/270/105902).
 */
export const ALIPAY_RETRY_SECONDS: readonly number[] = [240, 600, 600, 3600, 7200, 21600, 54000];

/** An answer slower than this counts as no answer, and the notify is retried. */
const SEND_TIMEOUT_MS = 10_000;

export type { Trigger, NotifyState };
/** `payment`: TRADE_SUCCESS; `refund`: a refund's TRADE_SUCCESS / TRADE_CLOSED. */
export type NotifyKind = 'payment' | 'refund';

type NotifyRow = OutboxRow & {
  app_id: string;
  out_trade_no: string;
  kind: NotifyKind;
  trade_status: string;
};

type SentHead = { kind: NotifyKind; trade_status: string; url: string; out_trade_no: string };
type ViewHead = { notify_id: string; kind: NotifyKind; trade_status: string; url: string };
/** A send round; each answer says whether it `acked` (was exactly `success`). */
export type SentRecord = Sent<SentHead>;
export type NotifyView = View<ViewHead>;

export const OUTBOX_SCHEMA = `
CREATE TABLE IF NOT EXISTS notifies (
  id TEXT PRIMARY KEY, app_id TEXT NOT NULL, out_trade_no TEXT NOT NULL, kind TEXT NOT NULL, trade_status TEXT NOT NULL,
  url TEXT NOT NULL, body TEXT NOT NULL, copies INTEGER NOT NULL, rounds INTEGER NOT NULL, state TEXT NOT NULL,
  created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS deliveries (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, notify_id TEXT NOT NULL, at INTEGER NOT NULL, status INTEGER NOT NULL,
  acked INTEGER NOT NULL, error TEXT, trig TEXT NOT NULL);
`;

/**
 * POSTs one copy. Only an HTTP 200 whose body is exactly the 7 bytes `success` acknowledges
 * (https://opendocs.alipay.com/open/270/105902). A notify_url on our own public_base_url goes to the Shouyin Worker
 * over its service binding (`dispatch`), as under `wrangler dev` and in the test runner no port is listening.
 */
function send(settings: AlipayLedgerSettings, url: string, body: string): Promise<Answer> {
  const headers = { 'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8', 'User-Agent': 'Mozilla/4.0' };
  return postNotify(settings.public_base_url, url, body, { headers: () => headers, timeoutMs: SEND_TIMEOUT_MS }, async (res) => {
    const text = await res.text().catch(() => '');
    return { ok: res.status === 200 && text === 'success' };
  });
}

export class AlipayOutbox extends Outbox<AlipayLedgerSettings, NotifyRow, SentHead, ViewHead> {
  constructor(sql: SqlStorage, now: () => number) {
    super(sql, now, {
      send: (settings, n) => send(settings, n.url, n.body),
      retrySeconds: ALIPAY_RETRY_SECONDS,
      recordAck: true,
      sentHead: (n) => ({ kind: n.kind, trade_status: n.trade_status, url: n.url, out_trade_no: n.out_trade_no }),
      viewHead: (n) => ({ notify_id: n.id, kind: n.kind, trade_status: n.trade_status, url: n.url }),
    });
  }

  /**
   * Signs and stores one notification, sent on Alipay's schedule (8 sends, acked only by `success`).
   * With `schedule`, its first send is due after sandbox.notify_delay_seconds (not scaled).
   */
  async queue(
    settings: AlipayLedgerSettings,
    n: { app_id: string; out_trade_no: string; kind: NotifyKind; url: string; notifyId: string; fields: Record<string, string> },
    opts: { copies?: number; schedule?: boolean } = {},
  ): Promise<string> {
    const body = encodeForm(await signNotify(n.fields, settings.signer_private_key));
    return this.add(
      settings,
      {
        id: n.notifyId,
        app_id: n.app_id,
        out_trade_no: n.out_trade_no,
        kind: n.kind,
        trade_status: n.fields.trade_status ?? '',
        url: n.url,
        body,
        copies: opts.copies,
      },
      opts,
    );
  }

  firstPayment(appId: string, outTradeNo: string): string | undefined {
    return this.find({ app_id: appId, out_trade_no: outTradeNo, kind: 'payment' })[0]?.id;
  }

  /** Every notify of a trade, with every send. */
  view(appId: string, outTradeNo: string): NotifyView[] {
    return this.views({ app_id: appId, out_trade_no: outTradeNo });
  }
}
