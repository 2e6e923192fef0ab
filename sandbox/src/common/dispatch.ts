// How every simulator reaches a merchant's notify URL. Shared so the three providers cannot drift
// on the one subtle rule: our own origin must be called in-process.

import { exports } from 'cloudflare:workers';

/**
 * Sends `request` to the merchant. A URL on our own public_base_url goes in-process through the
 * Worker's default export (`exports.default.fetch`): under `wrangler dev` and in the test runner no
 * port is listening. Anything else goes out with the global fetch.
 */
export function dispatch(request: Request, publicBaseUrl: string): Promise<Response> {
  const self = (exports as unknown as { default?: { fetch(r: Request): Promise<Response> } }).default;
  const inProcess = self !== undefined && new URL(request.url).origin === new URL(publicBaseUrl).origin;
  return inProcess && self ? self.fetch(request) : fetch(request);
}
