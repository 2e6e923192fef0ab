import { describe, expect, it } from 'vitest';
import { signWebhook, verifyWebhook } from './standard-webhooks';

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
    expect(await verifyWebhook(SECRET, headers, BODY + ' ', TS)).toEqual({ ok: false, reason: 'bad_signature' });
    expect(await verifyWebhook(SECRET, headers, BODY, TS + 301)).toEqual({ ok: false, reason: 'stale_timestamp' });
    expect(await verifyWebhook(SECRET, { 'webhook-id': ID }, BODY, TS)).toEqual({ ok: false, reason: 'missing_header' });
  });
});
