import { describe, expect, it } from 'vitest';
import { fenToYuan, yuanToFen } from './amount';

describe('fen ↔ yuan strings (no floats)', () => {
  it.each([
    [8888, '88.88'],
    [1, '0.01'],
    [10, '0.10'],
    [100, '1.00'],
    [0, '0.00'],
    [10_000_000_000, '100000000.00'],
    [9_007_199_254_740_991, '90071992547409.91'],
  ])('%d fen = "%s"', (fen, yuan) => {
    expect(fenToYuan(fen)).toBe(yuan);
  });

  it('round-trips every amount a float would get wrong', () => {
    // 0.29 * 100 = 28.999999999999996 and 1.15 * 100 = 114.99999999999999 in floating point.
    for (const fen of [29, 57, 115, 1005, 4.35e2, 8888, 99999]) expect(yuanToFen(fenToYuan(fen))).toBe(fen);
    expect(yuanToFen('0.29')).toBe(29);
    expect(yuanToFen('1.15')).toBe(115);
  });

  it('reads one, two or no decimals', () => {
    expect(yuanToFen('88.8')).toBe(8880);
    expect(yuanToFen('88')).toBe(8800);
    expect(yuanToFen('0.1')).toBe(10);
  });

  it.each(['', ' 1.00', '1.00 ', '-1.00', '+1.00', '1.001', '1e2', '01.00', '1,00', '.5', '5.', 'NaN', '0x10', '1234567890123.00'])('refuses %j', (s) => {
    expect(yuanToFen(s)).toBeNull();
  });

  it.each([-1, 1.5, Number.NaN, Number.MAX_SAFE_INTEGER + 1])('refuses to format %d', (n) => {
    expect(() => fenToYuan(n)).toThrow(RangeError);
  });
});
