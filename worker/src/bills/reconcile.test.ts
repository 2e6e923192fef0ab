// The diff on its own: each discrepancy kind, nothing invented when both sides agree, the midnight
// neighbours, and statements that could not be had.

import { describe, expect, it } from 'vitest';
import type { LedgerEntry } from './ledger';
import { ledgerEntryOf } from './ledger';
import { reconcile, type ProviderInput, type ReconcileInput } from './reconcile';
import type { StatementRow } from './statement';
import { dayStart } from './time';

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
  previousDay: async () => [],
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
        previousDay: async () => [row('payment', 'B1', 10)],
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
    ).toMatchObject({ kind: 'refund', key: 'K1R1', attempt: 'K1A1', amount: 100 });
    expect(ledgerEntryOf('checkout.session.expired', body('x', {}))).toBeNull();
    expect(ledgerEntryOf('refund.succeeded', '{oops')).toBeNull();
  });
});
