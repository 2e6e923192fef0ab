// AES-ECB with PKCS#7, for WeChat Pay v2 refund notifies (`req_info`,
// https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=9_16&index=10). WebCrypto has no ECB mode, so both
// directions are built from AES-CBC with a zero IV
// (https://developers.cloudflare.com/workers/runtime-apis/web-crypto/):
// - encrypting one block B with CBC and IV 0 starts with E(B), the ECB block;
// - CBC-decrypting C1…Cn with IV 0 gives Pi = D(Ci) XOR C(i-1), so D(Ci) = Pi XOR C(i-1). Appending
//   X = E(Cn XOR 0x10×16) makes the last block decrypt to a full PKCS#7 pad block, which WebCrypto
//   checks and strips instead of throwing on the real, unpadded last block.
// ECB leaks equal blocks; it is here only because WeChat Pay chose it for req_info.

import { buf } from './encoding';

const BLOCK = 16;

async function cbcKey(key: Uint8Array, usage: 'encrypt' | 'decrypt'): Promise<CryptoKey> {
  if (key.length !== 16 && key.length !== 24 && key.length !== 32) throw new TypeError(`An AES key is 16, 24 or 32 bytes, got ${key.length}.`);
  return crypto.subtle.importKey('raw', buf(key), { name: 'AES-CBC' }, false, [usage]);
}

const ZERO_IV = new Uint8Array(BLOCK);

/** E(block) for each 16-byte block of `data` (its length must be a multiple of 16). */
async function encryptBlocks(key: CryptoKey, data: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i += BLOCK) {
    const ct = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-CBC', iv: buf(ZERO_IV) }, key, buf(data.subarray(i, i + BLOCK))));
    out.set(ct.subarray(0, BLOCK), i);
  }
  return out;
}

/** AES-ECB encryption with PKCS#7 padding (the sandbox's side of req_info). */
export async function aesEcbEncrypt(key: Uint8Array, plaintext: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
  const pad = BLOCK - (plaintext.length % BLOCK);
  const padded = new Uint8Array(plaintext.length + pad);
  padded.set(plaintext);
  padded.fill(pad, plaintext.length);
  return encryptBlocks(await cbcKey(key, 'encrypt'), padded);
}

/**
 * AES-ECB decryption, PKCS#7 padding checked and removed. Throws a TypeError on a length that is not
 * a whole number of blocks or on bad padding (a wrong key shows up as bad padding).
 */
export async function aesEcbDecrypt(key: Uint8Array, ciphertext: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
  if (ciphertext.length === 0 || ciphertext.length % BLOCK !== 0) throw new TypeError('AES-ECB ciphertext must be a non-empty multiple of 16 bytes.');
  const last = ciphertext.subarray(ciphertext.length - BLOCK);
  const masked = new Uint8Array(BLOCK);
  for (let i = 0; i < BLOCK; i++) masked[i] = (last[i] as number) ^ BLOCK;
  const x = await encryptBlocks(await cbcKey(key, 'encrypt'), masked);
  const chained = new Uint8Array(ciphertext.length + BLOCK);
  chained.set(ciphertext);
  chained.set(x, ciphertext.length);
  const p = new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-CBC', iv: buf(ZERO_IV) }, await cbcKey(key, 'decrypt'), buf(chained)));
  // p holds n blocks (the appended pad block was stripped); undo the chaining.
  const plain = new Uint8Array(ciphertext.length);
  for (let i = 0; i < ciphertext.length; i++) plain[i] = (p[i] as number) ^ (i < BLOCK ? 0 : (ciphertext[i - BLOCK] as number));
  const n = plain[plain.length - 1] as number;
  if (n < 1 || n > BLOCK || plain.subarray(plain.length - n).some((b) => b !== n))
    throw new TypeError('Bad PKCS#7 padding: wrong key, or the data was altered.');
  return plain.slice(0, plain.length - n);
}
