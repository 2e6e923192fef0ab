// Identifiers. The attempt id doubles as the provider order number (WeChat out_trade_no ≤ 32,
// Alipay out_trade_no ≤ 64, UnionPay orderId 8–40 letters and digits only), so it is alphanumeric,
// ≤ 32 chars, and starts with the session key: a notify leads to its Durable Object with no lookup.

const ALNUM = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
export const SESSION_KEY_LENGTH = 24;

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

export const newSessionId = (): string => `cs_${randomKey(SESSION_KEY_LENGTH)}`;
export const newClientSecret = (sessionId: string): string => `${sessionId}_secret_${randomKey(24)}`;
export const newEventId = (): string => `evt_${randomKey(24)}`;
/** A webhook endpoint created over the API (`we_config` is the one from the configuration). */
export const newEndpointId = (): string => `we_${randomKey(24)}`;
/** One try of one event to one endpoint. */
export const newDeliveryId = (): string => `wd_${randomKey(24)}`;

const SESSION_ID = new RegExp(`^cs_[0-9A-Za-z]{${SESSION_KEY_LENGTH}}$`);
const ATTEMPT_ID = new RegExp(`^[0-9A-Za-z]{${SESSION_KEY_LENGTH}}A[0-9]{1,7}$`);

export const isSessionId = (s: string): boolean => SESSION_ID.test(s);

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
