// Decimal yuan text → integer fen, exactly (no floating point): statements write amounts as
// "88.88", "-3000.00" (Alipay refunds are negative), "0.0" or "45.0".

const YUAN = /^([+-]?)(\d+)(?:\.(\d{1,2}))?$/;

/** Signed fen, or null when `s` is not a yuan amount with at most 2 decimals. */
export function yuanToFen(s: string): number | null {
  const m = YUAN.exec(s.trim());
  if (!m) return null;
  const fen = Number(m[2]) * 100 + Number((m[3] ?? '').padEnd(2, '0'));
  if (!Number.isSafeInteger(fen)) return null;
  return m[1] === '-' ? -fen : fen;
}

/** A count written as "45" or "45.0" (WeChat's summary row). */
export function parseCount(s: string): number | null {
  const m = /^(\d+)(?:\.0+)?$/.exec(s.trim());
  return m ? Number(m[1]) : null;
}

export function fenToYuan(fen: number): string {
  const sign = fen < 0 ? '-' : '';
  const a = Math.abs(fen);
  return `${sign}${Math.floor(a / 100)}.${String(a % 100).padStart(2, '0')}`;
}
