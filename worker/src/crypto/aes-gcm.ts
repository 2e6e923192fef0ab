// AES-GCM for WeChat Pay v3 resources (notify `resource`, /v3/certificates), as WeChat Pay's APIv3
// documentation (证书和回调报文解密) and its official SDK (wechatpay-go utils.DecryptAES256GCM) define it: the
// ciphertext is base64(ct‖tag16), exactly WebCrypto's AES-GCM output; iv = UTF-8 of the 12-char
// nonce; additionalData = UTF-8 of associated_data (possibly empty); key = the ASCII APIv3 key.
// Like everything in crypto/, it throws its own error (AesGcmError); callers decide what it means.

import { buf, fromBase64, fromUtf8, toBase64, utf8 } from './encoding';

/** The key, nonce, ciphertext or tag did not check out. Callers map it to their own error. */
export class AesGcmError extends Error {
  override readonly name = 'AesGcmError';
}

async function importKey(key: string, usage: 'encrypt' | 'decrypt'): Promise<CryptoKey> {
  const raw = utf8(key);
  // Real APIv3 keys are 32 bytes (AES-256); the upstream test vector uses 16 (AES-128).
  if (raw.length !== 16 && raw.length !== 32) {
    throw new AesGcmError(`The AES-GCM key must be 16 or 32 ASCII bytes (the WeChat Pay APIv3 key is 32), got ${raw.length}.`);
  }
  return crypto.subtle.importKey('raw', buf(raw), { name: 'AES-GCM' }, false, [usage]);
}

/** Decrypts to UTF-8 text. Throws AesGcmError on a bad tag, key, nonce or base64. */
export async function aesGcmDecrypt(key: string, nonce: string, associatedData: string, ciphertextB64: string): Promise<string> {
  const k = await importKey(key, 'decrypt');
  let data: Uint8Array;
  try {
    data = fromBase64(ciphertextB64);
  } catch {
    throw new AesGcmError('The resource ciphertext is not valid base64.');
  }
  let plain: ArrayBuffer;
  try {
    plain = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: buf(utf8(nonce)), additionalData: buf(utf8(associatedData)), tagLength: 128 }, k, buf(data));
  } catch {
    throw new AesGcmError('AES-GCM authentication failed: the ciphertext was altered, or the APIv3 key is wrong (it is not the APIv2 key).');
  }
  try {
    return fromUtf8(plain);
  } catch {
    throw new AesGcmError('The decrypted resource is not valid UTF-8.');
  }
}

/** base64(ct‖tag16) of the UTF-8 plaintext: what WeChat Pay puts in `resource.ciphertext`. */
export async function aesGcmEncrypt(key: string, nonce: string, associatedData: string, plaintext: string): Promise<string> {
  const k = await importKey(key, 'encrypt');
  const ct = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv: buf(utf8(nonce)), additionalData: buf(utf8(associatedData)), tagLength: 128 },
    k,
    buf(utf8(plaintext)),
  );
  return toBase64(ct);
}

// ── AES-256-GCM under a raw 32-byte key (Shouyin's own data at rest) ────────────────────────────
// NIST SP 800-38D: a fresh random 96-bit IV per message (never reused under one key at the volumes a
// merchant registry writes), the full 128-bit tag, and additional data that binds the ciphertext to
// where it belongs, so a blob copied to another row or field fails to open.

const IV_BYTES = 12;

/** Imports 32 raw bytes as an AES-256-GCM key (not extractable). */
export async function importAes256Key(raw: Uint8Array): Promise<CryptoKey> {
  if (raw.length !== 32) throw new AesGcmError(`An AES-256 key is 32 bytes, got ${raw.length}.`);
  return crypto.subtle.importKey('raw', buf(raw), { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);
}

/** base64(iv ‖ ciphertext ‖ tag) of the UTF-8 plaintext, with a random IV. */
export async function aes256GcmSeal(key: CryptoKey, additionalData: string, plaintext: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const ct = new Uint8Array(
    await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: buf(utf8(additionalData)), tagLength: 128 }, key, buf(utf8(plaintext))),
  );
  const out = new Uint8Array(IV_BYTES + ct.length);
  out.set(iv, 0);
  out.set(ct, IV_BYTES);
  return toBase64(out);
}

/** Opens what aes256GcmSeal made under the same key and additional data. Throws AesGcmError otherwise. */
export async function aes256GcmOpen(key: CryptoKey, additionalData: string, sealed: string): Promise<string> {
  let data: Uint8Array;
  try {
    data = fromBase64(sealed);
  } catch {
    throw new AesGcmError('The sealed value is not valid base64.');
  }
  if (data.length < IV_BYTES + 16) throw new AesGcmError('The sealed value is too short to hold an IV and a tag.');
  let plain: ArrayBuffer;
  try {
    plain = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: buf(data.subarray(0, IV_BYTES)), additionalData: buf(utf8(additionalData)), tagLength: 128 },
      key,
      buf(data.subarray(IV_BYTES)),
    );
  } catch {
    throw new AesGcmError('AES-GCM authentication failed: the value was altered, moved to another field, or sealed under another key.');
  }
  try {
    return fromUtf8(plain);
  } catch {
    throw new AesGcmError('The opened value is not valid UTF-8.');
  }
}
