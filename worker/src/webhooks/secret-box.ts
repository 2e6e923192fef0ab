// Webhook endpoint secrets at rest. An endpoint's `whsec_…` secret is shown once (in the create and
// rotate_secret answers) and stored only sealed: AES-256-GCM (crypto/aes-gcm.ts) under a key derived
// from the Worker secret SHOUYIN_MASTER_KEY, with the merchant and endpoint ids as additional data, so
// a sealed secret copied onto another endpoint does not open. SHOUYIN_MASTER_KEY is
// `<kid>:<base64 of 32 bytes>`, comma-separated while a key is being replaced; the first seals, any
// listed one opens, and a secret opened with an older one is sealed again with the first
// (docs/webhooks.md, "Endpoint secrets at rest"; docs/deploy.md).

import { AesGcmError, aesGcmDecrypt, aesGcmEncrypt } from '../crypto/aes-gcm';
import { fromBase64, randomAlnum, toBase64 } from '../crypto/encoding';
import { hmacSha256 } from '../crypto/hmac';
import { ErrorCode, ErrorType, ShouyinError } from '../lib/errors';

interface MasterKey {
  kid: string;
  key: Uint8Array;
}

const ENTRY = /^([A-Za-z0-9_-]{1,32}):([A-Za-z0-9+/]{43}=)$/;

const missing = (why: string): ShouyinError =>
  new ShouyinError(
    ErrorType.configuration,
    ErrorCode.config.master_key_missing,
    `SHOUYIN_MASTER_KEY ${why} Webhook endpoint secrets are stored encrypted under it: set it with \`wrangler secret put SHOUYIN_MASTER_KEY\` (docs/deploy.md).`,
  );

/** The configured master keys, the sealing one first. Never echoes a key's bytes. */
export function masterKeys(env: { SHOUYIN_MASTER_KEY?: string }): MasterKey[] {
  const raw = (env.SHOUYIN_MASTER_KEY ?? '').trim();
  if (raw === '') throw missing('is not set.');
  return raw.split(',').map((entry, i) => {
    const m = ENTRY.exec(entry.trim());
    if (!m) throw missing(`entry ${i + 1} must be <kid>:<base64 of 32 bytes> (a kid of 1–32 letters, digits, _ or -).`);
    return { kid: m[1]!, key: fromBase64(m[2]!) };
  });
}

const derivedKeys = new Map<string, Promise<string>>();

/** The AES key for endpoint secrets: 32 ASCII bytes (crypto/aes-gcm.ts takes the key as text), HMAC-derived once per isolate. */
function boxKey(master: MasterKey): Promise<string> {
  const id = `${master.kid}:${toBase64(master.key)}`;
  let k = derivedKeys.get(id);
  if (!k) {
    k = hmacSha256(master.key, 'shouyin webhook endpoint secrets v1').then((d) => toBase64(d.subarray(0, 24)));
    derivedKeys.set(id, k);
  }
  return k;
}

/** `v1.<kid>.<nonce>.<base64 ciphertext‖tag>` */
export async function sealSecret(env: { SHOUYIN_MASTER_KEY?: string }, binding: string, secret: string): Promise<string> {
  const master = masterKeys(env)[0]!;
  const nonce = randomAlnum(12);
  return `v1.${master.kid}.${nonce}.${await aesGcmEncrypt(await boxKey(master), nonce, binding, secret)}`;
}

/** The secret, and whether it should be sealed again (it was sealed with a key that no longer seals). */
export async function openSecret(env: { SHOUYIN_MASTER_KEY?: string }, binding: string, sealed: string): Promise<{ secret: string; stale: boolean }> {
  const keys = masterKeys(env);
  const m = /^v1\.([A-Za-z0-9_-]{1,32})\.([A-Za-z0-9]{12})\.([A-Za-z0-9+/=]+)$/.exec(sealed);
  if (!m) throw new Error('A stored webhook endpoint secret is not in the sealed format.');
  const master = keys.find((k) => k.kid === m[1]);
  if (!master) throw missing(`no longer lists the key ${m[1]} a webhook endpoint secret was sealed with; add it back until the secrets are sealed again.`);
  try {
    return { secret: await aesGcmDecrypt(await boxKey(master), m[2]!, binding, m[3]!), stale: master !== keys[0] };
  } catch (e) {
    if (e instanceof AesGcmError) throw new Error(`A stored webhook endpoint secret did not open under key ${master.kid}: ${e.message}`);
    throw e;
  }
}

/** A new endpoint secret: `whsec_` + base64 of 32 random bytes (Standard Webhooks asks for 24 to 64). */
export function newEndpointSecret(): string {
  return `whsec_${toBase64(crypto.getRandomValues(new Uint8Array(32)))}`;
}
