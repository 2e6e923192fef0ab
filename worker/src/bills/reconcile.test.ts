// The diff on its own: each discrepancy kind, nothing invented when both sides agree, the midnight
// neighbours, statements that could not be had, refunds in flight carried from day to day, a
// clearing day that is not the calendar day, and the day's money.

import { describe, expect, it } from 'vitest';
import type { LedgerEntry } from './ledger';
import { ledgerDay, ledgerEntryOf } from './ledger';
import { IN_FLIGHT_DAYS, reconcile, type InFlight, type ProviderInput, type ReconcileInput } from './reconcile';
import type { StatementRow } from './statement';
import { addDays, beijingDay, dayStart } from './time';

const DATE = '2026-11-27';
const T = dayStart(DATE) + 10 * 3600_000;

const pay = (key: string, amount: number, over: Partial<LedgerEntry> = {}): LedgerEntry => ({
  kind: 'payment',
  key,
  attempt: key,
  session: `cs_${key}`,
  provider: 'wechat-v3',
  provider_transaction_id: `42${key}`,
  provider_refund_id: null,
  amount,
  at: T,
  requested_at: null,
  status: 'succeeded',
  anomaly: null,
  automatic: false,
  event: `evt_${key}`,
  ...over,
});
const ref = (key: string, attempt: string, amount: number, over: Partial<LedgerEntry> = {}): LedgerEntry => ({
  ...pay(key, amount),
  kind: 'refund',
  attempt,
  provider: null,
  provider_transaction_id: null,
  ...over,
});
const row = (kind: 'payment' | 'refund', outTradeNo: string, amount: number, over: Partial<StatementRow> = {}): StatementRow => ({
  kind,
  outTradeNo,
  providerTransactionId: `42${outTradeNo}`,
  amount,
  time: T,
  line: 1,
  ...(kind === 'refund' ? { outRefundNo: `${outTradeNo}R1` } : {}),
  ...over,
});
const wechat = (rows: StatementRow[]): ProviderInput => ({
  provider: 'wechat-v3',
  channel: 'wechat_pay',
  result: { status: 'ok', statement: { rows, ignored: 0, checks: [], file: 'f' } },
});
const input = (providers: ProviderInput[], ledger: LedgerEntry[], over: Partial<ReconcileInput> = {}): ReconcileInput => ({
  merchant: 'm',
  date: DATE,
  livemode: false,
  now: T,
  providers,
  ledger,
  neighbours: async () => [],
  statementOf: async () => [],
  ...over,
});

