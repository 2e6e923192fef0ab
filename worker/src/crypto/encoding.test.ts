import { describe, expect, it } from 'vitest';
import { fromBase64, fromHex, fromUtf8, randomAlnum, toBase64, toHex, utf8 } from './encoding';

describe('encoding', () => {
  it('round-trips UTF-8 including CJK', () => {
    const s = 'Image形象店-深圳腾大';
    expect(fromUtf8(utf8(s))).toBe(s);
    expect(utf8('形').length).toBe(3);
  });

  it('rejects invalid UTF-8 instead of substituting', () => {
    expect(() => fromUtf8(new Uint8Array([0xff, 0xfe]))).toThrow();
  });

  it('base64 known answers and round trip', () => {
    expect(toBase64(utf8('abc'))).toBe('YWJj');
    expect(toBase64(new Uint8Array([]))).toBe('');
    expect(fromUtf8(fromBase64('YWJjZA=='))).toBe('abcd');
    expect(fromUtf8(fromBase64('YWJjZA'))).toBe('abcd');
    const big = new Uint8Array(70000).map((_, i) => (i * 131 + 7) & 0xff);
    expect(fromBase64(toBase64(big))).toEqual(big);
  });

  it('base64 throws on invalid input', () => {
    expect(() => fromBase64('YW*j')).toThrow();
    expect(() => fromBase64('Y')).toThrow();
    expect(() => fromBase64('YWJj=a')).toThrow();
  });

  it('hex known answers', () => {
    expect(toHex(new Uint8Array([0, 15, 255]))).toBe('000fff');
    expect(fromHex('000FfF')).toEqual(new Uint8Array([0, 15, 255]));
    expect(() => fromHex('abc')).toThrow();
    expect(() => fromHex('zz')).toThrow();
  });

  it('randomAlnum: length, alphabet, spread', () => {
    expect(randomAlnum(0)).toBe('');
    const s = randomAlnum(6200);
    expect(s).toMatch(/^[0-9A-Za-z]{6200}$/);
    const counts = new Map<string, number>();
    for (const c of s) counts.set(c, (counts.get(c) ?? 0) + 1);
    expect(counts.size).toBe(62);
    for (const n of counts.values()) expect(n).toBeGreaterThan(40); // mean 100
  });
});
