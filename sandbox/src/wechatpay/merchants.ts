// Which test merchants the WeChat Pay simulator serves, by mchid or by AppID. A live merchant never
// appears here: to the sandbox it does not exist. A merchant is APIv3 or APIv2 by its config; the
// simulator keeps one order ledger for both (as WeChat Pay does), and each order remembers its API.

import type { MerchantConfig } from '../../../worker/src/config';
import type { WechatPayV3Config } from '../../../worker/src/providers/wechat-v3/config';
import type { SandboxedConfig } from '../config';
import type { WechatPayV2Config } from '../../../worker/src/providers/wechat-v2/config';

export type SandboxMerchant =
  | { api: 'v3'; merchant: MerchantConfig; cfg: WechatPayV3Config; mchid: string }
  | { api: 'v2'; merchant: MerchantConfig; cfg: WechatPayV2Config; mchid: string };

function wrap(m: MerchantConfig): SandboxMerchant | undefined {
  const w = m.providers.wechat_pay;
  if (m.livemode || !w) return undefined;
  return w.api_version === 'v2' ? { api: 'v2', merchant: m, cfg: w, mchid: w.mch_id } : { api: 'v3', merchant: m, cfg: w, mchid: w.mchid };
}

export function testWechatMerchants(config: SandboxedConfig): SandboxMerchant[] {
  return config.merchants.map(wrap).filter((x): x is SandboxMerchant => x !== undefined);
}

/** A test merchant by its WeChat Pay merchant id (mchid / mch_id), either API. */
export function testWechatMerchant(config: SandboxedConfig, mchid: string): SandboxMerchant | undefined {
  return testWechatMerchants(config).find((m) => m.mchid === mchid);
}

/** Every AppID bound to the merchant: the main one, the official account's (JSAPI) and the app's (APP). */
export function boundAppids(m: SandboxMerchant): string[] {
  return [m.cfg.appid, m.cfg.oauth?.appid, m.cfg.app_appid].filter((x): x is string => typeof x === 'string');
}

/** The official account with this AppID among test merchants' `oauth` configs, with its appsecret. */
export function testOfficialAccount(config: SandboxedConfig, appid: string): { appid: string; appsecret: string } | undefined {
  for (const m of testWechatMerchants(config)) if (m.cfg.oauth?.appid === appid) return m.cfg.oauth;
  return undefined;
}
