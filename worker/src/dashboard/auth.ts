// The dashboard's credentials (docs/dashboard.md#security): one-time sign-in links the operator
// creates, and the session cookie a link turns into. Tokens are 43 random letters and digits (256 bits); only their SHA-256
// is stored. The anti-CSRF token is derived from the session token, so it is bound to that session
// and needs no storage of its own; a page can read it (GET /dashboard/api/session) only from the
// dashboard's own origin, since no dashboard answer carries CORS headers.

import { sha256Hex } from '../crypto/digest';
import { randomAlnum } from '../crypto/encoding';
import { timingSafeEqual } from '../crypto/timing-safe';

/** A session ends after this long without a request… */
export const IDLE_TIMEOUT_MS = 30 * 60_000;
/** …and this long after sign-in, whatever happens. */
export const ABSOLUTE_TIMEOUT_MS = 12 * 3600_000;

/** Sign-in links live 15 minutes unless the operator asks otherwise (1 minute to 24 hours). */
export const LINK_TTL_DEFAULT_S = 15 * 60;
export const LINK_TTL_MIN_S = 60;
export const LINK_TTL_MAX_S = 24 * 3600;

const TOKEN = /^[A-Za-z0-9]{43}$/;
export const LINK_PREFIX = 'sl_';

export const newToken = (): string => randomAlnum(43);

/** `sl_<43>` → whether it has the shape of a link token (checked before any lookup). */
export const isLinkToken = (t: string): boolean => t.startsWith(LINK_PREFIX) && TOKEN.test(t.slice(LINK_PREFIX.length));
export const isSessionToken = (t: string): boolean => TOKEN.test(t);

/** What is stored for a token: its SHA-256, with the kind in front so a link hash is never a session hash. */
export const tokenHash = (kind: 'link' | 'session', token: string): Promise<string> => sha256Hex(`shouyin-dashboard-${kind}\n${token}`);

/** The session's anti-CSRF token. */
export const csrfToken = async (sessionToken: string): Promise<string> => (await sha256Hex(`shouyin-dashboard-csrf\n${sessionToken}`)).slice(0, 43);

export async function csrfMatches(sessionToken: string, presented: string | undefined): Promise<boolean> {
  if (!presented) return false;
  return timingSafeEqual(await csrfToken(sessionToken), presented);
}

/**
 * The cookie's name: `__Host-` over https (the browser then insists on Secure, Path=/ and no Domain, so
 * no subdomain can set or shadow it); over http://localhost, where browsers accept Secure cookies but a
 * deployment never runs, the plain name.
 */
export const cookieName = (https: boolean): string => (https ? '__Host-shouyin_dashboard' : 'shouyin_dashboard');

export function sessionCookie(token: string, https: boolean, maxAgeSeconds: number): string {
  return `${cookieName(https)}=${token}; Path=/; Max-Age=${maxAgeSeconds}; HttpOnly; Secure; SameSite=Strict`;
}

export const clearedCookie = (https: boolean): string => `${cookieName(https)}=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Strict`;

/** The session token from a Cookie header, or null (a malformed value counts as none). */
export function sessionTokenFrom(cookieHeader: string | undefined, https: boolean): string | null {
  if (!cookieHeader) return null;
  const name = cookieName(https);
  for (const part of cookieHeader.split(';')) {
    const i = part.indexOf('=');
    if (i < 0 || part.slice(0, i).trim() !== name) continue;
    const v = part.slice(i + 1).trim();
    return isSessionToken(v) ? v : null;
  }
  return null;
}
