// Reconciliation end to end inside workerd, through the Worker's own fetch handler (SELF): real
// payments and refunds on the WeChat Pay (APIv3 and APIv2), Alipay and UnionPay simulators, their
// statements downloaded in each provider's own format, diffed against the day ledger the merchant
// event log fills — a clean day with nothing invented, every discrepancy kind the simulators'
// switch injects caught, a day without trades, and the Cron Trigger's run with its signed webhook.

import { Webhook } from 'standardwebhooks';
import { gunzipSync, gzipSync } from 'fflate';
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
import worker from '../src/index';
import type { ReconciliationReport } from '../src/bills/reconcile';
import { reconShardName } from '../src/bills/run';
import type { CheckoutSession } from '../src/session/durable-object';
import { DAY_MS, beijingDay } from '../src/bills/time';
import { loadConfig } from '../src/config';
import type { WechatPayV3Config } from '../src/providers/wechat-v3/config';
import { providerContext } from '../src/lib/outbound';
import { wechatV3 } from '../src/providers/wechat-v3';
import { RECON_TEST, TEST, testConfigObject } from './fixtures/config';
import { BASE, orderId, sessionStub, type SessionJson } from './helpers';

type Channel = 'wechat_pay' | 'alipay' | 'unionpay';
const SANDBOX: Record<Channel, string> = { wechat_pay: 'wechatpay', alipay: 'alipay', unionpay: 'unionpay' };
const KEY = RECON_TEST.secret_key;

const realFetch = globalThis.fetch;
let hooks: { url: string; headers: Record<string, string>; body: string }[] = [];
beforeEach(() => {
  hooks = [];
  // Merchant webhooks go to https://merchant.test; nothing leaves the machine.
  vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
    const req = new Request(input as RequestInfo, init);
    if (req.url.startsWith('https://merchant.test')) {
      hooks.push({ url: req.url, headers: Object.fromEntries(req.headers), body: await req.text() });
      return new Response('ok');
    }
    if (!req.url.startsWith(BASE)) return new Response('no network in tests', { status: 503 });
    return realFetch(req);
  });
});
afterEach(async () => {
  vi.restoreAllMocks();
  for (const ch of Object.keys(SANDBOX) as Channel[]) await mutate(ch, []);
});

function api(path: string, init: RequestInit = {}, key: string = KEY): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set('authorization', `Bearer ${key}`);
  if (init.body) headers.set('content-type', 'application/json');
  return SELF.fetch(`${BASE}${path}`, { ...init, headers });
}

