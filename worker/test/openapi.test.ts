// GET /openapi.json against the Worker's real answers, inside workerd: every route of the merchant
// and client API is called, successes and refusals alike, and each answer must be one the document
// lists, with a body that matches it field for field (worker/test/openapi-conformance.ts). Webhooks
// sent meanwhile are checked against the document's webhooks. The document itself: OpenAPI 3.1,
// both security schemes, and every code of the error catalogue.

import { runDurableObjectAlarm } from 'cloudflare:test';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mintReceipt, mintTransaction } from '../../sandbox/src/apple/testing';
import { ERROR_CODES } from '../src/api/schemas/common';
import { beijingDay } from '../src/bills/time';
import { clientApi } from '../src/routes/client';
import { merchantApi } from '../src/routes/merchant';
import { TEST } from './fixtures/config';
import { BASE, api, captureWebhooks, createSession, sessionStub, type SessionJson } from './helpers';
import { conform, conformWebhook, exercised, openApiDocument } from './openapi-conformance';

let webhooks: ReturnType<typeof captureWebhooks>;
beforeAll(() => {
  webhooks = captureWebhooks();
});
afterAll(() => vi.restoreAllMocks());

/** Calls the merchant API and checks the answer against the document. */
async function merchant(method: string, path: string, body?: unknown, key: string | null = TEST.secret_key) {
  const res = await api(path, { method, ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }), key });
  return { status: res.status, body: await conform(method, path, res) };
}

/** Calls the client API as the widget would (from the shop's page unless `origin` says otherwise). */
async function widget(s: Pick<SessionJson, 'id' | 'client_secret'>, method: string, path: string, body?: unknown, origin = 'https://shop.test', mount = '') {
  const headers: Record<string, string> = { authorization: `Bearer ${s.client_secret}`, origin };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const full = `/v1/client/sessions/${s.id}${path}`;
  const { SELF } = await import('cloudflare:test');
  const res = await SELF.fetch(`${BASE}${mount}${full}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  // Under /pay (the hosted page's mount) the answers are the documented routes' own.
  return { status: res.status, body: await conform(method, full, res) };
}

/** A WeChat Pay sandbox payment code that pays at once (prefix 13, story digit 1). */
const payingCode = () => `131${Array.from(crypto.getRandomValues(new Uint8Array(15)), (b) => String(b % 10)).join('')}`;

/** A session paid with a payment code, its events indexed and its webhooks sent. */
async function paidSession(): Promise<SessionJson> {
  const s = await createSession();
  const r = await merchant('POST', `/v1/checkout/sessions/${s.id}/barcode`, { auth_code: payingCode() });
  expect(r.status).toBe(200);
  expect(r.body.status).toBe('succeeded');
  await runDurableObjectAlarm(sessionStub(s.id));
  return s;
}

describe('the document', () => {
  it('is OpenAPI 3.1 with both security schemes and every error code of the catalogue', async () => {
    const doc = await openApiDocument();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.components.securitySchemes ?? {}).sort()).toEqual(['clientSecret', 'secretKey']);
    const codes = doc.components.schemas.ErrorCode as { enum: string[]; 'x-enumDescriptions': Record<string, string> };
    expect(codes.enum).toEqual(ERROR_CODES);
    for (const code of ERROR_CODES) expect(codes['x-enumDescriptions'][code], code).toMatch(/\w{3}/);
    expect(Object.keys(doc.webhooks ?? {})).toEqual(expect.arrayContaining(['checkout.session.paid', 'payment.anomaly', 'apple.notification']));
  });

  it('is served to any page, and answers the same each time', async () => {
    const { SELF } = await import('cloudflare:test');
    const a = await SELF.fetch(`${BASE}/openapi.json`, { headers: { origin: 'https://docs.example' } });
    expect(a.headers.get('access-control-allow-origin')).toBe('*');
    expect(await a.json()).toEqual(await openApiDocument());
  });
});

describe('checkout sessions', () => {
  it('create, retrieve, attempt, cancel: answers and refusals as documented', async () => {
    const created = await merchant('POST', '/v1/checkout/sessions', {
      amount: 8888,
      currency: 'CNY',
      description: '测试商品',
      merchant_order_id: `oa${Date.now().toString(36)}`,
      metadata: { cart: '42' },
      return_url: 'https://shop.test/done',
      cancel_url: 'https://shop.test/cart?lang={LOCALE}',
    });
    expect(created.status).toBe(201);
    const s = created.body as SessionJson;
    expect(s.url).toBe(`${BASE}/pay/${s.id}#${s.client_secret}`);
    expect(
      (
        await merchant('POST', '/v1/checkout/sessions', {
          amount: 1,
          currency: 'CNY',
          description: 'x',
          merchant_order_id: 'oa-c',
          cancel_url: 'https://evil.test/',
        })
      ).body.error.param,
    ).toBe('cancel_url');
    expect((await merchant('POST', '/v1/checkout/sessions', { amount: 1.5, currency: 'CNY' })).status).toBe(400);
    expect((await merchant('POST', '/v1/checkout/sessions', {}, null)).status).toBe(401);
    expect(
      (await merchant('POST', '/v1/checkout/sessions', { amount: 1, currency: 'CNY', description: 'x', merchant_order_id: s.merchant_order_id as string }))
        .status,
    ).toBe(409);
    expect((await merchant('POST', '/v1/checkout/sessions', '{"amount": ')).body.error.code).toBe('invalid_json');

    expect((await merchant('GET', `/v1/checkout/sessions/${s.id}`)).status).toBe(200);
    expect((await merchant('GET', '/v1/checkout/sessions/cs_000000000000000000000000')).status).toBe(404);

    const attempt = await merchant('POST', `/v1/checkout/sessions/${s.id}/attempts`, { channel: 'wechat_pay', flow: 'qr' });
    expect(attempt.status).toBe(201);
    expect(attempt.body.next_action.type).toBe('display_qr');
    expect(attempt.body.next_action.qr.size).toBeGreaterThanOrEqual(21);
    expect((await merchant('POST', `/v1/checkout/sessions/${s.id}/attempts`, { channel: 'wechat_pay', flow: 'barcode' })).body.error.param).toBe('flow');

    expect((await merchant('POST', `/v1/checkout/sessions/${s.id}/cancel`, { now: true })).body.error).toMatchObject({
      code: 'parameter_unknown',
      param: 'now',
    });
    expect((await merchant('POST', `/v1/checkout/sessions/${s.id}/cancel`)).body.status).toBe('canceled');
    expect((await merchant('POST', `/v1/checkout/sessions/${s.id}/cancel`)).status).toBe(409);
    await runDurableObjectAlarm(sessionStub(s.id));
  });
});

