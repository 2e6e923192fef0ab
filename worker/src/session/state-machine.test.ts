import { describe, expect, it } from 'vitest';
import type { PaymentIdentity } from '../providers/types';
import {
  BARCODE_DEADLINE_MS,
  BARCODE_QUERY_MS,
  canGiveUp,
  decideBarcodeQuery,
  decideEnd,
  decidePayment,
  decideStartAttempt,
  decideStartBarcode,
  isExpired,
  phaseAfterPay,
  type AttemptState,
  type BarcodePhase,
  type SessionState,
} from './state-machine';

const attempt = (id: string, over: Partial<AttemptState> = {}): AttemptState => ({
  id,
  channel: 'wechat_pay',
  flow: 'qr',
  provider: 'wechat-v3',
  status: 'pending',
  anomaly: null,
  ...over,
});
const session = (over: Partial<SessionState> = {}): SessionState => ({
  status: 'open',
  amount: 8888,
  currency: 'CNY',
  expiresAt: 1_000_000,
  channels: ['wechat_pay'],
  paidAttemptId: null,
  attempts: [attempt('a1')],
  ...over,
});
const expected: PaymentIdentity = { appId: 'wx1', providerMerchantId: '1900000109', channel: 'wechat_pay', provider: 'wechat-v3' };
/** The same merchant's Alipay rail: what an Alipay notify, query or pay call is checked against. */
const viaAlipay: PaymentIdentity = { appId: 'wx1', providerMerchantId: '1900000109', channel: 'alipay', provider: 'alipay' };
const pay = (over: Record<string, unknown> = {}) => ({
  attemptId: 'a1',
  amount: 8888,
  currency: 'CNY',
  appId: 'wx1',
  providerMerchantId: '1900000109',
  ...over,
});

