// The dashboard talks to the merchant API through /dashboard/api/v1 (docs/dashboard.md): the same routes
// a merchant's server calls with its secret key, here with the session cookie (sent by the browser,
// never readable by this code) and the session's anti-CSRF token in a header.

import type { DashboardSession, List } from './types';

const BASE = '/dashboard/api';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly param?: string,
  ) {
    super(message);
  }
}

/** A route the merchant API of this deployment does not have (yet): 404 route_not_found. */
export const isMissingRoute = (e: unknown): boolean => e instanceof ApiError && e.status === 404 && e.code === 'route_not_found';
export const isNotFound = (e: unknown): boolean => e instanceof ApiError && e.status === 404 && e.code !== 'route_not_found';

/** Fired on window when a call finds the session ended (idle, expired or signed out elsewhere). */
export const SESSION_ENDED = 'sy-session-ended';

let csrf = '';

async function errorOf(res: Response): Promise<ApiError> {
  try {
    const e = ((await res.json()) as { error?: { code?: string; message?: string; param?: string } }).error;
    return new ApiError(res.status, e?.code ?? 'unknown', e?.message ?? res.statusText, e?.param);
  } catch {
    return new ApiError(res.status, 'unknown', res.statusText || `HTTP ${res.status}`);
  }
}

/** Who is signed in; null when nobody is (or the session ended). */
export async function loadSession(): Promise<DashboardSession | null> {
  const res = await fetch(`${BASE}/session`, { credentials: 'same-origin', headers: { accept: 'application/json' } });
  if (res.status === 401) return null;
  if (!res.ok) throw await errorOf(res);
  const s = (await res.json()) as DashboardSession;
  csrf = s.csrf_token;
  return s;
}

export async function signOut(): Promise<void> {
  const res = await fetch(`${BASE}/signout`, { method: 'POST', credentials: 'same-origin', headers: { 'x-csrf-token': csrf } });
  if (!res.ok && res.status !== 401) throw await errorOf(res);
  csrf = '';
}

export type Query = Record<string, string | number | undefined | null>;

export function queryString(q: Query = {}): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
}

export interface CallOptions {
  method?: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  query?: Query;
  body?: unknown;
  idempotencyKey?: string;
  signal?: AbortSignal;
}

/** The raw answer of a merchant API call (for downloads); errors are thrown as ApiError. */
export async function call(path: string, o: CallOptions = {}): Promise<Response> {
  const headers: Record<string, string> = { accept: 'application/json', 'x-csrf-token': csrf };
  if (o.body !== undefined) headers['content-type'] = 'application/json';
  if (o.idempotencyKey) headers['idempotency-key'] = o.idempotencyKey;
  const res = await fetch(`${BASE}/v1${path}${queryString(o.query)}`, {
    method: o.method ?? 'GET',
    credentials: 'same-origin',
    headers,
    ...(o.body === undefined ? {} : { body: JSON.stringify(o.body) }),
    ...(o.signal ? { signal: o.signal } : {}),
  });
  if (res.ok) return res;
  const err = await errorOf(res);
  if (res.status === 401) window.dispatchEvent(new CustomEvent(SESSION_ENDED, { detail: err.code }));
  throw err;
}

export async function api<T>(path: string, o: CallOptions = {}): Promise<T> {
  return (await (await call(path, o)).json()) as T;
}

/**
 * Every item of a list, page after page (limit 100), newest first. `onPage` sees each page as it comes,
 * for a running count; stops when `signal` aborts.
 */
export async function walk<T>(path: string, query: Query, signal: AbortSignal, onPage?: (items: T[]) => void): Promise<T[]> {
  const out: T[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await api<List<T>>(path, { query: { ...query, limit: 100, starting_after: after }, signal });
    out.push(...page.data);
    onPage?.(page.data);
    if (!page.has_more || !page.next_cursor) return out;
    after = page.next_cursor;
  }
}

/** A fresh Idempotency-Key (one per confirmed action, reused by every retry of it). */
export const newIdempotencyKey = (): string => `dash_${crypto.randomUUID()}`;
