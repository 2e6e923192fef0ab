// How every simulator reaches a merchant's notify URL. Shared so the three providers cannot drift
// on the one subtle rule: our own origin is never called over the network.

import { env, exports } from 'cloudflare:workers';
import type { Env } from '../env';

interface Target {
  fetch(request: Request): Promise<Response>;
}

/**
 * Sends `request` to the merchant. A URL on our own public_base_url goes over a binding: `/sandbox/…`
 * back to this Worker (`exports.default`), anything else to the Shouyin Worker (the SHOUYIN service
 * binding) — under `wrangler dev` and in the test runner no port is listening. Anything else, or our
 * origin with no SHOUYIN bound, goes out with the global fetch.
 */
export function dispatch(request: Request, publicBaseUrl: string): Promise<Response> {
  const url = new URL(request.url);
  if (url.origin !== new URL(publicBaseUrl).origin) return fetch(request);
  if (url.pathname.startsWith('/sandbox/')) {
    const self = (exports as unknown as { default?: Target }).default;
    if (self) return self.fetch(request);
  }
  const shouyin = (env as unknown as Partial<Env>).SHOUYIN;
  return shouyin ? shouyin.fetch(request) : fetch(request);
}
