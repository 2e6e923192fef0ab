// The UnionPay ledger's backUrl notify outbox (providers.md §4.5): each notification is built and
// signed once (the same body on every send), then POSTed as a form until the answer is HTTP 200 (or
// 302, which UnionPay also takes), five sends in all: right away, then 0, 1, 2 and 4 minutes after
// each unanswered one (× sandbox.time_scale). Due times live in the ledger's `due` table.

import { signAsUnionpay } from '../../../worker/src/providers/unionpay/sign';
import { encodeForm, type Fields } from '../../../worker/src/providers/unionpay/wire';
import { dispatch } from '../common/dispatch';
import { iso, Outbox, type Answer, type NotifyState, type Trigger } from '../common/outbox';
import type { UnionpayLedgerSettings } from './settings';

/**
 * Delay before the next send after the n-th unanswered one. "共发送5次，每次的间隔时间为0,1,2,4分钟"
 * in most copies of the official demo; one variant says 1,2,4,5 minutes (§4.5, UNVERIFIED).
 */
export const UNIONPAY_RETRY_SECONDS: readonly number[] = [0, 60, 120, 240];

/** UnionPay waits 10 s for the answer (§4.5). */
const SEND_TIMEOUT_MS = 10_000;

export type { Trigger, NotifyState };
export type NotifyKind = 'consume' | 'refund';

type NotifyRow = {
  id: string;
  mer_id: string;
  order_id: string;
  /** The consume's orderId this notify concerns (a refund's notify names its own orderId). */
  about: string;
  kind: NotifyKind;
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
  url: string;
  order_id: string;
  trigger: Trigger;
  /** One per copy sent; status 0 = no answer (network error or timeout). */
  answers: { status: number; error: string | null }[];
  state: NotifyState;
}

export interface NotifyView {
  id: string;
  kind: NotifyKind;
  order_id: string;
  url: string;
  state: NotifyState;
  copies: number;
  scheduled_sends: number;
  next_attempt_at: string | null;
  /** The exact form body sent on every try. */
  body: string;
  deliveries: { at: string; status: number; error: string | null; trigger: string }[];
}

export const OUTBOX_SCHEMA = `
CREATE TABLE IF NOT EXISTS notifies (
  id TEXT PRIMARY KEY, mer_id TEXT NOT NULL, order_id TEXT NOT NULL, about TEXT NOT NULL, kind TEXT NOT NULL,
  url TEXT NOT NULL, body TEXT NOT NULL, copies INTEGER NOT NULL, rounds INTEGER NOT NULL, state TEXT NOT NULL,
  created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS deliveries (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, notify_id TEXT NOT NULL, at INTEGER NOT NULL, status INTEGER NOT NULL,
  error TEXT, trig TEXT NOT NULL);
`;

/** One POST. A backUrl on our own public_base_url goes in-process (no port listens under the test runner). */
async function send(settings: UnionpayLedgerSettings, url: string, body: string): Promise<Answer> {
  try {
    const request = new Request(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded; charset=UTF-8', 'User-Agent': 'UnionPay/1.0 (Shouyin sandbox)' },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
    });
    const res = await dispatch(request, settings.public_base_url);
    await res.arrayBuffer().catch(() => undefined);
    return { status: res.status, error: null, ok: res.status === 200 || res.status === 302 };
  } catch (e) {
    return { status: 0, error: (e as Error).message.slice(0, 200), ok: false };
  }
}

export class NotifyOutbox {
  private readonly box: Outbox<UnionpayLedgerSettings, NotifyRow>;

  constructor(
    private readonly sql: SqlStorage,
    private readonly now: () => number,
  ) {
    this.box = new Outbox(sql, now, { send: (settings, n) => send(settings, n.url, n.body), retrySeconds: UNIONPAY_RETRY_SECONDS });
  }

  /** Signs `fields` once as UnionPay and queues them for `url`; the first send is due after notify_delay_seconds. */
  async queue(
    settings: UnionpayLedgerSettings,
    ref: { mer_id: string; order_id: string; about: string },
    kind: NotifyKind,
    url: string,
    fields: Fields,
    opts: { copies?: number; schedule?: boolean } = {},
  ): Promise<string> {
    const body = encodeForm(await signAsUnionpay(fields, settings.signer));
    const id = crypto.randomUUID();
    const now = this.now();
    this.sql.exec(
      `INSERT INTO notifies (id, mer_id, order_id, about, kind, url, body, copies, rounds, state, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, 'pending', ?)`,
      id, ref.mer_id, ref.order_id, ref.about, kind, url, body, opts.copies ?? 1, now,
    );
    if (opts.schedule !== false) this.box.scheduleFirst(settings, id, now, true);
    return id;
  }

  /** The signed body of the first notify of a kind for an order (the front return posts the same fields). */
  body(merId: string, about: string, kind: NotifyKind): string | undefined {
    return this.sql
      .exec<{ body: string }>('SELECT body FROM notifies WHERE mer_id = ? AND about = ? AND kind = ? ORDER BY created_at LIMIT 1', merId, about, kind)
      .toArray()[0]?.body;
  }

  first(merId: string, about: string, kind: NotifyKind): string | undefined {
    return this.sql
      .exec<{ id: string }>('SELECT id FROM notifies WHERE mer_id = ? AND about = ? AND kind = ? ORDER BY created_at LIMIT 1', merId, about, kind)
      .toArray()[0]?.id;
  }

  dueBy(until: number): string[] {
    return this.box.dueBy(until);
  }

  /** One send round on UnionPay's schedule (5 sends, acked by 200 or 302); see `Outbox.deliver`. */
  async deliver(settings: UnionpayLedgerSettings, id: string, trigger: Trigger): Promise<SentRecord> {
    const { row: n, answers, state } = await this.box.deliver(settings, id, trigger);
    return { notify_id: id, kind: n.kind, url: n.url, order_id: n.order_id, trigger, answers: answers.map(({ status, error }) => ({ status, error })), state };
  }

  /** Every notify about a consume (its payment and its refunds), with every send. */
  view(merId: string, about: string): NotifyView[] {
    const rows = this.sql.exec<NotifyRow>('SELECT * FROM notifies WHERE mer_id = ? AND about = ? ORDER BY created_at', merId, about).toArray();
    return rows.map((n) => ({
      id: n.id,
      kind: n.kind,
      order_id: n.order_id,
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
