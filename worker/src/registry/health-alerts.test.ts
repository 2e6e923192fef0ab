// The daily credential check inside workerd: the Worker's own Cron Trigger handler fired at chosen
// times around the test certificates' notAfter dates, the merchant's credentials shard (a real
// MerchantShard with SQLite and its alarm), the signed webhook and the event log.

import { Webhook } from 'standardwebhooks';
import {
  SELF,
  createExecutionContext,
  createScheduledController,
  env,
  runDurableObjectAlarm,
  runInDurableObject,
  waitOnExecutionContext,
} from 'cloudflare:test';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import worker from '../index';
import type { Env } from '../env';
import type { MerchantShard } from '../merchant-shard';
import { ALIPAY_TEST, TEST, testConfigObject } from '../../test/fixtures/config';
import { reconShardName } from '../bills/run';
import { addDays, beijingDay } from '../bills/time';
import { DAY_MS } from './health';
import { CREDENTIALS_EXPIRING, credentialsShardName } from './health-alerts';

/** Apple's pinned root on the demo merchant ends first (2049-12-31T23:59:59Z), then UnionPay's middle (2051-01-01). */
const APPLE_END = Date.parse('2049-12-31T23:59:59Z');
const MIDDLE_END = Date.parse('2051-01-01T00:00:00Z');

/** Webhooks sent, `merchant.credentials_expiring` only (the trigger's reconciliation sends its own). */
let hooks: { url: string; headers: Record<string, string>; body: string }[] = [];
let answer = 200;
const realFetch = globalThis.fetch;
beforeEach(() => {
  hooks = [];
  answer = 200;
  vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
    const req = new Request(input as RequestInfo, init);
    if (req.url.startsWith('https://merchant.test')) {
      const body = await req.text();
      if (!body.includes(`"type":"${CREDENTIALS_EXPIRING}"`)) return new Response('ok');
      hooks.push({ url: req.url, headers: Object.fromEntries(req.headers), body });
      return new Response('ok', { status: answer });
    }
    if (!req.url.startsWith(TEST.public_base_url)) return new Response('no network in tests', { status: 503 });
    return realFetch(req);
  });
});
afterEach(() => vi.restoreAllMocks());

const MERCHANTS: string[] = [TEST.merchant_id, ALIPAY_TEST.cert_merchant_id];

/**
 * The Cron Trigger, for the demo merchant and the certificate-mode one only. It also schedules their
 * reconciliation of the day before `at`; that run is finished here, while webhooks are captured, so
 * nothing of it is left to reach the network after the test.
 */
async function fire(at: number): Promise<void> {
  const cfg = testConfigObject() as { merchants: { id: string }[] };
  cfg.merchants = cfg.merchants.filter((m) => MERCHANTS.includes(m.id));
  const ctx = createExecutionContext();
  await worker.scheduled!(createScheduledController({ scheduledTime: at, cron: '30 2 * * *' }), { ...env, SHOUYIN_CONFIG: JSON.stringify(cfg) } as Env, ctx);
  await waitOnExecutionContext(ctx);
  const date = addDays(beijingDay(at), -1);
  for (const m of MERCHANTS) {
    const recon = env.MERCHANT_SHARDS.getByName(reconShardName(m, date));
    for (let i = 0; i < 10; i++) {
      const run = await recon.reconciliationRun(m, date);
      const busy = (t: number | null) => t !== null && t <= Date.now() + 60_000;
      if (!run || (!busy(run.run_at) && !busy(run.webhook_at))) break;
      await runDurableObjectAlarm(recon);
    }
  }
}

const shard = (merchant: string) => env.MERCHANT_SHARDS.getByName(credentialsShardName(merchant));

async function settle(merchant: string): Promise<void> {
  for (let i = 0; i < 5; i++) {
    const s = await shard(merchant).credentialAlerts(merchant);
    if (!s.events.some((e) => e.delivery === 'pending' && e.webhook_at !== null && e.webhook_at <= Date.now())) return;
    await runDurableObjectAlarm(shard(merchant));
  }
}

type Event = { id: string; type: string; livemode: boolean; data: { object: { merchant: string; credentials: Record<string, unknown>[] } } };
const sent = (): Event[] => hooks.map((h) => JSON.parse(h.body) as Event);

