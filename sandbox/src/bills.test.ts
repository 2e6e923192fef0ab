// The statement switch's options beside the row mutations: which are accepted, and what they decide.

import { describe, expect, it } from 'vitest';
import { applyMutations, clearingCutoff, feeOf, notReady, parseMutations, splitRows, type BillItem } from './bills';

describe('the statement switch', () => {
  it('accepts not_ready, clearing_cutoff and split_detail with valid fields, and names a bad one', () => {
    const ok = [
      { kind: 'not_ready', date: '2026-11-27' },
      { kind: 'not_ready', date: '2026-11-28', until: 1_795_900_000 },
      { kind: 'clearing_cutoff', time: '23:00' },
      { kind: 'split_detail', rows: 2 },
    ];
    expect(parseMutations(ok)).toEqual(ok);
    for (const bad of [
      { kind: 'not_ready', date: '2026-02-30' },
      { kind: 'not_ready', date: '2026-11-27', until: -1 },
      { kind: 'clearing_cutoff', time: '24:00' },
      { kind: 'split_detail', rows: 0 },
    ]) {
      expect(parseMutations([bad])).toBe('mutations[0] is not a known mutation with valid fields');
    }
  });

  it('holds a day back until `until` on the simulator clock, or until cleared; options never change the rows', () => {
    const m = parseMutations([
      { kind: 'not_ready', date: '2026-11-27', until: 1_795_900_000 },
      { kind: 'not_ready', date: '2026-11-28' },
      { kind: 'clearing_cutoff', time: '23:00' },
      { kind: 'split_detail', rows: 3 },
    ]);
    if (typeof m === 'string') throw new Error(m);
    expect(notReady(m, '2026-11-27', 1_795_899_999_000)).toBe(true);
    expect(notReady(m, '2026-11-27', 1_795_900_000_000)).toBe(false);
    expect(notReady(m, '2026-11-28', Number.MAX_SAFE_INTEGER)).toBe(true);
    expect(notReady(m, '2026-11-29', 0)).toBe(false);
    expect(clearingCutoff(m)).toBe('23:00');
    expect(splitRows(m)).toBe(3);
    expect(clearingCutoff([])).toBeNull();
    const item: BillItem = { kind: 'payment', outTradeNo: 'A1', amount: 100, time: 1, transactionId: 't', extra: {} };
    expect(applyMutations([item], m, '2026-11-27')).toEqual([item]);
  });

  it('charges fees rounded half up to the fen', () => {
    expect(feeOf(8888, 6)).toBe(53);
    expect(feeOf(2500, 6)).toBe(15);
    expect(feeOf(250, 6)).toBe(2);
    expect(feeOf(1, 6)).toBe(0);
  });
});
