// Every retry and backoff schedule of a session's due work, in one place (documented in docs/reliability.md).

/**
 * Query fallback: when a pending attempt's provider order is asked again, after its QR or redirect was
 * handed out and after each query. The pace follows the shopper (docs/reliability.md#query-fallback):
 *
 * - **watched** (a status WebSocket open, a long-poll held, or a status request in the last
 *   PRESENCE_WINDOW_MS, see CheckoutSession.watched): every 5 s for the first 30 s, every 10 s up to
 *   90 s, every 15 s up to 4 minutes, then every 30 s. Never more than 30 s apart, so a payment whose
 *   notifies are all lost is seen within 30 s while the shopper waits for it;
 * - **away** (nobody watches): once a minute later, then 10 minutes later, then every 30 minutes.
 *   The provider's own notify retries and the close at expiry (which finds a payment made meanwhile
 *   and applies it) carry the rest; a shopper who comes back restarts the watched pace (resume).
 *
 * Each query picks the pace the presence at that moment calls for; a change of pace starts it from
 * its first step.
 */
export const QUERY_AWAY_MS = [60_000, 600_000, 1_800_000] as const;
/** A status request (poll or long-poll) counts as a shopper watching for this long after it. */
export const PRESENCE_WINDOW_MS = 30_000;

/** Where a due query stands: which pace, and how many steps of it were taken (the due row's `tries`). */
export interface QueryPace {
  away: boolean;
  step: number;
}

/** The delay before step `step` of a pace is due. */
export function queryDelayMs(pace: QueryPace): number {
  if (pace.away) return at(QUERY_AWAY_MS, pace.step);
  if (pace.step < 6) return 5_000;
  if (pace.step < 12) return 10_000;
  if (pace.step < 22) return 15_000;
  return 30_000;
}

/** The next query after `last` (null: the first one, as the QR or redirect is handed out). */
export function nextQuery(last: QueryPace | null, watched: boolean): QueryPace & { delayMs: number } {
  const away = !watched;
  const step = last && last.away === away ? last.step + 1 : 0;
  return { away, step, delayMs: queryDelayMs({ away, step }) };
}

/** Closing a provider order that could not be closed at expiry, cancel or a channel switch. */
export const CLOSE_RETRY_MS = [30_000, 120_000, 600_000, 3_600_000];

/**
 * How long after the session's `expires_at` (the provider order's own `time_expire`) an order the
 * provider does not know yet (Alipay's ACQ.TRADE_NOT_EXIST for a QR nobody scanned) is still closed
 * again rather than taken as closed: the margin for the provider's clock and a scan under way at that
 * second (docs/reliability.md#expiry-and-close).
 */
export const ORDER_EXPIRY_MARGIN_MS = 120_000;

/**
 * Reversing a payment-code order the till gave up on (WeChat reverse `recall=Y`, Alipay cancel
 * `retry_flag=Y`, no answer): again and again until the provider confirms — but only while it takes a
 * reversal (the provider's reverseWindowMs: WeChat Pay's 7 days), the last try when that window closes;
 * then a payment.anomaly for a person (barcode-engine.ts). The pay call's own 5 s queries and 30 s
 * deadline are in state-machine.ts (BARCODE_QUERY_MS, BARCODE_DEADLINE_MS).
 */
export const REVERSE_RETRY_MS = [10_000, 30_000, 60_000, 300_000, 900_000, 3_600_000];

/** Refund requests and refund queries: until the provider gives a final answer (never given up). */
export const REFUND_RETRY_MS = [10_000, 30_000, 60_000, 300_000, 900_000, 3_600_000, 21_600_000];

/**
 * Merchant webhooks (Standard Webhooks, at least once): delay before try n+1. 16 tries, the last about
 * 3 days 16 hours after the first, like Stripe's "up to 3 days with an exponential back off".
 */
export const WEBHOOK_RETRY_MS = [
  5_000, 30_000, 120_000, 600_000, 1_800_000, 3_600_000, 7_200_000, 14_400_000, 28_800_000, 43_200_000, 43_200_000, 43_200_000, 43_200_000, 43_200_000,
  43_200_000,
];

/**
 * Copying a session into the merchant's list index, and its webhook tries into the delivery log, when
 * the write failed: soon, so a list trails the session by seconds, then backing off to every 5 minutes
 * (never given up; the next change of the session also retries at once).
 */
export const LISTING_RETRY_MS = [1_000, 2_000, 5_000, 15_000, 60_000, 300_000];

export const at = (schedule: readonly number[], tries: number): number => schedule[Math.min(tries, schedule.length - 1)]!;
