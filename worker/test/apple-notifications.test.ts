// POST /notify/apple/:merchant inside workerd: App Store Server Notifications V2 from the Apple
// sandbox are verified like transactions, stored once in the merchant's event log, sent to the
// merchant as a signed `apple.notification` webhook (once, retried like every webhook), and answered
// 200; anything that does not verify is answered 401 and stored and sent nowhere.

import { env, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { appleEvents, control, notify } from '../../sandbox/src/apple/testing';
import type { MerchantShard } from '../src/merchant-shard';
import { utcDay } from '../src/shards';
import { verifyWebhook } from '../src/webhooks/standard-webhooks';
import { ALIPAY_TEST, APPLE_TEST, TEST } from './fixtures/config';
import { conformWebhook } from './openapi-conformance';

/** Every webhook sent to the test merchants in this file; `failNext` answers that many of them 500 first. */
const sent: { headers: Headers; body: string }[] = [];
let failNext = 0;
beforeAll(() => {
  const realFetch = globalThis.fetch;
  vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
    const req = new Request(input as RequestInfo, init);
    if (new URL(req.url).origin !== new URL(TEST.webhook_url).origin) return realFetch(req);
    sent.push({ headers: req.headers, body: await req.text() });
    if (failNext > 0) {
      failNext--;
      return new Response('busy', { status: 500 });
    }
    return new Response(null, { status: 204 });
  });
});
beforeEach(() => {
  failNext = 0;
});
afterAll(() => vi.restoreAllMocks());

const DAY = 86_400;
const now = () => Math.floor(Date.now() / 1000);

async function mint(
  body: Record<string, unknown>,
): Promise<{ signed_payload: string; notification_uuid: string; delivery?: { status: number; body: string } }> {
  const a = await control('/notifications', body);
  if (a.status !== 201) throw new Error(`mint notification: ${a.status} ${JSON.stringify(a.json)}`);
  return a.json as { signed_payload: string; notification_uuid: string; delivery?: { status: number; body: string } };
}

const eventFor = async (uuid: string) => (await appleEvents()).filter((e) => e.data.object.notification_uuid === uuid);

describe('Apple notifications V2', () => {
  it('ONE_TIME_CHARGE: verified, answered 200, and in GET /v1/events as apple.notification', async () => {
    const n = await mint({ notification_type: 'ONE_TIME_CHARGE', transaction: { product_id: 'com.shouyin.demo.coins100' }, send: true });
    expect(n.delivery).toEqual({ status: 200, body: '' });
    const [e, ...more] = await eventFor(n.notification_uuid);
    expect(more).toEqual([]);
    expect(e).toMatchObject({ id: expect.stringMatching(/^evt_[0-9a-f]{24}$/), type: 'apple.notification', livemode: false });
    expect(e!.data.object).toMatchObject({
      object: 'apple.notification',
      notification_type: 'ONE_TIME_CHARGE',
      subtype: null,
      version: '2.0',
      environment: 'sandbox',
      bundle_id: APPLE_TEST.bundle_id,
      transaction: { object: 'apple.transaction', product_id: 'com.shouyin.demo.coins100', type: 'Consumable', revocation_date: null },
      renewal_info: null,
    });
  });

  it('a retried notification is stored once', async () => {
    const n = await mint({ notification_type: 'ONE_TIME_CHARGE', transaction: { product_id: 'com.shouyin.demo.coins100' } });
    for (let i = 0; i < 3; i++) expect((await notify(TEST.merchant_id, { signedPayload: n.signed_payload })).status).toBe(200);
    expect(await eventFor(n.notification_uuid)).toHaveLength(1);
  });

  it('DID_RENEW: the nested signedTransactionInfo and signedRenewalInfo are verified and decoded', async () => {
    const n = await mint({
      notification_type: 'DID_RENEW',
      transaction: { product_id: 'pro.monthly', purchase_date: now(), expires_date: now() + 30 * DAY },
      send: true,
    });
    expect(n.delivery?.status).toBe(200);
    const [e] = await eventFor(n.notification_uuid);
    expect(e!.data.object).toMatchObject({
      status: 1,
      transaction: { type: 'Auto-Renewable Subscription', product_id: 'pro.monthly', expires_date: expect.any(Number) },
      renewal_info: { product_id: 'pro.monthly', auto_renew_status: true, renewal_date: expect.any(Number) },
    });
  });

  it('REFUND: a revoked transaction is recorded, not refused', async () => {
    const n = await mint({
      notification_type: 'REFUND',
      transaction: { product_id: 'com.shouyin.demo.coins100', purchase_date: now() - 3 * DAY, revocation_date: now(), revocation_reason: 0 },
      send: true,
    });
    expect(n.delivery?.status).toBe(200);
    const [e] = await eventFor(n.notification_uuid);
    expect(e!.data.object.transaction).toMatchObject({ revocation_date: expect.any(Number), revocation_reason: 0 });
  });

  it('TEST (no transaction) and production notifications pass too', async () => {
    expect((await mint({ notification_type: 'TEST', send: true })).delivery?.status).toBe(200);
    const p = await mint({
      notification_type: 'ONE_TIME_CHARGE',
      environment: 'production',
      transaction: { product_id: 'com.shouyin.demo.coins100' },
      send: true,
    });
    expect(p.delivery?.status).toBe(200);
    expect((await eventFor(p.notification_uuid))[0]!.data.object.environment).toBe('production');
  });

  it.each([
    ['wrong_root', 'jws_chain_untrusted'],
    ['leaf_without_marker', 'jws_certificate_marker_missing'],
    ['expired_leaf', 'jws_certificate_expired'],
    ['der_signature', 'jws_signature_der'],
    ['tampered_payload', 'jws_signature_invalid'],
  ])('a %s notification is answered 401 %s and not stored', async (defect, code) => {
    const n = await mint({ notification_type: 'ONE_TIME_CHARGE', transaction: { product_id: 'com.shouyin.demo.coins100' }, defect, send: true });
    expect(n.delivery?.status).toBe(401);
    expect(JSON.parse(n.delivery!.body).error).toMatchObject({ type: 'authentication_error', code });
    expect(await eventFor(n.notification_uuid)).toEqual([]);
  });

  it("another app's notification is refused", async () => {
    const n = await mint({ notification_type: 'ONE_TIME_CHARGE', bundle_id: 'com.other.app', send: true });
    expect(n.delivery?.status).toBe(401);
    expect(JSON.parse(n.delivery!.body).error.code).toBe('bundle_id_mismatch');
  });

  it('unknown merchants, merchants without apple, and bodies that are not {signedPayload}', async () => {
    const n = await mint({ notification_type: 'TEST' });
    expect((await notify('nobody', { signedPayload: n.signed_payload })).status).toBe(404);
    expect((await notify(ALIPAY_TEST.cert_merchant_id, { signedPayload: n.signed_payload })).status).toBe(404);
    expect((await notify(TEST.merchant_id, 'not json')).status).toBe(400);
    expect((await notify(TEST.merchant_id, { payload: n.signed_payload })).status).toBe(400);
    expect((await notify(TEST.merchant_id, { signedPayload: 'a.b.c' })).json.error.code).toBe('jws_malformed');
  });
});

