// Every SDK method against the merchant API's routes (docs/merchant-api.md): the method, path, query
// and body it sends, what it returns, and whether it may be retried. Lists and webhook endpoints
// follow the contract in docs/sdk.md#routes; the workerd test (worker/test/sdk.test.ts) runs the
// routes the Worker has against the real thing.

import { describe, expect, it } from 'vitest';
import type { Shouyin } from '../src/index.js';
import { apiError, client, json, page, type SentRequest } from './fake-fetch.js';

const CS = 'cs_aaaaaaaaaaaaaaaaaaaaaaaa';
const EVT = 'evt_bbbbbbbbbbbbbbbbbbbbbbbb';
const WE = 'we_cccccccccccccccccccccccc';

const endpoint = {
  id: WE,
  object: 'webhook_endpoint',
  url: 'https://shop.example/hooks',
  enabled_events: ['checkout.session.paid'],
  status: 'enabled',
  description: null,
  created: 1764352000,
};
const delivery = {
  id: 'wd_1',
  object: 'webhook_delivery',
  event: EVT,
  endpoint: WE,
  attempt: 1,
  status_code: 500,
  error: null,
  duration_ms: 120,
  created: 1764352000,
  succeeded: false,
  next_retry_at: 1764352005,
};

interface Case {
  name: string;
  run: (s: Shouyin) => Promise<unknown>;
  answer: () => Response;
  method: string;
  path: string;
  body?: unknown;
  /** An unsafe call is not retried after a 5xx unless it asks. */
  unsafe?: boolean;
}

