// The refund rules in refunds.ts, without a Durable Object: how much a merchant may still refund, what
// counts against it, what `amount_refunded` shows, and the refund number that is sent to the provider
// on every retry (so a retry can never become a second refund).

import { describe, expect, it } from 'vitest';
import { committedRefunds, decideRefund, refundApiId, refundNoFor, refundNoFromApiId, refundObject, refundedAmount, sessionIdOfRefundNo } from './refunds';
import type { AttemptRow, RefundRow, SessionRow } from './store';

const SESSION_ID = 'cs_Ab3dEf6hIj9kLm2nOp5qRs8t';

const sessionRow = (over: Partial<SessionRow> = {}): SessionRow => ({
  id: SESSION_ID,
  merchant_id: 'm_test',
  livemode: 0,
  status: 'paid',
  amount: 8888,
  currency: 'CNY',
  description: '测试商品',
  merchant_order_id: 'T1001',
  channels: '["wechat_pay"]',
  client_secret: 'cs_secret',
  expires_at: 2_000_000,
  created: 1_000_000,
  return_url: null,
  metadata: '{}',
  paid_attempt_id: `${SESSION_ID.slice(3)}A1`,
  paid_at: 1_500_000,
  version: 3,
  ...over,
});

let seq = 0;
const refundRow = (amount: number, over: Partial<RefundRow> = {}): RefundRow => {
  seq += 1;
  return {
    id: refundNoFor(SESSION_ID, seq),
    seq,
    attempt_id: `${SESSION_ID.slice(3)}A1`,
    amount,
    reason: null,
    kind: 'merchant',
    status: 'pending',
    submitted: 0,
    created: 1_700_000_123_456,
    updated: 1_700_000_123_456,
    provider_refund_id: null,
    provider_data: null,
    failure: null,
    ...over,
  };
};

const attemptRow = (over: Partial<AttemptRow> = {}): AttemptRow => ({
  id: `${SESSION_ID.slice(3)}A1`,
  seq: 1,
  channel: 'alipay',
  flow: 'qr',
  provider: 'alipay',
  status: 'succeeded',
  created: 1_000_000,
  next_action: null,
  provider_data: null,
  anomaly: null,
  provider_transaction_id: '2024010122001',
  paid_amount: 8888,
  paid_at: 1_500_000,
  ...over,
});

describe('decideRefund: how much a merchant may refund', () => {
  it('refunds everything that remains when no amount is asked for', () => {
    expect(decideRefund(sessionRow(), 8888, [], undefined)).toEqual({ ok: true, amount: 8888 });
  });

  it('takes a partial amount, down to one fen', () => {
    expect(decideRefund(sessionRow(), 8888, [], 1000)).toEqual({ ok: true, amount: 1000 });
    expect(decideRefund(sessionRow(), 8888, [], 1)).toEqual({ ok: true, amount: 1 });
  });

  it('takes exactly what remains, and refuses one fen more, naming amount and the fen left', () => {
    const refunds = [refundRow(1000, { status: 'succeeded' })];
    expect(decideRefund(sessionRow(), 8888, refunds, 7888)).toEqual({ ok: true, amount: 7888 });
    const over = decideRefund(sessionRow(), 8888, refunds, 7889);
    expect(over).toMatchObject({ ok: false, type: 'invalid_request_error', code: 'amount_too_large', param: 'amount' });
    expect(over.ok === false && over.message).toContain('7888 fen');
  });

  it('refuses a first refund of more than was paid', () => {
    expect(decideRefund(sessionRow(), 8888, [], 8889)).toMatchObject({ ok: false, type: 'invalid_request_error', code: 'amount_too_large', param: 'amount' });
  });

  it('caps at what the provider says was paid, not at the session amount', () => {
    // The paid attempt's paid_amount is what the wallet moved; a refund can never exceed it.
    expect(decideRefund(sessionRow({ amount: 8888 }), 8000, [], undefined)).toEqual({ ok: true, amount: 8000 });
    expect(decideRefund(sessionRow({ amount: 8888 }), 8000, [], 8001)).toMatchObject({ ok: false, code: 'amount_too_large' });
  });

  it('once partial refunds add up to the payment, refuses any further refund as already_refunded (409)', () => {
    const refunds = [refundRow(1000, { status: 'succeeded' }), refundRow(2888, { status: 'succeeded' }), refundRow(5000)];
    for (const requested of [undefined, 1, 8888]) {
      expect(decideRefund(sessionRow(), 8888, refunds, requested)).toMatchObject({ ok: false, type: 'conflict_error', code: 'already_refunded' });
    }
  });

  it('counts pending refunds against what remains (money on its way back is not refundable twice)', () => {
    const refunds = [refundRow(8000)];
    expect(decideRefund(sessionRow(), 8888, refunds, undefined)).toEqual({ ok: true, amount: 888 });
    expect(decideRefund(sessionRow(), 8888, refunds, 889)).toMatchObject({ ok: false, code: 'amount_too_large' });
  });

  it('gives a failed refund’s amount back', () => {
    const refunds = [refundRow(8888, { status: 'failed', failure: 'ACQ.TRADE_HAS_CLOSE' })];
    expect(decideRefund(sessionRow(), 8888, refunds, undefined)).toEqual({ ok: true, amount: 8888 });
  });

  it('does not count Shouyin’s own refunds of late or duplicate payments (they return another payment)', () => {
    const refunds = [refundRow(8888, { kind: 'anomaly', status: 'succeeded', attempt_id: `${SESSION_ID.slice(3)}A2` })];
    expect(decideRefund(sessionRow(), 8888, refunds, undefined)).toEqual({ ok: true, amount: 8888 });
  });

  it.each(['open', 'expired', 'canceled'] as const)('refuses a %s session (409 session_not_paid), whatever is asked', (status) => {
    for (const requested of [undefined, 1, 8888]) {
      const d = decideRefund(sessionRow({ status, paid_attempt_id: null, paid_at: null }), 8888, [], requested);
      expect(d).toMatchObject({ ok: false, type: 'conflict_error', code: 'session_not_paid' });
      expect(d.ok === false && d.message).toContain(status);
    }
  });
});

