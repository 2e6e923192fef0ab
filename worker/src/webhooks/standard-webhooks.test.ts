import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { signWebhook, verifyWebhook, webhookHeaders } from './standard-webhooks';

// The Standard Webhooks spec's published test vector.
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const ID = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
const TS = 1614265330;
const BODY = '{"test": 2432232314}';
const SIG = 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=';

describe('Standard Webhooks', () => {
  it('reproduces the spec vector', async () => {
    expect(await signWebhook(SECRET, ID, TS, BODY)).toBe(SIG);
  });
  it('verifies a good signature among several', async () => {
    const headers = { 'webhook-id': ID, 'webhook-timestamp': String(TS), 'webhook-signature': `v1,bm90IGl0 ${SIG}` };
    expect(await verifyWebhook(SECRET, headers, BODY, TS + 10)).toEqual({ ok: true });
  });
  it('rejects a changed body, a stale timestamp and missing headers', async () => {
    const headers = { 'webhook-id': ID, 'webhook-timestamp': String(TS), 'webhook-signature': SIG };
    expect(await verifyWebhook(SECRET, headers, `${BODY} `, TS)).toEqual({ ok: false, reason: 'bad_signature' });
    expect(await verifyWebhook(SECRET, headers, BODY, TS + 301)).toEqual({ ok: false, reason: 'stale_timestamp' });
    expect(await verifyWebhook(SECRET, { 'webhook-id': ID }, BODY, TS)).toEqual({ ok: false, reason: 'missing_header' });
  });
});

// What merchants run: the reference `standardwebhooks` library (its own base64 and HMAC-SHA256, no
// code shared with ours) must accept exactly what our signer sends, inside workerd.
describe('our signed headers, checked by the standardwebhooks library', () => {
  const now = () => Math.floor(Date.now() / 1000);
  const body = JSON.stringify({ id: 'evt_1', type: 'checkout.session.paid', data: { object: { id: 'cs_1', amount: 8888, description: '测试商品 🧧' } } });

  it('verifies and returns the event', async () => {
    const headers = await webhookHeaders(SECRET, 'evt_1', now(), body);
    expect(new Webhook(SECRET).verify(body, headers)).toEqual(JSON.parse(body));
  });

  it('refuses a changed body, another webhook-id, another secret and a stale timestamp', async () => {
    const headers = await webhookHeaders(SECRET, 'evt_1', now(), body);
    const hook = new Webhook(SECRET);
    expect(() => hook.verify(body.replace('8888', '8889'), headers)).toThrow(WebhookVerificationError);
    expect(() => hook.verify(body, { ...headers, 'webhook-id': 'evt_2' })).toThrow(WebhookVerificationError);
    expect(() => new Webhook(`whsec_${btoa('another secret of 24 bytes!!')}`).verify(body, headers)).toThrow(WebhookVerificationError);
    const old = await webhookHeaders(SECRET, 'evt_1', now() - 301, body);
    expect(() => hook.verify(body, old)).toThrow(/too old/);
  });
});

// A secret rotation (docs/webhooks.md, "Rotating an endpoint's secret"): one request, both signatures.
describe('signing with two secrets during a rotation', () => {
  const OTHER = `whsec_${btoa('a second secret, 24 bytes+')}`;
  const body = JSON.stringify({ id: 'evt_2', type: 'refund.succeeded' });

  it('sends one v1 signature per secret, each accepted by a receiver holding only that secret', async () => {
    const ts = Math.floor(Date.now() / 1000);
    const headers = await webhookHeaders([OTHER, SECRET], 'evt_2', ts, body);
    const parts = headers['webhook-signature']!.split(' ');
    expect(parts).toEqual([await signWebhook(OTHER, 'evt_2', ts, body), await signWebhook(SECRET, 'evt_2', ts, body)]);
    expect(new Webhook(SECRET).verify(body, headers)).toEqual(JSON.parse(body));
    expect(new Webhook(OTHER).verify(body, headers)).toEqual(JSON.parse(body));
    expect(() => new Webhook(`whsec_${btoa('a third secret of 24 byte')}`).verify(body, headers)).toThrow(WebhookVerificationError);
  });

  it('refuses to sign with no secret at all', async () => {
    await expect(webhookHeaders([], 'evt_2', 1, body)).rejects.toThrow(/at least one secret/);
  });
});
