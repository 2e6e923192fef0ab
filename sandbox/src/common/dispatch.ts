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

/** One copy's answer: status 0 = no answer (network error or timeout); `ok` = the provider's ack rule held. */
export interface Answer {
  status: number;
  error: string | null;
  ok: boolean;
}

/**
 * POSTs one copy of a notify over `dispatch` and judges the answer by the provider's ack rule (`judge`
 * reads the response). No answer — a network error, a timeout, headers that could not be made — is
 * status 0, never acknowledged.
 */
export async function postNotify(
  publicBaseUrl: string,
  url: string,
  body: string,
  o: { headers: () => Promise<Record<string, string>> | Record<string, string>; timeoutMs: number; redirect?: 'follow' | 'manual' },
  judge: (res: Response) => Promise<{ ok: boolean; error?: string | null }>,
): Promise<Answer> {
  try {
    const request = new Request(url, {
      method: 'POST',
      headers: await o.headers(),
      body,
      ...(o.redirect ? { redirect: o.redirect } : {}),
      signal: AbortSignal.timeout(o.timeoutMs),
    });
    const res = await dispatch(request, publicBaseUrl);
    const { ok, error = null } = await judge(res);
    return { status: res.status, error, ok };
  } catch (e) {
    return { status: 0, error: (e as Error).message.slice(0, 200), ok: false };
  }
}
