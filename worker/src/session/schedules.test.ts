import { describe, expect, it } from 'vitest';
import { QUERY_AWAY_MS, nextQuery, type QueryPace } from './schedules';

/** The times (ms after the QR) of the queries before `untilMs`, with presence given per query time. */
function queryTimes(untilMs: number, watched: (t: number) => boolean): number[] {
  const times: number[] = [];
  let last: QueryPace | null = null;
  let t = 0;
  for (;;) {
    const next = nextQuery(last, watched(t));
    t += next.delayMs;
    if (t >= untilMs) return times;
    times.push(t);
    last = next;
  }
}

const gaps = (times: number[]) => times.slice(1).map((t, i) => t - times[i]!);

describe('the query fallback pace', () => {
  it('while watched: every 5 s for 30 s, 10 s up to 90 s, 15 s up to 4 minutes, then 30 s; never more than 30 s apart', () => {
    const times = queryTimes(15 * 60_000, () => true);
    expect(times.slice(0, 6)).toEqual([5_000, 10_000, 15_000, 20_000, 25_000, 30_000]);
    expect(times[11]).toBe(90_000);
    expect(times[21]).toBe(240_000);
    expect(times[22]).toBe(270_000);
    expect(Math.max(...gaps([0, ...times]))).toBe(30_000);
  });

  it('with nobody watching: a minute, 10 minutes, then every 30 minutes', () => {
    expect(queryTimes(4 * 3_600_000, () => false).map((t) => t / 60_000)).toEqual([1, 11, 41, 71, 101, 131, 161, 191, 221]);
    expect(QUERY_AWAY_MS).toEqual([60_000, 600_000, 1_800_000]);
  });

  it('costs an abandoned QR 2 provider calls before the default 15-minute expiry, 3 up to an hour, 5 at the 2-hour maximum', () => {
    const calls = (minutes: number) => queryTimes(minutes * 60_000, () => false).length;
    expect(calls(15)).toBe(2);
    expect(calls(30)).toBe(2);
    expect(calls(60)).toBe(3);
    expect(calls(120)).toBe(5);
    // What the watched pace alone (the schedule before the pace followed the shopper) costs.
    const watched = (minutes: number) => queryTimes(minutes * 60_000, () => true).length;
    expect([watched(15), watched(60), watched(120)]).toEqual([43, 133, 253]);
  });

  it('a change of pace starts the new pace from its first step', () => {
    const watched = nextQuery({ away: false, step: 30 }, true);
    expect(watched).toEqual({ away: false, step: 31, delayMs: 30_000 });
    expect(nextQuery(watched, false)).toEqual({ away: true, step: 0, delayMs: 60_000 });
    expect(nextQuery({ away: true, step: 5 }, true)).toEqual({ away: false, step: 0, delayMs: 5_000 });
    // The shopper leaves after 2 minutes: the away pace starts from the query that found nobody.
    const times = queryTimes(20 * 60_000, (t) => t < 120_000);
    const left = times.findIndex((t) => t > 120_000);
    expect(times[left]! - times[left - 1]!).toBe(60_000);
    expect(times[left + 1]! - times[left]!).toBe(600_000);
  });
});
