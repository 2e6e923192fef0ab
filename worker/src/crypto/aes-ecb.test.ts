import { describe, expect, it } from 'vitest';
import { aesEcbDecrypt, aesEcbEncrypt } from './aes-ecb';
import { fromHex, toHex, utf8 } from './encoding';

// NIST SP 800-38A F.1.5 (ECB-AES256.Encrypt), plus a 40-byte message whose PKCS#7 tail was checked
// with `openssl enc -aes-256-ecb` on this machine.
const KEY = fromHex('603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4');
const PT = fromHex('6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411');
const CT = 'f3eed1bdb5d2a03c064b5a7e3db181f8591ccb10d410ed26dc5ba74a3136287033c051215773f7b6b862819d52fe1784';

describe('AES-256-ECB through AES-CBC (inside workerd)', () => {
  it('encrypts the NIST blocks and pads with PKCS#7 as OpenSSL does', async () => {
    expect(toHex(await aesEcbEncrypt(KEY, PT))).toBe(CT);
  });

  it('decrypts and strips the padding', async () => {
    expect(toHex(await aesEcbDecrypt(KEY, fromHex(CT)))).toBe(toHex(PT));
  });

  it('round-trips every length from 0 to 48 bytes', async () => {
    for (let n = 0; n <= 48; n++) {
      const pt = utf8('收银'.repeat(10)).slice(0, n);
      const ct = await aesEcbEncrypt(KEY, pt);
      expect(ct.length % 16).toBe(0);
      expect(toHex(await aesEcbDecrypt(KEY, ct))).toBe(toHex(pt));
    }
  });

  it('refuses a wrong key, a truncated ciphertext and an empty one', async () => {
    const other = fromHex('00'.repeat(32));
    await expect(aesEcbDecrypt(other, fromHex(CT))).rejects.toThrow();
    await expect(aesEcbDecrypt(KEY, fromHex(CT).slice(0, 40))).rejects.toThrow(/multiple of 16/);
    await expect(aesEcbDecrypt(KEY, new Uint8Array(0))).rejects.toThrow(/multiple of 16/);
  });
});
