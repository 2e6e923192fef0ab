// Retry-After on a failed webhook try (docs/webhooks.md#delivery-and-retries): what the header asks
// for, and the wait that comes of it — never shorter than the schedule, never longer than an hour.

import { describe, expect, it } from 'vitest';
import { WEBHOOK_RETRY_MS } from '../session/schedules';
import { RETRY_AFTER_MAX_MS, retryAfterMs, retryDelay } from './fanout';

const NOW = Date.parse('2026-03-01T08:00:00.000Z');

describe('retryAfterMs', () => {
  it('reads whole seconds', () => {
    expect(retryAfterMs('120', NOW)).toBe(120_000);
    expect(retryAfterMs(' 0 ', NOW)).toBe(0);
  });

  it('reads an HTTP-date, from now; one in the past asks for no wait', () => {
    expect(retryAfterMs('Sun, 01 Mar 2026 08:10:00 GMT', NOW)).toBe(600_000);
    expect(retryAfterMs('Sun, 01 Mar 2026 07:00:00 GMT', NOW)).toBe(0);
  });

  it('ignores what is neither: no header, fractions, negatives, words, bare dates', () => {
    for (const v of [null, '', '1.5', '-5', 'soon', '2026-03-01T09:00:00Z', '1e3']) expect(retryAfterMs(v, NOW)).toBeNull();
  });

  it('does not overflow on an absurd number of seconds', () => {
    expect(Number.isFinite(retryAfterMs('9'.repeat(400), NOW))).toBe(true);
  });
});

describe('retryDelay', () => {
  it('is the schedule without a Retry-After, and undefined once the schedule has run out', () => {
    expect(retryDelay(0, null)).toBe(WEBHOOK_RETRY_MS[0]);
    expect(retryDelay(WEBHOOK_RETRY_MS.length, null)).toBeUndefined();
    expect(retryDelay(WEBHOOK_RETRY_MS.length, 60_000)).toBeUndefined();
  });

  it('waits as long as asked, up to an hour, and never less than the schedule', () => {
    expect(retryDelay(0, 600_000)).toBe(600_000);
    expect(retryDelay(0, 1_000)).toBe(WEBHOOK_RETRY_MS[0]);
    expect(retryDelay(0, 30 * 86_400_000)).toBe(RETRY_AFTER_MAX_MS);
    // A step of the schedule longer than the cap stays as it is.
    const long = WEBHOOK_RETRY_MS.findIndex((d) => d > RETRY_AFTER_MAX_MS);
    expect(retryDelay(long, 30 * 86_400_000)).toBe(WEBHOOK_RETRY_MS[long]);
  });
});
