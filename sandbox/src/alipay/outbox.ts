// The Alipay ledger's notify outbox (providers.md §3.6): each notification is built and signed once
// (fixed notify_id and body), then POSTed as a form on Alipay's schedule — right away, then after
// 4m, 10m, 10m, 1h, 2h, 6h, 15h (× sandbox.time_scale) — until the answer is exactly `success`.
// Due times live in the ledger's `due` table (kind 'notify'); every send is recorded.

import { encodeForm, signNotify } from '../../../worker/src/providers/alipay/sign';
import { dispatch } from '../common/dispatch';
import { iso, Outbox, type Answer, type NotifyState, type Trigger } from '../common/outbox';
import type { AlipayLedgerSettings } from './settings';

/** Alipay re-sends an unacknowledged notify after 4m,10m,10m,1h,2h,6h,15h: 8 sends in about 25 h (§3.6). */
export const ALIPAY_RETRY_SECONDS: readonly number[] = [240, 600, 600, 3600, 7200, 21600, 54000];

/** An answer slower than this counts as no answer, and the notify is retried. */
const SEND_TIMEOUT_MS = 10_000;

export type { Trigger, NotifyState };
/** `payment`: TRADE_SUCCESS; `refund`: a refund's TRADE_SUCCESS / TRADE_CLOSED. */
export type NotifyKind = 'payment' | 'refund';

type NotifyRow = {
  id: string;
  app_id: string;
  out_trade_no: string;
  kind: NotifyKind;
  trade_status: string;
  url: string;
  body: string;
  copies: number;
  rounds: number;
  state: NotifyState;
  created_at: number;
};

export interface SentRecord {
  notify_id: string;
  kind: NotifyKind;
  trade_status: string;
  url: string;
  out_trade_no: string;
  trigger: Trigger;
  /** One per copy sent; status 0 = no answer. `acked`: the answer was exactly `success`. */
  answers: { status: number; acked: boolean; error: string | null }[];
  state: NotifyState;
}

export interface NotifyView {
  notify_id: string;
  kind: NotifyKind;
  trade_status: string;
  url: string;
  state: NotifyState;
  copies: number;
  scheduled_sends: number;
  next_attempt_at: string | null;
  /** The exact form body sent on every try. */
  body: string;
  deliveries: { at: string; status: number; acked: boolean; error: string | null; trigger: string }[];
}

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
 * POSTs one copy. Only an HTTP 200 whose body is exactly the 7 bytes `success` acknowledges (§3.6).
 * A notify_url on our own public_base_url goes to the Shouyin Worker over its service binding
 * (`dispatch`), as under `wrangler dev` and in the test runner no port is listening.
 */
async function send(settings: AlipayLedgerSettings, url: string, body: string): Promise<Answer> {
  try {
    const request = new Request(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8', 'User-Agent': 'Mozilla/4.0' },
      body,
      signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
    });
    const res = await dispatch(request, settings.public_base_url);
    const text = await res.text().catch(() => '');
    return { status: res.status, ok: res.status === 200 && text === 'success', error: null };
  } catch (e) {
    return { status: 0, ok: false, error: (e as Error).message.slice(0, 200) };
  }
}

export class AlipayOutbox {
  private readonly box: Outbox<AlipayLedgerSettings, NotifyRow>;

  constructor(
    private readonly sql: SqlStorage,
    private readonly now: () => number,
  ) {
    this.box = new Outbox(sql, now, { send: (settings, n) => send(settings, n.url, n.body), retrySeconds: ALIPAY_RETRY_SECONDS, recordAck: true });
  }

  /**
   * Signs and stores one notification. With `schedule`, its first send is due after
   * sandbox.notify_delay_seconds (already a sandbox setting: not scaled).
   */
  async queue(
    settings: AlipayLedgerSettings,
    n: { app_id: string; out_trade_no: string; kind: NotifyKind; url: string; notifyId: string; fields: Record<string, string> },
    opts: { copies?: number; schedule?: boolean } = {},
  ): Promise<string> {
    const signed = await signNotify(n.fields, settings.signer_private_key);
    const now = this.now();
    this.sql.exec(
      `INSERT INTO notifies (id, app_id, out_trade_no, kind, trade_status, url, body, copies, rounds, state, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, 'pending', ?)`,
      n.notifyId, n.app_id, n.out_trade_no, n.kind, n.fields.trade_status ?? '', n.url, encodeForm(signed), opts.copies ?? 1, now,
    );
    if (opts.schedule !== false) this.box.scheduleFirst(settings, n.notifyId, now);
    return n.notifyId;
  }

  dueBy(until: number): string[] {
    return this.box.dueBy(until);
  }

  firstPayment(appId: string, outTradeNo: string): string | undefined {
    return this.sql
      .exec<{ id: string }>(`SELECT id FROM notifies WHERE app_id = ? AND out_trade_no = ? AND kind = 'payment' ORDER BY created_at LIMIT 1`, appId, outTradeNo)
      .toArray()[0]?.id;
  }

  /** One send round on Alipay's schedule (8 sends, acked only by `success`); see `Outbox.deliver`. */
  async deliver(settings: AlipayLedgerSettings, id: string, trigger: Trigger): Promise<SentRecord> {
    const { row: n, answers, state } = await this.box.deliver(settings, id, trigger);
    return {
      notify_id: id, kind: n.kind, trade_status: n.trade_status, url: n.url, out_trade_no: n.out_trade_no, trigger,
      answers: answers.map(({ status, ok, error }) => ({ status, acked: ok, error })), state,
    };
  }

  /** Every notify of a trade, with every send. */
  view(appId: string, outTradeNo: string): NotifyView[] {
    const rows = this.sql.exec<NotifyRow>('SELECT * FROM notifies WHERE app_id = ? AND out_trade_no = ? ORDER BY created_at, rowid', appId, outTradeNo).toArray();
    return rows.map((n) => ({
      notify_id: n.id,
      kind: n.kind,
      trade_status: n.trade_status,
      url: n.url,
      state: n.state,
      copies: n.copies,
      scheduled_sends: n.rounds,
      next_attempt_at: this.box.nextAttempt(n.id),
      body: n.body,
      deliveries: this.box.sends(n.id).map((d) => ({ at: iso(d.at), status: d.status, acked: d.acked === 1, error: d.error, trigger: d.trig })),
    }));
  }
}