describe('decidePayment', () => {
  it('binds the first matching payment on an open session', () => {
    expect(decidePayment(session(), pay(), expected)).toEqual({ kind: 'paid', attemptId: 'a1' });
  });
  it('treats a repeated notify for the bound attempt as already applied', () => {
    const s = session({ status: 'paid', paidAttemptId: 'a1', attempts: [attempt('a1', { status: 'succeeded' })] });
    expect(decidePayment(s, pay(), expected)).toEqual({ kind: 'already_applied' });
  });
  it('makes a second payment on another attempt a refundable duplicate, never a second paid', () => {
    const s = session({ status: 'paid', paidAttemptId: 'a1', attempts: [attempt('a1', { status: 'succeeded' }), attempt('a2', { status: 'closed' })] });
    expect(decidePayment(s, pay({ attemptId: 'a2' }), expected)).toEqual({ kind: 'anomaly', reason: 'duplicate_payment', refund: true, attemptId: 'a2' });
  });
  it.each(['expired', 'canceled'] as const)('makes a payment on a %s session a refundable late payment', (status) => {
    expect(decidePayment(session({ status }), pay(), expected)).toMatchObject({ kind: 'anomaly', reason: 'late_payment', refund: true });
  });
  it.each([
    [{ amount: 1 }, 'amount_mismatch'],
    [{ amount: 8888.5 }, 'amount_mismatch'],
    [{ currency: 'USD' }, 'currency_mismatch'],
    [{ appId: 'wxOther' }, 'app_mismatch'],
    [{ providerMerchantId: '1' }, 'merchant_mismatch'],
    [{ appId: undefined }, 'app_mismatch'],
  ])('records %o as %s and does not mark paid', (over, reason) => {
    expect(decidePayment(session(), pay(over), expected)).toEqual({ kind: 'anomaly', reason, refund: false, attemptId: 'a1' });
  });
  it('records an unknown attempt as an anomaly', () => {
    expect(decidePayment(session(), pay({ attemptId: 'zz' }), expected)).toMatchObject({ kind: 'anomaly', reason: 'unknown_attempt' });
  });
  describe("a verified payment from another rail than the attempt's", () => {
    const alipay = attempt('a2', { channel: 'alipay', provider: 'alipay' });
    it('is a channel_mismatch anomaly, never paid and never refunded through the attempt', () => {
      const s = session({ channels: ['wechat_pay', 'alipay'], attempts: [attempt('a1'), alipay] });
      expect(decidePayment(s, pay({ attemptId: 'a2' }), expected)).toEqual({ kind: 'anomaly', reason: 'channel_mismatch', refund: false, attemptId: 'a2' });
      // The attempt's own rail still pays it.
      expect(decidePayment(s, pay({ attemptId: 'a2' }), viaAlipay)).toEqual({ kind: 'paid', attemptId: 'a2' });
      expect(decidePayment(s, pay(), viaAlipay)).toEqual({ kind: 'anomaly', reason: 'channel_mismatch', refund: false, attemptId: 'a1' });
    });
    it('is told apart by provider within one channel (WeChat Pay APIv3 vs APIv2)', () => {
      const v2: PaymentIdentity = { ...expected, provider: 'wechat-v2' };
      expect(decidePayment(session(), pay(), v2)).toEqual({ kind: 'anomaly', reason: 'channel_mismatch', refund: false, attemptId: 'a1' });
    });
    it('is checked before everything the attempt or session already holds', () => {
      const bound = session({ status: 'paid', paidAttemptId: 'a2', channels: ['wechat_pay', 'alipay'], attempts: [alipay] });
      expect(decidePayment(bound, pay({ attemptId: 'a2' }), expected)).toMatchObject({ kind: 'anomaly', reason: 'channel_mismatch', refund: false });
      const ended = session({ status: 'expired', attempts: [alipay] });
      expect(decidePayment(ended, pay({ attemptId: 'a2' }), expected)).toMatchObject({ kind: 'anomaly', reason: 'channel_mismatch', refund: false });
      const givenUp = session({ attempts: [{ ...alipay, flow: 'barcode', barcode: 'reversing' }] });
      expect(decidePayment(givenUp, pay({ attemptId: 'a2' }), expected)).toMatchObject({ kind: 'anomaly', reason: 'channel_mismatch', refund: false });
    });
  });
  it('records an anomaly once per attempt', () => {
    const s = session({ attempts: [attempt('a1', { anomaly: 'amount_mismatch', status: 'succeeded' })] });
    expect(decidePayment(s, pay({ amount: 1 }), expected)).toEqual({ kind: 'already_applied' });
  });
});

describe('decideStartAttempt', () => {
  it('creates the first attempt', () => {
    expect(decideStartAttempt(session({ attempts: [] }), 'wechat_pay', 'qr', 0)).toEqual({ kind: 'create', closeFirst: [] });
  });
  it('reuses a pending attempt for the same channel and flow', () => {
    expect(decideStartAttempt(session(), 'wechat_pay', 'qr', 0)).toEqual({ kind: 'reuse', attemptId: 'a1' });
  });
  it('never reuses a pending attempt whose order is being closed: a new order instead', () => {
    // Its close is already due; it goes on.
    const s = session({ attempts: [attempt('a1', { closing: true })] });
    expect(decideStartAttempt(s, 'wechat_pay', 'qr', 0)).toEqual({ kind: 'create', closeFirst: [] });
  });
  it('closes pending attempts of another channel or flow first', () => {
    const s = session({ channels: ['wechat_pay', 'alipay'] });
    expect(decideStartAttempt(s, 'alipay', 'qr', 0)).toEqual({ kind: 'create', closeFirst: ['a1'] });
  });
  it('rejects a channel the session does not offer', () => {
    expect(decideStartAttempt(session(), 'unionpay', 'qr', 0)).toMatchObject({ kind: 'reject', code: 'channel_unavailable' });
  });
  it('rejects once the session is terminal or about to expire', () => {
    expect(decideStartAttempt(session({ status: 'paid' }), 'wechat_pay', 'qr', 0)).toMatchObject({ kind: 'reject', code: 'session_not_open' });
    expect(decideStartAttempt(session(), 'wechat_pay', 'qr', 995_000)).toMatchObject({ kind: 'reject', code: 'session_expired' });
  });
});

