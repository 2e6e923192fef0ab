// The HTTP layer: one call = one logical request, retried on its own terms.
//
// - Every POST carries an Idempotency-Key (random unless the caller gives one), the same on every
//   retry of that call, so Shouyin applies it once however many times it arrives
//   (docs/merchant-api.md#idempotency).
// - A call is retried on a network error, a timeout, a 5xx, or 409 idempotency_key_in_use (the first
//   request with that key is still running), with exponential backoff and jitter, honouring
//   Retry-After. A call whose repetition could do the thing twice (see `retry: 'unsafe'`) is retried
//   on network errors and 5xx only when the caller passes `maxRetries` for that call.

import { ApiError, ConnectionError, errorFromResponse, type ShouyinError } from './errors.js';

/** The slice of `fetch` the SDK uses: the global fetch of Node ≥ 20, Deno, Bun and Workers, or a service binding's. */
export type FetchLike = (
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string; signal?: AbortSignal },
) => Promise<{ status: number; headers: { get(name: string): string | null }; text(): Promise<string> }>;

/** Per-call options, the last argument of every method. */
export interface RequestOptions {
  /** The Idempotency-Key for this POST (1–255 characters). Default: a random UUID, reused on this call's retries. */
  idempotencyKey?: string;
  /** Retries for this call (overrides the client's `maxRetries`; for an unsafe call, opts in to retrying it). */
  maxRetries?: number;
  /** Milliseconds before one try is abandoned (then retried like a network error). */
  timeoutMs?: number;
  /** Aborts the call, retries included. */
  signal?: AbortSignal;
}

export interface TransportConfig {
  apiKey: string;
  baseUrl: string;
  fetch: FetchLike;
  maxRetries: number;
  timeoutMs: number;
  retryBaseDelayMs: number;
  retryMaxDelayMs: number;
  userAgent: string;
}

export type QueryValue = string | number | boolean | Date | undefined | { [k: string]: string | number | Date | undefined };

export interface Call {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** Under /v1, e.g. `/checkout/sessions/cs_…`. */
  path: string;
  query?: Record<string, QueryValue> | undefined;
  body?: object | undefined;
  /**
   * `safe`: repeating it cannot do anything twice (a read, or a POST Shouyin de-duplicates by its
   * Idempotency-Key). `unsafe`: a repeat after a lost answer could act again; retried on network
   * errors and 5xx only when the caller passes `maxRetries` for the call.
   */
  retry: 'safe' | 'unsafe';
}

const seconds = (v: number | Date): string => String(v instanceof Date ? Math.floor(v.getTime() / 1000) : v);

/** `{status: 'paid', created: {gte: 1}}` → `status=paid&created%5Bgte%5D=1`; undefined values are left out. */
export function queryString(query: Record<string, QueryValue> | undefined): string {
  if (!query) return '';
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined) continue;
    if (v instanceof Date) q.append(k, seconds(v));
    else if (typeof v === 'object') {
      for (const [sub, sv] of Object.entries(v)) if (sv !== undefined) q.append(`${k}[${sub}]`, sv instanceof Date ? seconds(sv) : String(sv));
    } else q.append(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** A path segment from a caller's id: never empty (an empty id would address the list instead), always escaped. */
export function idSegment(param: string, id: unknown): string {
  if (typeof id !== 'string' || id.length === 0) throw new TypeError(`${param} must be a non-empty id string.`);
  return encodeURIComponent(id);
}

/** Exponential backoff with jitter: base·2^n, capped, then scaled by a random factor in [0.5, 1). */
export function backoffDelay(retry: number, baseMs: number, maxMs: number, random = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** retry);
  return Math.round(ceiling * (0.5 + random() / 2));
}

/** Retry-After in seconds (Shouyin and proxies send seconds), as milliseconds; null when absent or unusable. */
function retryAfterMs(value: string | null, maxMs: number): number | null {
  if (value === null || !/^\d+$/.test(value.trim())) return null;
  return Math.min(Number(value.trim()) * 1000, maxMs);
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

const randomKey = (): string => crypto.randomUUID();

export class Transport {
  constructor(readonly config: TransportConfig) {}

  async request<T>(call: Call, options: RequestOptions = {}): Promise<T> {
    const { config } = this;
    const url = `${config.baseUrl}/v1${call.path}${queryString(call.query)}`;
    const headers: Record<string, string> = {
      authorization: `Bearer ${config.apiKey}`,
      accept: 'application/json',
      'user-agent': config.userAgent,
    };
    let body: string | undefined;
    if (call.body !== undefined) {
      body = JSON.stringify(call.body);
      headers['content-type'] = 'application/json';
    }
    if (options.idempotencyKey !== undefined) headers['idempotency-key'] = options.idempotencyKey;
    else if (call.method === 'POST') headers['idempotency-key'] = randomKey();

    const maxRetries = options.maxRetries ?? config.maxRetries;
    // An unsafe call is retried on failures that may have acted only when this call asked for it.
    const retryMayRepeat = call.retry === 'safe' || options.maxRetries !== undefined;
    const timeoutMs = options.timeoutMs ?? config.timeoutMs;

    for (let attempt = 0; ; attempt++) {
      const canRetry = attempt < maxRetries;
      const backoff = () => backoffDelay(attempt, config.retryBaseDelayMs, config.retryMaxDelayMs);
      const timeout = new AbortController();
      const timer = setTimeout(() => timeout.abort(), timeoutMs);
      const onAbort = () => timeout.abort(options.signal?.reason);
      options.signal?.addEventListener('abort', onAbort, { once: true });
      let status: number;
      let text: string;
      let requestId: string | null;
      let retryAfter: string | null;
      try {
        if (options.signal?.aborted) throw options.signal.reason;
        const res = await config.fetch(url, { method: call.method, headers, ...(body === undefined ? {} : { body }), signal: timeout.signal });
        status = res.status;
        requestId = res.headers.get('request-id') ?? res.headers.get('cf-ray');
        retryAfter = res.headers.get('retry-after');
        text = await res.text();
      } catch (e) {
        // The caller's own abort is theirs to see as it is, not a retry.
        if (options.signal?.aborted) throw options.signal.reason;
        const timedOut = timeout.signal.aborted;
        const error = new ConnectionError({
          type: 'connection_error',
          code: timedOut ? 'timeout' : 'connection_failed',
          message: timedOut
            ? `${call.method} ${call.path}: no answer within ${timeoutMs} ms.`
            : `${call.method} ${call.path}: the request failed before an answer came back (${e instanceof Error ? e.message : String(e)}).`,
          status: null,
          cause: e,
        });
        if (canRetry && retryMayRepeat) {
          await sleep(backoff(), options.signal);
          continue;
        }
        throw error;
      } finally {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
      }

      if (status >= 200 && status < 300) {
        try {
          return JSON.parse(text) as T;
        } catch {
          throw new ApiError({
            type: 'api_error',
            code: 'unexpected_response',
            message: `${call.method} ${call.path}: HTTP ${status} with a body that is not JSON.`,
            status,
            requestId,
            raw: text,
          });
        }
      }
      const error: ShouyinError = errorFromResponse(status, text, requestId);
      // In use: the first request with this key is still running and nothing ran for this one.
      const inUse = status === 409 && error.code === 'idempotency_key_in_use';
      // A configuration error stays until the operator fixes it; other 5xx may pass.
      const transient = status >= 500 && error.type !== 'configuration_error';
      if (canRetry && (inUse || (transient && retryMayRepeat))) {
        await sleep(retryAfterMs(retryAfter, config.retryMaxDelayMs) ?? backoff(), options.signal);
        continue;
      }
      throw error;
    }
  }
}
