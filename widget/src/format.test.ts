import { describe, expect, it } from 'vitest';
import { formatAmount, formatCountdown, secondsLeft } from './format';

describe('formatAmount (integer fen → display yuan)', () => {
  it('formats fen as CNY with the ¥ sign in both locales', () => {
    expect(formatAmount(8888, 'zh-CN')).toBe('¥88.88');
    expect(formatAmount(8888, 'en')).toBe('¥88.88');
  });

  it('keeps two decimals and groups thousands', () => {
    expect(formatAmount(1, 'zh-CN')).toBe('¥0.01');
    expect(formatAmount(10, 'en')).toBe('¥0.10');
    expect(formatAmount(0, 'en')).toBe('¥0.00');
    expect(formatAmount(123456789, 'zh-CN')).toBe('¥1,234,567.89');
  });

  it('is exact for amounts whose yuan value is not representable in binary', () => {
    // 0.29 * 100 !== 29 in floating point; the other direction must still print 0.29, 1.15 …
    for (const fen of [29, 57, 115, 1005, 4035, 999999999]) {
      const s = formatAmount(fen, 'en').replace(/[¥,]/g, '');
      expect(s).toBe(`${Math.floor(fen / 100)}.${String(fen % 100).padStart(2, '0')}`);
    }
  });

  it('refuses anything that is not whole non-negative fen', () => {
    expect(() => formatAmount(88.5, 'zh-CN')).toThrow(RangeError);
    expect(() => formatAmount(-1, 'zh-CN')).toThrow(RangeError);
    expect(() => formatAmount(Number.NaN, 'zh-CN')).toThrow(RangeError);
    expect(() => formatAmount(2 ** 53, 'zh-CN')).toThrow(RangeError);
  });
});

describe('countdown helpers', () => {
  it('counts whole seconds left, a partial second counting as one, never below 0', () => {
    expect(secondsLeft(10_000, 0)).toBe(10);
    expect(secondsLeft(10_000, 1)).toBe(10);
    expect(secondsLeft(10_000, 999)).toBe(10);
    expect(secondsLeft(10_000, 1000)).toBe(9);
    expect(secondsLeft(10_000, 9_999)).toBe(1);
    expect(secondsLeft(10_000, 10_000)).toBe(0);
    expect(secondsLeft(10_000, 60_000)).toBe(0);
  });

  it('formats mm:ss without capping minutes', () => {
    expect(formatCountdown(0)).toBe('00:00');
    expect(formatCountdown(9)).toBe('00:09');
    expect(formatCountdown(75)).toBe('01:15');
    expect(formatCountdown(900)).toBe('15:00');
    expect(formatCountdown(7200)).toBe('120:00');
    expect(formatCountdown(-3)).toBe('00:00');
  });
});
