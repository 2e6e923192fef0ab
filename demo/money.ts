// The cashier types yuan; Shouyin takes integer fen. Converted from the text, digit by digit, never
// through a float (0.1 + 0.2 is not 0.3, and 19.99 * 100 is 1998.9999999999998).

/** The merchant API's own bounds: 1 fen … 10 000 000 000 fen (¥100,000,000.00). */
export const MAX_FEN = 10_000_000_000;

export type Money = { ok: true; fen: number } | { ok: false; message: string };

/** `"12"`, `"12.3"`, `"12.34"`, `"¥ 1,288.00"` → fen. Anything else (more than two decimals, signs, letters) is refused. */
export function yuanToFen(input: unknown): Money {
  if (typeof input !== 'string' && typeof input !== 'number') return { ok: false, message: '请输入金额 · Enter an amount in yuan, e.g. 12.80.' };
  const text = String(input)
    .trim()
    .replace(/^[¥￥]\s*/, '')
    .replace(/,(?=\d{3}(\D|$))/g, '');
  const m = /^(\d{1,9})(?:\.(\d{0,2}))?$/.exec(text);
  if (!m) return { ok: false, message: '金额格式不对 · Enter yuan with at most two decimals, e.g. 12.80.' };
  const fen = Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'));
  if (fen < 1) return { ok: false, message: '金额须大于 0 · The amount must be at least ¥0.01.' };
  if (fen > MAX_FEN) return { ok: false, message: '金额过大 · The amount is above ¥100,000,000.00.' };
  return { ok: true, fen };
}
