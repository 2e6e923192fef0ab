// Attack: one client secret starting provider orders without end (SECURITY.md). Every attempt is an
// order at the provider, with a close and queries scheduled; 25 channel switches used to make 25
// orders. A session starts at most 20 attempts in its life, at most 6 at once and then one every
// 10 s; a merchant's sessions together at most 300 at once and then 50 a second (session/limits.ts).

import { SELF, env, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CheckoutSession } from '../../src/session/durable-object';
import { MAX_ATTEMPTS_PER_SESSION, SESSION_ATTEMPTS } from '../../src/session/limits';
import { ALIPAY_TEST } from '../fixtures/config';
import { BASE, captureWebhooks, client, createSession, type SessionJson } from '../helpers';

beforeEach(() => void captureWebhooks());
afterEach(() => vi.restoreAllMocks());

const CHANNELS = ['wechat_pay', 'alipay'] as const;

/**
 * Switches channel: every call is a new provider order. The previous one's close is run at once (the
 * session's alarm), so the next switch back cannot reuse it.
 */
async function switchTo(s: SessionJson, i: number): Promise<Response> {
  const res = await client(s, '/attempts', { method: 'POST', body: JSON.stringify({ channel: CHANNELS[i % 2], flow: 'qr' }) });
  await runDurableObjectAlarm(env.SESSIONS.getByName(s.id));
  return res;
}

/** Moves the session's clock `ms` past the wall clock (its attempt bucket refills on it). */
const shift = (id: string, ms: number) =>
  runInDurableObject(env.SESSIONS.getByName(id), async (o: CheckoutSession) => {
    o.clock = { now: () => Date.now() + ms };
  });

const attempts = (id: string) =>
  runInDurableObject(env.SESSIONS.getByName(id), async (o: CheckoutSession) => o.store.attempts().filter((a) => a.flow !== 'barcode').length);

describe('attempts per session', () => {
  it('a burst of 6, then 429 attempts_rate_limited until the bucket refills (one per 10 s)', async () => {
    const s = await createSession({ expires_in: 3600 });
    for (let i = 0; i < SESSION_ATTEMPTS.capacity; i++) expect((await switchTo(s, i)).status).toBe(201);
    const refused = await switchTo(s, SESSION_ATTEMPTS.capacity);
    expect(refused.status).toBe(429);
    const body = (await refused.json()) as { error: { type: string; code: string; message: string } };
    expect(body.error).toMatchObject({ type: 'invalid_request_error', code: 'attempts_rate_limited' });
    expect(body.error.message).toMatch(/this checkout session\. Try again in \d+ s\./);
    expect(await attempts(s.id)).toBe(SESSION_ATTEMPTS.capacity);
    // Reusing the open attempt (the same channel and flow again) is not a new order: never limited.
    const again = await client(s, '/attempts', {
      method: 'POST',
      body: JSON.stringify({ channel: CHANNELS[(SESSION_ATTEMPTS.capacity - 1) % 2], flow: 'qr' }),
    });
    expect(again.status).toBe(201);
    await shift(s.id, SESSION_ATTEMPTS.refillMs);
    expect((await switchTo(s, SESSION_ATTEMPTS.capacity)).status).toBe(201);
    expect((await switchTo(s, SESSION_ATTEMPTS.capacity + 1)).status).toBe(429);
  });

  it(`at most ${MAX_ATTEMPTS_PER_SESSION} in a session's life: then 409 attempt_limit_reached, even for the merchant's own API`, async () => {
    const s = await createSession({ expires_in: 3600 });
    for (let i = 0; i < MAX_ATTEMPTS_PER_SESSION; i++) {
      // Slow enough for the rate limit: 10 s apart on the session's clock.
      await shift(s.id, i * SESSION_ATTEMPTS.refillMs);
      expect((await switchTo(s, i)).status).toBe(201);
    }
    await shift(s.id, (MAX_ATTEMPTS_PER_SESSION + 1) * SESSION_ATTEMPTS.refillMs);
    const over = await switchTo(s, MAX_ATTEMPTS_PER_SESSION);
    expect(over.status).toBe(409);
    expect(((await over.json()) as { error: { code: string } }).error.code).toBe('attempt_limit_reached');
    const viaApi = await SELF.fetch(`${BASE}/v1/checkout/sessions/${s.id}/attempts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${'sk_test_4eC39HqLyjWDarjtT1zdp7dc'}`, 'content-type': 'application/json' },
      body: JSON.stringify({ channel: 'alipay', flow: 'app' }),
    });
    expect(viaApi.status).toBe(409);
    expect(await attempts(s.id)).toBe(MAX_ATTEMPTS_PER_SESSION);
  });
});

describe('attempts per merchant', () => {
  it("an empty merchant bucket refuses every session of that merchant (429), and no other merchant's", async () => {
    const s = await createSession();
    // Drain the demo merchant's bucket as 300 attempts in one moment would.
    await runInDurableObject(env.MERCHANT_SHARDS.getByName('demo:limits'), async (_o, state) => {
      state.storage.sql.exec("INSERT OR REPLACE INTO buckets (merchant, name, tokens, at) VALUES ('demo', 'attempts', 0, ?)", Date.now() + 60_000);
    });
    const refused = await switchTo(s, 0);
    expect(refused.status).toBe(429);
    const body = (await refused.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('attempts_rate_limited');
    expect(body.error.message).toContain('this merchant');
    expect(await attempts(s.id)).toBe(0);
    // The certificate-mode test merchant has a bucket of its own.
    const other = await SELF.fetch(`${BASE}/v1/checkout/sessions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ALIPAY_TEST.cert_secret_key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ amount: 100, currency: 'CNY', description: 'x', merchant_order_id: `m${Date.now()}` }),
    });
    const o = (await other.json()) as SessionJson;
    expect((await client(o, '/attempts', { method: 'POST', body: JSON.stringify({ channel: 'alipay', flow: 'qr' }) })).status).toBe(201);
  });
});