describe('merchant.credentials_expiring', () => {
  it('says nothing while every certificate is more than 30 days away', async () => {
    await fire(APPLE_END - 31 * DAY_MS);
    await settle(TEST.merchant_id);
    expect((await shard(TEST.merchant_id).credentialAlerts(TEST.merchant_id)).events).toEqual([]);
    expect(hooks).toEqual([]);
  });

  it('warns 30 days before, once, however often the trigger fires, with a signed webhook and an event log entry', async () => {
    await fire(APPLE_END - 29.5 * DAY_MS);
    await fire(APPLE_END - 29.5 * DAY_MS);
    await fire(APPLE_END - 29 * DAY_MS);
    await settle(TEST.merchant_id);
    const state = await shard(TEST.merchant_id).credentialAlerts(TEST.merchant_id);
    expect(state.alerts).toMatchObject([{ credential: 'apple.root_certificates[0]', serial: '01', threshold: 30 }]);
    expect(state.events).toMatchObject([{ delivery: 'delivered', tries: 1, deliveries: [{ try: 1, status: 200, error: null }] }]);

    expect(hooks).toHaveLength(1);
    const hook = hooks[0]!;
    expect(hook.url).toBe(TEST.webhook_url);
    // Checked by the reference Standard Webhooks library, not by our own verifier.
    expect(new Webhook(TEST.webhook_secret).verify(hook.body, hook.headers)).toEqual(JSON.parse(hook.body));
    const event = sent()[0]!;
    expect(hook.headers['webhook-id']).toBe(event.id);
    expect(event).toMatchObject({
      type: CREDENTIALS_EXPIRING,
      livemode: false,
      data: { object: { object: 'merchant.credentials', merchant: TEST.merchant_id } },
    });
    expect(event.data.object.credentials).toEqual([
      {
        channel: 'apple',
        credential: 'apple.root_certificates[0]',
        subject: 'CN=Shouyin Sandbox Apple Root CA, OU=Test mode only, O=Shouyin Sandbox, C=CN',
        serial: '01',
        not_after: '2049-12-31T23:59:59.000Z',
        days_left: 29,
        threshold_days: 30,
      },
    ]);
    expect(hook.body).not.toMatch(/PRIVATE KEY|BEGIN CERTIFICATE|shared_secret/);

    const log = await SELF.fetch(`${TEST.public_base_url}/v1/events?type=${CREDENTIALS_EXPIRING}`, { headers: { authorization: `Bearer ${TEST.secret_key}` } });
    expect(((await log.json()) as { data: Event[] }).data.map((e) => e.id)).toContain(event.id);
  });

  it('warns again at 7 days and at 1 day (expired included), each once, retrying a failed delivery', async () => {
    answer = 500;
    await fire(APPLE_END - 6.5 * DAY_MS);
    await settle(TEST.merchant_id);
    let state = await shard(TEST.merchant_id).credentialAlerts(TEST.merchant_id);
    const seven = state.events[1]!;
    // The first try failed: the retry is due 5 s later, on the webhook schedule.
    expect(seven).toMatchObject({ delivery: 'pending', tries: 1, deliveries: [{ try: 1, status: 500 }] });
    expect(seven.webhook_at! - seven.deliveries[0]!.at).toBe(5_000);
    expect(sent().map((e) => e.data.object.credentials.map((c) => c.threshold_days))).toEqual([[7]]);

    answer = 200;
    // The retry, brought forward: the same event (same webhook-id), delivered on the second try.
    await runInDurableObject(shard(TEST.merchant_id), (_o: MerchantShard, state) => {
      state.storage.sql.exec('UPDATE credential_events SET webhook_at = ? WHERE event_id = ?', Date.now(), seven.id);
    });
    await settle(TEST.merchant_id);
    state = await shard(TEST.merchant_id).credentialAlerts(TEST.merchant_id);
    expect(state.events[1]).toMatchObject({ id: seven.id, delivery: 'delivered', tries: 2, deliveries: [{ status: 500 }, { try: 2, status: 200 }] });
    expect(hooks.map((h) => h.headers['webhook-id'])).toEqual([seven.id, seven.id]);
    hooks = [];

    // A day was missed: 12 hours before the end, only the tightest warning (1 day) is sent; later, nothing.
    await fire(APPLE_END - 0.5 * DAY_MS);
    await fire(APPLE_END + 2 * DAY_MS);
    await settle(TEST.merchant_id);
    state = await shard(TEST.merchant_id).credentialAlerts(TEST.merchant_id);
    expect(state.alerts.map((a) => a.threshold)).toEqual([30, 7, 1]);
    expect(state.events).toHaveLength(3);
    expect(sent().map((e) => e.data.object.credentials.map((c) => [c.threshold_days, c.days_left]))).toEqual([[[1, 0]]]);
  });

  it('warns for each certificate on its own dates; a merchant without a webhook still gets the event in its log', async () => {
    await fire(MIDDLE_END - 10 * DAY_MS);
    await settle(TEST.merchant_id);
    expect(sent().flatMap((e) => e.data.object.credentials.map((c) => [c.credential, c.threshold_days]))).toEqual([['providers.unionpay.middle_cert', 30]]);

    // certshop (Alipay certificate mode, no webhook): four certificates end at the same second.
    await fire(Date.parse('2056-11-20T17:59:06Z') - 3 * DAY_MS);
    const cert = await shard(ALIPAY_TEST.cert_merchant_id).credentialAlerts(ALIPAY_TEST.cert_merchant_id);
    expect(cert.alerts.map((a) => [a.credential, a.threshold])).toEqual([
      ['providers.alipay.alipay_cert', 7],
      ['providers.alipay.alipay_root_cert[0]', 7],
      ['providers.alipay.alipay_root_cert[1]', 7],
      ['providers.alipay.app_cert', 7],
    ]);
    expect(cert.events).toMatchObject([{ delivery: 'none', webhook_at: null, tries: 0 }]);
    const log = await SELF.fetch(`${TEST.public_base_url}/v1/events?type=${CREDENTIALS_EXPIRING}`, {
      headers: { authorization: `Bearer ${ALIPAY_TEST.cert_secret_key}` },
    });
    const events = ((await log.json()) as { data: Event[] }).data;
    expect(events.map((e) => e.id)).toEqual([cert.events[0]!.id]);
    expect(events[0]!.data.object.credentials).toHaveLength(4);
  });
});