describe('in store, refunds and events', () => {
  it('a payment code, a refund and the events they made', async () => {
    const s = await paidSession();
    expect((await merchant('GET', `/v1/checkout/sessions/${s.id}/barcode`)).body.status).toBe('succeeded');
    const unpaid = await createSession();
    expect((await merchant('GET', `/v1/checkout/sessions/${unpaid.id}/barcode`)).status).toBe(404);
    expect((await merchant('POST', `/v1/checkout/sessions/${unpaid.id}/barcode`, { auth_code: '99' })).body.error.code).toBe('auth_code_invalid');

    const refund = await merchant('POST', '/v1/refunds', { session: s.id, amount: 100, reason: '退货 returned' });
    expect(refund.status).toBe(201);
    expect((await merchant('GET', `/v1/refunds/${refund.body.id}`)).status).toBe(200);
    expect((await merchant('GET', '/v1/refunds/re_nope')).status).toBe(404);
    expect((await merchant('POST', '/v1/refunds', { session: unpaid.id })).status).toBe(409);
    expect((await merchant('POST', '/v1/refunds', { session: 'cs_x' })).body.error.param).toBe('session');
    await runDurableObjectAlarm(sessionStub(s.id));

    const events = await merchant('GET', '/v1/events?limit=5');
    expect(events.status).toBe(200);
    expect(events.body.data.length).toBeGreaterThan(0);
    expect((await merchant('GET', '/v1/events?limit=0')).body.error.param).toBe('limit');
    expect((await merchant('GET', '/v1/events?starting_after=yesterday')).body.error.param).toBe('starting_after');

    // Every webhook sent so far, as the document describes it.
    expect(webhooks.length).toBeGreaterThan(0);
    for (const w of webhooks) await conformWebhook(w.body);
    expect(exercised).toContain('WEBHOOK checkout.session.paid');
  });
});

