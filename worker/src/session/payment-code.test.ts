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

  // The messages are built from each channel's rule in the provider registry; these are the exact
  // words tills and merchants have always been shown.
  it.each([
    ['', 'auth_code is required: the digits of the payment code the shopper shows (付款码), as the scanner reads them.'],
    ['   ', 'auth_code is required: the digits of the payment code the shopper shows (付款码), as the scanner reads them.'],
    ['13006109882800940', 'auth_code starts like a WeChat Pay payment code (10–15) but has 17 digits; WeChat Pay codes have exactly 18. Scan it again.'],
    ['1300610988280094061', 'auth_code starts like a WeChat Pay payment code (10–15) but has 19 digits; WeChat Pay codes have exactly 18. Scan it again.'],
    [
      '160000000000000000',
      'auth_code 16… is not a payment code Shouyin knows: WeChat Pay codes are 18 digits starting 10–15, Alipay codes 16–24 digits starting 25–30.',
    ],
    ['250000000000000', 'auth_code starts like an Alipay payment code (25–30) but has 15 digits; Alipay codes have 16–24. Scan it again.'],
    ['2500000000000000000000000', 'auth_code starts like an Alipay payment code (25–30) but has 25 digits; Alipay codes have 16–24. Scan it again.'],
    [
      '310000000000000000',
      'auth_code 31… is not a payment code Shouyin knows: WeChat Pay codes are 18 digits starting 10–15, Alipay codes 16–24 digits starting 25–30.',
    ],
    [
      '6212345678901234567',
      'auth_code looks like a UnionPay (云闪付) payment code (62…), which Shouyin does not accept in store; ask for WeChat Pay or Alipay.',
    ],
    ['13006109882800940X', 'auth_code must be digits only: WeChat Pay and Alipay payment codes are numbers (was the QR code of a page scanned instead?).'],
    ['9'.repeat(65), 'auth_code is too long to be a payment code (WeChat Pay codes have 18 digits, Alipay codes 16–24).'],
    ['62', 'auth_code looks like a UnionPay (云闪付) payment code (62…), which Shouyin does not accept in store; ask for WeChat Pay or Alipay.'],
    ['1', 'auth_code 1… is not a payment code Shouyin knows: WeChat Pay codes are 18 digits starting 10–15, Alipay codes 16–24 digits starting 25–30.'],
    ['00', 'auth_code 00… is not a payment code Shouyin knows: WeChat Pay codes are 18 digits starting 10–15, Alipay codes 16–24 digits starting 25–30.'],
  ])('says exactly why %j is refused', (code, message) => {
    expect(channelOfPaymentCode(code)).toEqual({ ok: false, message });
  });

  it.each([undefined, null, 130061098828009406, {}])('refuses a non-string %j', (v) => {
    expect(channelOfPaymentCode(v).ok).toBe(false);
  });

  it('masks all but the ends', () => {
    expect(maskPaymentCode('130061098828009406')).toBe('1300**********9406');
    expect(maskPaymentCode('1234')).toBe('****');
  });
});
