import { runDurableObjectAlarm, runInDurableObject, SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { CheckoutSession } from '../src/session/durable-object';
import { TEST } from './fixtures/config';
import { api, BASE, createSession, orderId, retrieve, sandboxControl, sessionStub, startAttempt } from './helpers';
import { acceptWebhooks, deliverNow } from './merchant-endpoint';

// Sessions here get canceled: their webhooks need somewhere to go.
acceptWebhooks();

const body = (over: Record<string, unknown> = {}) =>
  JSON.stringify({ amount: 8888, currency: 'CNY', description: '测试商品', merchant_order_id: orderId(), ...over });

const post = (b: string, headers: Record<string, string> = {}, key?: string | null) =>
  api('/v1/checkout/sessions', { method: 'POST', body: b, headers, ...(key === undefined ? {} : { key }) });

async function errorOf(res: Response) {
  return ((await res.json()) as { error: { type: string; code: string; message: string; param?: string } }).error;
}

describe('POST /v1/checkout/sessions', () => {
  it('creates an open session with a client secret and the configured channels', async () => {
    const s = await createSession({ metadata: { cart: '42' }, return_url: 'https://shop.test/done' });
    expect(s).toMatchObject({
      object: 'checkout.session',
      status: 'open',
      amount: 8888,
      amount_refunded: 0,
      currency: 'CNY',
      channels: ['wechat_pay', 'alipay', 'unionpay'],
      livemode: false,
      metadata: { cart: '42' },
      return_url: 'https://shop.test/done',
      payment: null,
      refunds: [],
    });
    expect(s.id).toMatch(/^cs_[0-9A-Za-z]{24}$/);
    expect(s.client_secret).toMatch(new RegExp(`^${s.id}_secret_[0-9A-Za-z]{24}$`));
    expect((s.expires_at as number) - (s.created as number)).toBe(900);
  });

  it.each([
    ['missing key', null, 401, 'missing_api_key'],
    ['wrong key', 'sk_test_000000000000000000000000', 401, 'invalid_api_key'],
    ['a client secret', 'cs_x_secret_y', 401, 'invalid_api_key'],
  ])('refuses %s', async (_name, key, status, code) => {
    const res = await post(body(), {}, key);
    expect(res.status).toBe(status);
    const err = await errorOf(res);
    expect(err).toMatchObject({ type: 'authentication_error', code });
    if (key) expect(err.message).not.toContain(key.slice(9));
  });

  it.each([
    [{ amount: 88.88 }, 'amount'],
    [{ amount: -1 }, 'amount'],
    [{ amount: 0 }, 'amount'],
    [{ amount: '8888' }, 'amount'],
    [{ amount: undefined }, 'amount'],
    [{ currency: 'USD' }, 'currency'],
    [{ currency: 'cny' }, 'currency'],
    [{ description: 'x'.repeat(128) }, 'description'],
    [{ description: '' }, 'description'],
    [{ merchant_order_id: 'has space' }, 'merchant_order_id'],
    [{ merchant_order_id: 'x'.repeat(33) }, 'merchant_order_id'],
    [{ expires_in: 59 }, 'expires_in'],
    [{ expires_in: 7201 }, 'expires_in'],
    [{ expires_in: 120.5 }, 'expires_in'],
    [{ return_url: 'http://shop.test/done' }, 'return_url'],
    [{ return_url: 'not a url' }, 'return_url'],
    [{ channels: ['paypal'] }, 'channels[0]'],
    [{ channels: ['ALIPAY'] }, 'channels[0]'],
    [{ channels: [] }, 'channels'],
    [{ metadata: { k: 1 } }, 'metadata.k'],
    [{ surprise: true }, 'surprise'],
  ])('rejects %o with a 400 naming %s', async (over, param) => {
    const res = await post(body(over));
    expect(res.status).toBe(400);
    const err = await errorOf(res);
    expect(err.type).toBe('invalid_request_error');
    expect(err.param).toBe(param);
    expect(err.message.length).toBeGreaterThan(10);
  });

  it('accepts a 127-character description (characters, not bytes)', async () => {
    const s = await createSession({ description: '汉'.repeat(127) });
    expect(s.status).toBe('open');
  });

  it('rejects malformed JSON', async () => {
    const res = await post('{"amount": ');
    expect(res.status).toBe(400);
    expect((await errorOf(res)).code).toBe('invalid_json');
  });

  it('keeps merchant_order_id unique among open and paid sessions (409)', async () => {
    const moid = orderId();
    const first = await createSession({ merchant_order_id: moid });
    const res = await post(body({ merchant_order_id: moid }));
    expect(res.status).toBe(409);
    const err = await errorOf(res);
    expect(err).toMatchObject({ type: 'conflict_error', code: 'merchant_order_id_in_use', param: 'merchant_order_id' });
    expect(err.message).toContain(first.id);
  });

  it('frees a merchant_order_id once its session is canceled', async () => {
    const moid = orderId();
    const first = await createSession({ merchant_order_id: moid });
    expect((await api(`/v1/checkout/sessions/${first.id}/cancel`, { method: 'POST' })).status).toBe(200);
    const second = await createSession({ merchant_order_id: moid });
    expect(second.id).not.toBe(first.id);
    await deliverNow(first.id);
  });

  it('replays the stored response for the same Idempotency-Key and body', async () => {
    const b = body();
    const key = `idem-${orderId()}`;
    const r1 = await post(b, { 'idempotency-key': key });
    const r2 = await post(b, { 'idempotency-key': key });
    expect(r1.status).toBe(201);
    expect(r2.status).toBe(201);
    expect(r2.headers.get('idempotent-replayed')).toBe('true');
    expect(await r2.json()).toEqual(await r1.json());
  });

  it('answers 409 for the same Idempotency-Key with a different body', async () => {
    const key = `idem-${orderId()}`;
    expect((await post(body(), { 'idempotency-key': key })).status).toBe(201);
    const res = await post(body({ amount: 1 }), { 'idempotency-key': key });
    expect(res.status).toBe(409);
    expect((await errorOf(res)).code).toBe('idempotency_key_reused');
  });

  it('does not store a validation failure under the Idempotency-Key', async () => {
    const key = `idem-${orderId()}`;
    expect((await post(body({ amount: 1.5 }), { 'idempotency-key': key })).status).toBe(400);
    expect((await post(body(), { 'idempotency-key': key })).status).toBe(201);
  });
});

describe('GET /v1/checkout/sessions/:id and cancel', () => {
  it('retrieves a session', async () => {
    const s = await createSession();
    expect(await retrieve(s.id)).toEqual(s);
  });

  it("hides another merchant's session behind a 404", async () => {
    const s = await createSession();
    const res = await api(`/v1/checkout/sessions/${s.id}`, { key: TEST.live_secret_key });
    expect(res.status).toBe(404);
    expect((await errorOf(res)).type).toBe('not_found_error');
    expect((await api(`/v1/checkout/sessions/${s.id}/cancel`, { method: 'POST', key: TEST.live_secret_key })).status).toBe(404);
  });

  it('404s an unknown or malformed id', async () => {
    expect((await api('/v1/checkout/sessions/cs_000000000000000000000000')).status).toBe(404);
    expect((await api('/v1/checkout/sessions/nope')).status).toBe(404);
  });

  it('cancels an open session once, then answers 409', async () => {
    const s = await createSession();
    const res = await api(`/v1/checkout/sessions/${s.id}/cancel`, { method: 'POST' });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { status: string }).status).toBe('canceled');
    const again = await api(`/v1/checkout/sessions/${s.id}/cancel`, { method: 'POST' });
    expect(again.status).toBe(409);
    expect((await errorOf(again)).code).toBe('session_not_open');
    await deliverNow(s.id);
  });
});

