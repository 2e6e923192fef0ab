// Decimal yuan text → integer amounts, exactly (no floating point). Statements write amounts as
// "88.88", "-3000.00" (Alipay refunds are negative), "0.0", "45.0", WeChat Pay's fees with five
// decimals ("0.53000", "-0.06000"), and totals with thousands separators ("7,563,180.81").

// Thousands separators only where they are well formed: "1,234.56", never "1,23" or ",5".
const YUAN = /^([+-]?)(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?$/;

/**
 * Signed integer units of 10^-places yuan (`places` 2: fen; 5: WeChat's fee precision), or null when
 * `s` is not a yuan amount with at most `places` decimals.
 */
export function yuanToUnits(s: string, places: number): number | null {
  const m = YUAN.exec(s.trim());
  if (!m) return null;
  const decimals = m[3] ?? '';
  if (decimals.length > places) return null;
  const units = Number((m[2] as string).replaceAll(',', '')) * 10 ** places + Number(decimals.padEnd(places, '0') || '0');
  if (!Number.isSafeInteger(units)) return null;
  return m[1] === '-' ? -units : units;
}

/** Signed fen, or null when `s` is not a yuan amount with at most 2 decimals. */
export function yuanToFen(s: string): number | null {
  return yuanToUnits(s, 2);
}

/** Units of 10^-places yuan → fen, rounding half away from zero (WeChat rounds its fees to the fen). */
export function unitsToFen(units: number, places: number): number {
  if (places <= 2) return units * 10 ** (2 - places);
  const div = 10 ** (places - 2);
  const fen = Math.round(Math.abs(units) / div);
  return units < 0 ? -fen : fen;
}

/** A count written as "45" or "45.0" (WeChat's summary row), or "23,811". */
export function parseCount(s: string): number | null {
  const m = /^(\d{1,3}(?:,\d{3})+|\d+)(?:\.0+)?$/.exec(s.trim());
  return m ? Number((m[1] as string).replaceAll(',', '')) : null;
}

export function fenToYuan(fen: number): string {
  const sign = fen < 0 ? '-' : '';
  const a = Math.abs(fen);
  return `${sign}${Math.floor(a / 100)}.${String(a % 100).padStart(2, '0')}`;
}

/** Fen written with `places` decimals: fenToYuanPlaces(53, 5) = "0.53000" (WeChat's fee columns). */
export function fenToYuanPlaces(fen: number, places: number): string {
  return places <= 2 ? fenToYuan(fen) : `${fenToYuan(fen)}${'0'.repeat(places - 2)}`;
}
