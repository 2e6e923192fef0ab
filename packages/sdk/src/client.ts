// The client: `new Shouyin({ apiKey, baseUrl })`, then shouyin.checkoutSessions / refunds / events /
// webhookEndpoints. Server-side only: it holds a secret key.

import { type FetchLike, Transport } from './request.js';
import { CheckoutSessions, Events, Refunds, WebhookEndpoints } from './resources.js';

export const VERSION = '0.1.0';

export interface ShouyinOptions {
  /** The merchant's secret key: `sk_test_…` (test mode) or `sk_live_…`. */
  apiKey: string;
  /** Where the Shouyin Worker is deployed (its `public_base_url`), e.g. `https://pay.example.com`. */
  baseUrl: string;
  /**
   * The fetch to use. Default: the global `fetch`. In a Cloudflare Worker with a service binding to
   * Shouyin, pass `(url, init) => env.SHOUYIN.fetch(url, init)`.
   */
  fetch?: FetchLike;
  /** Retries of a failed call (network error, timeout, 5xx, 409 idempotency_key_in_use). Default 2; 0 turns them off. */
  maxRetries?: number;
  /** Milliseconds before one try is abandoned. Default 60000 (a payment-code charge can wait on the shopper). */
  timeoutMs?: number;
  /** The first retry's delay ceiling in ms, doubled per retry (with jitter) up to `retryMaxDelayMs`. Default 500. */
  retryBaseDelayMs?: number;
  /** Default 8000. */
  retryMaxDelayMs?: number;
  /** The SDK refuses to run where a `document` exists: a secret key must never reach a browser. */
  dangerouslyAllowBrowser?: boolean;
}

function nonNegativeInteger(name: string, v: number | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  if (!Number.isInteger(v) || v < 0) throw new TypeError(`${name} must be a non-negative integer.`);
  return v;
}

export class Shouyin {
  readonly checkoutSessions: CheckoutSessions;
  readonly refunds: Refunds;
  readonly events: Events;
  readonly webhookEndpoints: WebhookEndpoints;

  constructor(options: ShouyinOptions) {
    if (typeof options !== 'object' || options === null) throw new TypeError('new Shouyin({ apiKey, baseUrl }): options are required.');
    const { apiKey, baseUrl } = options;
    // The message never repeats the key: it may be a live secret pasted into the wrong place.
    if (typeof apiKey !== 'string' || !/^sk_(test|live)_[\x21-\x7e]+$/.test(apiKey)) {
      throw new TypeError('apiKey must be a merchant secret key (sk_test_… or sk_live_…). A client secret (cs_…_secret_…) belongs in the page, not here.');
    }
    if (!options.dangerouslyAllowBrowser && typeof (globalThis as { document?: unknown }).document !== 'undefined') {
      throw new TypeError('The Shouyin SDK holds a secret key and runs on servers only; the page gets a session client_secret instead.');
    }
    let url: URL;
    try {
      url = new URL(baseUrl);
    } catch {
      throw new TypeError('baseUrl must be an absolute URL such as https://pay.example.com.');
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new TypeError('baseUrl must be an http(s) URL.');
    if (url.search || url.hash) throw new TypeError('baseUrl must not have a query or fragment.');
    const base = `${url.origin}${url.pathname}`.replace(/\/+$/, '');
    if (base.endsWith('/v1')) throw new TypeError('baseUrl is the deployment’s origin (e.g. https://pay.example.com), without /v1.');
    const userFetch = options.fetch;
    if (userFetch !== undefined && typeof userFetch !== 'function') throw new TypeError('fetch must be a function.');
    const transport = new Transport({
      apiKey,
      baseUrl: base,
      // Looked up per call and called unbound: Workers refuse a fetch detached from globalThis.
      fetch: userFetch ?? ((u, init) => globalThis.fetch(u, init)),
      maxRetries: nonNegativeInteger('maxRetries', options.maxRetries, 2),
      timeoutMs: nonNegativeInteger('timeoutMs', options.timeoutMs, 60_000) || 60_000,
      retryBaseDelayMs: nonNegativeInteger('retryBaseDelayMs', options.retryBaseDelayMs, 500),
      retryMaxDelayMs: nonNegativeInteger('retryMaxDelayMs', options.retryMaxDelayMs, 8_000),
      userAgent: `shouyin-sdk-js/${VERSION}`,
    });
    this.checkoutSessions = new CheckoutSessions(transport);
    this.refunds = new Refunds(transport);
    this.events = new Events(transport);
    this.webhookEndpoints = new WebhookEndpoints(transport);
  }
}
