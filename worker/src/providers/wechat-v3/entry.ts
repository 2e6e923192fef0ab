// WeChat Pay APIv3 as the registry knows it. The default for `providers.wechat_pay`: a config without
// api_version is an APIv3 one.

import type { ProviderEntry } from '../types';
import { wechatTradeBill } from '../wechat-pay/bill-format';
import { wechatPayChannel } from '../wechat-pay/channel';
import { wechatPayerOauth } from '../wechat-pay/oauth';
import { parseWechatV3Config, type WechatPayV3Config } from './config';
import { wechatV3, wechatV3Flows } from './index';

export const wechatV3Entry: ProviderEntry<WechatPayV3Config, 'wechat_pay'> = {
  id: wechatV3.id,
  channel: wechatPayChannel,
  variant: { field: 'api_version', value: 'v3', default: true, describe: '"v3" (JSON, RSA)' },
  parseConfig: parseWechatV3Config,
  identity: (cfg) => ({ appId: cfg.appid, providerMerchantId: cfg.mchid }),
  // JSAPI needs the payer's openid, which the official account's OAuth gives (docs/wechat.md, "JSAPI inside WeChat").
  flowRequires: { jsapi: 'oauth' },
  flows: wechatV3Flows,
  provider: wechatV3,
  bill: wechatTradeBill,
  payerOauth: wechatPayerOauth,
};