function control(channel: Channel, path: string, body?: unknown, key: string = KEY): Promise<Response> {
  return SELF.fetch(`${BASE}/sandbox/${SANDBOX[channel]}/_control${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

async function mutate(channel: Channel, mutations: unknown[], key: string = KEY): Promise<void> {
  const res = await control(channel, '/bills', { mutations }, key);
  if (res.status !== 200) throw new Error(`mutate ${channel}: ${res.status} ${await res.text()}`);
}

/** Runs the session's due work until nothing is due now, waiting out an alarm the runtime already started. */
async function drain(id: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if ((await runInDurableObject(sessionStub(id), (o: CheckoutSession) => o.store.dueBy(o.clock.now()).length)) === 0) return;
    if (!(await runDurableObjectAlarm(sessionStub(id)))) await new Promise((r) => setTimeout(r, 5));
  }
}

async function session(id: string, key: string = KEY): Promise<SessionJson> {
  return (await (await api(`/v1/checkout/sessions/${id}`, {}, key)).json()) as SessionJson;
}

/** A session paid on `channel` through its simulator, its events filed in the ledger. */
async function paid(channel: Channel, amount: number, key: string = KEY): Promise<{ s: SessionJson; attempt: string; day: string }> {
  const res = await api(
    '/v1/checkout/sessions',
    { method: 'POST', body: JSON.stringify({ amount, currency: 'CNY', description: '对账测试 Reconciliation', merchant_order_id: orderId() }) },
    key,
  );
  const s = (await res.json()) as SessionJson;
  const start = await SELF.fetch(`${BASE}/v1/client/sessions/${s.id}/attempts`, {
    method: 'POST',
    headers: { authorization: `Bearer ${s.client_secret}`, 'content-type': 'application/json' },
    body: JSON.stringify({ channel, flow: 'qr' }),
  });
  if (start.status !== 201) throw new Error(`attempt ${channel}: ${start.status} ${await start.text()}`);
  const attempt = ((await start.json()) as { attempt: { id: string } }).attempt.id;
  const pay = await control(channel, `/orders/${attempt}/pay`, { notify: 'normal' }, key);
  if (pay.status !== 200) throw new Error(`pay ${channel}: ${pay.status} ${await pay.text()}`);
  await control(channel, '/flush', {}, key);
  await drain(s.id);
  const after = await session(s.id, key);
  expect(after.status).toBe('paid');
  return { s: after, attempt, day: beijingDay((after.payment as unknown as { paid_at: number }).paid_at * 1000) };
}

/** A refund that the provider settles, Shouyin learns of, and the ledger files. Returns our refund number. */
async function refunded(channel: Channel, s: SessionJson, amount: number): Promise<string> {
  const res = await api('/v1/refunds', { method: 'POST', body: JSON.stringify({ session: s.id, amount }) });
  expect(res.status).toBe(201);
  const r = (await res.json()) as { id: string; status: string };
  for (let i = 0; i < 10; i++) {
    await control(channel, '/flush', {});
    await drain(s.id);
    if (((await (await api(`/v1/refunds/${r.id}`)).json()) as { status: string }).status === 'succeeded') break;
  }
  expect(((await (await api(`/v1/refunds/${r.id}`)).json()) as { status: string }).status).toBe('succeeded');
  await drain(s.id);
  return r.id.slice(3);
}

async function report(date: string, key: string = KEY, refresh = true): Promise<ReconciliationReport> {
  const res = await api(`/v1/reconciliation/${date}${refresh ? '?refresh=true' : ''}`, {}, key);
  if (res.status !== 200) throw new Error(`report: ${res.status} ${await res.text()}`);
  return (await res.json()) as ReconciliationReport;
}

const find = (r: ReconciliationReport, kind: string, object: string, id: string) =>
  r.discrepancies.filter((d) => d.kind === kind && d.object === object && (d.out_trade_no === id || d.out_refund_no === id));

describe("reconciliation against the simulators' statements", () => {
  it('a clean day on WeChat Pay v3, Alipay and UnionPay: every payment and refund matched, nothing invented', async () => {
    const w = await paid('wechat_pay', 8888);
    const a = await paid('alipay', 1234);
    const u = await paid('unionpay', 4321);
    const wr = await refunded('wechat_pay', w.s, 888);
    const ar = await refunded('alipay', a.s, 234);
    const ur = await refunded('unionpay', u.s, 321);
    const r = await report(w.day);
    expect(r).toMatchObject({ object: 'reconciliation_report', merchant: RECON_TEST.merchant_id, date: w.day, timezone: 'Asia/Shanghai', livemode: false });
    expect(r.discrepancies).toEqual([]);
    expect(r.status).toBe('balanced');
    expect(r.providers.map((p) => [p.provider, p.status])).toEqual([
      ['wechat-v3', 'ok'],
      ['alipay', 'ok'],
      ['unionpay-acp', 'ok'],
    ]);
    for (const p of r.providers) {
      expect(p.statement.payments).toEqual(p.shouyin.payments);
      expect(p.statement.refunds).toEqual(p.shouyin.refunds);
      expect(p.matched.payments).toBeGreaterThanOrEqual(1);
      expect(p.matched.refunds).toBeGreaterThanOrEqual(1);
      expect(p.checks.every((c) => c.ok)).toBe(true);
    }
    expect(r.providers.map((p) => p.file)).toEqual([
      `tradebill_${w.day}.csv`,
      expect.stringMatching(/_业务明细\.csv$/),
      `INN${w.day.slice(2).replaceAll('-', '')}88ZM_${RECON_TEST.mer_id}`,
    ]);
    // The ids the diff matched on are ours: the attempt ids and the refund numbers.
    expect([wr, ar, ur].every((no) => /^[0-9A-Za-z]{24}R\d+$/.test(no))).toBe(true);
    // The stored report is served again without downloading anything.
    expect((await report(w.day, KEY, false)).created).toBe(r.created);
  });

  it('catches every kind the switch injects: 短款, 长款, amount, refund missing either way, a refund listed twice', async () => {
    const w1 = await paid('wechat_pay', 1000);
    const w2 = await paid('wechat_pay', 2000);
    const a1 = await paid('alipay', 3000);
    const u1 = await paid('unionpay', 4000);
    const w1r = await refunded('wechat_pay', w1.s, 100);
    const a1r = await refunded('alipay', a1.s, 300);
    await mutate('wechat_pay', [
      { kind: 'drop_payment', out_trade_no: w2.attempt },
      { kind: 'foreign_payment', out_trade_no: 'FOREIGNWECHAT01', amount: 777 },
      { kind: 'duplicate_refund', out_refund_no: w1r },
    ]);
    await mutate('alipay', [
      { kind: 'change_amount', out_trade_no: a1.attempt, amount: 2999 },
      { kind: 'drop_refund', out_refund_no: a1r },
      { kind: 'foreign_refund', out_refund_no: 'FOREIGNREFUND01', out_trade_no: 'FOREIGNALIPAY01', amount: 55 },
    ]);
    await mutate('unionpay', [
      { kind: 'drop_payment', out_trade_no: u1.attempt },
      { kind: 'foreign_payment', out_trade_no: 'FOREIGNUNIONPAY1', amount: 300 },
    ]);
    const r = await report(w1.day);
    expect(r.status).toBe('discrepancies');
    expect(find(r, 'missing_at_provider', 'payment', w2.attempt)).toMatchObject([
      { label: '短款', provider: 'wechat-v3', amount_here: 2000, amount_provider: null, session: w2.s.id },
    ]);
    expect(find(r, 'missing_here', 'payment', 'FOREIGNWECHAT01')).toMatchObject([
      { label: '长款', provider: 'wechat-v3', amount_here: null, amount_provider: 777 },
    ]);
    expect(find(r, 'duplicate_at_provider', 'refund', w1r)).toMatchObject([{ provider: 'wechat-v3', amount_provider: 100 }]);
    expect(find(r, 'amount_mismatch', 'payment', a1.attempt)).toMatchObject([{ provider: 'alipay', amount_here: 3000, amount_provider: 2999 }]);
    expect(find(r, 'missing_at_provider', 'refund', a1r)).toMatchObject([{ amount_here: 300, out_trade_no: a1.attempt }]);
    expect(find(r, 'missing_here', 'refund', 'FOREIGNREFUND01')).toMatchObject([{ provider: 'alipay', amount_provider: 55, out_trade_no: 'FOREIGNALIPAY01' }]);
    expect(find(r, 'missing_at_provider', 'payment', u1.attempt)).toMatchObject([{ provider: 'unionpay-acp', amount_here: 4000 }]);
    expect(find(r, 'missing_here', 'payment', 'FOREIGNUNIONPAY1')).toMatchObject([{ provider: 'unionpay-acp', amount_provider: 300 }]);
    expect(r.discrepancies).toHaveLength(8);
    expect(r.counts.by_kind).toEqual({ missing_at_provider: 3, missing_here: 3, duplicate_at_provider: 1, amount_mismatch: 1 });
    expect(r.providers.map((p) => [p.provider, p.discrepancies])).toEqual([
      ['wechat-v3', 3],
      ['alipay', 3],
      ['unionpay-acp', 2],
    ]);

    // Switch off: the same day reconciles clean again (nothing was invented by the diff itself).
    for (const ch of ['wechat_pay', 'alipay', 'unionpay'] as const) await mutate(ch, []);
    expect((await report(w1.day)).discrepancies).toEqual([]);
  });

  it('an APIv2 merchant: /pay/downloadbill read and matched; a changed amount found', async () => {
    const v = await paid('wechat_pay', 350, RECON_TEST.v2_secret_key);
    const clean = await report(v.day, RECON_TEST.v2_secret_key);
    expect(clean.providers.map((p) => [p.provider, p.status, p.file])).toEqual([['wechat-v2', 'ok', `downloadbill_${v.day}.csv`]]);
    expect(clean.status).toBe('balanced');
    await mutate('wechat_pay', [{ kind: 'change_amount', out_trade_no: v.attempt, amount: 351 }], RECON_TEST.v2_secret_key);
    const r = await report(v.day, RECON_TEST.v2_secret_key);
    expect(r.discrepancies.map((d) => [d.kind, d.out_trade_no, d.amount_here, d.amount_provider])).toEqual([['amount_mismatch', v.attempt, 350, 351]]);
    await mutate('wechat_pay', [], RECON_TEST.v2_secret_key);
  });

  it("WeChat's bill download: a signed request, an unsigned file, trusted only when its SHA1 matches", async () => {
    const w = await paid('wechat_pay', 4242);
    const config = loadConfig(env);
    const cfg = config.merchants.find((m) => m.id === RECON_TEST.merchant_id)?.providers.wechat_pay as WechatPayV3Config;
    let tamper = false;
    const seen: { auth: string | null; signature: string | null; gzip: boolean }[] = [];
    const ctx = {
      ...providerContext(config, false, () => Date.now()),
      fetch: async (req: Request) => {
        const res = await SELF.fetch(req);
        if (!req.url.includes('/v3/billdownload/file')) return res;
        const bytes = new Uint8Array(await res.arrayBuffer());
        seen.push({ auth: req.headers.get('authorization'), signature: res.headers.get('wechatpay-signature'), gzip: bytes[0] === 0x1f && bytes[1] === 0x8b });
        if (!tamper) return new Response(bytes, res);
        // The same bill with one amount changed, gzipped again: well-formed, but not what the digest names.
        const text = new TextDecoder().decode(gunzipSync(bytes)).replace('`42.42', '`42.43');
        return new Response(gzipSync(new TextEncoder().encode(text)), res);
      },
    };
    const ok = await wechatV3.downloadStatement!(ctx, cfg, w.day);
    expect(ok.status === 'ok' && ok.statement.rows.some((r) => r.outTradeNo === w.attempt && r.amount === 4242)).toBe(true);
    expect(seen[0]).toMatchObject({ auth: expect.stringMatching(/^WECHATPAY2-SHA256-RSA2048 mchid="1900000199"/), signature: null, gzip: true });
    tamper = true;
    await expect(wechatV3.downloadStatement!(ctx, cfg, w.day)).rejects.toMatchObject({ code: 'statement_digest_mismatch' });
  });

  it('a day without movements: every provider says so, and the day is balanced with zero counts', async () => {
    const r = await report('2020-01-02');
    expect(r.providers.map((p) => [p.provider, p.status])).toEqual([
      ['wechat-v3', 'empty'],
      ['alipay', 'empty'],
      ['unionpay-acp', 'empty'],
    ]);
    expect(r.providers.map((p) => p.reason)).toEqual([
      expect.stringContaining('NO_STATEMENT_EXIST'),
      expect.stringContaining('isp.bill_not_exist'),
      expect.stringContaining('文件不存在'),
    ]);
    expect(r).toMatchObject({ status: 'balanced', discrepancies: [], counts: { discrepancies: 0, unchecked: 0 } });
  });

  it('the merchant API refuses a malformed or future date and a missing key', async () => {
    const bad = await api('/v1/reconciliation/2026-13-01');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { type: 'invalid_request_error', code: 'parameter_invalid', param: 'date' } });
    const future = await api(`/v1/reconciliation/${beijingDay(Date.now() + 2 * DAY_MS)}`);
    expect(((await future.json()) as { error: { code: string } }).error.code).toBe('date_in_future');
    expect((await SELF.fetch(`${BASE}/v1/reconciliation/2020-01-02`)).status).toBe(401);
    expect((await api('/v1/reconciliation/2020-01-02?refresh=yes')).status).toBe(400);
  });
});

describe('the Cron Trigger', () => {
  it('runs yesterday for every merchant once, stores the report and sends a signed reconciliation.completed', async () => {
    const w = await paid('wechat_pay', 666);
    // Only the reconciled merchants here: a live merchant's run would call the real providers.
    const cfg = testConfigObject();
    cfg.merchants = (cfg.merchants as { id: string }[]).filter((m) => m.id === RECON_TEST.merchant_id);
    const cronEnv = { ...env, SHOUYIN_CONFIG: JSON.stringify(cfg) };
    // Fired "tomorrow", so yesterday is the day just paid.
    const fire = async () => {
      const ctx = createExecutionContext();
      await worker.scheduled!(createScheduledController({ scheduledTime: Date.parse(`${w.day}T02:30:00Z`) + DAY_MS, cron: '30 2 * * *' }), cronEnv, ctx);
      await waitOnExecutionContext(ctx);
    };
    await fire();
    await fire();
    const shard = env.MERCHANT_SHARDS.getByName(reconShardName(RECON_TEST.merchant_id, w.day));
    for (let i = 0; i < 10; i++) {
      const state = await shard.reconciliationRun(RECON_TEST.merchant_id, w.day);
      if (state?.delivery === 'delivered') break;
      await runDurableObjectAlarm(shard);
    }
    const state = await shard.reconciliationRun(RECON_TEST.merchant_id, w.day);
    expect(state).toMatchObject({ scheduled: true, tries: 1, run_at: null, delivery: 'delivered' });
    expect(state?.deliveries).toMatchObject([{ try: 1, status: 200, error: null }]);

    const sent = hooks.filter((h) => h.url === RECON_TEST.webhook_url && (JSON.parse(h.body) as { type: string }).type === 'reconciliation.completed');
    expect(sent).toHaveLength(1);
    const hook = sent[0] as (typeof sent)[number];
    // Checked by the reference Standard Webhooks library, not by our own verifier.
    expect(new Webhook(TEST.webhook_secret).verify(hook.body, hook.headers)).toEqual(JSON.parse(hook.body));
    const event = JSON.parse(hook.body) as { id: string; type: string; livemode: boolean; data: { object: Record<string, unknown> } };
    expect(event).toMatchObject({ type: 'reconciliation.completed', livemode: false });
    expect(hook.headers['webhook-id']).toBe(event.id);
    expect(event.data.object).toMatchObject({
      object: 'reconciliation.summary',
      date: w.day,
      status: 'balanced',
      counts: { discrepancies: 0 },
      report: `/v1/reconciliation/${w.day}`,
    });
    const providers = event.data.object.providers as { provider: string; matched: { payments: number } }[];
    expect(providers.find((p) => p.provider === 'wechat-v3')?.matched.payments).toBeGreaterThanOrEqual(1);

    // The stored report is the run's; the event is in the merchant's event log too.
    expect((await report(w.day, KEY, false)).status).toBe('balanced');
    const events = (await (await api('/v1/events?type=reconciliation.completed')).json()) as { data: { id: string }[] };
    expect(events.data.map((e) => e.id)).toContain(event.id);
  });
});
