// The one place providers are registered. A channel maps to the provider its merchant config selects
// (WeChat Pay APIv3 today; v2, Alipay and UnionPay plug in here with their own folders).

import type { Channel } from '../contract';
import type { MerchantConfig } from '../config';
import type { ExpectedIdentity } from '../session/state-machine';
import type { PaymentProvider } from './types';
import { wechatV3 } from './wechat-v3';

export interface ResolvedProvider {
  provider: PaymentProvider<unknown>;
  config: unknown;
  /** The ids a verified payment must carry to belong to this merchant. */
  identity: ExpectedIdentity;
}

export function resolveProvider(merchant: MerchantConfig, channel: Channel): ResolvedProvider | null {
  switch (channel) {
    case 'wechat_pay': {
      const cfg = merchant.providers.wechat_pay;
      if (!cfg) return null;
      return {
        provider: wechatV3 as PaymentProvider<unknown>,
        config: cfg,
        identity: { appId: cfg.appid, providerMerchantId: cfg.mchid },
      };
    }
    case 'alipay':
    case 'unionpay':
      return null;
  }
}

/** The provider an attempt was made with, by its stored id (the merchant's config may have changed since). */
export function resolveProviderById(merchant: MerchantConfig, providerId: string): ResolvedProvider | null {
  for (const channel of ['wechat_pay', 'alipay', 'unionpay'] as const) {
    const r = resolveProvider(merchant, channel);
    if (r && r.provider.id === providerId) return r;
  }
  return null;
}
