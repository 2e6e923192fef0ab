// Alipay as the registry knows it: the channel it serves alone, and `providers.alipay`.

import type { ChannelInfo, ProviderEntry } from '../types';
import { alipayTradeBill } from './bill-format';
import { parseAlipayConfig, type AlipayConfig } from './config';
import { alipay } from './index';

export const alipayChannel: ChannelInfo<'alipay'> = {
  id: 'alipay',
  name: 'Alipay',
  flowOrder: {
    // A computer: scan the QR with the phone, or pay on Alipay's PC cashier.
    desktop: ['qr', 'page'],
    // A phone browser: the wap cashier opens Alipay on the same phone; the QR for another phone.
    mobile: ['h5', 'qr'],
    // WeChat blocks Alipay's pages and app links.
    wechat: [],
    // Inside Alipay: the wap cashier runs in the app.
    alipay: ['h5', 'qr'],
  },
  blockedIn: ['wechat'],
  // "25~30开头的长度为16~24位的数字" (the alipay.trade.pay auth_code rule, as essensoft/paylink's
  // AlipayTradePayModel quotes it; docs/instore.md).
  paymentCode: { accepted: true, prefix: /^(2[5-9]|30)$/, prefixText: '25–30', minLength: 16, maxLength: 24 },
};

export const alipayEntry: ProviderEntry<AlipayConfig, 'alipay'> = {
  id: alipay.id,
  channel: alipayChannel,
  parseConfig: parseAlipayConfig,
  // seller_id is only checked when the merchant configured it (one app may serve several sellers).
  identity: (cfg) => ({ appId: cfg.app_id, ...(cfg.seller_id !== undefined ? { providerMerchantId: cfg.seller_id } : {}) }),
  provider: alipay,
  bill: alipayTradeBill,
};
