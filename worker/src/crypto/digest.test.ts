import { describe, expect, it } from 'vitest';
import vectors from './fixtures/vectors.json';
import { md5Hex, sha1, sha256, sha256Hex } from './digest';
import { toHex } from './encoding';
import { hmacSha256 } from './hmac';
import { timingSafeEqual } from './timing-safe';

const v2 = vectors.wechat_v2_official_sign;

describe('digest (inside workerd)', () => {
  it('MD5 known answers (workerd extension)', async () => {
    expect(await md5Hex('abc')).toBe('900150983cd24fb0d6963f7d28e17f72');
    expect(await md5Hex('')).toBe('d41d8cd98f00b204e9800998ecf8427e');
  });

  it('SHA-256 / SHA-1 known answers', async () => {
    expect(await sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(toHex(await sha256(new Uint8Array([])))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(toHex(await sha1('abc'))).toBe('a9993e364706816aba3e25717850c26c9cd0d89d');
  });

  it('WeChat v2 official MD5 sign vector', async () => {
    expect((await md5Hex(v2.stringSignTemp)).toUpperCase()).toBe(v2.MD5);
  });
});

describe('hmac', () => {
  it('WeChat v2 official HMAC-SHA256 sign vector (API key as HMAC key)', async () => {
    expect(toHex(await hmacSha256(v2.key, v2.stringSignTemp)).toUpperCase()).toBe(v2['HMAC-SHA256']);
  });

  it('RFC 4231 test case 2', async () => {
    expect(toHex(await hmacSha256('Jefe', 'what do ya want for nothing?'))).toBe('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
  });

  it('accepts byte keys', async () => {
    const k = new TextEncoder().encode('Jefe');
    expect(toHex(await hmacSha256(k, new TextEncoder().encode('what do ya want for nothing?')))).toMatch(/^5bdcc146/);
  });
});

describe('timingSafeEqual', () => {
  it('compares strings and bytes', () => {
    expect(timingSafeEqual('abc', 'abc')).toBe(true);
    expect(timingSafeEqual('abc', 'abd')).toBe(false);
    expect(timingSafeEqual('abc', 'abcd')).toBe(false);
    expect(timingSafeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2]))).toBe(true);
    expect(timingSafeEqual('形', new Uint8Array([0xe5, 0xbd, 0xa2]))).toBe(true);
    expect(timingSafeEqual('', '')).toBe(true);
  });
});
