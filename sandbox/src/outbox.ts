// The ledger's notify outbox: each notification is built once (fixed id and body), then sent on
// WeChat's retry schedule until acknowledged — any 2xx for APIv3, the SUCCESS XML for APIv2
// (providers.md §1.6, §2.5). Due times live in the ledger's shared `due` table (kind 'notify'),
// which its one alarm works through. Every send is recorded.

import { iso, Outbox, type Trigger, type NotifyState } from './common/outbox';
import type { LedgerSettings } from './settings';
import type { Api } from './wechatpay/model';
import { sendNotify, sendV2Notify, type NotifyEvent } from './wechatpay/notify';

export type { Trigger, NotifyState };

export type NotifyRow = {
  id: string;
  mchid: string;
  out_trade_no: string;
  event_type: NotifyEvent;
  /** The API of the order: how the body is sent and what acknowledges it. */
  api: Api;
  url: string;
  body: string;
  /** Copies sent at once in the first round (`duplicate` mode); 1 otherwise. */
  copies: number;
  /** Scheduled send rounds so far (alarm or flush); manual sends are extra. */
  rounds: number;
  state: NotifyState;
  created_at: number;
};

export interface SentRecord {
  notify_id: string;
  event_type: string;
  url: string;
  out_trade_no: string;
  trigger: Trigger;
  /** One per copy sent; status 0 = no answer (network error or timeout). */
  answers: { status: number; error: string | null }[];
  state: NotifyState;
}

export interface NotifyView {
  id: string;
  event_type: NotifyEvent;
  api: Api;
  url: string;
  state: NotifyState;
  copies: number;
  scheduled_sends: number;
  next_attempt_at: string | null;
  body: string;
  deliveries: { at: string; status: number; error: string | null; trigger: string }[];
}

export const OUTBOX_SCHEMA = `
CREATE TABLE IF NOT EXISTS notifies (
  id TEXT PRIMARY KEY, mchid TEXT NOT NULL, out_trade_no TEXT NOT NULL, event_type TEXT NOT NULL, api TEXT NOT NULL, url TEXT NOT NULL,
  body TEXT NOT NULL, copies INTEGER NOT NULL, rounds INTEGER NOT NULL, state TEXT NOT NULL, created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS deliveries (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, notify_id TEXT NOT NULL, at INTEGER NOT NULL, status INTEGER NOT NULL,
  error TEXT, trig TEXT NOT NULL);
`;

export class NotifyOutbox {
  private readonly box: Outbox<LedgerSettings, NotifyRow>;

  constructor(
    private readonly sql: SqlStorage,
    private readonly now: () => number,
  ) {
    // The API of the order picks the wire format and the ack rule; WeChat's default schedule applies.
    this.box = new Outbox(sql, now, { send: (settings, n) => (n.api === 'v2' ? sendV2Notify : sendNotify)(settings, n.url, n.body) });
  }

  /**
   * Stores one notification, its body built once by the caller (`id` is the v3 envelope's id; v2
   * bodies have none of their own). With `schedule`, its first send is due after
   * sandbox.notify_delay_seconds (already a sandbox setting: not scaled).
   */
  queue(
    settings: LedgerSettings,
    order: { mchid: string; out_trade_no: string },
    notify: { id: string; event: NotifyEvent; api: Api; url: string; body: string },
    opts: { copies?: number; schedule?: boolean } = {},
  ): string {
    const now = this.now();
    this.sql.exec(
      `INSERT INTO notifies (id, mchid, out_trade_no, event_type, api, url, body, copies, rounds, state, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, 'pending', ?)`,
      notify.id, order.mchid, order.out_trade_no, notify.event, notify.api, notify.url, notify.body, opts.copies ?? 1, now,
    );
    if (opts.schedule !== false) this.box.scheduleFirst(settings, notify.id, now);
    return notify.id;
  }

  /** Notifies whose next send is due at or before `until`. */
  dueBy(until: number): string[] {
    return this.box.dueBy(until);
  }

  first(mchid: string, outTradeNo: string, event: NotifyEvent): string | undefined {
    return this.sql
      .exec<{ id: string }>('SELECT id FROM notifies WHERE mchid = ? AND out_trade_no = ? AND event_type = ? ORDER BY created_at LIMIT 1', mchid, outTradeNo, event)
      .toArray()[0]?.id;
  }

  /** One send round on WeChat's schedule (16 sends); see `Outbox.deliver`. */
  async deliver(settings: LedgerSettings, id: string, trigger: Trigger): Promise<SentRecord> {
    const { row: n, answers, state } = await this.box.deliver(settings, id, trigger);
    return { notify_id: id, event_type: n.event_type, url: n.url, out_trade_no: n.out_trade_no, trigger, answers: answers.map(({ status, error }) => ({ status, error })), state };
  }

  /** Every notify of an order (payment and refunds), with every send. */
  view(mchid: string, outTradeNo: string): NotifyView[] {
    const rows = this.sql.exec<NotifyRow>('SELECT * FROM notifies WHERE mchid = ? AND out_trade_no = ? ORDER BY created_at', mchid, outTradeNo).toArray();
    return rows.map((n) => ({
      id: n.id,
      event_type: n.event_type,
      api: n.api,
      url: n.url,
      state: n.state,
      copies: n.copies,
      scheduled_sends: n.rounds,
      next_attempt_at: this.box.nextAttempt(n.id),
      body: n.body,
      deliveries: this.box.sends(n.id).map((d) => ({ at: iso(d.at), status: d.status, error: d.error, trigger: d.trig })),
    }));
  }
}