describe('reconcile', () => {
  it('a clean day: everything matched, nothing invented', async () => {
    const r = await reconcile(
      input([wechat([row('payment', 'A1', 100), row('payment', 'A2', 250), row('refund', 'A1', 40)])], [pay('A1', 100), pay('A2', 250), ref('A1R1', 'A1', 40)]),
    );
    expect(r.status).toBe('balanced');
    expect(r.discrepancies).toEqual([]);
    expect(r.providers[0]).toMatchObject({
      status: 'ok',
      statement: { payments: { count: 2, amount: 350 }, refunds: { count: 1, amount: 40 } },
      shouyin: { payments: { count: 2, amount: 350 }, refunds: { count: 1, amount: 40 } },
      matched: { payments: 2, refunds: 1 },
      discrepancies: 0,
    });
  });

  it('finds each kind: 短款, 长款, amounts, refunds missing either way, duplicates, a file that does not add up', async () => {
    const statement = wechat([
      row('payment', 'A2', 999),
      row('payment', 'F1', 500),
      row('refund', 'A1', 40),
      row('refund', 'A1', 40),
      row('refund', 'F2', 30, { outRefundNo: 'F2R9' }),
    ]);
    if (statement.result.status === 'ok') statement.result.statement.checks.push({ what: '总交易单数', declared: 6, computed: 5, ok: false });
    const r = await reconcile(input([statement], [pay('A1', 100), pay('A2', 250), ref('A1R1', 'A1', 40), ref('A3R1', 'A3', 10)]));
    expect(r.status).toBe('discrepancies');
    const brief = r.discrepancies.map((d) => [d.kind, d.label, d.object, d.out_trade_no, d.out_refund_no, d.amount_here, d.amount_provider]);
    expect(brief).toEqual(
      expect.arrayContaining([
        ['statement_inconsistent', '账单自身不平', 'statement', null, null, 5, 6],
        ['duplicate_at_provider', '重复', 'refund', 'A1', 'A1R1', null, 40],
        ['missing_at_provider', '短款', 'payment', 'A1', null, 100, null],
        ['amount_mismatch', '金额不符', 'payment', 'A2', null, 250, 999],
        ['missing_at_provider', '短款', 'refund', 'A3', 'A3R1', 10, null],
        ['missing_here', '长款', 'payment', 'F1', null, null, 500],
        ['missing_here', '长款', 'refund', 'F2', 'F2R9', null, 30],
      ]),
    );
    expect(r.discrepancies).toHaveLength(7);
    expect(r.counts.by_kind).toEqual({ statement_inconsistent: 1, duplicate_at_provider: 1, missing_at_provider: 2, amount_mismatch: 1, missing_here: 2 });
  });

  it('near midnight: a row Shouyin filed on the next day, an entry the provider filed the day before', async () => {
    const early = pay('B1', 10, { at: dayStart(DATE) + 60_000 });
    const r = await reconcile(
      input([wechat([row('refund', 'A9', 5)])], [early], {
        neighbours: async (keys) => (keys.includes('refund:A9R1') ? [ref('A9R1', 'A9', 5, { at: dayStart(DATE) + 86_400_000 + 30_000 })] : []),
        statementOf: async (_p, day) => (day === '2026-11-26' ? [row('payment', 'B1', 10)] : []),
      }),
    );
    expect(r.discrepancies).toEqual([]);
    expect(r.status).toBe('balanced');
  });

  it('a statement that is not ready or failed leaves the day incomplete, its entries unchecked, not missing', async () => {
    const r = await reconcile(
      input(
        [
          { provider: 'wechat-v3', channel: 'wechat_pay', result: { status: 'not_ready', reason: 'STATEMENT_CREATING' } },
          { provider: 'alipay', channel: 'alipay', result: { status: 'empty', reason: 'isp.bill_not_exist' } },
        ],
        [pay('A1', 100), pay('C1', 7, { provider: 'alipay' })],
      ),
    );
    expect(r.status).toBe('incomplete');
    expect(r.counts.unchecked).toBe(1);
    // Alipay said it had no bill: Shouyin's Alipay payment is 短款.
    expect(r.discrepancies.map((d) => [d.kind, d.provider, d.out_trade_no])).toEqual([['missing_at_provider', 'alipay', 'C1']]);
  });

  it("lists Shouyin's anomalies with whether the statement shows the money", async () => {
    const r = await reconcile(input([wechat([row('payment', 'L1', 100)])], [pay('L1', 100, { anomaly: 'late', provider: null })]));
    expect(r.anomalies).toEqual([
      { session: 'cs_L1', attempt: 'L1', reason: 'late', amount: 100, provider: 'wechat-v3', provider_transaction_id: '42L1', on_statement: true },
    ]);
    expect(r.discrepancies).toEqual([]);
  });
});

const WECHAT_DATING = { day: 'calendar', refunds: 'requested' } as const;
const UNIONPAY_DATING = { day: 'clearing', cutoff: '23:00', refunds: 'settled' } as const;
const unionpay = (rows: StatementRow[]): ProviderInput => ({
  provider: 'unionpay-acp',
  channel: 'unionpay',
  dating: UNIONPAY_DATING,
  result: { status: 'ok', statement: { rows, ignored: 0, checks: [], file: 'INN261127' } },
});
const at = (day: string, hhmm: string) => Date.parse(`${day}T${hhmm}:00+08:00`);

