// The official account (公众号) both WeChat Pay providers may configure as `oauth`: JSAPI pays inside
// WeChat under the payer's openid, which only the account's web OAuth (snsapi_base) gives. Shouyin
// runs that hop itself (worker/src/routes/wechat-oauth.ts) through the PayerOauth capability below.

import { obj, onlyKeys, str } from '../../lib/config-fields';
import type { PayerOauth } from '../types';

export interface WechatOauthConfig {
  /** The official account (公众号) whose web OAuth (snsapi_base) yields the payer's openid. */
  appid: string;
  appsecret: string;
}

/** A WeChat AppID: "wx" and 16 letters or digits. */
export const WECHAT_APPID = /^wx[0-9A-Za-z]{16}$/;
export const WECHAT_APPID_HINT = 'must be a WeChat AppID: "wx" and 16 letters or digits';

/** `oauth: {appid, appsecret}` of either WeChat Pay provider. */
export function parseWechatOauth(v: unknown, path: string): WechatOauthConfig {
  const o = obj(v, path);
  onlyKeys(o, path, ['appid', 'appsecret']);
  return {
    appid: str(o, 'appid', path, { pattern: WECHAT_APPID, hint: `${WECHAT_APPID_HINT} (the official account's)` }),
    appsecret: str(o, 'appsecret', path, {
      secret: true,
      pattern: /^[0-9A-Za-z]{16,64}$/,
      hint: "must be the official account's AppSecret (32 letters or digits), not an API key",
    }),
  };
}

/** The openid hop of either WeChat Pay provider: its official account, and the sandbox's pages for a test merchant on it. */
export const wechatPayerOauth: PayerOauth<{ oauth?: WechatOauthConfig; api_base?: string }> = {
  account: (cfg) => cfg.oauth,
  sandboxed: (cfg, livemode) => !livemode && cfg.api_base === undefined,
};
