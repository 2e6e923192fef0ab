// The test merchants' webhook endpoint, for test files that do not look at webhooks. Their webhook URLs
// (https://merchant.test/…, worker/test/fixtures/config.ts) resolve nowhere, so a paid or ended session
// would otherwise send its webhook into a failed DNS lookup, which workerd prints as an uncaught
// internal error. This endpoint answers 2xx, as a merchant's would.

import { afterAll, beforeAll, vi, type MockInstance } from 'vitest';
import { TEST } from './fixtures/config';

const MERCHANT_ORIGIN = new URL(TEST.webhook_url).origin;

/** For the whole file: webhooks to the test merchants are answered 200 here; every other fetch goes out as before. */
export function acceptWebhooks(): void {
  let spy: MockInstance<typeof fetch> | undefined;
  beforeAll(() => {
    const realFetch = globalThis.fetch;
    spy = vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
      const req = new Request(input as RequestInfo, init);
      if (new URL(req.url).origin !== MERCHANT_ORIGIN) return realFetch(req);
      await req.body?.cancel();
      return new Response(null, { status: 204 });
    });
  });
  afterAll(() => spy?.mockRestore());
}
