/// <reference path="./qrcode-core.d.ts" />
// The QR code a `display_qr` next action shows, encoded here with the `qrcode` package so the widget
// only draws it (docs/widget.md, "The QR matrix"). What goes on the wire is the module matrix, never
// markup: nothing the widget renders from it can carry script.

import QRCode from 'qrcode/lib/core/qrcode';
import type { NextAction, QrMatrix } from '../contract';
import { fromBase64, toBase64 } from '../crypto/encoding';

/**
 * `text` as a QR code at error-correction level M (what the wallets' own QR pages use), the
 * smallest version that holds it, mask chosen by the ISO/IEC 18004 penalty rules. The modules are
 * packed row by row from the top-left, eight to a byte, most significant bit first, 1 = dark, without
 * the quiet zone (the drawing adds it); the last byte is padded with zeros.
 */
export function qrMatrix(text: string): QrMatrix {
  const { size, data } = QRCode.create(text, { errorCorrectionLevel: 'M' }).modules;
  const bytes = new Uint8Array(Math.ceil((size * size) / 8));
  for (let i = 0; i < size * size; i++) if (data[i]) bytes[i >> 3]! |= 0x80 >> (i & 7);
  return { size, bits: toBase64(bytes) };
}

/** The modules of a matrix as booleans, row by row (tests and tools; the widget has its own reader). */
export function qrModules(m: QrMatrix): boolean[][] {
  const bytes = fromBase64(m.bits);
  if (bytes.length !== Math.ceil((m.size * m.size) / 8)) throw new TypeError('QR matrix: bits do not match size');
  return Array.from({ length: m.size }, (_, y) =>
    Array.from({ length: m.size }, (_, x) => !!(bytes[(y * m.size + x) >> 3]! & (0x80 >> ((y * m.size + x) & 7)))),
  );
}

const cache = new Map<string, QrMatrix>();

/**
 * `na` with its QR matrix: a `display_qr` action gains `qr` (memoised: status views repeat the same
 * action to every watcher); every other action is returned as is.
 */
export function withQrMatrix(na: NextAction): NextAction {
  if (na.type !== 'display_qr' || na.qr) return na;
  const data = na.data;
  let qr = cache.get(data);
  if (!qr) {
    qr = qrMatrix(data);
    if (cache.size >= 64) cache.delete(cache.keys().next().value!);
    cache.set(data, qr);
  }
  return { ...na, qr };
}