const cases: Case[] = [
  {
    name: 'checkoutSessions.retrieve',
    run: (s) => s.checkoutSessions.retrieve(CS),
    answer: () => json({ id: CS }),
    method: 'GET',
    path: `/v1/checkout/sessions/${CS}`,
  },
  {
    name: 'checkoutSessions.cancel',
    run: (s) => s.checkoutSessions.cancel(CS),
    answer: () => json({ id: CS }),
    method: 'POST',
    path: `/v1/checkout/sessions/${CS}/cancel`,
  },
  {
    name: 'checkoutSessions.createAttempt',
    run: (s) => s.checkoutSessions.createAttempt(CS, { channel: 'wechat_pay', flow: 'app' }),
    answer: () => json({ attempt: {}, next_action: {} }, 201),
    method: 'POST',
    path: `/v1/checkout/sessions/${CS}/attempts`,
    body: { channel: 'wechat_pay', flow: 'app' },
    unsafe: true,
  },
  {
    name: 'checkoutSessions.chargeBarcode',
    run: (s) => s.checkoutSessions.chargeBarcode(CS, { auth_code: '134567890123456789' }),
    answer: () => json({ object: 'barcode_payment', status: 'processing' }, 202),
    method: 'POST',
    path: `/v1/checkout/sessions/${CS}/barcode`,
    body: { auth_code: '134567890123456789' },
  },
  {
    name: 'checkoutSessions.retrieveBarcode',
    run: (s) => s.checkoutSessions.retrieveBarcode(CS),
    answer: () => json({ object: 'barcode_payment' }),
    method: 'GET',
    path: `/v1/checkout/sessions/${CS}/barcode`,
  },
  {
    name: 'checkoutSessions.list',
    run: (s) => s.checkoutSessions.list({ merchant_order_id: 'order-1001' }).page(),
    answer: () => page([], null),
    method: 'GET',
    path: '/v1/checkout/sessions?merchant_order_id=order-1001',
  },
  {
    name: 'refunds.create',
    run: (s) => s.refunds.create({ session: CS, amount: 1000, reason: '退货' }),
    answer: () => json({ object: 'refund' }, 201),
    method: 'POST',
    path: '/v1/refunds',
    body: { session: CS, amount: 1000, reason: '退货' },
  },
  {
    name: 'refunds.retrieve',
    run: (s) => s.refunds.retrieve(`re_${CS.slice(3)}R1`),
    answer: () => json({}),
    method: 'GET',
    path: `/v1/refunds/re_${CS.slice(3)}R1`,
  },
  {
    name: 'refunds.list',
    run: (s) => s.refunds.list({ session: CS, status: 'succeeded' }).page(),
    answer: () => page([], null),
    method: 'GET',
    path: `/v1/refunds?session=${CS}&status=succeeded`,
  },
  { name: 'events.list', run: (s) => s.events.list({ limit: 100 }).page(), answer: () => page([], null), method: 'GET', path: '/v1/events?limit=100' },
  { name: 'events.retrieve', run: (s) => s.events.retrieve(EVT), answer: () => json({ id: EVT }), method: 'GET', path: `/v1/events/${EVT}` },
  {
    name: 'events.listDeliveries',
    run: (s) => s.events.listDeliveries(EVT, { status: 'failed' }).page(),
    answer: () => page([delivery], null),
    method: 'GET',
    path: `/v1/events/${EVT}/deliveries?status=failed`,
  },
  {
    name: 'events.retry',
    run: (s) => s.events.retry(EVT, { endpoint: WE }),
    answer: () => json({ object: 'list', data: [delivery] }),
    method: 'POST',
    path: `/v1/events/${EVT}/retry`,
    body: { endpoint: WE },
    unsafe: true,
  },
  {
    name: 'events.retry (every endpoint)',
    run: (s) => s.events.retry(EVT),
    answer: () => json({ object: 'list', data: [] }),
    method: 'POST',
    path: `/v1/events/${EVT}/retry`,
    body: {},
    unsafe: true,
  },
  {
    name: 'webhookEndpoints.create',
    run: (s) => s.webhookEndpoints.create({ url: endpoint.url, enabled_events: ['checkout.session.paid'], description: '主站' }),
    answer: () => json({ ...endpoint, secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' }, 201),
    method: 'POST',
    path: '/v1/webhook_endpoints',
    body: { url: endpoint.url, enabled_events: ['checkout.session.paid'], description: '主站' },
    unsafe: true,
  },
  {
    name: 'webhookEndpoints.list',
    run: (s) => s.webhookEndpoints.list().page(),
    answer: () => page([endpoint], null),
    method: 'GET',
    path: '/v1/webhook_endpoints',
  },
  {
    name: 'webhookEndpoints.retrieve',
    run: (s) => s.webhookEndpoints.retrieve(WE),
    answer: () => json(endpoint),
    method: 'GET',
    path: `/v1/webhook_endpoints/${WE}`,
  },
  {
    name: 'webhookEndpoints.update',
    run: (s) => s.webhookEndpoints.update(WE, { status: 'disabled', description: null }),
    answer: () => json({ ...endpoint, status: 'disabled' }),
    method: 'PATCH',
    path: `/v1/webhook_endpoints/${WE}`,
    body: { status: 'disabled', description: null },
  },
  {
    name: 'webhookEndpoints.delete',
    run: (s) => s.webhookEndpoints.delete(WE),
    answer: () => json({ id: WE, object: 'webhook_endpoint', deleted: true }),
    method: 'DELETE',
    path: `/v1/webhook_endpoints/${WE}`,
    unsafe: true,
  },
  {
    name: 'webhookEndpoints.rotateSecret',
    run: (s) => s.webhookEndpoints.rotateSecret(WE, { expire_previous_in: 3600 }),
    answer: () => json({ ...endpoint, secret: 'whsec_new' }),
    method: 'POST',
    path: `/v1/webhook_endpoints/${WE}/rotate_secret`,
    body: { expire_previous_in: 3600 },
    unsafe: true,
  },
  {
    name: 'webhookEndpoints.listDeliveries',
    run: (s) => s.webhookEndpoints.listDeliveries(WE, { status: 'succeeded', limit: 5 }).page(),
    answer: () => page([], null),
    method: 'GET',
    path: `/v1/webhook_endpoints/${WE}/deliveries?status=succeeded&limit=5`,
  },
];

describe.each(cases)('$name', (c) => {
  it(`sends ${c.method} ${c.path.split('?')[0]} and returns the answer`, async () => {
    const answer = await c.answer().json();
    const { shouyin, sent } = client([c.answer()]);
    expect(await c.run(shouyin)).toEqual(answer);
    const [req] = sent as [SentRequest];
    expect(req.method).toBe(c.method);
    expect(req.path).toBe(c.path);
    expect(req.body).toEqual(c.body);
    expect(req.headers['content-type']).toBe(c.body === undefined ? undefined : 'application/json');
    expect(req.headers['idempotency-key'] !== undefined).toBe(c.method === 'POST');
  });

  it(c.unsafe ? 'is not retried after a 5xx unless the call asks' : 'is retried after a 5xx', async () => {
    const { shouyin, sent } = client([apiError(503, 'api_error', 'internal_error'), c.answer()]);
    const result = await c.run(shouyin).then(
      () => 'ok',
      (e) => e.code,
    );
    expect(result).toBe(c.unsafe ? 'internal_error' : 'ok');
    expect(sent).toHaveLength(c.unsafe ? 1 : 2);
  });
});

it('refuses another merchant’s or an unknown id as Shouyin does: NotFoundError', async () => {
  const { shouyin } = client([apiError(404, 'not_found_error', 'resource_missing')]);
  await expect(shouyin.webhookEndpoints.retrieve(WE)).rejects.toMatchObject({ name: 'NotFoundError', status: 404 });
});

it('reports a configuration-managed endpoint refused as InvalidRequestError endpoint_managed_by_config', async () => {
  const { shouyin } = client([apiError(400, 'invalid_request_error', 'endpoint_managed_by_config')]);
  await expect(shouyin.webhookEndpoints.delete('we_config')).rejects.toMatchObject({ name: 'InvalidRequestError', code: 'endpoint_managed_by_config' });
});

it('reports a cursor from another list as InvalidRequestError invalid_cursor naming starting_after', async () => {
  const { shouyin } = client([apiError(400, 'invalid_request_error', 'invalid_cursor', 'starting_after')]);
  await expect(shouyin.refunds.list({ starting_after: 'from-sessions' }).page()).rejects.toMatchObject({ code: 'invalid_cursor', param: 'starting_after' });
});