describe('timelines, reports and statements', () => {
  it("a session's timeline, its provider transaction and the day's report", async () => {
    const s = await paidSession();
    expect((await merchant('POST', '/v1/refunds', { session: s.id, amount: 100 })).status).toBe(201);
    const timeline = await merchant('GET', `/v1/checkout/sessions/${s.id}/timeline`);
    expect(timeline.status).toBe(200);
    expect(timeline.body.session).not.toHaveProperty('client_secret');
    expect(timeline.body.session).not.toHaveProperty('url');
    expect(timeline.body.session).toHaveProperty('cancel_url');
    expect(timeline.body.refunds).toHaveLength(1);
    expect(timeline.body.provider_messages.length).toBeGreaterThan(0);
    expect((await merchant('GET', '/v1/checkout/sessions/cs_000000000000000000000000/timeline')).status).toBe(404);

    // The provider transaction index is filed by the session's alarm after the paid event.
    await runDurableObjectAlarm(sessionStub(s.id));
    const paid = (await merchant('GET', `/v1/checkout/sessions/${s.id}`)).body.payment;
    const txn = await merchant('GET', `/v1/provider_transactions/${paid.provider_transaction_id}`);
    expect(txn.body).toMatchObject({ object: 'provider_transaction', session: s.id, attempt: paid.attempt });
    expect((await merchant('GET', '/v1/provider_transactions/4200000000000000000000000000')).status).toBe(404);

    const today = beijingDay(Date.now());
    const report = await merchant('GET', `/v1/reports/daily?from=${today}&to=${today}`);
    expect(report.body.days).toHaveLength(1);
    expect(report.body.days[0].paid).toBeGreaterThan(0);
    expect((await merchant('GET', '/v1/reports/daily?days=7')).body.error).toMatchObject({ code: 'parameter_unknown', param: 'days' });
    expect((await merchant('GET', '/v1/reports/daily?from=2026-02-30')).body.error).toMatchObject({ code: 'parameter_invalid', param: 'from' });
    expect((await merchant('GET', '/v1/reports/daily?to=2999-01-01')).body.error).toMatchObject({ code: 'date_in_future', param: 'to' });
  });

  it("a provider's statement of the day as CSV, and what it refuses", async () => {
    const s = await paidSession();
    const paid = (await merchant('GET', `/v1/checkout/sessions/${s.id}`)).body.payment;
    const day = beijingDay(paid.paid_at * 1000);
    const csv = await merchant('GET', `/v1/reconciliation/${day}/statements/wechat-v3`);
    expect(csv.status).toBe(200);
    expect(csv.body).toMatch(/^kind,out_trade_no,/);
    expect(csv.body).toContain(`payment,${paid.attempt},`);
    expect((await merchant('GET', `/v1/reconciliation/${day}/statements/wechat-v2`)).status).toBe(404);
    expect((await merchant('GET', '/v1/reconciliation/2026-13-01/statements/wechat-v3')).body.error).toMatchObject({
      code: 'parameter_invalid',
      param: 'date',
    });
    expect((await merchant('GET', '/v1/reconciliation/2999-01-01/statements/wechat-v3')).body.error.code).toBe('date_in_future');
  });
});

describe('reconciliation and Apple', () => {
  it("a day's report, and the dates it refuses", async () => {
    const yesterday = beijingDay(Date.now() - 86_400_000);
    expect((await merchant('GET', `/v1/reconciliation/${yesterday}`)).body.object).toBe('reconciliation_report');
    expect((await merchant('GET', '/v1/reconciliation/2025-13-01')).body.error).toMatchObject({ code: 'parameter_invalid', param: 'date' });
    expect((await merchant('GET', '/v1/reconciliation/2999-01-01')).body.error.code).toBe('date_in_future');
    expect((await merchant('GET', `/v1/reconciliation/${yesterday}?refresh=maybe`)).body.error.param).toBe('refresh');
  });

  it('a receipt and a signed transaction, verified and refused', async () => {
    const product_id = 'com.shouyin.demo.coins100';
    expect((await merchant('POST', '/v1/apple/receipts/verify', { receipt_data: await mintReceipt({ product_id }) })).body.object).toBe('apple.receipt');
    expect((await merchant('POST', '/v1/apple/receipts/verify', { receipt_data: 'not*base64' })).status).toBe(400);
    expect((await merchant('POST', '/v1/apple/transactions/verify', { signed_transaction: await mintTransaction({ product_id }) })).body.object).toBe(
      'apple.transaction',
    );
    expect((await merchant('POST', '/v1/apple/transactions/verify', { signed_transaction: 'a.b.c' })).body.error.code).toBe('jws_malformed');
  });
});

