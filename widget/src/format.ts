/**
 * Pure formatting helpers. Money is integer fen everywhere; it becomes yuan only here, at display.
 */

/** `8888` → `¥88.88`. Rejects anything that is not a whole, non-negative number of fen. */
export function formatAmount(fen: number, locale: string): string {
  if (!Number.isSafeInteger(fen) || fen < 0) throw new RangeError(`bad fen: ${fen}`);
  // narrowSymbol: "¥" in every locale (en would otherwise say "CN¥").
  return new Intl.NumberFormat(locale, { style: 'currency', currency: 'CNY', currencyDisplay: 'narrowSymbol' }).format(fen / 100);
}

/** Whole seconds left until `expiresAtMs`, never negative; a partial second counts as one. */
export function secondsLeft(expiresAtMs: number, nowMs: number): number {
  return Math.max(0, Math.ceil((expiresAtMs - nowMs) / 1000));
}

/** `75` → `01:15`; minutes are not capped at 59 (a 2 h session shows `120:00`). */
export function formatCountdown(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}