describe('refunds in flight (WeChat Pay lists a refund on its request day, with its status then)', () => {
  const D1 = DATE;
  const D2 = addDays(DATE, 1);
  const D3 = addDays(DATE, 2);
  const processing = row('refund', 'A1', 40, { inFlight: true });
  const carried: InFlight = {
    reason: 'refund_processing',
    object: 'refund',
    provider: 'wechat-v3',
    out_trade_no: 'A1',
    out_refund_no: 'A1R1',
    provider_transaction_id: '42A1',
    provider_refund_id: null,
    session: null,
    amount: 40,
    since: D1,
  };
  const wechatDated = (rows: StatementRow[]): ProviderInput => ({ ...wechat(rows), dating: WECHAT_DATING });

  it('day 1: a PROCESSING row of a refund Shouyin is still waiting on is in flight, not 长款', async () => {
    const asked: string[] = [];
    const r = await reconcile(
      input([wechatDated([processing])], [], {
        refundStatus: async (no) => {
          asked.push(no);
          return 'pending';
        },
      }),
    );
    expect(asked).toEqual(['A1R1']);
    expect(r.discrepancies).toEqual([]);
    expect(r.status).toBe('balanced');
    expect(r.in_flight).toEqual([carried]);
    expect(r.counts).toMatchObject({ in_flight: 1, cleared: 0 });
  });

  it('a PROCESSING row Shouyin never made is 长款, and one already succeeded here is matched', async () => {
    const foreign = await reconcile(input([wechatDated([processing])], [], { refundStatus: async () => null }));
    expect(foreign.discrepancies.map((d) => [d.kind, d.out_refund_no, d.note])).toEqual([['missing_here', 'A1R1', expect.stringContaining('in flight')]]);
    // Shouyin learned of the success before the report ran: the row matches the ledger entry of the request day.
    const known = await reconcile(input([wechatDated([processing])], [ref('A1R1', 'A1', 40, { requested_at: T, at: T + 86_400_000 })]));
    expect(known.discrepancies).toEqual([]);
    expect(known.in_flight).toEqual([]);
    expect(known.providers[0]?.matched).toEqual({ payments: 0, refunds: 1, other_days: 0 });
  });

  it('day 2: still no answer → carried; day 3: the answer arrived → cleared, nothing missing on either day', async () => {
    const succeeded = ref('A1R1', 'A1', 40, { requested_at: T, at: at(D3, '12:00'), provider: 'wechat-v3' });
    const lookups: [string, string[]][] = [];
    const ledgerOf = async (day: string, keys: string[]) => {
      lookups.push([day, keys]);
      return day === D1 ? [succeeded] : [];
    };
    const day2 = await reconcile(input([wechatDated([])], [], { date: D2, carried: { from: D1, items: [carried] }, ledgerOf }));
    // Its request day holds Shouyin's answer, from a later day than this one: still in flight.
    expect(lookups).toEqual([[D1, ['refund:A1R1']]]);
    expect(day2).toMatchObject({ status: 'balanced', discrepancies: [], in_flight: [carried], cleared: [], carried_from: D1 });
    const day3 = await reconcile(input([wechatDated([])], [], { date: D3, carried: { from: D2, items: day2.in_flight }, ledgerOf }));
    expect(day3).toMatchObject({ status: 'balanced', discrepancies: [], in_flight: [] });
    expect(day3.cleared).toEqual([{ ...carried, outcome: 'succeeded', at: Math.floor(at(D3, '12:00') / 1000) }]);
    // Requested at 23:59:59 by WeChat's clock, 00:00:01 by Shouyin's: booked the day after, found there.
    const nextDoor = await reconcile(
      input([wechatDated([])], [], { date: D3, carried: { from: D2, items: day2.in_flight }, ledgerOf: async (day) => (day === D2 ? [succeeded] : []) }),
    );
    expect(nextDoor.cleared.map((c) => c.outcome)).toEqual(['succeeded']);
  });

  it('a refund that failed after it was listed is 退款失败; one with no answer for too long is reported', async () => {
    const failed = ref('A1R1', 'A1', 40, { requested_at: T, at: at(D2, '12:00'), status: 'failed' });
    const r = await reconcile(input([wechatDated([])], [], { date: D2, carried: { from: D1, items: [carried] }, ledgerOf: async () => [failed] }));
    expect(r.cleared.map((c) => c.outcome)).toEqual(['failed']);
    expect(r.discrepancies.map((d) => [d.kind, d.label, d.out_refund_no])).toEqual([['refund_reversed', '退款失败', 'A1R1']]);
    const late = addDays(D1, IN_FLIGHT_DAYS);
    const looked: string[] = [];
    const stale = await reconcile(
      input([wechatDated([])], [], {
        date: late,
        carried: { from: addDays(late, -1), items: [carried] },
        ledgerOf: async (day) => {
          looked.push(day);
          return [];
        },
      }),
    );
    // Its request day, then the days next door (Shouyin's clock and WeChat's may straddle midnight).
    expect(looked).toEqual([D1, addDays(D1, 1), addDays(D1, -1)]);
    expect(stale.in_flight).toEqual([]);
    expect(stale.discrepancies.map((d) => [d.kind, d.out_refund_no, d.amount_provider])).toEqual([['missing_here', 'A1R1', 40]]);
  });

  it('a failed refund in the ledger moves nothing: no 短款 for it', async () => {
    const r = await reconcile(input([wechatDated([])], [ref('A5R1', 'A5', 9, { status: 'failed', provider: 'wechat-v3' })]));
    expect(r.discrepancies).toEqual([]);
    expect(r.providers[0]?.shouyin.refunds).toEqual({ count: 0, amount: 0 });
  });
});