describe('return_url and /return/:id', () => {
  it.each([
    ['a foreign origin', 'https://evil.test/done'],
    ["another merchant's origin", 'https://live.shop.test/done'],
    ['a subdomain of an allowed origin', 'https://pay.shop.test/done'],
    ['an allowed host on another port', 'https://shop.test:8443/done'],
    ['an allowed host as userinfo', 'https://shop.test@evil.test/done'],
  ])('refuses %s with a 400 naming return_url and allowed_origins', async (_what, return_url) => {
    const res = await post(body({ return_url }));
    expect(res.status).toBe(400);
    const err = await errorOf(res);
    expect(err).toMatchObject({ type: 'invalid_request_error', code: 'parameter_invalid', param: 'return_url' });
    expect(err.message).toContain('allowed_origins');
  });

  it('takes a return_url on one of the allowed_origins (201)', async () => {
    const res = await post(body({ return_url: 'https://shop.test/orders/{CHECKOUT_SESSION_ID}?from=pay' }));
    expect(res.status).toBe(201);
    expect(((await res.json()) as { return_url: string }).return_url).toBe('https://shop.test/orders/{CHECKOUT_SESSION_ID}?from=pay');
  });

  it('redirects while the session is open; once canceled it shows the result page instead', async () => {
    const s = await createSession({ return_url: 'https://shop.test/done?s={CHECKOUT_SESSION_ID}' });
    const open = await SELF.fetch(`${BASE}/return/${s.id}`, { redirect: 'manual' });
    expect(open.status).toBe(303);
    expect(open.headers.get('location')).toBe(`https://shop.test/done?s=${s.id}`);

    expect((await api(`/v1/checkout/sessions/${s.id}/cancel`, { method: 'POST' })).status).toBe(200);
    for (const method of ['GET', 'POST']) {
      const after = await SELF.fetch(`${BASE}/return/${s.id}`, { method, redirect: 'manual' });
      expect(after.status).toBe(200);
      expect(after.headers.get('location')).toBeNull();
      const html = await after.text();
      expect(html).toContain('订单已取消');
      expect(html).not.toContain('shop.test/done');
    }
    await deliverNow(s.id);
  });

  it('redirects once paid too: the shopper may come back after the payment went through', async () => {
    const s = await createSession({ return_url: 'https://shop.test/done?s={CHECKOUT_SESSION_ID}' });
    const { attempt } = await startAttempt(s);
    await sandboxControl(`/orders/${attempt.id}/pay`, { notify: 'drop' });
    // The return asks WeChat Pay (the notify was dropped), finds the payment, and sends the shopper on.
    const back = await SELF.fetch(`${BASE}/return/${s.id}`, { redirect: 'manual' });
    expect(back.status).toBe(303);
    expect(back.headers.get('location')).toBe(`https://shop.test/done?s=${s.id}`);
    expect((await retrieve(s.id)).status).toBe('paid');
    await deliverNow(s.id);
  });

  it('no longer redirects once the session has expired', async () => {
    const s = await createSession({ expires_in: 60, return_url: 'https://shop.test/done' });
    const stub = sessionStub(s.id);
    await runInDurableObject(stub, (o: CheckoutSession) => {
      o.clock = { now: () => Date.now() + 61_000 };
    });
    await runDurableObjectAlarm(stub);
    expect((await retrieve(s.id)).status).toBe('expired');
    const after = await SELF.fetch(`${BASE}/return/${s.id}`, { redirect: 'manual' });
    expect(after.status).toBe(200);
    expect(await after.text()).toContain('订单已过期');
    await deliverNow(s.id);
  });
});
