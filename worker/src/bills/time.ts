// Beijing days. Providers cut their statements at Beijing midnight (UTC+8, no daylight saving);
// a Worker runs in UTC, so every conversion is explicit.

const OFFSET_MS = 8 * 3600_000;
export const DAY_MS = 24 * 3600_000;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** `YYYY-MM-DD` of the Beijing day `ms` falls in. */
export const beijingDay = (ms: number): string => new Date(ms + OFFSET_MS).toISOString().slice(0, 10);

/** A real calendar date `YYYY-MM-DD`, or null. */
export function parseDate(s: string): string | null {
  const m = DATE.exec(s);
  if (!m) return null;
  const d = new Date(`${s}T00:00:00Z`);
  return Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== s ? null : s;
}

/** The instant Beijing day `date` starts (ms since epoch). */
export const dayStart = (date: string): number => Date.parse(`${date}T00:00:00+08:00`);

export const addDays = (date: string, n: number): string => new Date(Date.parse(`${date}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);

/** `yyyy-MM-dd HH:mm:ss` in Beijing time → ms, or null. */
export function parseBeijing(s: string): number | null {
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})$/.exec(s.trim());
  if (!m) return null;
  const t = Date.parse(`${m[1]}T${m[2]}+08:00`);
  return Number.isNaN(t) ? null : t;
}

/** ms → `yyyy-MM-dd HH:mm:ss` in Beijing time. */
export function formatBeijing(ms: number): string {
  return new Date(ms + OFFSET_MS).toISOString().slice(0, 19).replace('T', ' ');
}

/** `HH:mm` Beijing → minutes after midnight, or null. */
export function parseClock(hhmm: string): number | null {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(hhmm);
  return m ? Number(m[1]) * 60 + Number(m[2]) : null;
}

/** The instant `HH:mm` Beijing falls on day `date` (ms since epoch). */
export const atClock = (date: string, hhmm: string): number => dayStart(date) + (parseClock(hhmm) ?? 0) * 60_000;

/** Whole days from `a` to `b` (`YYYY-MM-DD` each). */
export const daysBetween = (a: string, b: string): number => Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / DAY_MS);