describe('the client API', () => {
  it("the widget's calls, and what it is told when something is wrong", async () => {
    const s = await createSession();
    expect((await widget(s, 'GET', '')).body.object).toBe('checkout.session.public');
    expect((await widget(s, 'GET', '/status')).status).toBe(200);
    expect((await widget(s, 'GET', '/status?wait=99')).body.error.param).toBe('wait');
    expect((await widget(s, 'POST', '/attempts', { channel: 'alipay', flow: 'qr' })).status).toBe(201);
    expect((await widget(s, 'POST', '/attempts', { channel: 'alipay', amount: 1 })).body.error.param).toBe('amount');
    // A well-formed wrong secret reads as no such session; only a malformed one is told so.
    expect((await widget({ ...s, client_secret: `${s.id}_secret_wrong` }, 'GET', '')).body.error.code).toBe('session_not_found');
    expect((await widget({ ...s, client_secret: `${s.id}_secret_wr.ng` }, 'GET', '')).body.error).toMatchObject({
      code: 'invalid_client_secret',
      param: 'authorization',
    });
    expect((await widget({ id: 'cs_000000000000000000000000', client_secret: 'cs_000000000000000000000000_secret_x' }, 'GET', '')).body.error.code).toBe(
      'session_not_found',
    );
    expect((await widget(s, 'GET', '', undefined, 'https://evil.test')).body.error.code).toBe('origin_not_allowed');
  });

  it('the hosted page calls the same routes under /pay/v1/client, from its own origin, and is answered as documented', async () => {
    const s = await createSession();
    const own = new URL(BASE).origin;
    expect((await widget(s, 'GET', '', undefined, own, '/pay')).body.object).toBe('checkout.session.public');
    expect((await widget(s, 'GET', '/status', undefined, own, '/pay')).status).toBe(200);
    const attempt = await widget(s, 'POST', '/attempts', { channel: 'alipay', flow: 'qr' }, own, '/pay');
    expect(attempt.status).toBe(201);
    expect(attempt.body.next_action.qr.size).toBeGreaterThanOrEqual(21);
    expect((await widget(s, 'POST', '/attempts', { channel: 'alipay', amount: 1 }, own, '/pay')).body.error.param).toBe('amount');
    expect((await widget(s, 'GET', '', undefined, 'https://evil.test', '/pay')).body.error.code).toBe('origin_not_allowed');
  });
});

