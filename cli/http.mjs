// The admin API client (API routes: docs/deploy.md#the-shouyin-cli). Every call carries the admin key
// as a bearer token and nothing a browser would add, so the Worker's browser guard lets it through.

import { UsageError } from './args.mjs';

/** Where `npm start` serves the Worker (scripts/start.mjs, PORT defaults to 8787). */
export const DEFAULT_URL = 'http://127.0.0.1:8787';
const ADMIN_KEY = /^sk_admin_[0-9A-Za-z]{32,}$/;
const TIMEOUT_MS = 60_000;

/** The Worker answered with an error, or could not be reached (exit code 1). */
export class ApiError extends Error {
  /**
   * @param {string} message
   * @param {{ status?: number, code?: string, param?: string, body?: unknown }} [details]
   */
  constructor(message, details = {}) {
    super(message);
    this.status = details.status;
    this.code = details.code;
    this.param = details.param;
    this.body = details.body;
  }
}

/**
 * The Worker's URL and the admin key, from the options or the environment.
 * @param {Record<string, unknown>} options
 * @param {Record<string, string | undefined>} env
 * @param {{ needKey?: boolean }} [opts]
 */
export function connection(options, env, { needKey = true } = {}) {
  const raw = /** @type {string | undefined} */ (options.url) ?? env.SHOUYIN_URL ?? DEFAULT_URL;
  let url;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`--url / SHOUYIN_URL must be the Worker's URL, such as https://pay.example.com (got ${JSON.stringify(raw.slice(0, 60))}).`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new UsageError('--url / SHOUYIN_URL must be http(s).');
  const key = /** @type {string | undefined} */ (options['admin-key']) ?? env.SHOUYIN_ADMIN_KEY;
  if (needKey && !key) throw new UsageError('No admin key: set SHOUYIN_ADMIN_KEY or pass --admin-key (one of the Worker secret SHOUYIN_ADMIN_KEYS).');
  // Never echoed: only its prefix is named.
  if (key && !ADMIN_KEY.test(key)) throw new UsageError('The admin key must be sk_admin_ followed by at least 32 letters or digits.');
  return { base: url.origin + url.pathname.replace(/\/+$/, ''), key: key ?? '' };
}

/**
 * One admin API call. Resolves with the parsed JSON body of a 2xx answer; throws ApiError otherwise.
 * @param {{ base: string, key: string }} conn
 * @param {'GET' | 'POST' | 'PUT' | 'DELETE'} method
 * @param {string} path
 * @param {unknown} [body]
 * @returns {Promise<any>}
 */
export async function call(conn, method, path, body) {
  return (await request(conn, method, path, body)).body;
}

/**
 * Like call(), with the answer's status (201 created / 200 updated).
 * @param {{ base: string, key: string }} conn
 * @param {'GET' | 'POST' | 'PUT' | 'DELETE'} method
 * @param {string} path
 * @param {unknown} [body]
 * @returns {Promise<{ status: number, body: any }>}
 */
export async function request(conn, method, path, body) {
  const url = `${conn.base}${path}`;
  /** @type {Record<string, string>} */
  const headers = { authorization: `Bearer ${conn.key}`, accept: 'application/json', 'user-agent': 'shouyin-cli' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res;
  try {
    res = await fetch(url, {
      method,
      headers,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      redirect: 'manual',
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (e) {
    const err = /** @type {Error & { cause?: { code?: string } }} */ (e);
    throw new ApiError(`Could not reach ${conn.base} (${err.cause?.code ?? err.name}): is the Worker running, and is SHOUYIN_URL / --url right?`);
  }
  const text = await res.text();
  /** @type {any} */
  let json;
  try {
    json = text === '' ? null : JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (res.status >= 200 && res.status < 300) {
    if (json === undefined) throw new ApiError(`${method} ${path} answered ${res.status} with a body that is not JSON.`, { status: res.status });
    return { status: res.status, body: json };
  }
  const error = json?.error;
  if (error && typeof error.message === 'string') {
    throw new ApiError(error.message, { status: res.status, code: error.code, param: error.param, body: json });
  }
  throw new ApiError(
    `${method} ${path} answered ${res.status}${res.status >= 300 && res.status < 400 ? ' (a redirect: use the final URL as SHOUYIN_URL)' : ''}.`,
    {
      status: res.status,
    },
  );
}
