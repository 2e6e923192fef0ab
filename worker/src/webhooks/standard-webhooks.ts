// Merchant webhook signatures per the Standard Webhooks spec (docs/webhooks.md):
// `webhook-signature: v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>`, where the key is the
// base64-decoded part of the secret after `whsec_`. The signer and the verifier live together so the
// tests and the demo's receiver check against the same rule as the sender.

import { fromBase64, toBase64 } from '../crypto/encoding';
import { hmacSha256 } from '../crypto/hmac';
import { timingSafeEqual } from '../crypto/timing-safe';

export const DEFAULT_TOLERANCE_SECONDS = 300;

function secretKey(secret: string): Uint8Array {
  if (!secret.startsWith('whsec_')) throw new Error('A webhook secret starts with whsec_.');
  return fromBase64(secret.slice('whsec_'.length));
}

export async function signWebhook(secret: string, id: string, timestampSeconds: number, body: string): Promise<string> {
  const mac = await hmacSha256(secretKey(secret), `${id}.${timestampSeconds}.${body}`);
  return `v1,${toBase64(mac)}`;
}

/**
 * The three Standard Webhooks headers. With several secrets (an endpoint during a secret rotation) the
 * signature header lists one `v1,` signature per secret, space-separated, as the spec allows; a
 * receiver holding either secret accepts the request.
 */
export async function webhookHeaders(secret: string | readonly string[], id: string, timestampSeconds: number, body: string): Promise<Record<string, string>> {
  const secrets = typeof secret === 'string' ? [secret] : secret;
  if (secrets.length === 0) throw new Error('A webhook needs at least one secret to be signed with.');
  const signatures = await Promise.all(secrets.map((s) => signWebhook(s, id, timestampSeconds, body)));
  return {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(timestampSeconds),
    'webhook-signature': signatures.join(' '),
  };
}

export type WebhookVerification = { ok: true } | { ok: false; reason: 'missing_header' | 'stale_timestamp' | 'bad_signature' };

/** Checks a received webhook. `headers` is any case; the signature header may list several `v1,…` values. */
export async function verifyWebhook(
  secret: string,
  headers: Record<string, string | undefined>,
  body: string,
  nowSeconds: number,
  toleranceSeconds = DEFAULT_TOLERANCE_SECONDS,
): Promise<WebhookVerification> {
  const get = (k: string) => headers[k] ?? headers[k.toLowerCase()];
  const id = get('webhook-id');
  const ts = get('webhook-timestamp');
  const sig = get('webhook-signature');
  if (!id || !ts || !sig) return { ok: false, reason: 'missing_header' };
  const t = Number(ts);
  if (!Number.isInteger(t) || Math.abs(nowSeconds - t) > toleranceSeconds) return { ok: false, reason: 'stale_timestamp' };
  const expected = await signWebhook(secret, id, t, body);
  for (const candidate of sig.split(' ')) {
    if (timingSafeEqual(candidate, expected)) return { ok: true };
  }
  return { ok: false, reason: 'bad_signature' };
}
