import jsQR from 'jsqr';
import { describe, expect, it } from 'vitest';
import { qrMatrix, qrModules } from '../../worker/src/lib/qr';
import { qrPath } from './qr';

/** Dark modules back from the path: each `M x y h n v1 h-n z` is a run of n modules in row y. */
function dark(d: string): Set<string> {
  const out = new Set<string>();
  for (const m of d.matchAll(/M(\d+) (\d+)h(\d+)v1h-\3z/g)) {
    for (let i = 0; i < Number(m[3]); i++) out.add(`${Number(m[1]) + i},${m[2]}`);
  }
  return out;
}

/** The path rasterised (`scale` px a module, white quiet zone included) and read back by jsQR. */
function decode(size: number, d: string, scale = 4): string | undefined {
  const on = dark(d);
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
      const m = qrMatrix(text);
      const { size, d } = qrPath(m);
      expect(size).toBe(m.size + 8);
      const want = new Set<string>();
      qrModules(m).forEach((row, y) => row.forEach((on, x) => on && want.add(`${x + 4},${y + 4}`)));
      expect(dark(d)).toEqual(want);
      expect(d).toMatch(/^(M\d+ \d+h\d+v1h-\d+z)+$/);
    }
  });

  it('draws a code a decoder reads back as the payload', () => {
    for (const text of PAYLOADS) {
      const { size, d } = qrPath(qrMatrix(text));
      expect(decode(size, d)).toBe(text);
    }
  });

  it('picks the smallest version (a short wallet URL is version 1–4)', () => {
    expect(qrMatrix('https://qr.alipay.com/bax01234').size).toBeLessThanOrEqual(33);
    expect(qrMatrix('x').size).toBe(21);
  });

  it('puts only numbers in the path, whatever the wire says', () => {
    const { size, d } = qrPath({ size: 9999, bits: btoa('\xff'.repeat(8)) });
    expect(size).toBe(177 + 8);
    expect(d).toMatch(/^(M\d+ \d+h\d+v1h-\d+z)+$/);
  });
});
