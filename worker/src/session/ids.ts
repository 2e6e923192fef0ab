// Identifiers. The attempt id doubles as the provider order number (WeChat out_trade_no ≤ 32,
// Alipay out_trade_no ≤ 64, UnionPay orderId 8–40 letters and digits only), so it is alphanumeric,
// ≤ 32 chars, and starts with the session key: a notify leads to its Durable Object with no lookup.
//
// Session ids verify themselves (SECURITY.md, "Session ids"): the 24-character session key is 14
// random characters and a 10-character tag, an HMAC-SHA256 of the random part under a key derived
// from the Worker secret SHOUYIN_SESSION_ID_SECRET. Every entry point except the merchant API's
// create checks the tag before it touches a session's Durable Object, so a made-up id never reaches
// one, and is answered 404 exactly like a session that never existed or was deleted. The shape is
// unchanged (`cs_` + 24 letters and digits), so the widget and the SDK read ids as before.

import type { Env } from '../env';
import type { CheckoutSession } from './durable-object';
import { hmacSha256 } from '../crypto/hmac';
import { timingSafeEqual } from '../crypto/timing-safe';

const ALNUM = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
export const SESSION_KEY_LENGTH = 24;
/** ≈ 83 bits of randomness per id. */
const RANDOM_LENGTH = 14;
/** ≈ 59 bits of tag: forging one takes about 2^58 requests. */
const TAG_LENGTH = SESSION_KEY_LENGTH - RANDOM_LENGTH;

/**
 * The secret used when SHOUYIN_SESSION_ID_SECRET is not set (local development, the test runner). It
 * is published here, so anyone can compute tags with it: a deployment sets its own (docs/deploy.md).
 * Even with it, a forged id creates no storage: a session's tables are made only by the merchant
 * API's create (store.ts), so a forged id costs one Durable Object call, nothing stored.
 */
export const DEVELOPMENT_ID_SECRET = 'shouyin-development-session-id-secret';

export function randomKey(length: number): string {
  // Rejection sampling keeps every character equally likely (256 is not a multiple of 62).
  const out: string[] = [];
  while (out.length < length) {
    const bytes = crypto.getRandomValues(new Uint8Array(length * 2));
    for (const b of bytes) {
      if (b < 248 && out.length < length) out.push(ALNUM[b % 62] as string);
    }
  }
  return out.join('');
}

/**
 * The secrets session ids are tagged with: SHOUYIN_SESSION_ID_SECRET, comma-separated during a
 * rotation (the first tags new ids, every one is accepted), else the development secret.
 */
