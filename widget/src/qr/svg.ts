import { encodeQr } from './encode';

/** Quiet zone in modules; ISO/IEC 18004 asks for 4 and phone scanners struggle with less. */
const QUIET = 4;

/**
 * The QR code for `data` (UTF-8, byte mode, level M) as one SVG path; `size` includes the 4-module
 * quiet zone. Horizontal runs of dark modules become one rectangle each, which keeps the path short.
 */
export function qrPath(data: string): { size: number; d: string } {
  const { size: n, modules } = encodeQr(new TextEncoder().encode(data));
  let d = '';
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; ) {
      let run = 0;
      while (c + run < n && modules[r * n + c + run]) run++;
      if (run) d += `M${c + QUIET} ${r + QUIET}h${run}v1h-${run}z`;
      c += run || 1;
    }
  }
  return { size: n + 2 * QUIET, d };
}
