// Alipay timestamps (`timestamp`, `time_expire`, `gmt_payment`, `send_pay_date`, `notify_time`) are
// `yyyy-MM-dd HH:mm:ss` in Beijing time, UTC+8, with no zone marker (https://opendocs.alipay.com/common/02kf5q). A
// Worker may run in any zone, so the offset is applied by hand and only UTC getters are ever read.

const BEIJING_OFFSET_MS = 8 * 3600 * 1000;
const FORMAT = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;

/** ms since the epoch → `2024-01-01 12:00:00` (Beijing). Sub-second precision is dropped. */
export function beijingDateTime(ms: number): string {
  const t = new Date(Math.floor(ms / 1000) * 1000 + BEIJING_OFFSET_MS);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(t.getUTCFullYear(), 4)}-${p(t.getUTCMonth() + 1)}-${p(t.getUTCDate())} ${p(t.getUTCHours())}:${p(t.getUTCMinutes())}:${p(t.getUTCSeconds())}`;
}

/** `yyyy-MM-dd HH:mm:ss` (Beijing) → ms since the epoch, or `null` when it is not such a valid time. */
export function parseBeijingDateTime(s: string): number | null {
  const m = FORMAT.exec(s);
  if (!m) return null;
  const [y, mo, d, h, mi, se] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 59) return null;
  const ms = Date.UTC(y, mo - 1, d, h, mi, se);
  // Date.UTC rolls over (Feb 30 → Mar 2); a real calendar date reads back the same.
  const back = new Date(ms);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return null;
  return ms - BEIJING_OFFSET_MS;
}
