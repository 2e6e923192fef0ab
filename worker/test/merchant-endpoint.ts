// The test merchants' webhook endpoint, for test files that do not look at webhooks. Their webhook URLs
// (https://merchant.test/…, worker/test/fixtures/config.ts) resolve nowhere, so a paid or ended session
// would otherwise send its webhook into a failed DNS lookup, which workerd prints as an uncaught
// internal error. This endpoint answers 2xx, as a merchant's would.

import { env, runDurableObjectAlarm } from 'cloudflare:test';
import { afterAll, beforeAll, vi, type MockInstance } from 'vitest';
import { TEST } from './fixtures/config';

const MERCHANT_ORIGIN = new URL(TEST.webhook_url).origin;

/**
 * For the whole file (a session's alarm may send a webhook between two tests), webhooks to the test
 * merchants are answered 204 here; every other fetch goes out as before.
 */
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

/**
 * Runs the session's due work now, its pending webhooks among it. For a test that ends right after a
 * session changed: an alarm that fires after the file has finished no longer sees this endpoint.
 */
export async function deliverNow(sessionId: string): Promise<void> {
  await runDurableObjectAlarm(env.SESSIONS.getByName(sessionId));
}
