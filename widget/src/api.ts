/**
 * The client API (`/v1/client/sessions/:id…`, docs/widget.md). Every call carries the session's
 * client secret as a bearer token; nothing here ever sends an amount.
 */
import type { AttemptResponse, Channel, ErrorBody, Flow, PublicSessionView, StatusView } from '../../worker/src/contract';

/** A failed call. `type: 'network_error'` when no HTTP answer arrived at all. */
export class ApiError extends Error {
  readonly type: string;
  readonly code: string;
  readonly param: string | undefined;
  /** HTTP status; 0 for network errors. */
  readonly status: number;

  constructor(status: number, e: ErrorBody['error']) {
    super(e.message);
    this.status = status;
    this.type = e.type;
    this.code = e.code;
    this.param = e.param;
  }

  /** Worth retrying automatically: the network, rate limits and server errors. */
  get transient(): boolean {
    return this.status === 0 || this.status === 408 || this.status === 429 || this.status >= 500;
  }

  /**
   * Not worth offering "Try again": the page holds a wrong or stale client secret, or sits on an
   * origin the merchant did not list (docs/widget.md#errors). Only the shop can fix these.
   */
  get final(): boolean {
    return FINAL.includes(this.code);
  }
}

/**
 * What the developer of the page must change, for the console (never shown to the shopper): the
 * server's message for an origin missing from the merchant's allowed_origins, which names the setting.
 */
export function developerHint(e: unknown): string | undefined {
  return e instanceof ApiError && e.code === 'origin_not_allowed' ? `<shouyin-checkout>: ${e.message}` : undefined;
}

/**
 * The one list of error codes no retry can fix: what every client API call can refuse with besides
 * a server error (the 401, 403 and 404 of each client route in GET /openapi.json), and a session that
 * started all the attempts it may (409 attempt_limit_reached: only a new session helps).
 */
const FINAL = ['missing_client_secret', 'invalid_client_secret', 'session_not_found', 'origin_not_allowed', 'attempt_limit_reached'];

/** Which message a shopper sees for a failed call (`fallback` for errors the server explained). */
export function errorKind<F extends string>(e: unknown, fallback: F): 'network' | 'invalid' | 'busy' | 'generic' | F {
  if (!(e instanceof ApiError)) return 'generic';
  if (e.status === 0) return 'network';
  // attempts_rate_limited: wait, then retry. attempt_limit_reached: this session can start no more.
  if (e.status === 429) return 'busy';
  if (e.status === 401 || e.status === 403 || e.status === 404 || e.code === 'attempt_limit_reached') return 'invalid';
  return fallback;
}

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export interface ClientApi {
  getSession(signal?: AbortSignal): Promise<PublicSessionView>;
  createAttempt(channel: Channel, flow: Flow, signal?: AbortSignal): Promise<AttemptResponse>;
  /** Long-poll: the server answers when the version differs from `version`, or after `wait` s. */
  getStatus(version: number | undefined, wait: number, signal?: AbortSignal): Promise<StatusView>;
  /** The status WebSocket's URL: no secret in it, since URLs end up in logs (docs/widget.md). */
  streamUrl: string;
  /**
   * The subprotocols the WebSocket offers: `shouyin.v1`, which the server selects, and the client
   * secret as `shouyin.secret.<secret>`, the one header a page can set on a WebSocket. A secret is
   * letters, digits, `_` and `-` (client-secret.ts), all valid in a protocol token.
   */
  streamProtocols: string[];
}

/**
 * `lang` goes out as `Accept-Language` (a CORS-safelisted header): the server sends the shopper back
 * from a wallet or cashier page in the widget's language (docs/widget.md, "Languages").
 */
export function createClientApi(
  apiBase: string,
  clientSecret: string,
  sessionId: string,
  fetchImpl: FetchLike = (i, init) => fetch(i, init),
  lang?: string,
): ClientApi {
  const root = `${apiBase.replace(/\/+$/, '')}/v1/client/sessions/${encodeURIComponent(sessionId)}`;

  /** Every call has a deadline: a request that hangs must become an error, never an endless spinner. */
  async function call<T>(path: string, signal?: AbortSignal, body?: unknown, timeoutMs = 20000): Promise<T> {
    const headers: Record<string, string> = { Authorization: `Bearer ${clientSecret}` };
    if (lang) headers['Accept-Language'] = lang;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const ctrl = new AbortController();
    const timer = setTimeout(() => ctrl.abort(), timeoutMs);
    signal?.addEventListener('abort', () => ctrl.abort());
    let res: Response;
    let json: Partial<ErrorBody> | undefined;
    try {
      res = await fetchImpl(root + path, {
        method: body === undefined ? 'GET' : 'POST',
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: ctrl.signal,
      });
      // A body that is not JSON (a proxy's HTML error page, say) is reported like an HTTP error.
      json = (await res.json().catch((e: unknown) => {
        if (ctrl.signal.aborted) throw e;
      })) as Partial<ErrorBody> | undefined;
    } catch (e) {
      if (signal?.aborted) throw e;
      const code = ctrl.signal.aborted ? 'timeout' : 'network';
      throw new ApiError(0, { type: 'network_error', code, message: String(e) });
    } finally {
      clearTimeout(timer);
    }
    if (!res.ok || json === undefined) {
      const err = json?.error;
      throw new ApiError(res.status, typeof err?.code === 'string' ? err : { type: 'api_error', code: `http_${res.status}`, message: `HTTP ${res.status}` });
    }
    return json as T;
  }

  return {
    streamUrl: `${root.replace(/^http/, 'ws')}/stream`,
    streamProtocols: ['shouyin.v1', `shouyin.secret.${clientSecret}`],
    getSession: (signal) => call<PublicSessionView>('', signal),
    createAttempt: (channel, flow, signal) => call<AttemptResponse>('/attempts', signal, { channel, flow }),
    // The server holds a status request up to `wait` s: allow that plus slack for slow networks.
    getStatus: (version, wait, signal) =>
      call<StatusView>(`/status?wait=${wait}${version === undefined ? '' : `&version=${version}`}`, signal, undefined, wait * 1000 + 10000),
  };
}
