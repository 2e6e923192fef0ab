/**
 * Deterministic QR test inputs shared by the encoder's tests and widget/scripts/qr-vectors.mjs:
 * every length from 0 to 40, then for each version 1–40 the longest input that fits it and one byte
 * more (which needs the next version), in three flavours (URL-like ASCII, random bytes, UTF-8 text).
 */

/** Longest byte-mode input that fits version `v` at level M (ISO 18004 Table 7). */
export const MAX_BYTES_M = [
  14, 26, 42, 62, 84, 106, 122, 152, 180, 213, 251, 287, 331, 362, 412, 450, 504, 560, 624, 666, 711, 779, 857, 911, 997, 1059, 1125, 1190, 1264, 1370, 1452,
  1538, 1628, 1722, 1809, 1911, 1989, 2099, 2213, 2331,
];

function bytesOf(len: number, seed: number): Uint8Array {
  const out = new Uint8Array(len);
  let s = seed * 2654435761 + len;
  const next = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) >>> 16;
  const url = 'https://qr.alipay.com/bax0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ?=&-_.~/';
  const zh = new TextEncoder().encode('支付宝微信支付银联云闪付收银台订单金额');
  for (let i = 0; i < len; i++) {
    out[i] = seed % 3 == 0 ? url.charCodeAt(i < 22 ? i : 22 + (next() % (url.length - 22))) : seed % 3 == 1 ? next() & 255 : zh[i % zh.length]!;
  }
  return out;
}

export function testInputs(): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let len = 0; len <= 40; len++) out.push(bytesOf(len, len));
  MAX_BYTES_M.forEach((max, i) => {
    out.push(bytesOf(max, i));
    if (i < 39) out.push(bytesOf(max + 1, i + 1));
  });
  return out;
}
