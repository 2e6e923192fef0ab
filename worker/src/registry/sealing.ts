// Encryption at rest for the merchant registry: AES-256-GCM under a master key held in the Worker
// secret SHOUYIN_MASTER_KEY, never in storage. The secret lists one or more `<key id>:<base64 of 32
// random bytes>`, comma-separated: the first seals, every one listed opens, so a new key is put first
// while the old one stays listed until POST /v1/admin/master_key/rotate has re-sealed everything
// (docs/configuration.md, SECURITY.md). Every sealed value records the id of the key that sealed it, and
// its additional data names the merchant and the field, so a value copied to another merchant or
// field does not open.

import { AesGcmError, aes256GcmOpen, aes256GcmSeal, importAes256Key } from '../crypto/aes-gcm';
import { fromBase64 } from '../crypto/encoding';
import { ConfigError } from '../lib/config-fields';

export const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;

export interface Keyring {
  /** The key that seals: the first listed. */
  active: { kid: string; key: CryptoKey };
  /** Every listed key by id: any of them opens. */
  byId: Map<string, CryptoKey>;
}

export interface Sealed {
  kid: string;
  /** base64(iv ‖ ciphertext ‖ tag) (crypto/aes-gcm.ts aes256GcmSeal). */
  value: string;
}

/** A sealed value that would not open: which key it names, and why (never its bytes). */
export class UnsealError extends Error {
  override readonly name = 'UnsealError';
}

const rings = new Map<string, Promise<Keyring>>();

/**
 * The keyring of SHOUYIN_MASTER_KEY, imported once per isolate per value. Throws ConfigError naming
 * the entry (`SHOUYIN_MASTER_KEY[1]`), never echoing key bytes; unset is an error too.
 */
export function keyring(secret: string | undefined): Promise<Keyring> {
  const raw = (secret ?? '').trim();
  let p = rings.get(raw);
  if (!p) {
    p = parseKeyring(raw);
    p.catch(() => rings.delete(raw));
    if (rings.size >= 4) rings.clear();
    rings.set(raw, p);
  }
  return p;
}

async function parseKeyring(raw: string): Promise<Keyring> {
  if (raw === '') {
    throw new ConfigError(
      'SHOUYIN_MASTER_KEY',
      'is not set: the merchant registry encrypts credentials under it. Set it to "<key id>:<base64 of 32 random bytes>" (docs/configuration.md).',
      'The secret',
    );
  }
  const byId = new Map<string, CryptoKey>();
  let active: Keyring['active'] | undefined;
  const entries = raw.split(',').map((e) => e.trim());
  for (const [i, entry] of entries.entries()) {
    const path = `SHOUYIN_MASTER_KEY[${i}]`;
    const colon = entry.indexOf(':');
    const kid = colon > 0 ? entry.slice(0, colon) : '';
    if (!KEY_ID.test(kid)) {
      throw new ConfigError(path, 'must be "<key id>:<base64 of 32 random bytes>", the key id 1–32 letters, digits, _ or -.', 'The secret');
    }
    if (byId.has(kid)) throw new ConfigError(path, `repeats the key id ${JSON.stringify(kid)}.`, 'The secret');
    let bytes: Uint8Array;
    try {
      bytes = fromBase64(entry.slice(colon + 1));
    } catch {
      throw new ConfigError(path, `(key id ${JSON.stringify(kid)}) is not valid base64.`, 'The secret');
    }
    if (bytes.length !== 32) {
      throw new ConfigError(path, `(key id ${JSON.stringify(kid)}) must be 32 random bytes, base64-encoded (openssl rand -base64 32).`, 'The secret');
    }
    const key = await importAes256Key(bytes);
    byId.set(kid, key);
    active ??= { kid, key };
  }
  return { active: active as Keyring['active'], byId };
}

const aad = (merchant: string, field: string): string => `shouyin-registry/v1|${merchant}|${field}`;

export async function seal(ring: Keyring, merchant: string, field: string, plaintext: string): Promise<Sealed> {
  return { kid: ring.active.kid, value: await aes256GcmSeal(ring.active.key, aad(merchant, field), plaintext) };
}

export async function unseal(ring: Keyring, merchant: string, field: string, sealed: Sealed): Promise<string> {
  const key = ring.byId.get(sealed.kid);
  if (!key) {
    throw new UnsealError(
      `${field} is sealed under master key ${JSON.stringify(sealed.kid)}, which SHOUYIN_MASTER_KEY no longer lists (put it back, then rotate).`,
    );
  }
  try {
    return await aes256GcmOpen(key, aad(merchant, field), sealed.value);
  } catch (e) {
    if (e instanceof AesGcmError) throw new UnsealError(`${field} does not open under master key ${JSON.stringify(sealed.kid)}: ${e.message}`);
    throw e;
  }
}
