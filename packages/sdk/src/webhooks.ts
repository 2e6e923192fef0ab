// Verifying Shouyin's webhooks, per Standard Webhooks (https://www.standardwebhooks.com/, and
// docs/webhooks.md): `webhook-signature: v1,<base64 HMAC-SHA256(key, "{webhook-id}.{webhook-timestamp}.{body}")>`
// where the key is the base64 after `whsec_`. The header may carry several space-separated
// signatures (one per secret while a secret is being rotated); any one matching is enough. WebCrypto
// only, so it runs in Node ≥ 20, Deno, Bun and Workers alike.

import type { ShouyinEvent } from './types.js';

export const DEFAULT_TOLERANCE_SECONDS = 300;

export type WebhookVerificationCode =
  | 'missing_header'
  | 'invalid_timestamp'
  | 'timestamp_too_old'
  | 'timestamp_too_new'
  | 'no_matching_signature'
  | 'invalid_payload';

/** The webhook did not check out: answer it with a 4xx and do not act on it. */
export class WebhookVerificationError extends Error {
  override name = 'WebhookVerificationError';
  constructor(
    readonly code: WebhookVerificationCode,
    message: string,
  ) {
    super(message);
  }
}

/** A Fetch API `Headers`, or a plain object such as Node's `req.headers` (any case; the first of repeated values). */
export type WebhookHeaders = { get(name: string): string | null } | Record<string, string | readonly string[] | undefined>;

export interface VerifyWebhookOptions {
  /** How far `webhook-timestamp` may be from this machine's clock, either way. Default 300 (5 minutes). */
  toleranceSeconds?: number;
}

const encoder = new TextEncoder();

function header(headers: WebhookHeaders, name: string): string | undefined {
  if (typeof (headers as { get?: unknown }).get === 'function') return (headers as { get(n: string): string | null }).get(name) ?? undefined;
  const record = headers as Record<string, string | readonly string[] | undefined>;
  for (const [k, v] of Object.entries(record)) {
    if (k.toLowerCase() !== name) continue;
    return typeof v === 'string' ? v : v?.[0];
  }
  return undefined;
}

