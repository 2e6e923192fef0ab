// Outbound HTTP for provider calls, sandbox notifies and merchant webhooks. A request to our own
// public_base_url is dispatched in-process through the Worker's default export (ctx.exports): the
// sandbox is part of this Worker, and under the test runner no port is listening at all.

import { exports } from 'cloudflare:workers';
import type { ShouyinConfig } from '../config';
import type { ProviderContext } from '../providers/types';

export const OUTBOUND_TIMEOUT_MS = 10_000;

interface SelfFetcher {
  fetch(request: Request): Promise<Response>;
}

export function outboundFetch(config: ShouyinConfig, timeoutMs = OUTBOUND_TIMEOUT_MS): (request: Request) => Promise<Response> {
  const own = new URL(config.public_base_url).origin;
  return async (request) => {
    const signal = AbortSignal.timeout(timeoutMs);
    const req = new Request(request, { signal });
    if (new URL(req.url).origin === own) {
      const self = (exports as unknown as { default: SelfFetcher }).default;
      return self.fetch(req);
    }
    return fetch(req);
  };
}

export function providerContext(config: ShouyinConfig, livemode: boolean, now: () => number): ProviderContext {
  return {
    fetch: outboundFetch(config),
    now,
    testMode: !livemode,
    sandboxBaseUrl: `${config.public_base_url}/sandbox`,
  };
}
