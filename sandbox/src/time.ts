// Provider timestamps are Beijing time (UTC+8) whatever the Worker's zone
// (https://pay.weixin.qq.com/doc/v3/merchant/4012791877): WeChat v3 `success_time` / `create_time` / `time_expire` are
// RFC 3339 with `+08:00`.

const BEIJING_OFFSET_MS = 8 * 3600 * 1000;

function parts(ms: number): { y: string; mo: string; d: string; h: string; mi: string; s: string } {
  // Shift, then read the UTC fields: the Worker runs in UTC and must never use local time.
  const t = new Date(Math.floor(ms / 1000) * 1000 + BEIJING_OFFSET_MS);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return {
    y: p(t.getUTCFullYear(), 4),
    mo: p(t.getUTCMonth() + 1),
    d: p(t.getUTCDate()),
    h: p(t.getUTCHours()),
    mi: p(t.getUTCMinutes()),
    s: p(t.getUTCSeconds()),
  };
}

/** `2024-01-01T12:00:00+08:00` */
export function beijingRfc3339(ms: number): string {
  const x = parts(ms);
  return `${x.y}-${x.mo}-${x.d}T${x.h}:${x.mi}:${x.s}+08:00`;
}

/**
 * `20240101120000`: WeChat v2 time_start / time_expire / time_end
 * (https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=9_1).
 */
export function beijingCompact(ms: number): string {
  const x = parts(ms);
  return `${x.y}${x.mo}${x.d}${x.h}${x.mi}${x.s}`;
}

/**
 * `2024-01-01 12:00:00`: WeChat v2 refund success_time
 * (https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=9_16&index=10).
 */
export function beijingDateTime(ms: number): string {
  const x = parts(ms);
  return `${x.y}-${x.mo}-${x.d} ${x.h}:${x.mi}:${x.s}`;
}

/** ms since the epoch from a Beijing `yyyyMMddHHmmss`, or `null` when it is not one. */
export function parseBeijingCompact(s: string): number | null {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(s);
  if (!m) return null;
  const [y, mo, d, h, mi, sec] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const t = Date.UTC(y, mo - 1, d, h, mi, sec) - BEIJING_OFFSET_MS;
  // Reject rollovers such as month 13 or 25:00.
  return Number.isFinite(t) && beijingCompact(t) === s ? t : null;
}

/** `20240101`, as embedded in WeChat transaction ids. */
export function beijingDate(ms: number): string {
  const x = parts(ms);
  return `${x.y}${x.mo}${x.d}`;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/** ms since the epoch, or `null` when `s` is not an RFC 3339 date-time with an explicit offset. */
export function parseRfc3339(s: string): number | null {
  if (!RFC3339.test(s)) return null;
  const ms = Date.parse(s);
  return Number.isFinite(ms) ? ms : null;
}
