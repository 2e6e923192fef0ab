// The demo merchant's webhook check, written from the Standard Webhooks spec (standardwebhooks.com)
// the way a merchant would write it in their own server: it deliberately shares no code with the
// worker's signer, so the end-to-end test is an independent check of what Shouyin sends.
//
//   signed content = `${webhook-id}.${webhook-timestamp}.${raw body}`
//   key            = base64-decode(secret without the `whsec_` prefix)
//   webhook-signature: space-separated `v1,<base64 HMAC-SHA256>` entries (several during key rotation)

export const TOLERANCE_SECONDS = 5 * 60;

export type Verification = { ok: true; id: string; timestamp: number } | { ok: false; reason: string };

function base64ToBytes(b64: string): Uint8Array<ArrayBuffer> {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function bytesToBase64(bytes: Uint8Array): string {
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

/** Compares without an early exit, so the time taken does not reveal how much of a guess was right. */
function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

export async function sign(secret: string, id: string, timestamp: number, body: string): Promise<string> {
  const key = await crypto.subtle.importKey('raw', base64ToBytes(secret.replace(/^whsec_/, '')), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const mac = await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(`${id}.${timestamp}.${body}`));
  return `v1,${bytesToBase64(new Uint8Array(mac))}`;
}

/**
 * Verifies one delivery. `body` must be the raw request text: re-serialised JSON would not match.
 * A timestamp more than 5 minutes from `nowSeconds` (either way) is refused, which bounds replays.
 */
export async function verifyWebhook(secret: string, headers: Headers, body: string, nowSeconds = Math.floor(Date.now() / 1000)): Promise<Verification> {
  const id = headers.get('webhook-id');
  const ts = headers.get('webhook-timestamp');
  const sigs = headers.get('webhook-signature');
  if (!id || !ts || !sigs) return { ok: false, reason: 'missing webhook-id, webhook-timestamp or webhook-signature header' };
  if (!/^\d{1,12}$/.test(ts)) return { ok: false, reason: 'webhook-timestamp is not a number of seconds' };
  const timestamp = Number(ts);
  if (Math.abs(nowSeconds - timestamp) > TOLERANCE_SECONDS) {
    return { ok: false, reason: 'webhook-timestamp is more than 5 minutes from now (replay, or a wrong clock)' };
  }
  let expected: string;
  try {
    expected = await sign(secret, id, timestamp, body);
  } catch {
    return { ok: false, reason: 'the webhook secret is not whsec_<base64>' };
  }
  const expectedMac = expected.slice('v1,'.length);
  for (const entry of sigs.split(' ')) {
    const [version, mac] = entry.split(',', 2);
    if (version === 'v1' && mac !== undefined && constantTimeEqual(mac, expectedMac)) return { ok: true, id, timestamp };
  }
  return { ok: false, reason: 'no v1 signature matches (wrong DEMO_WEBHOOK_SECRET, or the body was altered)' };
}