function fromBase64(s: string): Uint8Array {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function toBase64(bytes: Uint8Array): string {
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

/** The HMAC key of a `whsec_…` secret. Throws a TypeError (a configuration mistake, not a bad webhook) naming no part of the secret. */
function secretKey(secret: string, param: string): Uint8Array {
  if (typeof secret !== 'string') throw new TypeError(`${param} must be a string: the endpoint's whsec_… secret.`);
  let key: Uint8Array;
  try {
    key = fromBase64(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret);
  } catch {
    throw new TypeError(`${param} is not a webhook secret: expected whsec_ followed by base64.`);
  }
  if (key.length === 0) throw new TypeError(`${param} is empty: expected whsec_ followed by base64.`);
  return key;
}

async function hmac(key: Uint8Array, message: Uint8Array): Promise<Uint8Array> {
  const k = await crypto.subtle.importKey('raw', key as Uint8Array<ArrayBuffer>, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return new Uint8Array(await crypto.subtle.sign('HMAC', k, message as Uint8Array<ArrayBuffer>));
}

/** Equal bytes, in time that depends only on the length (which is public: 32 for HMAC-SHA256). */
function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

function bytesOf(payload: string | Uint8Array | ArrayBuffer): Uint8Array {
  if (typeof payload === 'string') return encoder.encode(payload);
  if (payload instanceof ArrayBuffer) return new Uint8Array(payload);
  if (payload instanceof Uint8Array) return payload;
  throw new TypeError('payload must be the raw request body: a string, Uint8Array or ArrayBuffer (not parsed JSON).');
}

/** `{id}.{timestamp}.` followed by the body's bytes, exactly as received. */
function signedContent(id: string, timestamp: string, body: Uint8Array): Uint8Array {
  const prefix = encoder.encode(`${id}.${timestamp}.`);
  const out = new Uint8Array(prefix.length + body.length);
  out.set(prefix);
  out.set(body, prefix.length);
  return out;
}

/**
 * Checks a webhook from Shouyin and returns its event.
 *
 * @param payload the raw request body, byte for byte (verify before parsing: re-serialised JSON does not match)
 * @param headers the request's headers (`webhook-id`, `webhook-timestamp`, `webhook-signature`)
 * @param secret the endpoint's `whsec_…` secret, or several (e.g. the old and the new while you roll it on your side)
 * @throws WebhookVerificationError when a header is missing, the timestamp is outside the tolerance, no
 *   signature matches, or the verified body is not an event; TypeError for a malformed secret
 */
export async function verifyWebhook(
  payload: string | Uint8Array | ArrayBuffer,
  headers: WebhookHeaders,
  secret: string | readonly string[],
  options: VerifyWebhookOptions = {},
): Promise<ShouyinEvent> {
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  if (!Number.isFinite(tolerance) || tolerance < 0) throw new TypeError('toleranceSeconds must be a non-negative number of seconds.');
  const secrets = typeof secret === 'string' ? [secret] : [...secret];
  if (secrets.length === 0) throw new TypeError('secret must be a whsec_… secret or a non-empty list of them.');
  const keys = secrets.map((s, i) => secretKey(s, typeof secret === 'string' ? 'secret' : `secret[${i}]`));
  const body = bytesOf(payload);

  const id = header(headers, 'webhook-id');
  const timestamp = header(headers, 'webhook-timestamp');
  const signatures = header(headers, 'webhook-signature');
  for (const [name, value] of [
    ['webhook-id', id],
    ['webhook-timestamp', timestamp],
    ['webhook-signature', signatures],
  ] as const) {
    if (!value) throw new WebhookVerificationError('missing_header', `The ${name} header is missing.`);
  }
  if (!/^\d{1,12}$/.test(timestamp!)) throw new WebhookVerificationError('invalid_timestamp', 'webhook-timestamp must be Unix seconds.');
  const now = Math.floor(Date.now() / 1000);
  const ts = Number(timestamp);
  if (now - ts > tolerance) throw new WebhookVerificationError('timestamp_too_old', `webhook-timestamp is more than ${tolerance} s in the past.`);
  if (ts - now > tolerance) throw new WebhookVerificationError('timestamp_too_new', `webhook-timestamp is more than ${tolerance} s in the future.`);

  const content = signedContent(id!, timestamp!, body);
  const expected = await Promise.all(keys.map((k) => hmac(k, content)));
  let matched = false;
  for (const candidate of signatures!.split(' ')) {
    // Other schemes (e.g. `v1a,` asymmetric signatures) are not Shouyin's: skip them.
    if (!candidate.startsWith('v1,')) continue;
    let sig: Uint8Array;
    try {
      sig = fromBase64(candidate.slice(3));
    } catch {
      continue;
    }
    // Check every expected MAC against every candidate: no early exit on a match.
    for (const e of expected) matched = constantTimeEqual(sig, e) || matched;
  }
  if (!matched) throw new WebhookVerificationError('no_matching_signature', 'No webhook-signature matches this body with the given secret.');

  let event: unknown;
  try {
    event = JSON.parse(new TextDecoder().decode(body));
  } catch {
    throw new WebhookVerificationError('invalid_payload', 'The signed body is not JSON.');
  }
  const e = event as { id?: unknown; type?: unknown; data?: unknown } | null;
  if (typeof e !== 'object' || e === null || typeof e.id !== 'string' || typeof e.type !== 'string' || typeof e.data !== 'object' || e.data === null) {
    throw new WebhookVerificationError('invalid_payload', 'The signed body is not a Shouyin event ({id, type, created, livemode, data}).');
  }
  return event as ShouyinEvent;
}

export interface SignWebhookParams {
  /** The `webhook-id` (Shouyin uses the event id). */
  id: string;
  /** The raw body to sign. */
  payload: string | Uint8Array | ArrayBuffer;
  /** A `whsec_…` secret. */
  secret: string;
  /** Unix seconds or a Date; default now. */
  timestamp?: number | Date;
}

/**
 * The three Standard Webhooks headers for a body, signed as Shouyin signs it: for testing your webhook
 * handler without a Shouyin deployment.
 */
export async function signWebhook(params: SignWebhookParams): Promise<{ 'webhook-id': string; 'webhook-timestamp': string; 'webhook-signature': string }> {
  const ts = params.timestamp ?? new Date();
  const timestamp = String(ts instanceof Date ? Math.floor(ts.getTime() / 1000) : ts);
  if (!/^\d{1,12}$/.test(timestamp)) throw new TypeError('timestamp must be Unix seconds or a Date.');
  if (typeof params.id !== 'string' || params.id === '' || params.id.includes('.')) throw new TypeError('id must be a non-empty string without dots.');
  const mac = await hmac(secretKey(params.secret, 'secret'), signedContent(params.id, timestamp, bytesOf(params.payload)));
  return { 'webhook-id': params.id, 'webhook-timestamp': timestamp, 'webhook-signature': `v1,${toBase64(mac)}` };
}
