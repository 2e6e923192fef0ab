import { describe, expect, it } from 'vitest';
import { takeToken, type BucketState } from './token-bucket';

const spec = { capacity: 3, refillMs: 1000 };

describe('takeToken', () => {
  it('allows the burst, then one per refill interval, and says how long to wait', () => {
    let s: BucketState | null = null;
    for (let i = 0; i < 3; i++) {
      const t = takeToken(s, spec, 0);
      expect(t.ok).toBe(true);
      s = t.state;
    }
    const refused = takeToken(s, spec, 0);
    expect(refused).toMatchObject({ ok: false, retryAfterMs: 1000 });
    expect(takeToken(refused.state, spec, 400)).toMatchObject({ ok: false, retryAfterMs: 600 });
    const later = takeToken(refused.state, spec, 1000);
    expect(later.ok).toBe(true);
    expect(takeToken(later.state, spec, 1000).ok).toBe(false);
  });

  it('never holds more than its capacity, and a clock going backwards refills nothing', () => {
    const full = takeToken({ tokens: 0, at: 0 }, spec, 1_000_000);
    expect(full).toMatchObject({ ok: true, state: { tokens: 2 } });
    expect(takeToken({ tokens: 0, at: 5000 }, spec, 1000)).toMatchObject({ ok: false, retryAfterMs: 1000 });
  });
});