describe('decideEnd', () => {
  it('expires an open session and closes its pending attempts', () => {
    const s = session({ attempts: [attempt('a1'), attempt('a2', { status: 'closed' })] });
    expect(decideEnd(s, 'expired')).toEqual({ kind: 'end', status: 'expired', closeAttempts: ['a1'] });
  });
  it.each(['paid', 'expired', 'canceled'] as const)('never moves a %s session', (status) => {
    expect(decideEnd(session({ status }), 'canceled')).toMatchObject({ kind: 'reject' });
  });
  it('knows when expiry is due', () => {
    expect(isExpired(session(), 999_999)).toBe(false);
    expect(isExpired(session(), 1_000_000)).toBe(true);
    expect(isExpired(session({ status: 'paid' }), 2_000_000)).toBe(false);
  });
});

describe('payment codes (flow barcode)', () => {
  const code = (id: string, barcode: BarcodePhase, over: Partial<AttemptState> = {}) => attempt(id, { flow: 'barcode', barcode, ...over });

  describe('decideStartBarcode', () => {
    it('charges a code on an open session and closes its open QR orders first', () => {
      const s = session({ attempts: [attempt('a1'), attempt('a2', { status: 'closed' })] });
      expect(decideStartBarcode(s, 'wechat_pay', 0)).toEqual({ kind: 'create', closeFirst: ['a1'] });
    });
    it('refuses a second code while one may still be paid (one payment, never two)', () => {
      for (const phase of ['paying', 'waiting'] as const) {
        const s = session({ attempts: [code('b1', phase)] });
        expect(decideStartBarcode(s, 'wechat_pay', 0)).toMatchObject({ kind: 'reject', type: 'conflict_error', code: 'barcode_in_progress' });
      }
    });
    it.each(['reversing', 'reversed', 'failed'] as const)('takes a new code after one that is %s', (phase) => {
      const s = session({ attempts: [code('b1', phase, { status: phase === 'failed' ? 'failed' : phase === 'reversed' ? 'closed' : 'pending' })] });
      expect(decideStartBarcode(s, 'wechat_pay', 0)).toEqual({ kind: 'create', closeFirst: [] });
    });
    it('names auth_code when the code is a wallet the session does not offer', () => {
      expect(decideStartBarcode(session(), 'alipay', 0)).toMatchObject({
        kind: 'reject',
        type: 'invalid_request_error',
        code: 'channel_unavailable',
        param: 'auth_code',
      });
    });
    it('refuses an ended session and one that expires before the 30 s wait and the reversal fit', () => {
      expect(decideStartBarcode(session({ status: 'paid' }), 'wechat_pay', 0)).toMatchObject({ kind: 'reject', code: 'session_not_open' });
      expect(decideStartBarcode(session(), 'wechat_pay', 1_000_000 - 39_999)).toMatchObject({ kind: 'reject', code: 'session_expired' });
      expect(decideStartBarcode(session(), 'wechat_pay', 1_000_000 - 40_001)).toMatchObject({ kind: 'create' });
    });
  });

  it('never reads an unknown pay answer as failed', () => {
    expect(phaseAfterPay('unknown')).toBe('waiting');
    expect(phaseAfterPay('user_paying')).toBe('waiting');
    expect(phaseAfterPay('failed')).toBe('failed');
    expect(phaseAfterPay('paid')).toBe('paid');
  });

  describe('decideBarcodeQuery', () => {
    const deadline = BARCODE_DEADLINE_MS;
    it('asks again every 5 s until the deadline', () => {
      for (const answer of ['pending', 'not_found', 'error'] as const) {
        expect(decideBarcodeQuery('waiting', deadline, 5_000, answer)).toEqual({ kind: 'query', at: 5_000 + BARCODE_QUERY_MS });
      }
      expect(decideBarcodeQuery('paying', deadline, 27_000, 'pending')).toEqual({ kind: 'query', at: deadline });
    });
    it('applies a payment and settles a definite failure', () => {
      expect(decideBarcodeQuery('waiting', deadline, 10_000, 'paid')).toEqual({ kind: 'apply' });
      expect(decideBarcodeQuery('waiting', deadline, 40_000, 'paid')).toEqual({ kind: 'apply' });
      expect(decideBarcodeQuery('waiting', deadline, 10_000, 'closed')).toEqual({ kind: 'failed' });
    });
    it.each(['pending', 'not_found', 'error'] as const)('reverses at the deadline when the answer is %s', (answer) => {
      expect(decideBarcodeQuery('waiting', deadline, deadline, answer)).toEqual({ kind: 'reverse' });
    });
    it.each(['reversing', 'reversed', 'paid', 'failed'] as const)('stops querying once %s', (phase) => {
      expect(decideBarcodeQuery(phase, deadline, 5_000, 'paid')).toEqual({ kind: 'stop' });
      expect(canGiveUp(phase)).toBe(false);
    });
  });

  describe('decidePayment on a payment-code attempt', () => {
    it('binds a payment while the code is being confirmed', () => {
      for (const phase of ['paying', 'waiting'] as const) {
        expect(decidePayment(session({ attempts: [code('b1', phase)] }), pay({ attemptId: 'b1' }), expected)).toEqual({ kind: 'paid', attemptId: 'b1' });
      }
    });
    it.each(['reversing', 'reversed'] as const)('never binds a payment on a code the till gave up on (%s): it is reversed again', (phase) => {
      const s = session({ attempts: [code('b1', phase, { status: phase === 'reversed' ? 'closed' : 'pending' })] });
      expect(decidePayment(s, pay({ attemptId: 'b1' }), expected)).toEqual({ kind: 'reverse', attemptId: 'b1' });
      // …even when the session is paid another way or has ended: the reversal, not a refund, returns it.
      expect(decidePayment({ ...s, status: 'paid', paidAttemptId: 'a9' }, pay({ attemptId: 'b1' }), expected)).toEqual({ kind: 'reverse', attemptId: 'b1' });
      expect(decidePayment({ ...s, status: 'canceled' }, pay({ attemptId: 'b1' }), expected)).toEqual({ kind: 'reverse', attemptId: 'b1' });
    });
    it('returns a payment on a code whose reversal the provider no longer takes by refund, never binding it', () => {
      const s = session({ attempts: [code('b1', 'reverse_failed')] });
      expect(decidePayment(s, pay({ attemptId: 'b1' }), expected)).toEqual({ kind: 'anomaly', reason: 'late_payment', refund: true, attemptId: 'b1' });
    });
    it('keeps a repeated answer for a paid code idempotent', () => {
      const s = session({ status: 'paid', paidAttemptId: 'b1', attempts: [code('b1', 'paid', { status: 'succeeded' })] });
      expect(decidePayment(s, pay({ attemptId: 'b1' }), expected)).toEqual({ kind: 'already_applied' });
    });
  });

  it('lets a channel switch leave a code that is being confirmed alone', () => {
    const s = session({ channels: ['wechat_pay', 'alipay'], attempts: [code('b1', 'waiting'), attempt('a2')] });
    expect(decideStartAttempt(s, 'alipay', 'qr', 0)).toEqual({ kind: 'create', closeFirst: ['a2'] });
  });

  it('ends a session by reversing its unconfirmed codes like any open order', () => {
    const s = session({ attempts: [code('b1', 'waiting'), code('b0', 'failed', { status: 'failed' })] });
    expect(decideEnd(s, 'canceled')).toEqual({ kind: 'end', status: 'canceled', closeAttempts: ['b1'] });
  });
});
