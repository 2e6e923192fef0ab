// The test merchants' webhook endpoint, for test files that do not look at webhooks. Their webhook URLs
// (https://merchant.test/…, worker/test/fixtures/config.ts) resolve nowhere, so a paid or ended session
// would otherwise send its webhook into a failed DNS lookup, which workerd prints as an uncaught
// internal error. This endpoint answers 2xx, as a merchant's would.

import { env, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { afterAll, beforeAll, vi, type MockInstance } from 'vitest';
import type { CheckoutSession } from '../src/session/durable-object';
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
 * Sends the session's pending webhooks now, here. For a test that ends right after a session changed:
 * an alarm that runs after the file has finished no longer sees this endpoint. The session's own alarm
 * may already be running (then this waits for it rather than running it again).
 */
export async function deliverNow(sessionId: string): Promise<void> {
  const stub = env.SESSIONS.getByName(sessionId);
  const pending = () => runInDurableObject(stub, (o: CheckoutSession) => o.store.events().some((e) => e.delivery === 'pending'));
  for (let i = 0; i < 200; i++) {
    if (!(await pending())) return;
    await runDurableObjectAlarm(stub);
  }
  throw new Error(`checkout session ${sessionId} still has a webhook to send`);
}
