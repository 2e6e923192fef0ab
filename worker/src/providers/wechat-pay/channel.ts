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
