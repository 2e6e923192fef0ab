// Reconciliation over several days, end to end inside workerd: the clock (Date, which the Shouyin
// Worker, its Durable Objects and the simulators all read in this one isolate) is moved from day to
// day, payments and refunds go through the real sessions and simulators, and each day's report is
// asked for over `GET /v1/reconciliation/:date` — or run by the Cron Trigger — as a merchant's
// finance team would at month-end. Every day must come out with zero false differences:
//   - WeChat Pay: a refund requested on day 1 that succeeds on day 3 (listed PROCESSING on day 1);
//   - UnionPay: a payment after the 23:00 clearing cut-off, on the next day's file, which is not out
//     yet when the first day is reconciled;
//   - Alipay: a statement not generated yet when the Cron Trigger's run starts, there an hour later,
//     split into several detail files.
// The days are in the near future, so no alarm fires on its own: the tests run each one.

import { createExecutionContext, createScheduledController, env, runDurableObjectAlarm, waitOnExecutionContext } from 'cloudflare:test';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import worker from '../src/index';
import type { ReconciliationReport } from '../src/bills/reconcile';
import { reconShardName } from '../src/bills/run';
import { DAY_MS, addDays, beijingDay } from '../src/bills/time';
import { RECON_TEST, testConfigObject } from './fixtures/config';
import { SANDBOX, captureFetch, control, drain, mutate, paid, refundStatus, refunded, report, requestRefund, type Channel, type Hook } from './recon-helpers';

const at = (day: string, hhmm: string) => Date.parse(`${day}T${hhmm}:00+08:00`);
const setClock = (ms: number) => vi.setSystemTime(ms);
/** A day well after today, so the tests' days never meet the real clock. */
const dayFromNow = (n: number) => beijingDay(Date.now() + n * DAY_MS);

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

/** No discrepancy, and every provider either listed the day or said it had none. */
function clean(r: ReconciliationReport): void {
  expect(r.discrepancies).toEqual([]);
  expect(r.status).toBe('balanced');
  for (const p of r.providers) expect(['ok', 'empty']).toContain(p.status);
}

describe('a WeChat Pay refund requested on day 1 that succeeds on day 3', () => {
  it('is in flight on the day-1 report, carried on day 2, cleared on day 3; refreshed, day 1 matches it', async () => {
    const D1 = dayFromNow(20);
    const [D2, D3] = [addDays(D1, 1), addDays(D1, 2)];
    vi.useFakeTimers({ toFake: ['Date'], now: at(D1, '10:00') });

    const w = await paid('wechat_pay', 10_000);
    expect(w.day).toBe(D1);
    setClock(at(D1, '15:00'));
    // The simulator accepts the refund as PROCESSING; nothing flushes it until day 3.
    const r = await requestRefund(w.s, 2_500);
    const refundNo = r.id.slice(3);
    expect(await refundStatus(r.id)).toBe('pending');

    // Day 2, 10:30: WeChat made day 1's bill at 09:00 with the refund still PROCESSING.
    setClock(at(D2, '10:30'));
    const day1 = await report(D1);
    clean(day1);
    const wechat1 = day1.providers.find((p) => p.provider === 'wechat-v3');
    expect(wechat1).toMatchObject({
      status: 'ok',
      statement: { payments: { count: 1, amount: 10_000 }, refunds: { count: 1, amount: 2_500 } },
      shouyin: { payments: { count: 1, amount: 10_000 }, refunds: { count: 0, amount: 0 } },
      matched: { payments: 1, refunds: 0 },
      // 0.60% charged on the payment (60), returned on the refund (15); the refund left the balance on request.
      money: { gross: 7_500, fee: 45, net: 7_455 },
    });
    expect(day1.in_flight).toEqual([
      {
        reason: 'refund_processing',
        object: 'refund',
        provider: 'wechat-v3',
        out_trade_no: w.attempt,
        out_refund_no: refundNo,
        provider_transaction_id: expect.any(String),
        provider_refund_id: expect.any(String),
        session: null,
        amount: 2_500,
        since: D1,
      },
    ]);
    const day2 = await report(D2);
    clean(day2);
    expect(day2.carried_from).toBe(D1);
    expect(day2.in_flight.map((i) => [i.out_refund_no, i.since])).toEqual([[refundNo, D1]]);
    expect(day2.cleared).toEqual([]);

    // Day 3, noon: the refund succeeds; Shouyin hears it and books it on its request day.
    setClock(at(D3, '12:00'));
    await control('wechat_pay', '/flush', {});
    await drain(w.s.id);
    expect(await refundStatus(r.id)).toBe('succeeded');

    setClock(at(addDays(D3, 1), '10:30'));
    const day3 = await report(D3);
    clean(day3);
    expect(day3.carried_from).toBe(D2);
    expect(day3.in_flight).toEqual([]);
    expect(day3.cleared).toMatchObject([{ reason: 'refund_processing', out_refund_no: refundNo, since: D1, outcome: 'succeeded', at: at(D3, '12:00') / 1000 }]);
    // Day 1 asked again: the PROCESSING row now matches the refund Shouyin booked on that day.
    const again = await report(D1);
    clean(again);
    expect(again.in_flight).toEqual([]);
    expect(again.providers.find((p) => p.provider === 'wechat-v3')?.matched).toEqual({ payments: 1, refunds: 1, other_days: 0 });
  });
});

