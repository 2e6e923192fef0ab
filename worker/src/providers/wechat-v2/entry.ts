// WeChat Pay APIv2 as the registry knows it: `providers.wechat_pay` with `"api_version": "v2"`.

import type { ProviderEntry } from '../types';
import { wechatTradeBill } from '../wechat-pay/bill-format';
import { wechatPayChannel } from '../wechat-pay/channel';
import { wechatPayerOauth } from '../wechat-pay/oauth';
import { parseWechatV2Config, type WechatPayV2Config } from './config';
import { nativeMode1 } from './native-mode1';
import { wechatV2, wechatV2Flows } from './index';

export const wechatV2Entry: ProviderEntry<WechatPayV2Config, 'wechat_pay'> = {
  id: wechatV2.id,
  channel: wechatPayChannel,
  variant: { field: 'api_version', value: 'v2', describe: '"v2" (XML, MD5 / HMAC-SHA256)' },
  parseConfig: parseWechatV2Config,
  identity: (cfg) => ({ appId: cfg.appid, providerMerchantId: cfg.mch_id }),
  // JSAPI needs the payer's openid, which the official account's OAuth gives (docs/wechat.md, "JSAPI inside WeChat").
  flowRequires: { jsapi: 'oauth' },
  flows: wechatV2Flows,
  provider: wechatV2,
  bill: wechatTradeBill,
  payerOauth: wechatPayerOauth,
  productQr: nativeMode1,
};
