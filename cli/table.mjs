// Plain-text tables for a terminal: columns padded to the widest cell, CJK characters counted as two
// columns (merchant names are often Chinese).

/** @param {string} s */
export function displayWidth(s) {
  let w = 0;
  for (const ch of s) {
    const cp = /** @type {number} */ (ch.codePointAt(0));
    // Hangul Jamo, CJK radicals to Yi, Hangul syllables, CJK compatibility, fullwidth forms, CJK extensions.
    const wide =
      (cp >= 0x1100 && cp <= 0x115f) ||
      (cp >= 0x2e80 && cp <= 0xa4cf) ||
      (cp >= 0xac00 && cp <= 0xd7a3) ||
      (cp >= 0xf900 && cp <= 0xfaff) ||
      (cp >= 0xfe30 && cp <= 0xfe4f) ||
      (cp >= 0xff00 && cp <= 0xff60) ||
      (cp >= 0xffe0 && cp <= 0xffe6) ||
      (cp >= 0x20000 && cp <= 0x3fffd);
    w += wide ? 2 : 1;
  }
  return w;
}

/** @param {string} s @param {number} width */
const pad = (s, width) => s + ' '.repeat(Math.max(0, width - displayWidth(s)));

/**
 * @param {string[]} headers
 * @param {(string | number | null | undefined)[][]} rows
 * @returns {string}
 */
export function table(headers, rows) {
  const cells = rows.map((r) => r.map((c) => (c === null || c === undefined ? '—' : String(c))));
  const widths = headers.map((h, i) => Math.max(displayWidth(h), ...cells.map((r) => displayWidth(r[i] ?? ''))));
  const line = (r) =>
    r
      .map((c, i) => pad(c, /** @type {number} */ (widths[i])))
      .join('  ')
      .trimEnd();
  return [line(headers), ...cells.map(line)].join('\n');
}

/** Unix seconds (or null) → `2026-12-07 01:52 UTC`. @param {number | null | undefined} t */
export function when(t) {
  if (t === null || t === undefined) return '—';
  return `${new Date(t * 1000).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
