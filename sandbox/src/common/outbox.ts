// The notify outbox the three simulators share: one row per notification (fixed id and body, built
// once by the provider), sent in rounds on a retry schedule until acknowledged, every send recorded,
// and the records the control surfaces show (a round's `SentRecord`, a notify's view). What differs
// per provider — the wire format, what counts as an ack, the schedule, the row's extra columns and
// which of them a record names first — comes in through `OutboxSpec`; the bookkeeping lives here once
// so the schedules cannot drift in how they are walked. Due times live in the ledger's `due` table
// (kind 'notify'), which its one alarm works through.

import type { Answer } from './dispatch';
import { nextRetryDelayMs } from '../schedule';

export type Trigger = 'schedule' | 'flush' | 'manual';
export type NotifyState = 'pending' | 'delivered' | 'exhausted';

/** The columns every provider's `notifies` table has; providers add their own. */
export type OutboxRow = {
  id: string;
  url: string;
  body: string;
  /** Copies sent at once in the first round (`duplicate` mode); 1 otherwise. */
  copies: number;
  /** Scheduled send rounds so far (alarm or flush); manual sends are extra. */
  rounds: number;
  state: NotifyState;
  created_at: number;
};

export type { Answer } from './dispatch';

export interface OutboxSpec<S, R extends OutboxRow, SentHead, ViewHead> {
  /** Sends one copy of the notify and judges the answer by the provider's ack rule. */
  send(settings: S, row: R): Promise<Answer>;
  /** Retry delays (s, before time_scale) after each unacknowledged scheduled send; default WeChat's. */
  retrySeconds?: readonly number[];
  /** The provider's `deliveries` table also stores whether each answer acked (Alipay shows it). */
  recordAck?: boolean;
  /** The row's fields a send record names, after `notify_id` (in the provider's order). */
  sentHead(row: R): SentHead;
  /** The row's fields a notify's view starts with (its id under the provider's name, first). */
  viewHead(row: R): ViewHead;
}

/** What one send round reports: the notify, then the provider's fields, then how it went. */
export type SentRecord<Head> = { notify_id: string } & Head & {
    trigger: Trigger;
    /** One per copy sent; status 0 = no answer (network error or timeout). `acked` where the provider records it. */
    answers: { status: number; acked?: boolean; error: string | null }[];
    state: NotifyState;
  };

/** One notify and every send of it, after the provider's own fields. */
export type NotifyView<Head> = Head & {
  state: NotifyState;
  copies: number;
  scheduled_sends: number;
  next_attempt_at: string | null;
  /** The exact body sent on every try. */
  body: string;
  deliveries: { at: string; status: number; acked?: boolean; error: string | null; trigger: string }[];
};

/** A new notification: the provider's columns, its url and body; `copies` > 1 in `duplicate` mode. */
export type NewNotify<R extends OutboxRow> = Omit<R, 'copies' | 'rounds' | 'state' | 'created_at'> & { copies?: number };

export interface Round<R extends OutboxRow> {
  row: R;
  answers: Answer[];
  state: NotifyState;
}

export type DeliveryRow = {
  at: number;
  status: number;
  error: string | null;
  trig: string;
  acked?: number;
};

export const iso = (t: number) => new Date(t).toISOString();

export class Outbox<S extends { time_scale: number; notify_delay_seconds: number }, R extends OutboxRow, SentHead, ViewHead> {
  /** Send rounds under way, by notify id: a scheduled round, a flush and a manual send never overlap. */
  private readonly inFlight = new Map<string, Promise<Round<R>>>();

  constructor(
    protected readonly sql: SqlStorage,
    protected readonly now: () => number,
    private readonly spec: OutboxSpec<S, R, SentHead, ViewHead>,
  ) {}

  /**
   * Stores one notification, pending, with no send yet. With `schedule` (the default) its first send
   * is due after sandbox.notify_delay_seconds; `replace` moves an existing due time instead of failing.
   */
  protected add(settings: S, n: NewNotify<R>, opts: { schedule?: boolean; replace?: boolean } = {}): string {
    const now = this.now();
    const row: Record<string, unknown> = { ...n, copies: n.copies ?? 1, rounds: 0, state: 'pending', created_at: now };
    const cols = Object.keys(row);
    this.sql.exec(`INSERT INTO notifies (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`, ...cols.map((c) => row[c] as SqlStorageValue));
    if (opts.schedule !== false) this.scheduleFirst(settings, n.id, now, opts.replace);
    return n.id;
  }

  /** The notifies whose columns equal `where`, oldest first. */
  protected find(where: Partial<Record<keyof R & string, string>>): R[] {
    const cols = Object.keys(where) as (keyof R & string)[];
    return this.sql
      .exec(`SELECT * FROM notifies WHERE ${cols.map((c) => `${c} = ?`).join(' AND ')} ORDER BY created_at, rowid`, ...cols.map((c) => where[c] as string))
      .toArray() as R[];
  }

