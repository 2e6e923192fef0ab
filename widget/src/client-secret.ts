/**
 * A client secret is `cs_<id>_secret_<random>`; the session id is everything before `_secret_`
 * (prefix included), so the widget needs no second attribute to know which session it shows.
 * Returns null for anything else, so a typo shows a clear error instead of a 404 loop.
 */
export function parseClientSecret(secret: string | null | undefined): { sessionId: string } | null {
  if (!secret) return null;
  const s = secret.trim();
  if (!/^cs_[A-Za-z0-9_-]+$/.test(s)) return null;
  const i = s.indexOf('_secret_');
  if (i < 4 || i + 8 >= s.length) return null;
  return { sessionId: s.slice(0, i) };
}
