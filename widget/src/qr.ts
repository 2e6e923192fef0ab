import type { QrMatrix } from '../../worker/src/contract';

/** Quiet zone in modules; ISO/IEC 18004 asks for 4 and phone scanners struggle with less. */
const QUIET = 4;

/**
 * The Worker's QR matrix (`next_action.display_qr.qr`, docs/widget.md) as one SVG path; `size`
 * includes the quiet zone. Horizontal runs of dark modules become one rectangle each, which keeps the
 * path short. Only numbers reach the markup: the matrix carries bits, never text.
 */
export function qrPath(m: QrMatrix): { size: number; d: string } {
  const n = Math.min(m.size | 0, 177);
  const b = atob(m.bits);
  const dark = (i: number): number => b.charCodeAt(i >> 3) & (128 >> (i & 7));
  let d = '';
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; ) {
      let run = 0;
      while (c + run < n && dark(r * n + c + run)) run++;
      if (run) d += `M${c + QUIET} ${r + QUIET}h${run}v1h-${run}z`;
      c += run || 1;
    }
  }
  return { size: n + 2 * QUIET, d };
}
