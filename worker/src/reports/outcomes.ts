// How checkout sessions ended, per merchant and Beijing day: the numbers behind `GET /v1/reports/daily`
// (docs/merchant-api.md#daily-report) and the dashboard's home page. The session's Durable Object files
// one row when it indexes its paid, expired or canceled event (session/durable-object.ts, the `index`
// due item: retried until it succeeds, and filing is idempotent by event id), in the merchant shard
// `<merchant>:stats:<YYYY-MM-DD>` (shards.ts statsShardName). Sessions still open are not counted yet.

import { CHANNELS, type Channel } from '../contract';

export const OUTCOME_SCHEMA = `CREATE TABLE IF NOT EXISTS session_outcomes (
  merchant TEXT NOT NULL, event TEXT NOT NULL, session TEXT NOT NULL, status TEXT NOT NULL, channel TEXT, attempted TEXT NOT NULL,
  amount INTEGER NOT NULL, at INTEGER NOT NULL, PRIMARY KEY (merchant, event))`;

export type EndStatus = 'paid' | 'expired' | 'canceled';

export interface SessionOutcome {
  /** The event that ended the session (checkout.session.paid / expired / canceled). */
  event: string;
  session: string;
  status: EndStatus;
  /** The channel the session was paid with; null unless paid. */
  channel: Channel | null;
  /** Every channel the shopper started an attempt on (a session paid by payment code included). */
  attempted: Channel[];
  /** Integer fen: what was paid, or the session's amount when it was not. */
  amount: number;
  /** ms since epoch, when the session ended. */
  at: number;
}

const END: Record<string, EndStatus> = {
  'checkout.session.paid': 'paid',
  'checkout.session.expired': 'expired',
  'checkout.session.canceled': 'canceled',
};

/** The outcome an event records, or null for events that do not end a session. */
export function outcomeOf(
  event: { id: string; type: string; created: number },
  session: { id: string; amount: number },
  attempts: readonly { channel: Channel; id: string; paid_amount: number | null }[],
  paidAttempt: string | null,
): SessionOutcome | null {
  const status = END[event.type];
  if (!status) return null;
  const paid = status === 'paid' ? attempts.find((a) => a.id === paidAttempt) : undefined;
  return {
    event: event.id,
    session: session.id,
    status,
    channel: paid?.channel ?? null,
    attempted: CHANNELS.filter((c) => attempts.some((a) => a.channel === c)),
    amount: paid?.paid_amount ?? session.amount,
    at: event.created,
  };
}

export function insertOutcome(sql: SqlStorage, merchant: string, o: SessionOutcome): void {
  sql.exec(
    `INSERT OR IGNORE INTO session_outcomes (merchant, event, session, status, channel, attempted, amount, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    merchant,
    o.event,
    o.session,
    o.status,
    o.channel,
    JSON.stringify(o.attempted),
    o.amount,
    o.at,
  );
}

export interface ChannelDay {
  /** Ended sessions in which the shopper tried this channel. */
  tried: number;
  /** Sessions paid with this channel, and their sum (fen). */
  paid: number;
  paid_amount: number;
}

export interface DayStats {
  date: string;
  /** Sessions that ended this day, by how. */
  ended: number;
  paid: number;
  expired: number;
  canceled: number;
  /** Fen paid this day, every channel. */
  paid_amount: number;
  channels: Record<Channel, ChannelDay>;
}

export function emptyDay(date: string): DayStats {
  const channels = {} as Record<Channel, ChannelDay>;
  for (const c of CHANNELS) channels[c] = { tried: 0, paid: 0, paid_amount: 0 };
  return { date, ended: 0, paid: 0, expired: 0, canceled: 0, paid_amount: 0, channels };
}

/** One day's numbers from its rows. */
export function dayStats(sql: SqlStorage, merchant: string, date: string): DayStats {
  const day = emptyDay(date);
  const rows = sql
    .exec<{ status: EndStatus; channel: Channel | null; attempted: string; amount: number }>(
      'SELECT status, channel, attempted, amount FROM session_outcomes WHERE merchant = ?',
      merchant,
    )
    .toArray();
  for (const r of rows) {
    day.ended++;
    day[r.status]++;
    for (const c of JSON.parse(r.attempted) as Channel[]) if (day.channels[c]) day.channels[c].tried++;
    if (r.status === 'paid') {
      day.paid_amount += r.amount;
      const ch = r.channel ? day.channels[r.channel] : undefined;
      if (ch) {
        ch.paid++;
        ch.paid_amount += r.amount;
      }
    }
  }
  return day;
}
