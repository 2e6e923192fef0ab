import qrcode from 'qrcode-generator';
import { describe, expect, it } from 'vitest';
import { qrPath } from './qr';

/** Dark modules back from the path: each `M x y h n v1 h-n z` is a run of n modules in row y. */
function modules(d: string): Set<string> {
  const dark = new Set<string>();
  for (const m of d.matchAll(/M(\d+) (\d+)h(\d+)v1h-\3z/g)) {
    for (let i = 0; i < Number(m[3]); i++) dark.add(`${Number(m[1]) + i},${m[2]}`);
  }
  return dark;
}

describe('qrPath', () => {
  it('draws exactly the dark modules of a level-M code, offset by a 4-module quiet zone', () => {
    const data = 'weixin://wxpay/bizpayurl?pr=AbCdEfG';
    const { size, d } = qrPath(data);
    const ref = qrcode(0, 'M');
    ref.addData(data, 'Byte');
    ref.make();
    const n = ref.getModuleCount();
    expect(size).toBe(n + 8);
    const want = new Set<string>();
    for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) if (ref.isDark(r, c)) want.add(`${c + 4},${r + 4}`);
    expect(modules(d)).toEqual(want);
    expect(d).toMatch(/^(M\d+ \d+h\d+v1h-\d+z)+$/);
  });

  it('picks the smallest version that fits (a short URL is version 1–4)', () => {
    expect(qrPath('https://qr.alipay.com/bax01234').size).toBeLessThanOrEqual(33 + 8);
    expect(qrPath('x').size).toBe(21 + 8);
  });

  it('encodes non-ASCII text as UTF-8 bytes', () => {
    const utf8 = qrPath('支付');
    const ref = qrcode(0, 'M');
    ref.addData('\xe6\x94\xaf\xe4\xbb\x98', 'Byte'); // 支付 in UTF-8, one byte per char
    ref.make();
    expect(utf8.size).toBe(ref.getModuleCount() + 8);
    expect(modules(utf8.d).has('4,4')).toBe(true); // finder pattern corner
  });
});
