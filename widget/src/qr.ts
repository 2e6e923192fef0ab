import qrcode from 'qrcode-generator';

/** Quiet zone in modules; ISO/IEC 18004 asks for 4 and phone scanners struggle with less. */
const QUIET = 4;

/**
 * The QR code for `data` as one SVG path (error level M, 4-module quiet zone included in `size`).
 * Horizontal runs of dark modules become one rectangle each, which keeps the path short.
 */
export function qrPath(data: string): { size: number; d: string } {
  const qr = qrcode(0, 'M');
  // The encoder's byte mode takes the low byte of each char: hand it UTF-8 bytes as chars.
  qr.addData(String.fromCharCode(...new TextEncoder().encode(data)), 'Byte');
  qr.make();
  const n = qr.getModuleCount();
  let d = '';
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; ) {
      if (!qr.isDark(r, c)) {
        c++;
        continue;
      }
      let run = 1;
      while (c + run < n && qr.isDark(r, c + run)) run++;
      d += `M${c + QUIET} ${r + QUIET}h${run}v1h-${run}z`;
      c += run;
    }
  }
  return { size: n + 2 * QUIET, d };
}