export function idSecrets(env: Pick<Env, 'SHOUYIN_SESSION_ID_SECRET'>): string[] {
  const list = (env.SHOUYIN_SESSION_ID_SECRET ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  return list.length > 0 ? list : [DEVELOPMENT_ID_SECRET];
}

/** Per isolate: the derived tag key of each secret (one HMAC to derive, then reused). */
const derived = new Map<string, Promise<Uint8Array>>();

function tagKey(secret: string): Promise<Uint8Array> {
  let k = derived.get(secret);
  if (!k) {
    // A key of its own for this one use, so the secret can be shared with nothing else by accident.
    k = hmacSha256(secret, 'shouyin/session-id/v1');
    if (derived.size > 16) derived.clear();
    derived.set(secret, k);
  }
  return k;
}

/** The tag of a random part: the first 8 bytes of the HMAC as 10 base-62 digits. */
async function tagOf(secret: string, random: string): Promise<string> {
  const mac = await hmacSha256(await tagKey(secret), random);
  let n = 0n;
  for (const b of mac.subarray(0, 8)) n = (n << 8n) | BigInt(b);
  let out = '';
  for (let i = 0; i < TAG_LENGTH; i++) {
    out += ALNUM[Number(n % 62n)];
    n /= 62n;
  }
  return out;
}

/** A new session id, tagged with the first configured secret. */
export async function newSessionId(env: Pick<Env, 'SHOUYIN_SESSION_ID_SECRET'>): Promise<string> {
  const random = randomKey(RANDOM_LENGTH);
  return `cs_${random}${await tagOf(idSecrets(env)[0] as string, random)}`;
}

export const newClientSecret = (sessionId: string): string => `${sessionId}_secret_${randomKey(24)}`;

/**
 * The shape of a client secret, `cs_<session key>_secret_<random>`: letters and digits around `_`, so
 * it is also a valid WebSocket subprotocol token (RFC 6455 §4.1, RFC 7230 §3.2.6), which is how the
 * status stream receives it (docs/widget.md). Shouyin's random part is 24 characters; up to 64 are
 * accepted as well-formed. A well-formed secret that is not the session's is answered exactly like a
 * session that does not exist (SECURITY.md, "Client secrets"); only a malformed one is told so.
 */
const CLIENT_SECRET = new RegExp(`^cs_[0-9A-Za-z]{${SESSION_KEY_LENGTH}}_secret_[0-9A-Za-z]{1,64}$`);
export const isWellFormedClientSecret = (s: string): boolean => CLIENT_SECRET.test(s);

/**
 * The header the Worker's stream route hands the client secret to the session's Durable Object in.
 * Set by the route on the request it builds (never passed through from the browser), so the secret
 * is in no URL, not even the Durable Object's.
 */
export const STREAM_SECRET_HEADER = 'x-shouyin-client-secret';
export const newEventId = (): string => `evt_${randomKey(24)}`;
/** A webhook endpoint created over the API (`we_config` is the one from the configuration). */
export const newEndpointId = (): string => `we_${randomKey(24)}`;
/** One try of one event to one endpoint. */
export const newDeliveryId = (): string => `wd_${randomKey(24)}`;

const SESSION_ID = new RegExp(`^cs_[0-9A-Za-z]{${SESSION_KEY_LENGTH}}$`);
const ATTEMPT_ID = new RegExp(`^[0-9A-Za-z]{${SESSION_KEY_LENGTH}}A[0-9]{1,7}$`);

/** The shape of a session id (`cs_` + 24 letters and digits). Says nothing of who made it: see isIssuedSessionId. */
export const isSessionId = (s: string): boolean => SESSION_ID.test(s);

/**
 * True when `id` is a session id this deployment issued: the shape, and a tag that verifies under
 * one of the configured secrets. Touches no Durable Object, so it is what every entry point asks
 * before it calls a session (and what a CORS preflight can ask to tell "no such session").
 */
export async function isIssuedSessionId(env: Pick<Env, 'SHOUYIN_SESSION_ID_SECRET'>, id: string): Promise<boolean> {
  if (!isSessionId(id)) return false;
  const random = id.slice(3, 3 + RANDOM_LENGTH);
  const tag = id.slice(3 + RANDOM_LENGTH);
  let ok = false;
  for (const secret of idSecrets(env)) if (timingSafeEqual(await tagOf(secret, random), tag)) ok = true;
  return ok;
}

/** The session's Durable Object when `id` was issued here, else null (and no object is touched). */
export async function issuedSessionStub(env: Env, id: string): Promise<DurableObjectStub<CheckoutSession> | null> {
  return (await isIssuedSessionId(env, id)) ? env.SESSIONS.getByName(id) : null;
}

/** `<session key>A<seq>`: 26–32 characters, letters and digits only. */
export function attemptIdFor(sessionId: string, seq: number): string {
  return `${sessionId.slice(3)}A${seq}`;
}

/** The session an attempt id belongs to, or null when it is not one of ours. */
export function sessionIdOfAttempt(attemptId: string): string | null {
  return ATTEMPT_ID.test(attemptId) ? `cs_${attemptId.slice(0, SESSION_KEY_LENGTH)}` : null;
}

/** The session id inside a client secret (`cs_…_secret_…`), or null. */
export function sessionIdOfClientSecret(secret: string): string | null {
  const i = secret.indexOf('_secret_');
  if (i < 0) return null;
  const id = secret.slice(0, i);
  return isSessionId(id) ? id : null;
}
