import { describe, expect, it } from 'vitest';
import vectors from './fixtures/vectors.json';
import { AesGcmError, aesGcmDecrypt, aesGcmEncrypt } from './aes-gcm';
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
