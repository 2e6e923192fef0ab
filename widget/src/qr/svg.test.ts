import { describe, expect, it } from 'vitest';
import { encodeQr } from './encode';
import { qrPath } from './svg';

/** Dark modules back from the path: each `M x y h n v1 h-n z` is a run of n modules in row y. */
function modules(d: string): Set<string> {
  const dark = new Set<string>();
  for (const m of d.matchAll(/M(\d+) (\d+)h(\d+)v1h-\3z/g)) {
    for (let i = 0; i < Number(m[3]); i++) dark.add(`${Number(m[1]) + i},${m[2]}`);
  }
  return dark;
}

describe('qrPath', () => {
  it('draws exactly the dark modules, offset by a 4-module quiet zone', () => {
    const data = 'weixin://wxpay/bizpayurl?pr=AbCdEfG';
    const { size, d } = qrPath(data);
    const ref = encodeQr(new TextEncoder().encode(data));
    expect(size).toBe(ref.size + 8);
    const want = new Set<string>();
    for (let r = 0; r < ref.size; r++) for (let c = 0; c < ref.size; c++) if (ref.modules[r * ref.size + c]) want.add(`${c + 4},${r + 4}`);
    expect(modules(d)).toEqual(want);
    expect(d).toMatch(/^(M\d+ \d+h\d+v1h-\d+z)+$/);
  });

  it('picks the smallest version that fits (a short URL is version 1–4)', () => {
    expect(qrPath('https://qr.alipay.com/bax01234').size).toBeLessThanOrEqual(33 + 8);
    expect(qrPath('x').size).toBe(21 + 8);
  });

  it('encodes non-ASCII text as UTF-8 bytes', () => {
    const ref = encodeQr(Uint8Array.of(0xe6, 0x94, 0xaf, 0xe4, 0xbb, 0x98)); // 支付
    const { d } = qrPath('支付');
    expect(modules(d).size).toBe(ref.modules.reduce((a, b) => a + b, 0));
  });
});