describe('lists, webhook endpoints and deliveries', () => {
  it('lists and searches sessions and refunds, reads an event, and refuses bad filters and cursors', async () => {
    const s = await paidSession();
    expect((await merchant('POST', '/v1/refunds', { session: s.id, amount: 100 })).status).toBe(201);
    await runDurableObjectAlarm(sessionStub(s.id));
    // The list index is written in the background right after each change.
    let found: { status: number; body: any } = { status: 0, body: null };
    for (let i = 0; i < 100; i++) {
      found = await merchant('GET', `/v1/checkout/sessions?merchant_order_id=${s.merchant_order_id}`);
      if (found.body.data[0]?.refunds?.length === 1) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(found.body.data.map((x: SessionJson) => x.id)).toEqual([s.id]);
    expect(found.body.data[0]).not.toHaveProperty('client_secret');
    expect(found.body.data[0]).not.toHaveProperty('url');
    const page = await merchant('GET', '/v1/checkout/sessions?status=paid&channel=wechat_pay&limit=1');
    expect(page.body.data).toHaveLength(1);
    if (page.body.has_more)
      expect((await merchant('GET', `/v1/checkout/sessions?status=paid&channel=wechat_pay&limit=1&starting_after=${page.body.next_cursor}`)).status).toBe(200);
    expect((await merchant('GET', `/v1/checkout/sessions?status=open&starting_after=${page.body.next_cursor ?? 'x'}`)).body.error).toMatchObject({
      code: 'invalid_cursor',
      param: 'starting_after',
    });
    expect((await merchant('GET', '/v1/checkout/sessions?status=late')).body.error).toMatchObject({ code: 'parameter_invalid', param: 'status' });
    expect((await merchant('GET', '/v1/checkout/sessions?colour=red')).body.error).toMatchObject({ code: 'parameter_unknown', param: 'colour' });
    for (let i = 0; i < 100; i++) {
      found = await merchant('GET', `/v1/refunds?session=${s.id}`);
      if (found.body.data.length === 1) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(found.body.data[0]).toMatchObject({ object: 'refund', session: s.id, amount: 100 });
    expect((await merchant('GET', '/v1/refunds?created[gte]=soon')).body.error.param).toBe('created[gte]');

    const paidEvent = (await merchant('GET', '/v1/events?type=checkout.session.paid&limit=1')).body.data[0];
    expect((await merchant('GET', `/v1/events/${paidEvent.id}`)).body).toEqual(paidEvent);
    expect((await merchant('GET', '/v1/events/evt_000000000000000000000000')).status).toBe(404);
  });

  it('an endpoint made, read, listed, changed, rotated, sent an event again, its deliveries, deleted; we_config refused', async () => {
    const s = await paidSession();
    // The session's paid event, once its alarm has indexed it.
    type PaidEvent = { id: string; data: { object: { id: string } } };
    let paidEvent: PaidEvent | undefined;
    for (let i = 0; i < 100 && !paidEvent; i++) {
      await runDurableObjectAlarm(sessionStub(s.id));
      const events = (await merchant('GET', '/v1/events?type=checkout.session.paid&limit=100')).body.data as PaidEvent[];
      paidEvent = events.find((e) => e.data.object.id === s.id);
    }
    if (!paidEvent) throw new Error(`no checkout.session.paid event for ${s.id}`);
    const created = await merchant('POST', '/v1/webhook_endpoints', {
      url: `${TEST.webhook_url}/openapi`,
      enabled_events: ['checkout.session.paid', 'webhook_endpoint.disabled'],
      description: '订单系统',
    });
    expect(created.status).toBe(201);
    expect(created.body.secret).toMatch(/^whsec_/);
    const id = created.body.id as string;
    expect((await merchant('POST', '/v1/webhook_endpoints', { url: 'ftp://x', enabled_events: ['*'] })).body.error.param).toBe('url');
    expect((await merchant('GET', `/v1/webhook_endpoints/${id}`)).body).not.toHaveProperty('secret');
    expect((await merchant('GET', '/v1/webhook_endpoints/we_000000000000000000000000')).status).toBe(404);
    const list = await merchant('GET', '/v1/webhook_endpoints');
    expect(list.body.data.map((e: { id: string }) => e.id)).toEqual([id, 'we_config']);
    expect((await merchant('PATCH', `/v1/webhook_endpoints/${id}`, { description: null })).body.description).toBeNull();
    expect((await merchant('PATCH', '/v1/webhook_endpoints/we_config', { description: 'x' })).body.error.code).toBe('endpoint_managed_by_config');
    expect((await merchant('DELETE', '/v1/webhook_endpoints/we_config')).body.error.code).toBe('endpoint_managed_by_config');
    const rotated = await merchant('POST', `/v1/webhook_endpoints/${id}/rotate_secret`, { expire_previous_in: 0 });
    expect(rotated.body.secret).not.toBe(created.body.secret);
    expect((await merchant('POST', `/v1/webhook_endpoints/${id}/rotate_secret`, { expire_previous_in: -1 })).body.error.param).toBe('expire_previous_in');

    const resent = await merchant('POST', `/v1/events/${paidEvent.id}/retry`, { endpoint: id });
    expect(resent.body.data).toHaveLength(1);
    expect(resent.body.data[0]).toMatchObject({ object: 'webhook_delivery', event: paidEvent.id, endpoint: id, succeeded: true });
    expect((await merchant('POST', `/v1/events/${paidEvent.id}/retry`, { endpoint: 'we_nope' })).body.error.param).toBe('endpoint');
    await runDurableObjectAlarm(sessionStub(s.id));
    let deliveries: { status: number; body: any } = { status: 0, body: null };
    for (let i = 0; i < 100; i++) {
      deliveries = await merchant('GET', `/v1/events/${paidEvent.id}/deliveries`);
      if (deliveries.body.data.some((d: { endpoint: string }) => d.endpoint === id)) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(deliveries.body.data.map((d: { endpoint: string }) => d.endpoint)).toContain(id);
    expect((await merchant('GET', `/v1/webhook_endpoints/${id}/deliveries?status=succeeded`)).body.data.length).toBeGreaterThan(0);
    expect((await merchant('GET', `/v1/webhook_endpoints/${id}/deliveries?status=maybe`)).body.error.param).toBe('status');
    expect((await merchant('DELETE', `/v1/webhook_endpoints/${id}`)).body).toEqual({ id, object: 'webhook_endpoint', deleted: true });
    expect((await merchant('GET', `/v1/webhook_endpoints/${id}`)).status).toBe(404);
    for (const w of webhooks) await conformWebhook(w.body);
  });
});

describe('coverage', () => {
  it('every route of the merchant and client API was answered successfully above', () => {
    const routes = [
      ...merchantApi.openAPIRegistry.definitions.map((d) => (d.type === 'route' ? `${d.route.method.toUpperCase()} /v1${d.route.path}` : null)),
      ...clientApi.openAPIRegistry.definitions.map((d) => (d.type === 'route' ? `${d.route.method.toUpperCase()} /v1/client${d.route.path}` : null)),
    ].filter((r): r is string => r !== null);
    expect(routes.length).toBeGreaterThanOrEqual(19);
    const succeeded = [...exercised].filter((e) => / 2\d\d$/.test(e)).map((e) => e.replace(/ \d+$/, ''));
    expect(routes.filter((r) => !succeeded.includes(r))).toEqual([]);
  });
});
