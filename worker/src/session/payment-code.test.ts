import { describe, expect, it } from 'vitest';
import { channelOfPaymentCode, maskPaymentCode, normalizePaymentCode } from './payment-code';

describe('channelOfPaymentCode', () => {
  // Sample codes from SDK docs and tests: WxJava / EasyWeChat 120061098828009406, wechatpay.js.org
  // codepay 130061098828009406, gopay micropay 134595229789828537; gopay trade.pay 286248566432274952,
  // yansongda 284776044441477959.
  it.each(['100000000000000000', '120061098828009406', '130061098828009406', '134595229789828537', '159999999999999999'])(
    'WeChat Pay: %s (18 digits, 10–15)',
    (code) => expect(channelOfPaymentCode(code)).toEqual({ ok: true, channel: 'wechat_pay', code }),
  );

  it.each(['2500000000000000', '286248566432274952', '284776044441477959', '300000000000000000000000', '2999999999999999999'])(
    'Alipay: %s (16–24 digits, 25–30)',
    (code) => expect(channelOfPaymentCode(code)).toEqual({ ok: true, channel: 'alipay', code }),
  );

  it('takes what a scanner or a person types: spaces, a trailing Enter', () => {
    expect(channelOfPaymentCode(' 1300 6109 8828 0094 06\r\n')).toEqual({ ok: true, channel: 'wechat_pay', code: '130061098828009406' });
    expect(normalizePaymentCode('28 62\t48')).toBe('286248');
  });

  it.each([
    ['', /required/],
    ['   ', /required/],
    ['13006109882800940', /exactly 18/], // 17 digits
    ['1300610988280094061', /exactly 18/], // 19
    ['160000000000000000', /not a payment code/], // 16 is not WeChat's
    ['250000000000000', /16–24/], // 15 digits
    ['2500000000000000000000000', /16–24/], // 25 digits
    ['310000000000000000', /not a payment code/],
    ['6212345678901234567', /UnionPay/],
    ['13006109882800940X', /digits only/],
    ['１３００６１０９８８２８００９４０６', /digits only/], // full-width digits are not ASCII digits
    ['https://qr.alipay.com/bax01234', /digits only/],
    ['fp0123456789012345678901234567890123', /digits only/],
    ['9'.repeat(65), /too long/],
  ])('refuses %j', (code, message) => {
    const r = channelOfPaymentCode(code);
    expect(r.ok).toBe(false);
    expect(r.ok ? '' : r.message).toMatch(message);
  });

  it.each([undefined, null, 130061098828009406, {}])('refuses a non-string %j', (v) => {
    expect(channelOfPaymentCode(v).ok).toBe(false);
  });

  it('masks all but the ends', () => {
    expect(maskPaymentCode('130061098828009406')).toBe('1300**********9406');
    expect(maskPaymentCode('1234')).toBe('****');
  });
});
