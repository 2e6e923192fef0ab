import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { sign, verifyWebhook } from './webhook-verify';

// The published test vector of the Standard Webhooks spec (libraries' shared test suite).
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const ID = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
const TS = 1614265330;
const BODY = '{"test": 2432232314}';
const EXPECTED = 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=';

function headers(signature: string, ts = TS, id = ID): Headers {
  return new Headers({ 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': signature });
}

describe('demo webhook verification (Standard Webhooks)', () => {
  it('signs the spec test vector', async () => {
    expect(await sign(SECRET, ID, TS, BODY)).toBe(EXPECTED);
  });

  it('accepts the spec test vector within the tolerance', async () => {
    expect(await verifyWebhook(SECRET, headers(EXPECTED), BODY, TS + 10)).toEqual({ ok: true, id: ID, timestamp: TS });
  });

  it('accepts when any of several space-separated signatures matches (key rotation)', async () => {
    const h = headers(`v1,Zm9vYmFyYmF6 v2,whatever ${EXPECTED}`);
    expect((await verifyWebhook(SECRET, h, BODY, TS)).ok).toBe(true);
  });

  it('rejects an altered body, another id, or another secret', async () => {
    expect((await verifyWebhook(SECRET, headers(EXPECTED), '{"test": 2432232315}', TS)).ok).toBe(false);
    expect((await verifyWebhook(SECRET, headers(EXPECTED, TS, 'msg_other'), BODY, TS)).ok).toBe(false);
    const other = `whsec_${btoa('another secret of 24 bytes!!')}`;
    expect((await verifyWebhook(other, headers(EXPECTED), BODY, TS)).ok).toBe(false);
  });

  it('rejects timestamps more than 5 minutes away, both ways', async () => {
    expect((await verifyWebhook(SECRET, headers(EXPECTED), BODY, TS + 301)).ok).toBe(false);
    expect((await verifyWebhook(SECRET, headers(EXPECTED), BODY, TS - 301)).ok).toBe(false);
    expect((await verifyWebhook(SECRET, headers(EXPECTED), BODY, TS + 300)).ok).toBe(true);
  });

  it('rejects missing headers, a non-numeric timestamp and a signature without a version', async () => {
    expect((await verifyWebhook(SECRET, new Headers(), BODY, TS)).ok).toBe(false);
    const h = headers(EXPECTED);
    h.set('webhook-timestamp', '1614265330.5');
    expect((await verifyWebhook(SECRET, h, BODY, TS)).ok).toBe(false);
    expect((await verifyWebhook(SECRET, headers(EXPECTED.slice(3)), BODY, TS)).ok).toBe(false);
  });
});

// The reference library (standardwebhooks, its own base64 and HMAC) against the demo's code, both ways.
describe('demo webhook verification against the standardwebhooks library', () => {
  const body = JSON.stringify({ id: 'evt_1', type: 'checkout.session.paid', data: { object: { id: 'cs_1', description: '测试商品 🧧' } } });
  const now = Math.floor(Date.now() / 1000);

  it('accepts what the library signs, and refuses it once the body changed', async () => {
    const signature = new Webhook(SECRET).sign('msg_1', new Date(now * 1000), body);
    expect(await verifyWebhook(SECRET, headers(signature, now, 'msg_1'), body, now)).toEqual({ ok: true, id: 'msg_1', timestamp: now });
    expect((await verifyWebhook(SECRET, headers(signature, now, 'msg_1'), body.replace('cs_1', 'cs_2'), now)).ok).toBe(false);
  });

  it('signs what the library accepts', async () => {
    const signature = await sign(SECRET, 'msg_1', now, body);
    expect(new Webhook(SECRET).verify(body, { 'webhook-id': 'msg_1', 'webhook-timestamp': String(now), 'webhook-signature': signature })).toEqual(
      JSON.parse(body),
    );
  });
});
