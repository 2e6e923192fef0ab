// The operator's API (/v1/admin/…) is authenticated by admin keys, never by a merchant's keys, and is
// never callable from a browser: a request that a browser marks (an Origin header, or any
// Sec-Fetch-Site, which browsers send on every request and server-side HTTP clients do not — Node's
// fetch sends Sec-Fetch-Mode but not Sec-Fetch-Site) is refused before its key is looked at, and no
// admin answer ever carries CORS headers. Admin keys live in the Worker secret SHOUYIN_ADMIN_KEYS:
// comma-separated `sk_admin_…` keys, several at once while one is being replaced (docs/deploy.md).

import type { Context } from 'hono';
import { timingSafeEqual } from '../crypto/timing-safe';
import { ErrorType, ShouyinError } from '../lib/errors';
import type { Env } from '../env';

export const ADMIN_KEY = /^sk_admin_[0-9A-Za-z]{32,}$/;

/** The configured admin keys; a malformed entry is ignored (and never echoed). */
export function adminKeys(env: Pick<Env, 'SHOUYIN_ADMIN_KEYS'>): string[] {
  return (env.SHOUYIN_ADMIN_KEYS ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter((k) => ADMIN_KEY.test(k));
}

/** Throws unless the request carries one of the admin keys and does not come from a browser. */
export function authenticateAdmin(c: Pick<Context<{ Bindings: Pick<Env, 'SHOUYIN_ADMIN_KEYS'> }>, 'req' | 'env'>): void {
  if (c.req.header('origin') !== undefined || c.req.header('sec-fetch-site') !== undefined) {
    throw new ShouyinError(ErrorType.authentication, 'admin_browser_refused', 'The admin API is not callable from a browser.');
  }
  const h = c.req.header('authorization') ?? '';
  const key = /^Bearer\s+(\S+)$/i.exec(h)?.[1];
  if (!key) throw new ShouyinError(ErrorType.authentication, 'missing_api_key', 'Send an admin key as `Authorization: Bearer sk_admin_…`.');
  let ok = false;
  for (const k of adminKeys(c.env)) if (timingSafeEqual(k, key)) ok = true;
  if (!ok) throw new ShouyinError(ErrorType.authentication, 'invalid_api_key', `Invalid admin key provided: ${key.slice(0, 9)}…`);
}
