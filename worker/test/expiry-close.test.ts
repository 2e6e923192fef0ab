// Expiry when the provider is down (docs/reliability.md#expiry-and-close): the close of the provider's
// order at expiry fails (5xx or a timeout). The session is expired at once, once; the close is retried
// until the provider confirms it; a payment the shopper made meanwhile is a late payment: an anomaly,
// refunded in full, never `paid`. Inside workerd with the WeChat Pay simulator and the session's
// injected clock.

import { runInDurableObject } from 'cloudflare:test';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CheckoutSession } from '../src/session/durable-object';
import { TEST } from './fixtures/config';
import { createSession, drainSession, sandboxControl, sessionStub, startAttempt } from './helpers';

const realFetch = globalThis.fetch;
beforeEach(() => {
  // Merchant webhooks go to https://merchant.test: keep them off the network.
  vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
    const req = new Request(input as RequestInfo, init);
    return req.url.startsWith(TEST.webhook_url) ? new Response('ok') : realFetch(req);
  });
});
afterEach(() => vi.restoreAllMocks());

const inDo = <R>(id: string, fn: (o: CheckoutSession) => R) => runInDurableObject(sessionStub(id), fn);
const setClock = (id: string, offsetMs: number) => inDo(id, (o) => void (o.clock = { now: () => Date.now() + offsetMs }));
const snapshot = (id: string) =>
  inDo(id, (o) => ({
    status: o.store.session()?.status,
    attempts: o.store.attempts().map((a) => a.status),
    events: o.store.events().map((e) => e.type),
    anomalies: o.store.anomalies().map((a) => a.reason),
    refunds: o.store.refunds().map((r) => ({ amount: r.amount, status: r.status, automatic: r.kind === 'anomaly' })),
    due: o.store
      .dueBy(Number.MAX_SAFE_INTEGER)
      .map((d) => d.key)
      .filter((k) => /^(close|query|expire|refund):/.test(k)),
  }));

const down = (failure: 503 | 'timeout') => async (): Promise<Response> => {
  if (failure === 'timeout') throw new DOMException('The operation timed out.', 'TimeoutError');
  return new Response('{"code":"SYSTEM_ERROR","message":"系统错误"}', { status: 503, headers: { 'content-type': 'application/json' } });
};

describe('expiry while the provider is down', () => {
  it.each([503, 'timeout'] as const)('a close that fails (%s): expired at once, the close retried until the order is closed', async (failure) => {
    const s = await createSession({ expires_in: 60 });
    const { attempt } = await startAttempt(s);
    await inDo(s.id, (o) => void (o.providerFetch = down(failure)));
    await setClock(s.id, 61_000);
    await drainSession(s.id);
    const during = await snapshot(s.id);
    expect(during.status).toBe('expired');
    expect(during.attempts).toEqual(['pending']);
    expect(during.due).toEqual([`close:${attempt.id}`]);

    await inDo(s.id, (o) => void (o.providerFetch = null));
    await setClock(s.id, 61_000 + 31_000);
    await drainSession(s.id);
    const after = await snapshot(s.id);
    expect(after.status).toBe('expired');
    expect(after.attempts).toEqual(['closed']);
    expect(after.due).toEqual([]);
    expect(after.events).toEqual(['checkout.session.expired']);
    const ledger = (await (await sandboxControl(`/orders/${attempt.id}`)).json()) as { order: { state: string } };
    expect(ledger.order.state).toBe('CLOSED');
  });

  it('a payment made while the close kept failing is late: the session stays expired, one anomaly, refunded in full', async () => {
    const s = await createSession({ expires_in: 60 });
    const { attempt } = await startAttempt(s);
    await inDo(s.id, (o) => void (o.providerFetch = down(503)));
    await setClock(s.id, 61_000);
    await drainSession(s.id);
    // The shopper pays at the provider meanwhile; its notify is lost.
    expect((await sandboxControl(`/orders/${attempt.id}/pay`, { notify: 'drop' })).status).toBe(200);
    await inDo(s.id, (o) => void (o.providerFetch = null));
    for (const offset of [61_000 + 31_000, 61_000 + 120_000, 61_000 + 600_000]) {
      await setClock(s.id, offset);
      await drainSession(s.id);
    }
    const after = await snapshot(s.id);
    expect(after).toMatchObject({
      status: 'expired',
      events: ['checkout.session.expired', 'payment.anomaly', 'refund.succeeded'],
      anomalies: ['late_payment'],
      due: [],
    });
    expect(after.refunds).toEqual([{ amount: s.amount, status: 'succeeded', automatic: true }]);
    const ledger = (await (await sandboxControl(`/orders/${attempt.id}`)).json()) as { order: { state: string }; refunds: unknown[] };
    expect(ledger.refunds).toHaveLength(1);
  });
});
