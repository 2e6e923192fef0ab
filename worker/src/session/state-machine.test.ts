import { describe, expect, it } from 'vitest';
import { decideEnd, decidePayment, decideStartAttempt, isExpired, type AttemptState, type SessionState } from './state-machine';

const attempt = (id: string, over: Partial<AttemptState> = {}): AttemptState => ({
  id, channel: 'wechat_pay', flow: 'qr', provider: 'wechat-v3', status: 'pending', anomaly: null, ...over,
});
const session = (over: Partial<SessionState> = {}): SessionState => ({
  status: 'open', amount: 8888, currency: 'CNY', expiresAt: 1_000_000, channels: ['wechat_pay'],
  paidAttemptId: null, attempts: [attempt('a1')], ...over,
});
const expected = { appId: 'wx1', providerMerchantId: '1900000109' };
const pay = (over: Record<string, unknown> = {}) => ({ attemptId: 'a1', amount: 8888, currency: 'CNY', appId: 'wx1', providerMerchantId: '1900000109', ...over });

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
