// `providers.wechat_pay` with `"api_version": "v2"` in SHOUYIN_CONFIG (the registry picks this parser
// by api_version). Every error names the field's path and never echoes a key's bytes.

import { ConfigError, obj, onlyKeys, str, url, type Obj } from '../../lib/config-fields';
import { WECHAT_APPID as APPID, WECHAT_APPID_HINT as APPID_HINT, parseWechatOauth, type WechatOauthConfig } from '../wechat-pay/oauth';
import type { Product } from '../types';
import type { SignType } from './sign';

export interface WechatPayV2Config {
  api_version: 'v2';
  /** The AppID bound to the merchant: Native, H5 (MWEB) and the notify identity check. */
  appid: string;
  mch_id: string;
  /** The 32-character APIv2 key (商户平台 → API安全 → API密钥). Not the APIv3 key, not the appsecret. */
  apiv2_key: string;
  /** How requests are signed (notifies are verified by their sign's length whatever this says). */
  sign_type: SignType;
  /**
   * The Workers mTLS certificate binding (`[[mtls_certificates]] binding = "…"`) holding
   * apiclient_cert.pem + apiclient_key.pem: `/secapi/pay/refund` refuses calls without it.
   * Required for live merchants; the built-in sandbox does not check client certificates.
   */
  mtls_certificate?: string;
  /** JSAPI (inside WeChat): the official account whose OAuth gives the openid; its appid is the prepay appid. */
  oauth?: WechatOauthConfig;
  /** APP: the mobile application's AppID (open platform), when it differs from `appid`. */
  app_appid?: string;
  /** Native mode 1: product_id → what the static QR sells (a checkout session is created from it). */
  native_products?: Record<string, Product>;
  /** Omitted: live → https://api.mch.weixin.qq.com, test → the built-in sandbox. Given: used as is. */
  api_base?: string;
}

const FIELDS = ['api_version', 'appid', 'mch_id', 'apiv2_key', 'sign_type', 'mtls_certificate', 'oauth', 'app_appid', 'native_products', 'api_base'] as const;

function parseProducts(v: unknown, path: string): Record<string, Product> {
  const o = obj(v, path);
  const out: Record<string, Product> = {};
  for (const [id, p] of Object.entries(o)) {
    const pp = `${path}.${id}`;
    if (!/^[0-9A-Za-z_-]{1,32}$/.test(id))
      throw new ConfigError(pp, 'is not a usable product_id: 1–32 letters, digits, _ or - (it is printed in the QR code).');
    const po: Obj = obj(p, pp);
    onlyKeys(po, pp, ['amount', 'description']);
    const amount = po.amount;
    if (typeof amount !== 'number' || !Number.isSafeInteger(amount) || amount < 1 || amount > 10_000_000_000) {
      throw new ConfigError(`${pp}.amount`, 'must be an integer number of fen between 1 and 10 000 000 000.');
    }
    const description = str(po, 'description', pp);
    if ([...description].length > 127) throw new ConfigError(`${pp}.description`, 'must be at most 127 characters.');
    out[id] = { amount, description };
  }
  return out;
}

/** `merchants[i].providers.wechat_pay` with api_version "v2". */
export function parseWechatV2Config(v: unknown, path: string, livemode: boolean): WechatPayV2Config {
  const o = obj(v, path);
  onlyKeys(o, path, FIELDS);
  const signType = o.sign_type ?? 'MD5';
  if (signType !== 'MD5' && signType !== 'HMAC-SHA256') {
    throw new ConfigError(`${path}.sign_type`, `must be "MD5" or "HMAC-SHA256" (got ${JSON.stringify(signType)}).`);
  }
  const cfg: WechatPayV2Config = {
    api_version: 'v2',
    appid: str(o, 'appid', path, { pattern: APPID, hint: `${APPID_HINT} (the AppID bound to the merchant)` }),
    mch_id: str(o, 'mch_id', path, { pattern: /^[0-9]{6,32}$/, hint: 'must be the digits of the WeChat Pay merchant id' }),
    apiv2_key: str(o, 'apiv2_key', path, {
      secret: true,
      pattern: /^[0-9A-Za-z]{32}$/,
      hint: 'must be the 32-character APIv2 key (letters and digits; not the APIv3 key or the appsecret)',
    }),
    sign_type: signType,
  };
  const cert = str(o, 'mtls_certificate', path, {
    optional: true,
    pattern: /^[A-Za-z_][A-Za-z0-9_]{0,63}$/,
    hint: 'must be the binding name of an [[mtls_certificates]] entry in wrangler.toml (e.g. "WECHAT_PAY_CERT")',
  });
  if (cert !== undefined) cfg.mtls_certificate = cert;
  else if (livemode) {
    throw new ConfigError(
      `${path}.mtls_certificate`,
      "is missing: a live APIv2 merchant refunds through /secapi/pay/refund, which needs the merchant's client certificate as a Workers mTLS binding (see docs/wechat.md).",
    );
  }
  if (o.oauth !== undefined) cfg.oauth = parseWechatOauth(o.oauth, `${path}.oauth`);
  const app = str(o, 'app_appid', path, { optional: true, pattern: APPID, hint: `${APPID_HINT} (the mobile application's)` });
  if (app !== undefined) cfg.app_appid = app;
  if (o.native_products !== undefined) cfg.native_products = parseProducts(o.native_products, `${path}.native_products`);
  const base = url(o, 'api_base', path, true, livemode);
  if (base !== undefined) cfg.api_base = base;
  return cfg;
}
