/// <reference path="../../worker/src/lib/qrcode-core.d.ts" />
// The drawing of the Worker's QR matrix. The matrices here come from the same `qrcode` encoder the Worker
// uses (worker/src/lib/qr.ts, which worker/test/qr-matrix.test.ts checks on the wire), packed the way the
// contract says; the drawing is read back by an independent decoder, jsQR.
import jsQR from 'jsqr';
import QRCode from 'qrcode/lib/core/qrcode';
import { describe, expect, it } from 'vitest';
import type { QrMatrix } from '../../worker/src/contract';
import { qrPath } from './qr';

/** `text` encoded at level M and packed as `next_action.display_qr.qr`: row by row, MSB first, 1 = dark. */
function matrix(text: string): { m: QrMatrix; dark: boolean[] } {
  const { size, data } = QRCode.create(text, { errorCorrectionLevel: 'M' }).modules;
  const bytes = new Uint8Array(Math.ceil((size * size) / 8));
  const dark = Array.from(data, (v) => v === 1);
  dark.forEach((on, i) => {
    if (on) bytes[i >> 3]! |= 0x80 >> (i & 7);
  });
  return { m: { size, bits: btoa(String.fromCharCode(...bytes)) }, dark };
}

/** Dark modules back from the path: each `M x y h n v1 h-n z` is a run of n modules in row y. */
function drawn(d: string): Set<string> {
  const out = new Set<string>();
  for (const m of d.matchAll(/M(\d+) (\d+)h(\d+)v1h-\3z/g)) {
    for (let i = 0; i < Number(m[3]); i++) out.add(`${Number(m[1]) + i},${m[2]}`);
  }
  return out;
}

/** The path rasterised (`scale` px a module, white quiet zone included) and read back by jsQR. */
function decode(size: number, d: string, scale = 4): string | undefined {
  const on = drawn(d);
  const w = size * scale;
  const px = new Uint8ClampedArray(w * w * 4).fill(255);
  for (let y = 0; y < w; y++) {
    for (let x = 0; x < w; x++) {
      if (on.has(`${Math.floor(x / scale)},${Math.floor(y / scale)}`)) px.fill(0, (y * w + x) * 4, (y * w + x) * 4 + 3);
    }
  }
  return jsQR(px, w, w)?.data;
}

const PAYLOADS = [
  'weixin://wxpay/bizpayurl?pr=AbCdEfG',
  'https://qr.alipay.com/bax03431ljhokirwl38f00a7',
  'https://qr.95516.com/00010000/01234567890123456789',
  'x',
  `https://example.com/${'a'.repeat(300)}`,
];

describe('qrPath draws the Worker’s matrix', () => {
  it('exactly the dark modules, offset by a 4-module quiet zone', () => {
    for (const text of PAYLOADS) {
      const { m, dark } = matrix(text);
      const { size, d } = qrPath(m);
      expect(size).toBe(m.size + 8);
      const want = new Set<string>();
      dark.forEach((on, i) => on && want.add(`${(i % m.size) + 4},${Math.floor(i / m.size) + 4}`));
      expect(drawn(d)).toEqual(want);
      expect(d).toMatch(/^(M\d+ \d+h\d+v1h-\d+z)+$/);
    }
  });

  it('draws a code a decoder reads back as the payload', () => {
    for (const text of PAYLOADS) {
      const { size, d } = qrPath(matrix(text).m);
      expect(decode(size, d)).toBe(text);
    }
  });

  it('puts only numbers in the path, whatever the wire says', () => {
    const { size, d } = qrPath({ size: 9999, bits: btoa('\xff'.repeat(8)) });
    expect(size).toBe(177 + 8);
    expect(d).toMatch(/^(M\d+ \d+h\d+v1h-\d+z)+$/);
  });
});
