// verifyWebhook / signWebhook against the reference Standard Webhooks library (the `standardwebhooks`
// npm package), against the signer the Worker uses, and against the spec's published test vector.

import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { signWebhook as workerSign, webhookHeaders as workerHeaders } from '../../../worker/src/webhooks/standard-webhooks.js';
import { signWebhook, verifyWebhook, WebhookVerificationError, type ShouyinEvent } from '../src/index.js';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const OTHER = 'whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD';
const now = () => Math.floor(Date.now() / 1000);

const event = {
  id: 'evt_aaaaaaaaaaaaaaaaaaaaaaaa',
  type: 'checkout.session.paid',
  created: 1764352000,
  livemode: false,
  data: {
    object: { id: 'cs_bbbbbbbbbbbbbbbbbbbbbbbb', object: 'checkout.session', status: 'paid', description: '机械键盘 Mechanical keyboard', amount: 8888 },
  },
};
const body = JSON.stringify(event);

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'verified';
  } catch (e) {
    if (e instanceof WebhookVerificationError) return e.code;
    throw e;
  }
}

describe('verifyWebhook', () => {
  it('verifies what the standardwebhooks library signs, and returns the typed event', async () => {
    const wh = new Webhook(SECRET);
    const ts = new Date();
    const headers = { 'webhook-id': event.id, 'webhook-timestamp': String(Math.floor(ts.getTime() / 1000)), 'webhook-signature': wh.sign(event.id, ts, body) };
    const e: ShouyinEvent = await verifyWebhook(body, headers, SECRET);
    expect(e).toEqual(event);
    if (e.type === 'checkout.session.paid') expect(e.data.object.amount).toBe(8888);
  });

  it('signs what the standardwebhooks library verifies (and what the Worker signs)', async () => {
    const ts = now();
    const headers = await signWebhook({ id: event.id, payload: body, secret: SECRET, timestamp: ts });
    expect(new Webhook(SECRET).verify(body, headers)).toEqual(event);
    expect(headers['webhook-signature']).toBe(await workerSign(SECRET, event.id, ts, body));
  });

  it('verifies what the Worker sends (worker/src/webhooks/standard-webhooks.ts)', async () => {
    const headers = await workerHeaders(SECRET, event.id, now(), body);
    expect(await verifyWebhook(body, new Headers(headers), SECRET)).toEqual(event);
  });

  it('matches the Standard Webhooks test vector', async () => {
    const h = await signWebhook({ id: 'msg_p5jXN8AQM9LWM0D4loKWxJek', payload: '{"test": 2432232314}', secret: SECRET, timestamp: 1614265330 });
    expect(h['webhook-signature']).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('refuses a tampered body, id or timestamp, and another secret', async () => {
    const ts = now();
    const headers = await signWebhook({ id: event.id, payload: body, secret: SECRET, timestamp: ts });
    expect(await codeOf(verifyWebhook(body, headers, SECRET))).toBe('verified');
    expect(await codeOf(verifyWebhook(body.replace('8888', '1'), headers, SECRET))).toBe('no_matching_signature');
    expect(await codeOf(verifyWebhook(`${body} `, headers, SECRET))).toBe('no_matching_signature');
    expect(await codeOf(verifyWebhook(body, { ...headers, 'webhook-id': 'evt_cccccccccccccccccccccccc' }, SECRET))).toBe('no_matching_signature');
    expect(await codeOf(verifyWebhook(body, { ...headers, 'webhook-timestamp': String(ts - 1) }, SECRET))).toBe('no_matching_signature');
    expect(await codeOf(verifyWebhook(body, headers, OTHER))).toBe('no_matching_signature');
  });

  it('refuses timestamps more than 5 minutes away, both ways; toleranceSeconds changes that', async () => {
    const at = async (ts: number, options?: { toleranceSeconds: number }) =>
      codeOf(verifyWebhook(body, await signWebhook({ id: event.id, payload: body, secret: SECRET, timestamp: ts }), SECRET, options));
    expect(await at(now() - 290)).toBe('verified');
    expect(await at(now() + 290)).toBe('verified');
    expect(await at(now() - 310)).toBe('timestamp_too_old');
    expect(await at(now() + 310)).toBe('timestamp_too_new');
    expect(await at(now() - 3600, { toleranceSeconds: 7200 })).toBe('verified');
    expect(await at(now() - 60, { toleranceSeconds: 30 })).toBe('timestamp_too_old');
    // The reference library draws the same line.
    const old = new Date(Date.now() - 310_000);
    const h = {
      'webhook-id': event.id,
      'webhook-timestamp': String(Math.floor(old.getTime() / 1000)),
      'webhook-signature': new Webhook(SECRET).sign(event.id, old, body),
    };
    expect(() => new Webhook(SECRET).verify(body, h)).toThrow(/too old/);
  });

  it('accepts any one matching signature among several (a secret rotation), skipping other schemes and garbage', async () => {
    const ts = now();
    const good = (await signWebhook({ id: event.id, payload: body, secret: SECRET, timestamp: ts }))['webhook-signature'];
    const other = (await signWebhook({ id: event.id, payload: body, secret: OTHER, timestamp: ts }))['webhook-signature'];
    const h = (sig: string) => ({ 'webhook-id': event.id, 'webhook-timestamp': String(ts), 'webhook-signature': sig });
    expect(await codeOf(verifyWebhook(body, h(`${other} ${good}`), SECRET))).toBe('verified');
    expect(await codeOf(verifyWebhook(body, h(`${good} ${other}`), SECRET))).toBe('verified');
    expect(await codeOf(verifyWebhook(body, h(`v1a,${good.slice(3)} v1,!!notbase64 ${good}`), SECRET))).toBe('verified');
    expect(await codeOf(verifyWebhook(body, h(`v1a,${good.slice(3)}`), SECRET))).toBe('no_matching_signature');
    expect(await codeOf(verifyWebhook(body, h(`v2,${good.slice(3)}`), SECRET))).toBe('no_matching_signature');
    expect(await codeOf(verifyWebhook(body, h(other), SECRET))).toBe('no_matching_signature');
    // The receiver's side of a rotation: either of two secrets.
    expect(await codeOf(verifyWebhook(body, h(other), [SECRET, OTHER]))).toBe('verified');
    // The reference library agrees on the multi-signature header.
    expect(new Webhook(SECRET).verify(body, h(`${other} ${good}`))).toEqual(event);
  });

  it('reads headers in any case, from a Headers or a Node-style object (first of repeated values)', async () => {
    const ts = now();
    const signed = await signWebhook({ id: event.id, payload: body, secret: SECRET, timestamp: ts });
    const node = {
      'Webhook-Id': [signed['webhook-id'], 'x'],
      'WEBHOOK-TIMESTAMP': signed['webhook-timestamp'],
      'webhook-signature': signed['webhook-signature'],
    };
    expect(await codeOf(verifyWebhook(body, node, SECRET))).toBe('verified');
    expect(await codeOf(verifyWebhook(body, new Headers(signed), SECRET))).toBe('verified');
  });

  it('verifies the raw bytes as received (UTF-8 text included), as a Uint8Array or ArrayBuffer', async () => {
    const bytes = new TextEncoder().encode(body);
    const headers = await signWebhook({ id: event.id, payload: bytes, secret: SECRET });
    expect(await verifyWebhook(bytes, headers, SECRET)).toEqual(event);
    expect(await verifyWebhook(bytes.slice().buffer, headers, SECRET)).toEqual(event);
    expect(await verifyWebhook(body, headers, SECRET)).toEqual(event);
  });

  it('names the missing header, and refuses a timestamp that is not Unix seconds', async () => {
    const headers = await signWebhook({ id: event.id, payload: body, secret: SECRET });
    for (const name of ['webhook-id', 'webhook-timestamp', 'webhook-signature'] as const) {
      const { [name]: _gone, ...rest } = headers;
      await expect(verifyWebhook(body, rest, SECRET)).rejects.toThrow(new RegExp(`The ${name} header is missing`));
    }
    expect(await codeOf(verifyWebhook(body, { ...headers, 'webhook-timestamp': `${headers['webhook-timestamp']}.5` }, SECRET))).toBe('invalid_timestamp');
    expect(await codeOf(verifyWebhook(body, { ...headers, 'webhook-timestamp': '1e9' }, SECRET))).toBe('invalid_timestamp');
  });

  it('refuses a correctly signed body that is not an event', async () => {
    const text = '{"test": 2432232314}';
    expect(await codeOf(verifyWebhook(text, await signWebhook({ id: 'msg_1', payload: text, secret: SECRET }), SECRET))).toBe('invalid_payload');
    expect(await codeOf(verifyWebhook('not json', await signWebhook({ id: 'msg_1', payload: 'not json', secret: SECRET }), SECRET))).toBe('invalid_payload');
  });

  it('throws a TypeError for a malformed secret, without echoing it', async () => {
    const headers = await signWebhook({ id: event.id, payload: body, secret: SECRET });
    const e = await verifyWebhook(body, headers, 'whsec_%%%%secretpart').catch((x) => x);
    expect(e).toBeInstanceOf(TypeError);
    expect(e.message).not.toContain('secretpart');
    await expect(verifyWebhook(body, headers, [SECRET, 'whsec_'])).rejects.toThrow(/secret\[1\] is empty/);
    await expect(verifyWebhook(body, headers, [])).rejects.toThrow(TypeError);
    await expect(verifyWebhook(JSON.parse(body), headers, SECRET)).rejects.toThrow(/raw request body/);
  });
});