describe("UnionPay's clearing day across midnight", () => {
  it('a payment after the cut-off is carried past a file that is not out yet, then cleared from the next day’s file', async () => {
    const D1 = dayFromNow(30);
    const D2 = addDays(D1, 1);
    await mutate('unionpay', [
      { kind: 'clearing_cutoff', time: '23:00' },
      { kind: 'not_ready', date: D2, until: at(addDays(D2, 1), '09:00') / 1000 },
    ]);
    vi.useFakeTimers({ toFake: ['Date'], now: at(D1, '15:00') });
    const early = await paid('unionpay', 1_000);
    setClock(at(D1, '23:30'));
    const late = await paid('unionpay', 4_321);
    expect([early.day, late.day]).toEqual([D1, D1]);

    // Day 2, 10:30: day 1's file holds the 15:00 payment; the 23:30 one clears on day 2, whose file is not out.
    setClock(at(D2, '10:30'));
    const day1 = await report(D1);
    clean(day1);
    const up1 = day1.providers.find((p) => p.provider === 'unionpay-acp');
    expect(up1).toMatchObject({ status: 'ok', matched: { payments: 1, refunds: 0, other_days: 0 }, money: { gross: 1_000, fee: 6, net: 994 } });
    expect(up1?.checks.every((c) => c.ok)).toBe(true);
    expect(day1.in_flight).toMatchObject([{ reason: 'awaiting_clearing', object: 'payment', out_trade_no: late.attempt, amount: 4_321, since: D1 }]);
    // Asked for before its file is out, day 2 itself is incomplete, not "no trades".
    const tooEarly = await report(D2);
    expect(tooEarly.status).toBe('incomplete');
    expect(tooEarly.providers.find((p) => p.provider === 'unionpay-acp')).toMatchObject({ status: 'not_ready', reason: expect.stringContaining('98') });
    expect(tooEarly.in_flight.map((i) => i.out_trade_no)).toEqual([late.attempt]);
    expect(tooEarly.counts.unchecked).toBe(1);

    // Day 3, 10:30: day 2's file lists the late payment (timed day 1, 23:30); the carried item clears.
    setClock(at(addDays(D2, 1), '10:30'));
    const day2 = await report(D2);
    clean(day2);
    expect(day2.cleared).toMatchObject([{ reason: 'awaiting_clearing', out_trade_no: late.attempt, outcome: 'on_statement' }]);
    expect(day2.in_flight).toEqual([]);
    const up2 = day2.providers.find((p) => p.provider === 'unionpay-acp');
    expect(up2).toMatchObject({
      statement: { payments: { count: 1, amount: 4_321 } },
      matched: { payments: 1, other_days: 1 },
      money: { gross: 4_321, fee: 26 },
    });
    expect(up2?.files).toEqual([expect.stringMatching(/^INN\d{6}88ZM_/), expect.stringMatching(/^RD2010\d{6}01_/)]);
  });

  it('a day with nothing cleared is an RD-only zip: empty, not incomplete', async () => {
    const D = dayFromNow(40);
    vi.useFakeTimers({ toFake: ['Date'], now: at(addDays(D, 1), '10:30') });
    const r = await report(D);
    clean(r);
    expect(r.providers.find((p) => p.provider === 'unionpay-acp')).toMatchObject({ status: 'empty', reason: expect.stringContaining('only the RD summary') });
  });
});