describe("UnionPay's clearing day (清算日期) is not the calendar day", () => {
  const D0 = DATE;
  const D1 = addDays(DATE, 1);
  const up = (key: string, amount: number, when: number) => pay(key, amount, { provider: 'unionpay-acp', at: when });

  it("UnionPay's own sample: the file of one day holds the next day's records; both days reconcile with nothing missing", async () => {
    // 8 records of the 2015-09-05 file are timed 09-06 10:47–11:52; Shouyin filed them on the 6th.
    const rows = [row('payment', 'U1', 476800, { time: at(D1, '11:22') }), row('payment', 'U2', 83800, { time: at(D1, '11:40') })];
    const entries = [up('U1', 476800, at(D1, '11:22')), up('U2', 83800, at(D1, '11:40'))];
    const fileDay = await reconcile(
      input([unionpay(rows)], [], { date: D0, neighbours: async (keys) => entries.filter((e) => keys.includes(`payment:${e.key}`)) }),
    );
    expect(fileDay.discrepancies).toEqual([]);
    expect(fileDay.providers[0]?.matched).toEqual({ payments: 2, refunds: 0, other_days: 2 });
    const ledgerDay = await reconcile(input([unionpay([])], entries, { date: D1, statementOf: async (_p, day) => (day === D0 ? rows : []) }));
    expect(ledgerDay.discrepancies).toEqual([]);
    expect(ledgerDay.status).toBe('balanced');
    expect(ledgerDay.providers[0]?.matched).toEqual({ payments: 2, refunds: 0, other_days: 2 });
  });

  it('after the cut-off: found on the next file; not out yet → carried; then cleared, or 短款 when the next file lacks it', async () => {
    const late = up('U3', 4321, at(D0, '23:30'));
    const next = [row('payment', 'U3', 4321, { time: at(D0, '23:30') })];
    const found = await reconcile(input([unionpay([])], [late], { statementOf: async (_p, day) => (day === D1 ? next : []) }));
    expect(found).toMatchObject({ status: 'balanced', discrepancies: [], in_flight: [] });

    const notOut = await reconcile(input([unionpay([])], [late], { statementOf: async (_p, day) => (day === D1 ? null : []) }));
    expect(notOut.discrepancies).toEqual([]);
    expect(notOut.status).toBe('balanced');
    expect(notOut.in_flight).toMatchObject([{ reason: 'awaiting_clearing', object: 'payment', out_trade_no: 'U3', amount: 4321, since: D0 }]);

    const carried = { from: D0, items: notOut.in_flight };
    const cleared = await reconcile(input([unionpay(next)], [], { date: D1, carried }));
    expect(cleared).toMatchObject({ status: 'balanced', discrepancies: [], in_flight: [] });
    expect(cleared.cleared.map((c) => [c.out_trade_no, c.outcome])).toEqual([['U3', 'on_statement']]);
    expect(cleared.providers[0]?.matched.other_days).toBe(1);

    const lost = await reconcile(input([unionpay([])], [], { date: D1, carried }));
    expect(lost.discrepancies.map((d) => [d.kind, d.out_trade_no, d.amount_here])).toEqual([['missing_at_provider', 'U3', 4321]]);
  });

  it('before the cut-off, a movement missing from its own file (and the day before) is 短款 at once', async () => {
    const r = await reconcile(input([unionpay([])], [up('U4', 100, at(D0, '15:00'))], { statementOf: async () => [] }));
    expect(r.discrepancies.map((d) => [d.kind, d.out_trade_no])).toEqual([['missing_at_provider', 'U4']]);
    expect(r.in_flight).toEqual([]);
  });
});

