// UnionPay times are Beijing time (UTC+8) as `yyyyMMddHHmmss` (txnTime, payTimeout) —
// https://open.unionpay.com/tjweb/acproduct/APIList?acpAPIId=754&apiservId=448&version=V2.2. A Worker runs in UTC:
// shift by +8 h and read the UTC fields, never local time.

const BEIJING_OFFSET_MS = 8 * 3600_000;

/** `20240101120000` for the Beijing wall-clock time at `ms`. */
export function beijingCompact(ms: number): string {
  const d = new Date(Math.floor(ms / 1000) * 1000 + BEIJING_OFFSET_MS);
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${p(d.getUTCFullYear(), 4)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}`;
}

/** ms since the epoch of a `yyyyMMddHHmmss` Beijing time, or null when it is not one. */
export function parseBeijingCompact(s: string): number | null {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(s);
  if (!m) return null;
  const [y, mo, d, h, mi, se] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, se);
  const back = new Date(ms);
  // Reject 20240230… and friends instead of letting Date roll them over.
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || h > 23 || mi > 59 || se > 59) return null;
  return ms - BEIJING_OFFSET_MS;
}