describe('Apple notifications reach the merchant as webhooks', () => {
  /** The event log shard an Apple event lives in, its alarm run now, and the webhook's state there. */
  async function delivered(e: { id: string; created: number }) {
    const shard = env.MERCHANT_SHARDS.getByName(`${TEST.merchant_id}:events:${utcDay(e.created * 1000)}`);
    await runDurableObjectAlarm(shard);
    return { shard, state: await shard.outboxState(TEST.merchant_id, e.id) };
  }
  const sentFor = (id: string) => sent.filter((w) => w.headers.get('webhook-id') === id);

  it('a verified notification is sent once, signed, as the event GET /v1/events lists', async () => {
    const n = await mint({
      notification_type: 'DID_RENEW',
      transaction: { product_id: 'pro.monthly', purchase_date: now(), expires_date: now() + 30 * DAY },
      send: true,
    });
    expect(n.delivery?.status).toBe(200);
    const [e] = await eventFor(n.notification_uuid);
    const { state } = await delivered(e as { id: string; created: number });
    expect(state).toMatchObject({ delivery: 'delivered', tries: 1 });
    const [hook, ...more] = sentFor(e!.id);
    expect(more).toEqual([]);
    expect(await verifyWebhook(TEST.webhook_secret, Object.fromEntries(hook!.headers), hook!.body, now())).toEqual({ ok: true });
    expect(JSON.parse(hook!.body)).toEqual(e);
    expect(JSON.parse(hook!.body)).toMatchObject({ type: 'apple.notification', data: { object: { notification_type: 'DID_RENEW' } } });
    // As the OpenAPI document's `apple.notification` webhook describes it.
    await conformWebhook(hook!.body);

    // Apple sends it again (it did not see our 200): stored once, sent once.
    expect((await notify(TEST.merchant_id, { signedPayload: n.signed_payload })).status).toBe(200);
    await delivered(e as { id: string; created: number });
    expect(sentFor(e!.id)).toHaveLength(1);
  });

  it('a delivery that fails is retried on the webhook schedule, every try recorded', async () => {
    failNext = 1;
    const n = await mint({ notification_type: 'ONE_TIME_CHARGE', transaction: { product_id: 'com.shouyin.demo.coins100' }, send: true });
    const [e] = (await eventFor(n.notification_uuid)) as { id: string; created: number }[];
    const first = await delivered(e!);
    expect(first.state).toMatchObject({ delivery: 'pending', tries: 1, tries_made: [{ try: 1, status: 500 }] });
    // 5 s later (WEBHOOK_RETRY_MS[0]): brought forward instead of waited for.
    expect(first.state!.due! - first.state!.tries_made[0]!.at).toBe(5_000);
    await runInDurableObject(first.shard, (o: MerchantShard) => {
      (o as unknown as { ctx: DurableObjectState }).ctx.storage.sql.exec('UPDATE outbox SET due = 0 WHERE event_id = ?', e!.id);
    });
    const second = await delivered(e!);
    expect(second.state).toMatchObject({ delivery: 'delivered', tries: 2 });
    expect(sentFor(e!.id).map((w) => w.headers.get('webhook-id'))).toEqual([e!.id, e!.id]);
  });

  it('a notification that does not verify is sent nowhere', async () => {
    const before = sent.length;
    const n = await mint({
      notification_type: 'ONE_TIME_CHARGE',
      transaction: { product_id: 'com.shouyin.demo.coins100' },
      defect: 'tampered_payload',
      send: true,
    });
    expect(n.delivery?.status).toBe(401);
    expect(sent.slice(before).filter((w) => w.body.includes(n.notification_uuid))).toEqual([]);
  });
});
