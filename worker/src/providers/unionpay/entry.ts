// UnionPay (ACP 5.1.0) as the registry knows it: the channel it serves alone, and `providers.unionpay`.

import type { ChannelInfo, ProviderEntry } from '../types';
import { unionpayZmFile } from './bill-format';
import { parseUnionpayConfig, type UnionpayConfig } from './config';
import { unionpay } from './index';

export const unionpayChannel: ChannelInfo<'unionpay'> = {
  id: 'unionpay',
  name: 'UnionPay',
  flowOrder: {
    // A computer: scan with 云闪付 or a bank app, or pay on UnionPay's front page.
    desktop: ['qr', 'page'],
    // Anywhere else the mobile front page works in the browser (inside WeChat and Alipay too).
    mobile: ['h5', 'page', 'qr'],
    wechat: ['h5', 'page', 'qr'],
    alipay: ['h5', 'page', 'qr'],
  },
  // 云闪付 payment codes start with 62; Shouyin takes none in store, and says so rather than guess.
  paymentCode: { accepted: false, prefix: /^62$/, prefixText: '62', label: 'UnionPay (云闪付)' },
};

export const unionpayEntry: ProviderEntry<UnionpayConfig, 'unionpay'> = {
  id: unionpay.id,
  channel: unionpayChannel,
  parseConfig: parseUnionpayConfig,
  // Every UnionPay payment names its merchant by merId (there is no app id).
  identity: (cfg) => ({ providerMerchantId: cfg.mer_id }),
  provider: unionpay,
  bill: unionpayZmFile,
};
