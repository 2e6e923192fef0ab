// Webhook endpoint secrets at rest. An endpoint's `whsec_…` secret is shown once (in the create and
// rotate_secret answers) and stored only sealed: AES-256-GCM under the Worker secret SHOUYIN_MASTER_KEY,
// the same keyring the merchant registry seals under (registry/sealing.ts: the first listed key seals,
// any listed one opens). The additional data names the merchant, the endpoint and which of its secrets
// it is, so a sealed secret copied onto another endpoint does not open; a secret opened with an older
// key is sealed again with the first (docs/webhooks.md, "Endpoint secrets at rest"; docs/deploy.md).

import { AesGcmError, aes256GcmOpen, aes256GcmSeal } from '../crypto/aes-gcm';
import { toBase64 } from '../crypto/encoding';
import { ErrorCode, ErrorType, ShouyinError } from '../lib/errors';
import { keyring, type Keyring } from '../registry/sealing';

type MasterKeyEnv = { SHOUYIN_MASTER_KEY?: string };

/**
 * The keyring of SHOUYIN_MASTER_KEY; an unset or malformed value throws the registry's ConfigError
 * (`config_invalid`, param `SHOUYIN_MASTER_KEY…`), which never echoes a key's bytes.
 */
export const masterKeyring = (env: MasterKeyEnv): Promise<Keyring> => keyring(env.SHOUYIN_MASTER_KEY);

/** The additional data of one sealed secret: its merchant, endpoint and slot (`current` / `previous`). */
const aad = (binding: string): string => `shouyin-webhook-endpoint/v1|${binding}`;

/** `v1.<kid>.<base64 of iv ‖ ciphertext ‖ tag>` */
export async function sealSecret(env: MasterKeyEnv, binding: string, secret: string): Promise<string> {
  const ring = await masterKeyring(env);
  return `v1.${ring.active.kid}.${await aes256GcmSeal(ring.active.key, aad(binding), secret)}`;
}

/** The secret, and whether it should be sealed again (it was sealed with a key that no longer seals). */
export async function openSecret(env: MasterKeyEnv, binding: string, sealed: string): Promise<{ secret: string; stale: boolean }> {
  const ring = await masterKeyring(env);
  const m = /^v1\.([A-Za-z0-9_-]{1,32})\.([A-Za-z0-9+/=]+)$/.exec(sealed);
  if (!m) throw new Error('A stored webhook endpoint secret is not in the sealed format.');
  const key = ring.byId.get(m[1]!);
  if (!key) {
    throw new ShouyinError(
      ErrorType.configuration,
      ErrorCode.config.config_invalid,
      `SHOUYIN_MASTER_KEY no longer lists the key ${m[1]} a webhook endpoint secret was sealed with; put it back, then rotate (POST /v1/admin/master_key/rotate).`,
      'SHOUYIN_MASTER_KEY',
    );
  }
  try {
    return { secret: await aes256GcmOpen(key, aad(binding), m[2]!), stale: m[1] !== ring.active.kid };
  } catch (e) {
    if (e instanceof AesGcmError) throw new Error(`A stored webhook endpoint secret did not open under key ${m[1]}: ${e.message}`);
    throw e;
  }
}

/** A new endpoint secret: `whsec_` + base64 of 32 random bytes (Standard Webhooks asks for 24 to 64). */
export function newEndpointSecret(): string {
  return `whsec_${toBase64(crypto.getRandomValues(new Uint8Array(32)))}`;
}
