// Which wallet a scanned payment code (付款码 / auth_code) belongs to. The till never says; the code's
// digits do (docs/instore.md has the sources):
//   WeChat Pay  18 digits starting 10–15  ("用户刷卡条形码规则：18位纯数字，以10、11、12、13、14、15开头",
//               the micropay auth_code rule as binarywang/WxJava WxPayMicropayRequest quotes it)
//   Alipay      16–24 digits starting 25–30 ("25~30开头的长度为16~24位的数字，实际字符串长度以开发者获取的付款码长度为准",
//               the alipay.trade.pay auth_code rule as essensoft/paylink AlipayTradePayModel quotes it)
// Anything else is refused before any provider is called: guessing would send a stranger's code to
// the wrong wallet, and the provider would only refuse it later and less clearly.

import type { Channel } from '../contract';

export const WECHAT_CODE = /^1[0-5]\d{16}$/;
export const ALIPAY_CODE = /^(2[5-9]|30)\d{14,22}$/;

export type PaymentCodeCheck =
  | { ok: true; channel: Extract<Channel, 'wechat_pay' | 'alipay'>; code: string }
  | { ok: false; message: string };

/**
 * A USB scanner types the digits and then Enter; people type spaces. Only ASCII whitespace is
 * dropped: anything else that is not a digit makes the code invalid.
 */
export function normalizePaymentCode(raw: string): string {
  return raw.replace(/[ \t\r\n]/g, '');
}

export function channelOfPaymentCode(raw: unknown): PaymentCodeCheck {
  if (typeof raw !== 'string' || raw.trim() === '') {
    return { ok: false, message: 'auth_code is required: the digits of the payment code the shopper shows (付款码), as the scanner reads them.' };
  }
  const code = normalizePaymentCode(raw);
  if (code.length > 64) return { ok: false, message: 'auth_code is too long to be a payment code (WeChat Pay codes have 18 digits, Alipay codes 16–24).' };
  if (!/^\d+$/.test(code)) {
    return { ok: false, message: 'auth_code must be digits only: WeChat Pay and Alipay payment codes are numbers (was the QR code of a page scanned instead?).' };
  }
  if (WECHAT_CODE.test(code)) return { ok: true, channel: 'wechat_pay', code };
  if (ALIPAY_CODE.test(code)) return { ok: true, channel: 'alipay', code };
  const prefix = code.slice(0, 2);
  if (/^1[0-5]$/.test(prefix)) {
    return { ok: false, message: `auth_code starts like a WeChat Pay payment code (10–15) but has ${code.length} digits; WeChat Pay codes have exactly 18. Scan it again.` };
  }
  if (/^(2[5-9]|30)$/.test(prefix)) {
    return { ok: false, message: `auth_code starts like an Alipay payment code (25–30) but has ${code.length} digits; Alipay codes have 16–24. Scan it again.` };
  }
  if (prefix === '62') return { ok: false, message: 'auth_code looks like a UnionPay (云闪付) payment code (62…), which Shouyin does not accept in store; ask for WeChat Pay or Alipay.' };
  return {
    ok: false,
    message: `auth_code ${prefix}… is not a payment code Shouyin knows: WeChat Pay codes are 18 digits starting 10–15, Alipay codes 16–24 digits starting 25–30.`,
  };
}

/** For logs and the merchant view: the code is a bearer credential for a minute; keep only its ends. */
export function maskPaymentCode(code: string): string {
  return code.length <= 8 ? '*'.repeat(code.length) : `${code.slice(0, 4)}${'*'.repeat(code.length - 8)}${code.slice(-4)}`;
}
