// The WeChat Pay channel, as both of its providers share it: wechat-v3 (APIv3, JSON) and wechat-v2
// (APIv2, XML) differ in protocol only, so what shoppers and tills meet is the same.

import type { ChannelInfo } from '../types';

export const wechatPayChannel: ChannelInfo<'wechat_pay'> = {
  id: 'wechat_pay',
  name: 'WeChat Pay',
  flowOrder: {
    // A computer: the phone scans the QR. H5 refuses desktop browsers.
    desktop: ['qr'],
    // A phone browser: H5 opens WeChat on the same phone; the QR for another phone or a screenshot.
    mobile: ['h5', 'qr'],
    // Inside WeChat: JSAPI pays in the page (WeChat refuses H5 there and says to use JSAPI).
    wechat: ['jsapi', 'qr'],
    // WeChat Pay cannot be reached from inside Alipay.
    alipay: [],
  },
  blockedIn: ['alipay'],
  // "用户刷卡条形码规则：18位纯数字，以10、11、12、13、14、15开头" (the micropay auth_code rule, as
  // binarywang/WxJava's WxPayMicropayRequest quotes it; docs/instore.md).
  paymentCode: { accepted: true, prefix: /^1[0-5]$/, prefixText: '10–15', minLength: 18, maxLength: 18 },
};

/**
 * WeChat Pay takes a reversal of a payment-code order only within 7 days: "7天以内的交易单可调用撤销，
 * 其他正常支付的单如需实现相同功能请调用申请退款API" (撤销订单, https://pay.weixin.qq.com/doc/v2/merchant/4011937361;
 * the same for APIv3's codepay reverse, https://pay.weixin.qq.com/wiki/doc/api/wxpay/ch/pay/QuickPay/chapter3_4.shtml).
 */
export const WECHAT_REVERSE_WINDOW_MS = 7 * 24 * 3_600_000;
