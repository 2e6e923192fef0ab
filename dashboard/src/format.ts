// Money, time and CSV for the dashboard. Money is integer fen everywhere; it becomes yuan only for
// display (the widget's formatAmount) and in CSV, digit by digit. Times are shown in Beijing time
// (Asia/Shanghai), the day every provider's statement and Shouyin's reports use.

import { formatAmount } from '../../widget/src/format';

export type Lang = 'zh-CN' | 'en';

/** `8888` → `¥88.88`. */
export const money = (fen: number, lang: Lang): string => formatAmount(fen, lang);

/** `8888` → `88.88` (no symbol, no grouping): for CSV and inputs. */
export function yuan(fen: number): string {
  if (!Number.isSafeInteger(fen)) throw new RangeError(`bad fen: ${fen}`);
  const sign = fen < 0 ? '-' : '';
  const a = Math.abs(fen);
  return `${sign}${Math.floor(a / 100)}.${String(a % 100).padStart(2, '0')}`;
}

export type Parsed = { ok: true; fen: number } | { ok: false; reason: 'empty' | 'format' | 'zero' };

/** `"12"`, `"12.3"`, `"12.34"`, `"¥1,288.00"` → fen, from the text (never through a float). */
export function parseYuan(input: string): Parsed {
  const text = input
    .trim()
    .replace(/^[¥￥]\s*/, '')
    .replace(/,(?=\d{3}(\D|$))/g, '');
  if (text === '') return { ok: false, reason: 'empty' };
  const m = /^(\d{1,9})(?:\.(\d{0,2}))?$/.exec(text);
  if (!m) return { ok: false, reason: 'format' };
  const fen = Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'));
  return fen < 1 ? { ok: false, reason: 'zero' } : { ok: true, fen };
}

const OFFSET_MS = 8 * 3600_000;

/** Unix seconds → `2026-12-07 10:23:45` in Beijing time. */
export const beijingTime = (unixSeconds: number): string => new Date(unixSeconds * 1000 + OFFSET_MS).toISOString().slice(0, 19).replace('T', ' ');

/** The Beijing calendar day of an instant (ms). */
export const beijingDay = (ms: number): string => new Date(ms + OFFSET_MS).toISOString().slice(0, 10);

/** Unix seconds when Beijing day `date` (YYYY-MM-DD) starts. */
export const dayStartSeconds = (date: string): number => Math.floor(Date.parse(`${date}T00:00:00+08:00`) / 1000);

export const addDays = (date: string, n: number): string => new Date(Date.parse(`${date}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);

export const isDate = (s: string | null | undefined): s is string =>
  !!s && /^\d{4}-\d{2}-\d{2}$/.test(s) && new Date(`${s}T00:00:00Z`).toISOString().slice(0, 10) === s;

/** `0.8123` → `81.2%`; no denominator → `—`. */
export const percent = (part: number, whole: number): string => (whole === 0 ? '—' : `${((part / whole) * 100).toFixed(1)}%`);

/** A CSV cell (RFC 4180 quoting); text a spreadsheet would run as a formula gets a leading `'`. */
export function csvCell(v: string | number | boolean | null | undefined): string {
  let s = v === null || v === undefined ? '' : String(v);
  if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export const csv = (rows: readonly (readonly (string | number | boolean | null | undefined)[])[]): string =>
  `${rows.map((r) => r.map(csvCell).join(',')).join('\r\n')}\r\n`;

/** Saves `text` as a file (a Blob link clicked; nothing leaves the browser). A BOM lets Excel read UTF-8 Chinese. */
export function download(name: string, text: string, type = 'text/csv;charset=utf-8'): void {
  const url = URL.createObjectURL(new Blob(['\ufeff', text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
