// Money on the Alipay wire is a yuan string with two decimals (`total_amount: "88.88"`, range
// 0.01–100000000.00, https://opendocs.alipay.com/open/f540afd8_alipay.trade.precreate?pathHash=d3c84596); inside
// Shouyin it is integer fen. Converted with integer and string arithmetic only: a float never touches an amount.

/** The largest amount Alipay accepts for one trade: ¥100,000,000.00. */
export const MAX_FEN = 10_000_000_000;

/** Integer fen → `"88.88"`. Throws on anything that is not a non-negative safe integer. */
export function fenToYuan(fen: number): string {
  if (!Number.isSafeInteger(fen) || fen < 0) throw new RangeError(`An amount must be a non-negative integer number of fen (got ${String(fen)}).`);
  return `${Math.floor(fen / 100)}.${String(fen % 100).padStart(2, '0')}`;
}

const YUAN = /^(0|[1-9][0-9]{0,11})(?:\.([0-9]{1,2}))?$/;

/**
 * `"88.88"` / `"88.8"` / `"88"` → 8888 / 8880 / 8800. `null` for anything else: a sign, an exponent,
 * more than two decimals, leading zeros, spaces or more than 12 integer digits.
 */
export function yuanToFen(yuan: string): number | null {
  const m = YUAN.exec(yuan);
  if (!m || m[1] === undefined) return null;
  const cents = (m[2] ?? '').padEnd(2, '0');
  return Number(m[1]) * 100 + Number(cents);
}