  /** One send round (see `round`), as the control surfaces report it. */
  async deliver(settings: S, id: string, trigger: Trigger): Promise<SentRecord<SentHead>> {
    const { row, answers, state } = await this.round(settings, id, trigger);
    return {
      notify_id: id,
      ...this.spec.sentHead(row),
      trigger,
      answers: answers.map(({ status, ok, error }) => ({ status, ...(this.spec.recordAck ? { acked: ok } : {}), error })),
      state,
    };
  }

  /** Each notify of `where`, oldest first, with every send. */
  protected views(where: Partial<Record<keyof R & string, string>>): NotifyView<ViewHead>[] {
    return this.find(where).map((n) => ({
      ...this.spec.viewHead(n),
      state: n.state,
      copies: n.copies,
      scheduled_sends: n.rounds,
      next_attempt_at: this.nextAttempt(n.id),
      body: n.body,
      deliveries: this.sends(n.id).map((d) => ({
        at: iso(d.at),
        status: d.status,
        ...(this.spec.recordAck ? { acked: d.acked === 1 } : {}),
        error: d.error,
        trigger: d.trig,
      })),
    }));
  }

  /** Makes the first send due after sandbox.notify_delay_seconds (already a sandbox setting: not scaled). */
  private scheduleFirst(settings: S, id: string, at: number, replace = false): void {
    const verb = replace ? 'INSERT OR REPLACE' : 'INSERT';
    this.sql.exec(`${verb} INTO due (kind, ref, due_at) VALUES ('notify', ?, ?)`, id, at + Math.round(settings.notify_delay_seconds * 1000));
  }

  /** Notifies whose next send is due at or before `until`. */
  dueBy(until: number): string[] {
    return this.sql
      .exec<{ ref: string }>(`SELECT ref FROM due WHERE kind = 'notify' AND due_at <= ? ORDER BY due_at`, until)
      .toArray()
      .map((r) => r.ref);
  }

  /**
   * One send round. A round already under way for this notify is awaited, not doubled: a flush
   * racing the alarm returns when that send is answered. A manual send waits for it, then sends.
   */
  private round(settings: S, id: string, trigger: Trigger): Promise<Round<R>> {
    const running = this.inFlight.get(id);
    if (running) return trigger === 'manual' ? running.then(() => this.round(settings, id, trigger)) : running;
    const round = this.sendRound(settings, id, trigger).finally(() => this.inFlight.delete(id));
    this.inFlight.set(id, round);
    return round;
  }

  /** When the next scheduled send is due, or null when none is. */
  private nextAttempt(id: string): string | null {
    const due = this.sql.exec<{ due_at: number }>(`SELECT due_at FROM due WHERE kind = 'notify' AND ref = ?`, id).toArray()[0];
    return due ? iso(due.due_at) : null;
  }

  /** Every send of a notify, oldest first. */
  private sends(id: string): DeliveryRow[] {
    return this.sql.exec<DeliveryRow>('SELECT * FROM deliveries WHERE notify_id = ? ORDER BY seq', id).toArray();
  }

  /**
   * Scheduled rounds (alarm, flush) follow the schedule until acknowledged, then stop; once the
   * schedule runs out the notify is given up. A manual send is extra and ends the schedule only if
   * acknowledged. The id and body never change.
   */
  private async sendRound(settings: S, id: string, trigger: Trigger): Promise<Round<R>> {
    const n = this.sql.exec('SELECT * FROM notifies WHERE id = ?', id).toArray()[0] as R | undefined;
    if (!n) throw new Error(`No notify ${id}.`);
    const scheduled = trigger !== 'manual';
    const copies = scheduled && n.rounds === 0 ? Math.max(1, n.copies) : 1;
    // Duplicates go out concurrently, as when several provider senders deliver within seconds.
    const answers = await Promise.all(Array.from({ length: copies }, () => this.spec.send(settings, n)));
    const at = this.now();
    for (const a of answers) {
      if (this.spec.recordAck) {
        this.sql.exec(
          'INSERT INTO deliveries (notify_id, at, status, acked, error, trig) VALUES (?, ?, ?, ?, ?, ?)',
          id,
          at,
          a.status,
          a.ok ? 1 : 0,
          a.error,
          trigger,
        );
      } else {
        this.sql.exec('INSERT INTO deliveries (notify_id, at, status, error, trig) VALUES (?, ?, ?, ?, ?)', id, at, a.status, a.error, trigger);
      }
    }
    let state = n.state;
    if (answers.some((a) => a.ok) && state === 'pending') state = 'delivered';
    if (scheduled) {
      const rounds = n.rounds + 1;
      const delay = nextRetryDelayMs(rounds, settings.time_scale, this.spec.retrySeconds);
      if (state === 'pending' && delay === null) state = 'exhausted';
      this.sql.exec('UPDATE notifies SET rounds = ? WHERE id = ?', rounds, id);
      if (state === 'pending' && delay !== null) this.sql.exec(`UPDATE due SET due_at = ? WHERE kind = 'notify' AND ref = ?`, at + delay, id);
    }
    if (state !== 'pending') this.sql.exec(`DELETE FROM due WHERE kind = 'notify' AND ref = ?`, id);
    this.sql.exec('UPDATE notifies SET state = ? WHERE id = ?', state, id);
    return { row: n, answers, state };
  }
}
