import { describe, expect, it } from 'vitest';
import { yuanToFen } from './money';

describe('yuanToFen (the cashier types yuan; Shouyin takes fen)', () => {
  it.each([
    ['12', 1200],
    ['12.8', 1280],
    ['12.80', 1280],
    ['0.01', 1],
    ['19.99', 1999], // 19.99 * 100 is 1998.9999999999998 in floating point
    ['0.29', 29], // 0.29 * 100 is 28.999999999999996
    ['1,288.00', 128800],
    ['¥ 88.88', 8888],
    ['￥3', 300],
    [' 7. ', 700],
    ['100000000', 10_000_000_000],
    [12.5, 1250],
  ])('%j → %i fen', (input, fen) => expect(yuanToFen(input)).toEqual({ ok: true, fen }));

  it.each(['', '0', '0.00', '12.345', '-1', '+1', '1e3', 'abc', '12,34', '.5', '100000000.01', '1234567890', 'NaN'])('refuses %j', (input) => {
    expect(yuanToFen(input).ok).toBe(false);
  });

  it('refuses what is not text or a number', () => {
    expect(yuanToFen(undefined).ok).toBe(false);
    expect(yuanToFen({}).ok).toBe(false);
  });
});
