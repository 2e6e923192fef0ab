// The one place providers are registered. A channel maps to the provider its merchant config selects
// (WeChat Pay: `api_version` picks wechat-v3 or wechat-v2, two providers that share only the name).

import type { Channel } from '../contract';
import type { MerchantConfig } from '../config';
import type { ExpectedIdentity } from '../session/state-machine';
import type { PaymentProvider } from './types';
import { alipay } from './alipay';
import { unionpay } from './unionpay';
import { wechatV2, wechatV2Flows } from './wechat-v2';
import { wechatV3, wechatV3Flows } from './wechat-v3';

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
      // The flows a merchant can offer follow its config (JSAPI needs the official account's OAuth).
      if (cfg.api_version === 'v2') {
        return {
          provider: { ...wechatV2, flows: wechatV2Flows(cfg) } as PaymentProvider<unknown>,
          config: cfg,
          identity: { appId: cfg.appid, providerMerchantId: cfg.mch_id },
        };
      }
      return {
        provider: { ...wechatV3, flows: wechatV3Flows(cfg) } as PaymentProvider<unknown>,
        config: cfg,
        identity: { appId: cfg.appid, providerMerchantId: cfg.mchid },
      };
    }
    case 'alipay': {
      const cfg = merchant.providers.alipay;
      if (!cfg) return null;
      return {
        provider: alipay as PaymentProvider<unknown>,
        config: cfg,
        // seller_id is only checked when the merchant configured it (one app may serve several sellers).
        identity: { appId: cfg.app_id, ...(cfg.seller_id !== undefined ? { providerMerchantId: cfg.seller_id } : {}) },
      };
    }
    case 'unionpay': {
      const cfg = merchant.providers.unionpay;
      if (!cfg) return null;
      // Every UnionPay payment names its merchant by merId (there is no app id).
      return { provider: unionpay as PaymentProvider<unknown>, config: cfg, identity: { providerMerchantId: cfg.mer_id } };
    }
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
