// How long a checkout session's Durable Object keeps its data once the session is over
// (docs/data-retention.md). A session holds the shopper's traces — provider messages with the payer's
// openid or a masked card number, anomaly evidence, event bodies — so it is deleted (storage.deleteAll)
// once no one can need it: for a session where money moved, past the providers' refund window
// (WeChat Pay refuses refunds of orders over a year old, https://pay.weixin.qq.com/wiki/doc/api/native.php?chapter=9_4)
// and a month of reconciliation; for one that ended with nothing paid, a month.

import type { Env } from '../env';

export const DAY_MS = 86_400_000;

/** Days a session where money moved (paid, refunded, a late or duplicate payment) is kept after its last event. */
export const DEFAULT_RETENTION_DAYS = 400;
/** Days a session that ended with nothing paid is kept after it ended (or the configured days, if fewer). */
export const UNPAID_RETENTION_DAYS = 30;

/**
 * SHOUYIN_SESSION_RETENTION_DAYS: a whole number of days from 1 to 3650, else the default. Invalid
 * values fall back to the default rather than deleting early.
 */
export function retentionDays(env: Pick<Env, 'SHOUYIN_SESSION_RETENTION_DAYS'>): { money: number; unpaid: number } {
  const raw = env.SHOUYIN_SESSION_RETENTION_DAYS;
  const n = raw === undefined || raw.trim() === '' ? Number.NaN : Number(raw);
  const money = Number.isInteger(n) && n >= 1 && n <= 3650 ? n : DEFAULT_RETENTION_DAYS;
  return { money, unpaid: Math.min(UNPAID_RETENTION_DAYS, money) };
}

/** When a session over since `lastEventAt` may be deleted. */
export function purgeAt(lastEventAt: number, moneyMoved: boolean, days: { money: number; unpaid: number }): number {
  return lastEventAt + (moneyMoved ? days.money : days.unpaid) * DAY_MS;
}