describe("the day's money and the file's own problems", () => {
  it('gross, fee and net per provider and for the day; skipped rows are 无法识别', async () => {
    const w = wechat([row('payment', 'M1', 10000, { settled: 10000, fee: 60 }), row('refund', 'M1', 2000, { settled: 2000, fee: -12 })]);
    if (w.result.status === 'ok') w.result.statement.notes = [{ file: 'f', line: 9, message: 'bytes that are not GBK in 订单金额（元）', skipped: true }];
    const u = unionpay([row('payment', 'N1', 476800, { fee: 2861 })]);
    const r = await reconcile(input([w, u], [pay('M1', 10000), ref('M1R1', 'M1', 2000), pay('N1', 476800, { provider: 'unionpay-acp' })]));
    expect(r.providers.map((p) => p.money)).toEqual([
      { gross: 8000, fee: 48, net: 7952 },
      { gross: 476800, fee: 2861, net: 473939 },
    ]);
    expect(r.money).toEqual({ gross: 484800, fee: 2909, net: 481891 });
    expect(r.discrepancies.map((d) => [d.kind, d.label, d.file, d.line])).toEqual([['unreadable_row', '无法识别', 'f', 9]]);
  });
});

describe('ledger entries from event bodies', () => {
  const body = (type: string, object: unknown) => JSON.stringify({ id: 'evt_1', type, created: 1_795_000_000, livemode: false, data: { object } });
  it('paid → the payment at paid_at; anomaly → a payment with its reason; refund.succeeded → the refund number', () => {
    expect(
      ledgerEntryOf(
        'checkout.session.paid',
        body('checkout.session.paid', {
          id: 'cs_1',
          payment: { attempt: 'K1A1', provider: 'alipay', provider_transaction_id: '2026', amount: 8888, paid_at: 1_794_999_000 },
        }),
      ),
    ).toMatchObject({ kind: 'payment', key: 'K1A1', provider: 'alipay', amount: 8888, at: 1_794_999_000_000 });
    expect(
      ledgerEntryOf(
        'payment.anomaly',
        body('payment.anomaly', { session: 'cs_1', attempt: 'K1A2', reason: 'duplicate', amount: 8888, provider_transaction_id: '42' }),
      ),
    ).toMatchObject({ kind: 'payment', key: 'K1A2', anomaly: 'duplicate', at: 1_795_000_000_000, provider: null });
    expect(
      ledgerEntryOf('refund.succeeded', body('refund.succeeded', { id: 're_K1R1', attempt: 'K1A1', amount: 100, session: 'cs_1', automatic: false })),
    ).toMatchObject({ kind: 'refund', key: 'K1R1', attempt: 'K1A1', amount: 100, status: 'succeeded' });
    // The refund's `created` is when it was requested: WeChat Pay's statement lists it on that day.
    const wechatRefund = ledgerEntryOf(
      'refund.failed',
      body('refund.failed', { id: 're_K1R2', attempt: 'K1A1', amount: 5, session: 'cs_1', provider: 'wechat-v3', created: 1_794_700_000 }),
    );
    expect(wechatRefund).toMatchObject({ status: 'failed', requested_at: 1_794_700_000_000, at: 1_795_000_000_000 });
    expect(ledgerDay(wechatRefund as LedgerEntry)).toBe(beijingDay(1_794_700_000_000));
    expect(ledgerDay({ ...(wechatRefund as LedgerEntry), provider: 'alipay' })).toBe(beijingDay(1_795_000_000_000));
    expect(ledgerEntryOf('checkout.session.expired', body('x', {}))).toBeNull();
    expect(ledgerEntryOf('refund.succeeded', '{oops')).toBeNull();
  });
});
