// The notify outbox machinery the three simulators share: one row per notification (fixed id and
// body, built once by the provider), sent in rounds on a retry schedule until acknowledged, every
// send recorded. What differs per provider — the wire format, what counts as an ack, the schedule,
// the row's extra columns — comes in through `OutboxSpec`; the bookkeeping lives here once so the
// schedules cannot drift in how they are walked. Due times live in the ledger's `due` table (kind
// 'notify'), which its one alarm works through.

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

/** One copy's answer; status 0 = no answer (network error or timeout). `ok`: the provider's ack rule held. */
export interface Answer {
  status: number;
  error: string | null;
  ok: boolean;
}

export interface OutboxSpec<S, R extends OutboxRow> {
  /** Sends one copy of the notify and judges the answer by the provider's ack rule. */
  send(settings: S, row: R): Promise<Answer>;
  /** Retry delays (s, before time_scale) after each unacknowledged scheduled send; default WeChat's. */
  retrySeconds?: readonly number[];
  /** The provider's `deliveries` table also stores whether each answer acked (Alipay shows it). */
  recordAck?: boolean;
}

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

export class Outbox<S extends { time_scale: number; notify_delay_seconds: number }, R extends OutboxRow> {
  /** Send rounds under way, by notify id: a scheduled round, a flush and a manual send never overlap. */
  private readonly inFlight = new Map<string, Promise<Round<R>>>();

  constructor(
    private readonly sql: SqlStorage,
    private readonly now: () => number,
    private readonly spec: OutboxSpec<S, R>,
  ) {}

  /** Makes the first send due after sandbox.notify_delay_seconds (already a sandbox setting: not scaled). */
  scheduleFirst(settings: S, id: string, at: number, replace = false): void {
    const verb = replace ? 'INSERT OR REPLACE' : 'INSERT';
    this.sql.exec(`${verb} INTO due (kind, ref, due_at) VALUES ('notify', ?, ?)`, id, at + Math.round(settings.notify_delay_seconds * 1000));
  }

  /** Notifies whose next send is due at or before `until`. */
  dueBy(until: number): string[] {
    return this.sql.exec<{ ref: string }>(`SELECT ref FROM due WHERE kind = 'notify' AND due_at <= ? ORDER BY due_at`, until).toArray().map((r) => r.ref);
  }

  /**
   * One send round. A round already under way for this notify is awaited, not doubled: a flush
   * racing the alarm returns when that send is answered. A manual send waits for it, then sends.
   */
  deliver(settings: S, id: string, trigger: Trigger): Promise<Round<R>> {
    const running = this.inFlight.get(id);
    if (running) return trigger === 'manual' ? running.then(() => this.deliver(settings, id, trigger)) : running;
    const round = this.sendRound(settings, id, trigger).finally(() => this.inFlight.delete(id));
    this.inFlight.set(id, round);
    return round;
  }

  /** When the next scheduled send is due, or null when none is. */
  nextAttempt(id: string): string | null {
    const due = this.sql.exec<{ due_at: number }>(`SELECT due_at FROM due WHERE kind = 'notify' AND ref = ?`, id).toArray()[0];
    return due ? iso(due.due_at) : null;
  }

  /** Every send of a notify, oldest first. */
  sends(id: string): DeliveryRow[] {
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
        this.sql.exec('INSERT INTO deliveries (notify_id, at, status, acked, error, trig) VALUES (?, ?, ?, ?, ?, ?)', id, at, a.status, a.ok ? 1 : 0, a.error, trigger);
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