describe('committedRefunds and refundedAmount', () => {
  const refunds = [
    refundRow(1000, { status: 'succeeded' }),
    refundRow(2000),
    refundRow(3000, { status: 'failed' }),
    refundRow(8888, { kind: 'anomaly', status: 'succeeded' }),
    refundRow(500, { kind: 'anomaly' }),
  ];

  it('committed = merchant refunds that succeeded or are pending', () => {
    expect(committedRefunds(refunds)).toBe(3000);
  });

  it('amount_refunded = merchant refunds that succeeded', () => {
    expect(refundedAmount(refunds)).toBe(1000);
  });

  it('are 0 with no refunds', () => {
    expect(committedRefunds([])).toBe(0);
    expect(refundedAmount([])).toBe(0);
  });
});

describe('refund numbers and ids', () => {
  it('one refund number per (session, sequence), the same every time it is computed', () => {
    expect(refundNoFor(SESSION_ID, 1)).toBe('Ab3dEf6hIj9kLm2nOp5qRs8tR1');
    expect(refundNoFor(SESSION_ID, 1)).toBe(refundNoFor(SESSION_ID, 1));
    expect(refundNoFor(SESSION_ID, 2)).not.toBe(refundNoFor(SESSION_ID, 1));
  });

  it('fits every provider’s refund-number field: letters and digits only, at most 32 characters', () => {
    // WeChat Pay's refund API (pay.weixin.qq.com): out_refund_no ≤ 64 of [0-9A-Za-z_-|*@]; Alipay's
    // alipay.trade.refund (opendocs.alipay.com): out_request_no ≤ 64; UnionPay's refund 04
    // (open.unionpay.com): orderId 8–40 letters and digits. UnionPay's is the tightest.
    for (const n of [1, 9, 10, 9_999_999]) expect(refundNoFor(SESSION_ID, n)).toMatch(/^[0-9A-Za-z]{8,32}$/);
  });

  it('the API id carries the refund number, and leads back to the session without a lookup', () => {
    const no = refundNoFor(SESSION_ID, 7);
    const id = refundApiId(no);
    expect(id).toBe(`re_${no}`);
    expect(refundNoFromApiId(id)).toBe(no);
    expect(sessionIdOfRefundNo(no)).toBe(SESSION_ID);
    expect(refundNoFromApiId(refundApiId(refundNoFor(SESSION_ID, 9_999_999)))).toBe(refundNoFor(SESSION_ID, 9_999_999));
  });

  it.each([
    're_nope',
    'Ab3dEf6hIj9kLm2nOp5qRs8tR1', // no re_ prefix
    're_Ab3dEf6hIj9kLm2nOp5qRs8t', // no R<n>
    're_Ab3dEf6hIj9kLm2nOp5qRs8tR', // R without a number
    're_Ab3dEf6hIj9kLm2nOp5qRsR1', // 23-character session key
    're_Ab3dEf6hIj9kLm2nOp5qRs8t_R1',
    're_Ab3dEf6hIj9kLm2nOp5qRs8tR12345678', // 8 digits
    're_Ab3dEf6hIj9kLm2nOp5qRs8tR1 ',
  ])('refuses %j as a refund id', (id) => {
    expect(refundNoFromApiId(id)).toBeNull();
  });
});

describe('refundObject', () => {
  it('shows a merchant refund in CNY, with its channel, provider and created in Unix seconds', () => {
    const r = refundRow(1000, { reason: '客户退货', status: 'succeeded', provider_refund_id: '50300000012024', created: 1_700_000_123_999 });
    expect(refundObject(r, sessionRow(), attemptRow())).toEqual({
      id: `re_${r.id}`,
      object: 'refund',
      session: SESSION_ID,
      merchant_order_id: 'T1001',
      amount: 1000,
      currency: 'CNY',
      status: 'succeeded',
      reason: '客户退货',
      automatic: false,
      attempt: r.attempt_id,
      channel: 'alipay',
      provider: 'alipay',
      provider_refund_id: '50300000012024',
      failure_reason: null,
      created: 1_700_000_123,
    });
  });

  it('marks Shouyin’s own refunds automatic and shows why a refund failed', () => {
    const r = refundRow(8888, { kind: 'anomaly', status: 'failed', failure: 'NOT_ENOUGH' });
    expect(refundObject(r, sessionRow(), attemptRow())).toMatchObject({ automatic: true, status: 'failed', failure_reason: 'NOT_ENOUGH' });
  });

  it('has no channel or provider when the attempt is not known', () => {
    expect(refundObject(refundRow(1), sessionRow(), null)).toMatchObject({ channel: null, provider: null });
  });
});
