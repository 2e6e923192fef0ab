import { afterEach, describe, expect, it, vi } from 'vitest';
import { beijingDateTime, parseBeijingDateTime } from './time';

afterEach(() => vi.restoreAllMocks());

describe('Beijing time (yyyy-MM-dd HH:mm:ss, UTC+8)', () => {
  it('formats UTC instants in Beijing time', () => {
    expect(beijingDateTime(0)).toBe('1970-01-01 08:00:00');
    expect(beijingDateTime(Date.UTC(2024, 0, 1, 4, 0, 0))).toBe('2024-01-01 12:00:00');
    // 16:00 UTC is already tomorrow in Beijing; a year boundary too.
    expect(beijingDateTime(Date.UTC(2023, 11, 31, 16, 0, 0))).toBe('2024-01-01 00:00:00');
    expect(beijingDateTime(Date.UTC(2024, 1, 28, 16, 30, 5, 999))).toBe('2024-02-29 00:30:05');
  });

  it('never reads the local time zone', () => {
    // Whatever zone a Worker (or a developer machine) runs in, only UTC getters are used.
    for (const m of ['getHours', 'getDate', 'getMonth', 'getFullYear', 'getMinutes', 'getTimezoneOffset', 'toLocaleString'] as const) {
      vi.spyOn(Date.prototype, m).mockImplementation(() => {
        throw new Error(`local-time ${m} used`);
      });
    }
    expect(beijingDateTime(Date.UTC(2024, 5, 30, 20, 0, 0))).toBe('2024-07-01 04:00:00');
    expect(parseBeijingDateTime('2024-07-01 04:00:00')).toBe(Date.UTC(2024, 5, 30, 20, 0, 0));
  });

  it('parses back to the same instant', () => {
    for (const t of [0, Date.UTC(2019, 7, 15, 7, 56, 22), Date.UTC(2030, 11, 31, 23, 59, 59)]) {
      expect(parseBeijingDateTime(beijingDateTime(t))).toBe(t);
    }
    expect(parseBeijingDateTime('2019-08-15 15:56:22')).toBe(Date.UTC(2019, 7, 15, 7, 56, 22));
  });

  it.each(['2024-02-30 00:00:00', '2024-13-01 00:00:00', '2024-01-01T12:00:00', '2024-01-01 12:00', '2024-01-01 24:00:00', '2024-1-1 12:00:00', ''])(
    'refuses %j',
    (s) => {
      expect(parseBeijingDateTime(s)).toBeNull();
    },
  );
});
