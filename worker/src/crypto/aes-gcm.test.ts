import { describe, expect, it } from 'vitest';
import vectors from './fixtures/vectors.json';
import { AesGcmError, aes256GcmOpen, aes256GcmSeal, aesGcmDecrypt, aesGcmEncrypt, importAes256Key } from './aes-gcm';
import { fromBase64, toBase64 } from './encoding';

const n = vectors.wechat_v3_notify;
const resource = (JSON.parse(n.body) as { resource: { nonce: string; associated_data: string; ciphertext: string } }).resource;

describe('aes-gcm', () => {
  it('decrypts the wechatpay-go notify vector (16-byte key → AES-128-GCM)', async () => {
    expect(await aesGcmDecrypt(n.apiV3Key, resource.nonce, resource.associated_data, resource.ciphertext)).toBe(n.plaintext);
  });

  it('tampered ciphertext, wrong AAD, wrong key → AesGcmError', async () => {
    const ct = fromBase64(resource.ciphertext);
    ct[0] = (ct[0] as number) ^ 1;
    const cases: [string, string, string, string][] = [
      [n.apiV3Key, resource.nonce, resource.associated_data, toBase64(ct)],
      [n.apiV3Key, resource.nonce, 'transaction', resource.ciphertext],
      ['testMchAPIv3Key1', resource.nonce, resource.associated_data, resource.ciphertext],
      [n.apiV3Key, resource.nonce, resource.associated_data, '%%%'],
      ['short', resource.nonce, resource.associated_data, resource.ciphertext],
    ];
    for (const c of cases) {
      const err = await aesGcmDecrypt(...c).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AesGcmError);
    }
  });

  it('round-trips with a 32-byte key and empty associated data', async () => {
    const key = 'abcdefghijklmnopqrstuvwxyz012345';
    const ct = await aesGcmEncrypt(key, 'Kj7QIyUiYx1q', '', '{"trade_state":"SUCCESS","描述":"支付"}');
    expect(fromBase64(ct).length).toBe(new TextEncoder().encode('{"trade_state":"SUCCESS","描述":"支付"}').length + 16);
    expect(await aesGcmDecrypt(key, 'Kj7QIyUiYx1q', '', ct)).toBe('{"trade_state":"SUCCESS","描述":"支付"}');
  });

  it('encrypt reproduces the vector ciphertext', async () => {
    expect(await aesGcmEncrypt(n.apiV3Key, resource.nonce, resource.associated_data, n.plaintext)).toBe(resource.ciphertext);
  });
});

describe('aes-256-gcm under a raw key (data at rest)', () => {
  const raw = Uint8Array.from({ length: 32 }, (_, i) => i * 7);

  it('round-trips, with a fresh IV every time, and opens only with the same key and additional data', async () => {
    const key = await importAes256Key(raw);
    const a = await aes256GcmSeal(key, 'merchant:shop|providers.alipay', '{"private_key":"…"}');
    const b = await aes256GcmSeal(key, 'merchant:shop|providers.alipay', '{"private_key":"…"}');
    expect(a).not.toBe(b);
    expect(fromBase64(a).slice(0, 12)).not.toEqual(fromBase64(b).slice(0, 12));
    expect(fromBase64(a).length).toBe(12 + utf8Length('{"private_key":"…"}') + 16);
    expect(await aes256GcmOpen(key, 'merchant:shop|providers.alipay', a)).toBe('{"private_key":"…"}');
    const other = await importAes256Key(raw.map((x) => x ^ 1));
    const tampered = fromBase64(a);
    tampered[20] = (tampered[20] as number) ^ 1;
    for (const attempt of [
      () => aes256GcmOpen(key, 'merchant:other|providers.alipay', a),
      () => aes256GcmOpen(key, 'merchant:shop|providers.unionpay', a),
      () => aes256GcmOpen(other, 'merchant:shop|providers.alipay', a),
      () => aes256GcmOpen(key, 'merchant:shop|providers.alipay', toBase64(tampered)),
      () => aes256GcmOpen(key, 'merchant:shop|providers.alipay', toBase64(new Uint8Array(20))),
      () => aes256GcmOpen(key, 'merchant:shop|providers.alipay', '%%%'),
    ]) {
      expect(await attempt().catch((e: unknown) => e)).toBeInstanceOf(AesGcmError);
    }
  });

  it('takes exactly 32 bytes of key', async () => {
    expect(await importAes256Key(new Uint8Array(16)).catch((e: unknown) => e)).toBeInstanceOf(AesGcmError);
  });
});

function utf8Length(s: string): number {
  return new TextEncoder().encode(s).length;
}
