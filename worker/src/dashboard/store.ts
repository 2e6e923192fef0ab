// Dashboard sign-in links and sessions at rest, in the merchant shards named `~dashboard:links:<n>` and
// `~dashboard:sessions:<n>` (shards.ts dashboardShardFor). Only the SHA-256 of a token is stored: a
// copy of the storage signs nobody in. A link is consumed inside one synchronous Durable Object call,
// so two clicks on it cannot both sign in (docs/dashboard.md).

export const DASHBOARD_SCHEMA = [
  `CREATE TABLE IF NOT EXISTS dashboard_links (
    hash TEXT PRIMARY KEY, merchant TEXT NOT NULL, email TEXT, created INTEGER NOT NULL, expires INTEGER NOT NULL, used INTEGER)`,
  `CREATE TABLE IF NOT EXISTS dashboard_sessions (
    hash TEXT PRIMARY KEY, merchant TEXT NOT NULL, email TEXT, created INTEGER NOT NULL, last_seen INTEGER NOT NULL,
    expires INTEGER NOT NULL)`,
];

/** How long a used or expired link is kept (to tell "already used" from "unknown"), then forgotten. */
export const LINK_RETENTION_MS = 7 * 24 * 3600_000;

export type LinkState = { kind: 'valid'; merchant: string; email: string | null } | { kind: 'unknown' } | { kind: 'used' } | { kind: 'expired' };

export type DashboardSessionRow = {
  merchant: string;
  email: string | null;
  /** ms since epoch */
  created: number;
  last_seen: number;
  /** The absolute end (ms). */
  expires: number;
};

type LinkRow = { merchant: string; email: string | null; expires: number; used: number | null };

export function insertLink(sql: SqlStorage, hash: string, merchant: string, email: string | null, now: number, expires: number): void {
  sql.exec('DELETE FROM dashboard_links WHERE expires < ?', now - LINK_RETENTION_MS);
  sql.exec('INSERT INTO dashboard_links (hash, merchant, email, created, expires, used) VALUES (?, ?, ?, ?, ?, NULL)', hash, merchant, email, now, expires);
}

function linkState(row: LinkRow | undefined, now: number): LinkState {
  if (!row) return { kind: 'unknown' };
  if (row.used !== null) return { kind: 'used' };
  if (now >= row.expires) return { kind: 'expired' };
  return { kind: 'valid', merchant: row.merchant, email: row.email };
}

const linkRow = (sql: SqlStorage, hash: string): LinkRow | undefined =>
  sql.exec<LinkRow>('SELECT merchant, email, expires, used FROM dashboard_links WHERE hash = ?', hash).toArray()[0];

/** What a link is now, without using it (the sign-in page shows it before the person confirms). */
export function peekLink(sql: SqlStorage, hash: string, now: number): LinkState {
  return linkState(linkRow(sql, hash), now);
}

/** Uses a link: valid once, then `used` for every later call. */
export function consumeLink(sql: SqlStorage, hash: string, now: number): LinkState {
  const state = linkState(linkRow(sql, hash), now);
  if (state.kind === 'valid') sql.exec('UPDATE dashboard_links SET used = ? WHERE hash = ?', now, hash);
  return state;
}

export function insertSession(sql: SqlStorage, hash: string, merchant: string, email: string | null, now: number, expires: number): void {
  sql.exec('DELETE FROM dashboard_sessions WHERE expires <= ?', now);
  sql.exec(
    'INSERT INTO dashboard_sessions (hash, merchant, email, created, last_seen, expires) VALUES (?, ?, ?, ?, ?, ?)',
    hash,
    merchant,
    email,
    now,
    now,
    expires,
  );
}

export type SessionTouch = { kind: 'ok'; session: DashboardSessionRow } | { kind: 'expired' } | { kind: 'missing' };

/**
 * The session for a cookie, its idle clock restarted; `expired` once it passed its absolute end or sat
 * idle for `idleMs` (then it is deleted: an ended session never comes back, and later calls say `missing`).
 */
export function touchSession(sql: SqlStorage, hash: string, now: number, idleMs: number): SessionTouch {
  const row = sql.exec<DashboardSessionRow>('SELECT merchant, email, created, last_seen, expires FROM dashboard_sessions WHERE hash = ?', hash).toArray()[0];
  if (!row) return { kind: 'missing' };
  if (now >= row.expires || now - row.last_seen >= idleMs) {
    sql.exec('DELETE FROM dashboard_sessions WHERE hash = ?', hash);
    return { kind: 'expired' };
  }
  sql.exec('UPDATE dashboard_sessions SET last_seen = ? WHERE hash = ?', now, hash);
  return { kind: 'ok', session: { ...row, last_seen: now } };
}

export function deleteSession(sql: SqlStorage, hash: string): boolean {
  return sql.exec('DELETE FROM dashboard_sessions WHERE hash = ?', hash).rowsWritten > 0;
}
