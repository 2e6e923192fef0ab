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
import { reconShardName } from '../src/bills/run';
import { DAY_MS, beijingDay } from '../src/bills/time';
import { loadConfig } from '../src/config';
import type { WechatPayV3Config } from '../src/providers/wechat-v3/config';
import { providerContext } from '../src/lib/outbound';
import { wechatV3 } from '../src/providers/wechat-v3';
import { RECON_TEST, TEST, testConfigObject } from './fixtures/config';
import { BASE } from './helpers';
import { KEY, SANDBOX, api, captureFetch, find, mutate, paid, refunded, report, type Channel, type Hook } from './recon-helpers';

let hooks: Hook[] = [];
beforeEach(() => {
  hooks = [];
  captureFetch(hooks);
});
afterEach(async () => {
  vi.useRealTimers();
  vi.restoreAllMocks();
  for (const ch of Object.keys(SANDBOX) as Channel[]) await mutate(ch, []);
});

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
      // The simulators charge 0.60%, returned on refunds: gross is what settled, net what is paid out.
      const gross = p.statement.payments.amount - p.statement.refunds.amount;
      expect(p.money).toEqual({ gross, fee: expect.any(Number), net: gross - (p.money?.fee ?? 0) });
      expect(p.money?.fee).toBeGreaterThan(0);
    }
    // Each file's own totals are checked, fees included: WeChat's summary row, Alipay's 合计 lines and (汇总) file, UnionPay's RD.
    expect(r.providers.map((p) => p.checks.map((c) => c.what).filter((w) => /手续费|服务费|费用/.test(w)))).toEqual([
      ['手续费总金额'],
      ['汇总 合计 服务费（元）'],
      ['RD 总计 费用 (借 − 贷)'],
    ]);
    expect(r.money).toEqual({
      gross: r.providers.reduce((n, p) => n + (p.money?.gross ?? 0), 0),
      fee: r.providers.reduce((n, p) => n + (p.money?.fee ?? 0), 0),
      net: r.providers.reduce((n, p) => n + (p.money?.net ?? 0), 0),
    });
    const ymd = w.day.replaceAll('-', '');
    expect(r.providers.map((p) => p.files)).toEqual([
      [`tradebill_${w.day}.csv`],
      [expect.stringMatching(/_业务明细\.csv$/), expect.stringMatching(/_业务明细\(汇总\)\.csv$/)],
      [`INN${ymd.slice(2)}88ZM_${RECON_TEST.mer_id}`, `RD2010${ymd.slice(2)}01_${RECON_TEST.mer_id}`],
    ]);
    // The ids the diff matched on are ours: the attempt ids and the refund numbers.
    expect([wr, ar, ur].every((no) => /^[0-9A-Za-z]{24}R\d+$/.test(no))).toBe(true);
    // The stored report is served again without downloading anything.
    expect((await report(w.day, KEY, false)).created).toBe(r.created);
  });

  it('catches every kind the switch injects: 短款, 长款, amount, refund missing either way, a refund listed twice', async () => {
    // At noon of a day to come: a UnionPay payment missing from its day's file is 短款 at once only before
    // the 23:00 clearing cut-off (after it, it is carried to the next day's file), and no alarm fires on its own.
    vi.useFakeTimers({ toFake: ['Date'], now: Date.parse(`${beijingDay(Date.now() + 10 * DAY_MS)}T12:00:00+08:00`) });
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
      ...providerContext(config.public_base_url, false, () => Date.now()),
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
      expect.stringContaining('holds only the RD summary'),
    ]);
    expect(r).toMatchObject({ status: 'balanced', discrepancies: [], counts: { discrepancies: 0, unchecked: 0 } });
  });

  it('"not ready yet" is not "no trades" on every rail: not_ready, the day incomplete; an Alipay refusal past its bill time is an error', async () => {
    const today = beijingDay(Date.now());
    const hold = [{ kind: 'not_ready', date: today }];
    for (const ch of ['wechat_pay', 'alipay', 'unionpay'] as const) await mutate(ch, hold);
    const r = await report(today);
    expect(r.providers.map((p) => [p.provider, p.status])).toEqual([
      ['wechat-v3', 'not_ready'],
      ['alipay', 'not_ready'],
      ['unionpay-acp', 'not_ready'],
    ]);
    expect(r.providers.map((p) => p.reason)).toEqual([
      expect.stringContaining('STATEMENT_CREATING'),
      expect.stringContaining('isv.invalid_arguments'),
      expect.stringContaining('respCode 98'),
    ]);
    expect(r).toMatchObject({ status: 'incomplete', discrepancies: [] });
    await mutate('wechat_pay', hold, RECON_TEST.v2_secret_key);
    const v2 = await report(today, RECON_TEST.v2_secret_key);
    expect(v2.providers.map((p) => [p.provider, p.status, p.reason])).toEqual([['wechat-v2', 'not_ready', expect.stringContaining('Bill Creating')]]);
    await mutate('wechat_pay', [], RECON_TEST.v2_secret_key);
    // Alipay refuses a bill it has not generated; long after the day, the same refusal is an error, not "not yet".
    const old = beijingDay(Date.now() - 3 * DAY_MS);
    await mutate('alipay', [{ kind: 'not_ready', date: old }]);
    const late = await report(old);
    expect(late.providers.find((p) => p.provider === 'alipay')).toMatchObject({ status: 'error', reason: expect.stringContaining('isv.invalid_arguments') });
    expect(late.status).toBe('incomplete');
  });

  it('a ledger kept before refunds carried their request day and outcome gets the new columns on first use', async () => {
    const shard = env.MERCHANT_SHARDS.getByName('legacy:ledger:2026-01-01');
    await runInDurableObject(shard, (_o: unknown, state: DurableObjectState) => {
      state.storage.sql.exec('DROP TABLE ledger');
      state.storage.sql.exec(`CREATE TABLE ledger (
        merchant TEXT NOT NULL, kind TEXT NOT NULL, key TEXT NOT NULL, attempt TEXT NOT NULL, session TEXT NOT NULL, provider TEXT,
        provider_transaction_id TEXT, provider_refund_id TEXT, amount INTEGER NOT NULL, at INTEGER NOT NULL, anomaly TEXT,
        automatic INTEGER NOT NULL, event TEXT NOT NULL, PRIMARY KEY (merchant, kind, key))`);
      state.storage.sql.exec(
        "INSERT INTO ledger VALUES ('legacy', 'refund', 'K1R1', 'K1A1', 'cs_K1', 'wechat-v3', NULL, '503', 100, 1767225600000, NULL, 0, 'evt_old')",
      );
    });
    const entries = await shard.ledgerEntries('legacy');
    expect(entries).toMatchObject([{ key: 'K1R1', amount: 100, requested_at: null, status: 'succeeded' }]);
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
