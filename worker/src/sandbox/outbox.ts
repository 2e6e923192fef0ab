// The ledger's notify outbox: each notification is built once (fixed id and body), then sent on
// WeChat's retry schedule until acknowledged — any 2xx for APIv3, the SUCCESS XML for APIv2
// (providers.md §1.6, §2.5). Due times live in the ledger's shared `due` table (kind 'notify'),
// which its one alarm works through. Every send is recorded.

import { nextRetryDelayMs } from './schedule';
import type { LedgerSettings } from './settings';
import type { Api } from './wechatpay/model';
import { sendNotify, sendV2Notify, type NotifyEvent } from './wechatpay/notify';

export type Trigger = 'schedule' | 'flush' | 'manual';
export type NotifyState = 'pending' | 'delivered' | 'exhausted';

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

const iso = (t: number) => new Date(t).toISOString();

export class NotifyOutbox {
  /** Send rounds under way, by notify id: a scheduled round, a flush and a manual send never overlap. */
  private readonly inFlight = new Map<string, Promise<SentRecord>>();

  constructor(
    private readonly sql: SqlStorage,
    private readonly now: () => number,
  ) {}

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
    if (opts.schedule !== false) {
      this.sql.exec(`INSERT INTO due (kind, ref, due_at) VALUES ('notify', ?, ?)`, notify.id, now + Math.round(settings.notify_delay_seconds * 1000));
    }
    return notify.id;
  }

  /** Notifies whose next send is due at or before `until`. */
  dueBy(until: number): string[] {
    return this.sql.exec<{ ref: string }>(`SELECT ref FROM due WHERE kind = 'notify' AND due_at <= ? ORDER BY due_at`, until).toArray().map((r) => r.ref);
  }

  first(mchid: string, outTradeNo: string, event: NotifyEvent): string | undefined {
    return this.sql
      .exec<{ id: string }>('SELECT id FROM notifies WHERE mchid = ? AND out_trade_no = ? AND event_type = ? ORDER BY created_at LIMIT 1', mchid, outTradeNo, event)
      .toArray()[0]?.id;
  }

  /**
   * One send round. A round already under way for this notify is awaited, not doubled: a flush
   * racing the alarm returns when that send is answered. A manual send waits for it, then sends.
   */
  deliver(settings: LedgerSettings, id: string, trigger: Trigger): Promise<SentRecord> {
    const running = this.inFlight.get(id);
    if (running) return trigger === 'manual' ? running.then(() => this.deliver(settings, id, trigger)) : running;
    const round = this.sendRound(settings, id, trigger).finally(() => this.inFlight.delete(id));
    this.inFlight.set(id, round);
    return round;
  }

  /**
   * Scheduled rounds (alarm, flush) follow the retry schedule until a 2xx, then stop; after the
   * 16th unanswered send the notify is given up. A manual send is extra and ends the schedule
   * only if acknowledged. The id and body never change; only the signature headers are fresh.
   */
  private async sendRound(settings: LedgerSettings, id: string, trigger: Trigger): Promise<SentRecord> {
    const n = this.row(id);
    if (!n) throw new Error(`No notify ${id}.`);
    const scheduled = trigger !== 'manual';
    const copies = scheduled && n.rounds === 0 ? Math.max(1, n.copies) : 1;
    // Duplicates go out concurrently, as when several WeChat senders deliver within seconds (§1.6).
    const send = n.api === 'v2' ? sendV2Notify : sendNotify;
    const answers = await Promise.all(Array.from({ length: copies }, () => send(settings, n.url, n.body)));
    const at = this.now();
    for (const a of answers) {
      this.sql.exec('INSERT INTO deliveries (notify_id, at, status, error, trig) VALUES (?, ?, ?, ?, ?)', id, at, a.status, a.error, trigger);
    }
    let state = n.state;
    if (answers.some((a) => a.ok) && state === 'pending') state = 'delivered';
    if (scheduled) {
      const rounds = n.rounds + 1;
      const delay = nextRetryDelayMs(rounds, settings.time_scale);
      if (state === 'pending' && delay === null) state = 'exhausted';
      this.sql.exec('UPDATE notifies SET rounds = ? WHERE id = ?', rounds, id);
      if (state === 'pending' && delay !== null) this.sql.exec(`UPDATE due SET due_at = ? WHERE kind = 'notify' AND ref = ?`, at + delay, id);
    }
    if (state !== 'pending') this.sql.exec(`DELETE FROM due WHERE kind = 'notify' AND ref = ?`, id);
    this.sql.exec('UPDATE notifies SET state = ? WHERE id = ?', state, id);
    return { notify_id: id, event_type: n.event_type, url: n.url, out_trade_no: n.out_trade_no, trigger, answers: answers.map(({ status, error }) => ({ status, error })), state };
  }

  /** Every notify of an order (payment and refunds), with every send. */
  view(mchid: string, outTradeNo: string): NotifyView[] {
    const rows = this.sql.exec<NotifyRow>('SELECT * FROM notifies WHERE mchid = ? AND out_trade_no = ? ORDER BY created_at', mchid, outTradeNo).toArray();
    return rows.map((n) => {
      const due = this.sql.exec<{ due_at: number }>(`SELECT due_at FROM due WHERE kind = 'notify' AND ref = ?`, n.id).toArray()[0];
      const sends = this.sql.exec<{ at: number; status: number; error: string | null; trig: string }>(
        'SELECT at, status, error, trig FROM deliveries WHERE notify_id = ? ORDER BY seq', n.id,
      );
      return {
        id: n.id,
        event_type: n.event_type,
        api: n.api,
        url: n.url,
        state: n.state,
        copies: n.copies,
        scheduled_sends: n.rounds,
        next_attempt_at: due ? iso(due.due_at) : null,
        body: n.body,
        deliveries: sends.toArray().map((d) => ({ at: iso(d.at), status: d.status, error: d.error, trigger: d.trig })),
      };
    });
  }

  private row(id: string): NotifyRow | undefined {
    return this.sql.exec<NotifyRow>('SELECT * FROM notifies WHERE id = ?', id).toArray()[0];
  }
}