describe('an Alipay statement not generated yet when the daily run starts', () => {
  it('runs again an hour later, reads every split detail file and the (汇总) file, and only then sends reconciliation.completed', async () => {
    const D1 = dayFromNow(50);
    const D2 = addDays(D1, 1);
    vi.useFakeTimers({ toFake: ['Date'], now: at(D1, '14:00') });
    const a = await paid('alipay', 3_000);
    const b = await paid('alipay', 2_000);
    const c = await paid('alipay', 1_500);
    const refundNo = await refunded('alipay', a.s, 500);
    await mutate('alipay', [
      { kind: 'split_detail', rows: 2 },
      { kind: 'not_ready', date: D1, until: at(D2, '11:00') / 1000 },
    ]);

    // Only this merchant in the run: a live merchant's would call the real providers.
    const cfg = testConfigObject();
    cfg.merchants = (cfg.merchants as { id: string }[]).filter((m) => m.id === RECON_TEST.merchant_id);
    const cronEnv = { ...env, SHOUYIN_CONFIG: JSON.stringify(cfg) };
    setClock(at(D2, '10:30'));
    const ctx = createExecutionContext();
    await worker.scheduled!(createScheduledController({ scheduledTime: Date.now(), cron: '30 2 * * *' }), cronEnv, ctx);
    await waitOnExecutionContext(ctx);
    const shard = env.MERCHANT_SHARDS.getByName(reconShardName(RECON_TEST.merchant_id, D1));
    await runDurableObjectAlarm(shard);
    const first = await shard.reconciliationRun(RECON_TEST.merchant_id, D1);
    expect(first).toMatchObject({ tries: 1, run_at: at(D2, '11:30'), event_id: null });
    const waiting = await report(D1, undefined, false);
    expect(waiting.status).toBe('incomplete');
    expect(waiting.providers.find((p) => p.provider === 'alipay')).toMatchObject({
      status: 'not_ready',
      reason: expect.stringContaining('isv.invalid_arguments'),
    });
    // Shouyin's Alipay payments are unchecked, never reported missing.
    expect(waiting.discrepancies).toEqual([]);
    expect(waiting.counts.unchecked).toBe(4);
    expect(hooks.filter((h) => h.body.includes('reconciliation.completed'))).toEqual([]);

    // An hour later the bill is there.
    setClock(at(D2, '11:30'));
    for (let i = 0; i < 4; i++) {
      if ((await shard.reconciliationRun(RECON_TEST.merchant_id, D1))?.delivery === 'delivered') break;
      await runDurableObjectAlarm(shard);
    }
    expect(await shard.reconciliationRun(RECON_TEST.merchant_id, D1)).toMatchObject({ tries: 2, run_at: null, delivery: 'delivered' });
    const done = await report(D1, undefined, false);
    clean(done);
    const alipay = done.providers.find((p) => p.provider === 'alipay');
    expect(alipay?.files).toEqual([
      expect.stringMatching(/_业务明细_1\.csv$/),
      expect.stringMatching(/_业务明细_2\.csv$/),
      expect.stringMatching(/_业务明细\(汇总\)\.csv$/),
    ]);
    expect(alipay).toMatchObject({
      statement: { payments: { count: 3, amount: 6_500 }, refunds: { count: 1, amount: 500 } },
      matched: { payments: 3, refunds: 1 },
      // 0.60% of each trade (18 + 12 + 9), 3 returned with the refund.
      money: { gross: 6_000, fee: 36, net: 5_964 },
    });
    expect(alipay?.checks.length).toBeGreaterThanOrEqual(6);
    expect(alipay?.checks.every((ch) => ch.ok)).toBe(true);
    expect([a.attempt, b.attempt, c.attempt, refundNo].every((id) => typeof id === 'string')).toBe(true);
    const sent = hooks.filter((h) => h.url === RECON_TEST.webhook_url && h.body.includes('reconciliation.completed'));
    expect(sent).toHaveLength(1);
    const summary = (JSON.parse(sent[0]!.body) as { data: { object: { status: string; money: unknown } } }).data.object;
    expect(summary).toMatchObject({ status: 'balanced', money: done.money });
  });
});
