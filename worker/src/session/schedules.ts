// Every retry and backoff schedule of a session's due work, in one place (documented in docs/reliability.md).

/**
 * Query fallback: how long after an attempt's QR or redirect was handed out (and then after each
 * query) the provider is asked again. Never more than 30 s apart, so a payment whose notifies are
 * all lost is still seen within 30 s of being made: every 5 s for the first 30 s, every 10 s up to
 * 90 s, every 15 s up to 4 minutes, then every 30 s until the session ends.
 */
export function queryDelayMs(tries: number): number {
  if (tries < 6) return 5_000;
  if (tries < 12) return 10_000;
  if (tries < 22) return 15_000;
  return 30_000;
}

/** Closing a provider order that could not be closed at expiry, cancel or a channel switch. */
export const CLOSE_RETRY_MS = [30_000, 120_000, 600_000, 3_600_000];

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
