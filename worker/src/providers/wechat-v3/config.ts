// `providers.wechat_pay` with `"api_version": "v3"` (or no api_version) in SHOUYIN_CONFIG. Every
// error names the field's path and never echoes a key's bytes.

import { ConfigError, obj, onlyKeys, str, url, PEM, PRIVATE_KEY_PEM } from '../../lib/config-fields';
import { parseWechatOauth, type WechatOauthConfig } from '../wechat-pay/oauth';

export interface WechatPayV3Config {
  api_version: 'v3';
  appid: string;
  mchid: string;
  /** Serial of the merchant API certificate (hex), sent as serial_no in Authorization. */
  merchant_serial: string;
  /** Merchant API private key, PKCS#8 PEM (apiclient_key.pem). */
  private_key: string;
  /** 32 ASCII characters; the AES-256-GCM key for notify resources. */
  apiv3_key: string;
  /** WeChat Pay public key mode (`PUB_KEY_ID_…`). */
  wechatpay_public_key_id?: string;
  wechatpay_public_key?: string;
  /** Platform certificate mode; either or both modes may be configured during migration. */
  platform_certificates?: { serial: string; certificate: string }[];
  /** Omitted: live → https://api.mch.weixin.qq.com, test → the built-in sandbox. */
  api_base?: string;
  /** JSAPI (inside WeChat): the official account whose OAuth gives the payer's openid; its appid is the JSAPI prepay appid. */
  oauth?: WechatOauthConfig;
  /** APP: the mobile application's AppID, when it differs from `appid`. */
  app_appid?: string;
}

// apiv2_key is allowed here, and unused by APIv3.
const FIELDS = [
  'api_version',
  'appid',
  'mchid',
  'merchant_serial',
  'private_key',
  'apiv3_key',
  'wechatpay_public_key_id',
  'wechatpay_public_key',
  'platform_certificates',
  'api_base',
  'apiv2_key',
  'oauth',
  'app_appid',
] as const;

/** `merchants[i].providers.wechat_pay` with api_version "v3". `livemode` requires an https api_base when one is given. */
export function parseWechatV3Config(v: unknown, path: string, livemode: boolean): WechatPayV3Config {
  const o = obj(v, path);
  onlyKeys(o, path, FIELDS);
  const cfg: WechatPayV3Config = {
    api_version: 'v3',
    appid: str(o, 'appid', path, { pattern: /^[A-Za-z0-9_]{1,32}$/, hint: 'must be the appid bound to the merchant (letters, digits)' }),
    mchid: str(o, 'mchid', path, { pattern: /^[0-9]{6,32}$/, hint: 'must be the digits of the WeChat Pay merchant id' }),
    merchant_serial: str(o, 'merchant_serial', path, { pattern: /^[0-9A-Fa-f]{8,64}$/, hint: 'must be the hex serial of the merchant API certificate' }),
    private_key: str(o, 'private_key', path, { secret: true, pattern: PRIVATE_KEY_PEM, hint: 'must be a PEM private key (apiclient_key.pem)' }),
    apiv3_key: str(o, 'apiv3_key', path, {
      secret: true,
      pattern: /^[\x21-\x7e]{32}$/,
      hint: 'must be exactly 32 ASCII characters (the APIv3 key, not the APIv2 key)',
    }),
  };
  const keyId = str(o, 'wechatpay_public_key_id', path, { optional: true, pattern: /^PUB_KEY_ID_[0-9A-Za-z]+$/, hint: 'must look like PUB_KEY_ID_…' });
  const pub = str(o, 'wechatpay_public_key', path, { optional: true, pattern: PEM('PUBLIC KEY'), hint: 'must be a PEM public key (pub_key.pem)' });
  if ((keyId === undefined) !== (pub === undefined)) {
    throw new ConfigError(
      `${path}.${keyId === undefined ? 'wechatpay_public_key_id' : 'wechatpay_public_key'}`,
      'is missing: the public key and its id go together.',
    );
  }
  if (keyId !== undefined && pub !== undefined) {
    cfg.wechatpay_public_key_id = keyId;
    cfg.wechatpay_public_key = pub;
  }
  if (o.platform_certificates !== undefined) {
    if (!Array.isArray(o.platform_certificates)) throw new ConfigError(`${path}.platform_certificates`, 'must be an array.');
    cfg.platform_certificates = o.platform_certificates.map((c, i) => {
      const cp = `${path}.platform_certificates[${i}]`;
      const co = obj(c, cp);
      onlyKeys(co, cp, ['serial', 'certificate']);
      return {
        serial: str(co, 'serial', cp, { pattern: /^[0-9A-Fa-f]{8,64}$/, hint: 'must be the hex serial of the platform certificate' }).toUpperCase(),
        certificate: str(co, 'certificate', cp, { pattern: PEM('CERTIFICATE'), hint: 'must be a PEM certificate' }),
      };
    });
  }
  if (cfg.wechatpay_public_key_id === undefined && (cfg.platform_certificates ?? []).length === 0) {
    throw new ConfigError(
      `${path}.wechatpay_public_key_id`,
      'is missing: configure the WeChat Pay public key (wechatpay_public_key_id + wechatpay_public_key) or platform_certificates, or both.',
    );
  }
  const base = url(o, 'api_base', path, true, livemode);
  if (base !== undefined) cfg.api_base = base;
  if (o.oauth !== undefined) cfg.oauth = parseWechatOauth(o.oauth, `${path}.oauth`);
  const app = str(o, 'app_appid', path, { optional: true, pattern: /^[A-Za-z0-9_]{1,32}$/, hint: "must be the mobile application's AppID" });
  if (app !== undefined) cfg.app_appid = app;
  return cfg;
}
