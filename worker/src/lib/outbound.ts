// Outbound HTTP for provider calls and merchant webhooks. A request to our own public_base_url never
// goes over the network (under `wrangler dev` and the test runner no port is listening at all):
// `/sandbox/…` goes to the sandbox Worker over its service binding (SANDBOX), anything else to this
// Worker's own default export (ctx.exports), in-process.

import { env, exports } from 'cloudflare:workers';
import type { Env } from '../env';
import { REGISTRY_VERSION_HEADER } from '../registry/types';
import { registryVersion } from '../merchants';
import type { ProviderContext } from '../providers/types';

export const OUTBOUND_TIMEOUT_MS = 10_000;

interface SelfFetcher {
  fetch(request: Request): Promise<Response>;
}

/** `publicBaseUrl`: this Worker's own base (merchants.ts publicBaseUrl). */
export function outboundFetch(publicBaseUrl: string, timeoutMs = OUTBOUND_TIMEOUT_MS): (request: Request) => Promise<Response> {
  const own = new URL(publicBaseUrl).origin;
  return async (request) => {
    const signal = AbortSignal.timeout(timeoutMs);
    const req = new Request(request, { signal });
    const url = new URL(req.url);
    if (url.origin === own) {
      const sandbox = (env as unknown as Partial<Env>).SANDBOX;
      if (sandbox && url.pathname.startsWith('/sandbox/')) return sandbox.fetch(await withRegistryVersion(req, env as unknown as Env));
      // Without a sandbox bound, the Worker itself answers `/sandbox/…` with its 404.
      const self = (exports as unknown as { default: SelfFetcher }).default;
      return self.fetch(req);
    }
    return fetch(req);
  };
}

/** The request with the registry version this isolate serves as a hint for the sandbox Worker (registry/types.ts). */
export async function withRegistryVersion(req: Request, e: Env): Promise<Request> {
  // Unreachable registry: no hint, and the sandbox asks on its own schedule.
  const v = await registryVersion(e).catch(() => null);
  const headers = new Headers(req.headers);
  if (v === null) headers.delete(REGISTRY_VERSION_HEADER);
  else headers.set(REGISTRY_VERSION_HEADER, String(v));
  return new Request(req, { headers });
}

export function providerContext(publicBaseUrl: string, livemode: boolean, now: () => number, timeoutMs = OUTBOUND_TIMEOUT_MS): ProviderContext {
  return {
    fetch: outboundFetch(publicBaseUrl, timeoutMs),
    now,
    testMode: !livemode,
    sandboxBaseUrl: `${publicBaseUrl}/sandbox`,
  };
}
