import { describe, expect, it } from 'vitest';
import { csvCell, parseYuan, yuan } from './format';
import { STRINGS, initialLang } from './i18n';
import { listQuery, refundable, sessionsCsv } from './model';
import { href, parseRoute } from './router';
import type { Session, Timeline } from './types';

const session = (over: Partial<Session> = {}): Session => ({
  id: 'cs_AAAAAAAAAAAAAAAAAAAAAAAA',
  object: 'checkout.session',
  status: 'paid',
  amount: 6800,
  amount_refunded: 1200,
  currency: 'CNY',
  description: '龙井茶, "特级"',
  merchant_order_id: '=SUM(A1)',
  channels: ['wechat_pay'],
  expires_at: 1796608800,
  created: 1796607900,
  livemode: false,
  metadata: {},
  payment: { attempt: 'A1', channel: 'wechat_pay', provider: 'wechat-v3', provider_transaction_id: '4200001', amount: 6800, paid_at: 1796607960 },
  refunds: [],
  ...over,
});

describe('money', () => {
  it('formats fen as yuan digit by digit', () => {
    expect(yuan(8888)).toBe('88.88');
    expect(yuan(5)).toBe('0.05');
    expect(yuan(100_000_000_00)).toBe('100000000.00');
    expect(yuan(-1950)).toBe('-19.50');
    expect(() => yuan(0.5)).toThrow(RangeError);
  });
  it('reads what a person types in yuan, never through a float', () => {
    expect(parseYuan('19.99')).toEqual({ ok: true, fen: 1999 });
    expect(parseYuan('¥1,288.5')).toEqual({ ok: true, fen: 128850 });
    expect(parseYuan(' 12 ')).toEqual({ ok: true, fen: 1200 });
    expect(parseYuan('')).toEqual({ ok: false, reason: 'empty' });
    expect(parseYuan('0.00')).toEqual({ ok: false, reason: 'zero' });
    for (const bad of ['1.234', '-1', '1e3', 'abc', '12,34']) expect(parseYuan(bad)).toEqual({ ok: false, reason: 'format' });
  });
});

describe('CSV', () => {
  it('quotes per RFC 4180 and defuses spreadsheet formulas', () => {
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('=1+1')).toBe("'=1+1");
    expect(csvCell('-5')).toBe("'-5");
    expect(csvCell(-5)).toBe('-5');
    expect(csvCell(null)).toBe('');
  });
  it('exports sessions with amounts in yuan and times in Beijing', () => {
    const text = sessionsCsv([session()]);
    const [header, row] = text.trimEnd().split('\r\n');
    expect(header).toBe(
      'session,merchant_order_id,status,amount_yuan,amount_refunded_yuan,currency,channel,provider,provider_transaction_id,created_beijing,paid_at_beijing,description',
    );
    expect(row).toBe(
      `cs_AAAAAAAAAAAAAAAAAAAAAAAA,'=SUM(A1),paid,68.00,12.00,CNY,wechat_pay,wechat-v3,4200001,2026-12-07 09:45:00,2026-12-07 09:46:00,"龙井茶, ""特级"""`,
    );
  });
});

describe('the list query from the URL', () => {
  it('turns Beijing dates into created[gte] / created[lt] and drops what the API would refuse', () => {
    expect(listQuery(new URLSearchParams('status=paid&channel=alipay&from=2026-12-01&to=2026-12-07'))).toEqual({
      status: 'paid',
      channel: 'alipay',
      'created[gte]': Date.parse('2026-12-01T00:00:00+08:00') / 1000,
      'created[lt]': Date.parse('2026-12-08T00:00:00+08:00') / 1000,
    });
    expect(listQuery(new URLSearchParams('status=lost&channel=paypal&from=2026-02-30'))).toEqual({
      status: undefined,
      channel: undefined,
      'created[gte]': undefined,
      'created[lt]': undefined,
    });
  });
});

describe('routes', () => {
  it('reads pages, a payment and the query from the URL, and writes them back', () => {
    expect(parseRoute('/dashboard/', '').page).toBe('home');
    expect(parseRoute('/dashboard/payments', '?status=paid').query.get('status')).toBe('paid');
    expect(parseRoute('/dashboard/payments/cs_AAAAAAAAAAAAAAAAAAAAAAAA', '')).toMatchObject({ page: 'payment', id: 'cs_AAAAAAAAAAAAAAAAAAAAAAAA' });
    expect(parseRoute('/dashboard/payments/../admin', '').page).toBe('notfound');
    expect(parseRoute('/dashboard/nope', '').page).toBe('notfound');
    expect(href('payments', { q: '订单 1', status: undefined })).toBe('/dashboard/payments?q=%E8%AE%A2%E5%8D%95+1');
    expect(href('payment', {}, 'cs_X')).toBe('/dashboard/payments/cs_X');
    expect(href('home')).toBe('/dashboard/');
  });
});

describe('refundable', () => {
  const tl = (s: Session): Timeline => ({
    object: 'checkout.session.timeline',
    session: s,
    attempts: [],
    provider_messages: [],
    anomalies: [],
    refunds: [],
    events: [],
  });
  const r = (amount: number, status: 'pending' | 'succeeded' | 'failed', automatic = false) => ({
    id: 're_x',
    object: 'refund' as const,
    session: 'cs_x',
    amount,
    status,
    reason: null,
    automatic,
    channel: null,
    provider: null,
    provider_refund_id: null,
    failure_reason: null,
    created: 0,
  });
  it('is the payment less merchant refunds that did not fail; automatic refunds are of other payments', () => {
    expect(refundable(tl(session({ refunds: [r(1200, 'succeeded'), r(500, 'pending'), r(999, 'failed'), r(6800, 'succeeded', true)] })))).toBe(5100);
    expect(refundable(tl(session({ status: 'expired', payment: null })))).toBe(0);
    expect(refundable(tl(session({ refunds: [r(6800, 'succeeded')] })))).toBe(0);
  });
});

describe('languages', () => {
  it('every string exists in both, and the choice follows what was stored, then the browser', () => {
    const keys = (o: object): string[] => Object.keys(o).sort();
    expect(keys(STRINGS.en)).toEqual(keys(STRINGS['zh-CN']));
    expect(keys(STRINGS.en.nav)).toEqual(keys(STRINGS['zh-CN'].nav));
    expect(initialLang('en', ['zh-CN'])).toBe('en');
    expect(initialLang(null, ['en-GB', 'zh'])).toBe('en');
    expect(initialLang(null, ['zh-TW'])).toBe('zh-CN');
    expect(initialLang(null, ['fr'])).toBe('zh-CN');
  });
});
