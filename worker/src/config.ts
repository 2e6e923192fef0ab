// SHOUYIN_CONFIG: one JSON document listing the merchants (architecture §7). Validated on first use;
// every error names the field's path and never echoes a secret's bytes.

import { CHANNELS, type Channel } from './contract';
import { ConfigError, obj, onlyKeys, str, url, PEM, PRIVATE_KEY_PEM } from './lib/config-fields';
import { parseAlipayConfig, type AlipayConfig } from './providers/alipay/config';
import { parseUnionpayConfig, type UnionpayConfig } from './providers/unionpay/config';
import { parseWechatOauth, parseWechatV2Config, type WechatOauthConfig, type WechatPayV2Config } from './providers/wechat-v2/config';
import { parseAppleConfig, type AppleConfig } from './apple/config';

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

/** `api_version` picks the provider: "v3" (JSON, RSA) or "v2" (XML, MD5 / HMAC-SHA256). */
export type WechatPayConfig = WechatPayV3Config | WechatPayV2Config;

export interface ProvidersConfig {
  wechat_pay?: WechatPayConfig;
  alipay?: AlipayConfig;
  unionpay?: UnionpayConfig;
}

export interface WebhookConfig {
  url: string;
  /** `whsec_` + base64 of at least 24 random bytes (Standard Webhooks). */
  secret: string;
}

export interface MerchantConfig {
  id: string;
  name: string;
  secret_keys: string[];
  allowed_origins: string[];
  webhook?: WebhookConfig;
  auto_refund_anomalies: boolean;
  providers: ProvidersConfig;
  /** Apple In-App Purchase verification for the merchant's app (docs/apple.md). */
  apple?: AppleConfig;
  /** Derived from the keys: all `sk_test_` (false) or all `sk_live_` (true). */
  livemode: boolean;
}

export interface ShouyinConfig {
  public_base_url: string;
  merchants: MerchantConfig[];
}

function parseWechat(v: unknown, path: string, livemode: boolean): WechatPayConfig {
  const o = obj(v, path);
  const version = o.api_version ?? 'v3';
  if (version === 'v2') return parseWechatV2Config(o, path, livemode);
  if (version !== 'v3') {
    throw new ConfigError(`${path}.api_version`, `must be "v3" (JSON, RSA) or "v2" (XML, MD5 / HMAC-SHA256) (got ${JSON.stringify(version)}).`);
  }
  onlyKeys(o, path, [
    'api_version', 'appid', 'mchid', 'merchant_serial', 'private_key', 'apiv3_key', 'wechatpay_public_key_id',
    'wechatpay_public_key', 'platform_certificates', 'api_base', 'apiv2_key', 'oauth', 'app_appid',
  ]);
  const cfg: WechatPayV3Config = {
    api_version: 'v3',
    appid: str(o, 'appid', path, { pattern: /^[A-Za-z0-9_]{1,32}$/, hint: 'must be the appid bound to the merchant (letters, digits)' }),
    mchid: str(o, 'mchid', path, { pattern: /^[0-9]{6,32}$/, hint: 'must be the digits of the WeChat Pay merchant id' }),
    merchant_serial: str(o, 'merchant_serial', path, { pattern: /^[0-9A-Fa-f]{8,64}$/, hint: 'must be the hex serial of the merchant API certificate' }),
    private_key: str(o, 'private_key', path, { secret: true, pattern: PRIVATE_KEY_PEM, hint: 'must be a PEM private key (apiclient_key.pem)' }),
    apiv3_key: str(o, 'apiv3_key', path, { secret: true, pattern: /^[\x21-\x7e]{32}$/, hint: 'must be exactly 32 ASCII characters (the APIv3 key, not the APIv2 key)' }),
  };
  const keyId = str(o, 'wechatpay_public_key_id', path, { optional: true, pattern: /^PUB_KEY_ID_[0-9A-Za-z]+$/, hint: 'must look like PUB_KEY_ID_…' });
  const pub = str(o, 'wechatpay_public_key', path, { optional: true, pattern: PEM('PUBLIC KEY'), hint: 'must be a PEM public key (pub_key.pem)' });
  if ((keyId === undefined) !== (pub === undefined)) {
    throw new ConfigError(`${path}.${keyId === undefined ? 'wechatpay_public_key_id' : 'wechatpay_public_key'}`, 'is missing: the public key and its id go together.');
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
    throw new ConfigError(`${path}.wechatpay_public_key_id`, 'is missing: configure the WeChat Pay public key (wechatpay_public_key_id + wechatpay_public_key) or platform_certificates, or both.');
  }
  const base = url(o, 'api_base', path, true, livemode);
  if (base !== undefined) cfg.api_base = base;
  if (o.oauth !== undefined) cfg.oauth = parseWechatOauth(o.oauth, `${path}.oauth`);
  const app = str(o, 'app_appid', path, { optional: true, pattern: /^[A-Za-z0-9_]{1,32}$/, hint: 'must be the mobile application\'s AppID' });
  if (app !== undefined) cfg.app_appid = app;
  return cfg;
}

function parseMerchant(v: unknown, i: number, ids: Set<string>, keys: Set<string>): MerchantConfig {
  const path = `merchants[${i}]`;
  const o = obj(v, path);
  onlyKeys(o, path, ['id', 'name', 'secret_keys', 'allowed_origins', 'webhook', 'auto_refund_anomalies', 'providers', 'apple']);
  const id = str(o, 'id', path, { pattern: /^[a-z0-9][a-z0-9_-]{0,31}$/, hint: 'must be 1–32 lowercase letters, digits, _ or - (it appears in notify URLs)' });
  if (ids.has(id)) throw new ConfigError(`${path}.id`, `duplicates another merchant's id ${JSON.stringify(id)}.`);
  ids.add(id);
  const name = str(o, 'name', path);
  if (!Array.isArray(o.secret_keys) || o.secret_keys.length === 0) {
    throw new ConfigError(`${path}.secret_keys`, 'must be a non-empty array of sk_test_… or sk_live_… keys.');
  }
  const secretKeys = o.secret_keys.map((k, j) => {
    if (typeof k !== 'string' || !/^sk_(test|live)_[0-9A-Za-z]{24,}$/.test(k)) {
      throw new ConfigError(`${path}.secret_keys[${j}]`, 'must be sk_test_ or sk_live_ followed by at least 24 letters or digits.');
    }
    if (keys.has(k)) throw new ConfigError(`${path}.secret_keys[${j}]`, 'is also used by another merchant.');
    keys.add(k);
    return k;
  });
  const live = secretKeys.map((k) => k.startsWith('sk_live_'));
  if (live.some((l) => l !== live[0])) {
    throw new ConfigError(`${path}.secret_keys`, 'mixes sk_test_ and sk_live_ keys; one merchant is either test or live.');
  }
  const livemode = live[0] === true;
  if (!Array.isArray(o.allowed_origins)) throw new ConfigError(`${path}.allowed_origins`, 'must be an array of origins such as "https://shop.example.com".');
  const origins = o.allowed_origins.map((x, j) => {
    const p = `${path}.allowed_origins[${j}]`;
    if (typeof x !== 'string') throw new ConfigError(p, 'must be a string.');
    let u: URL;
    try {
      u = new URL(x);
    } catch {
      throw new ConfigError(p, `must be an origin like "https://shop.example.com" (got ${JSON.stringify(x)}).`);
    }
    if (u.origin !== x) throw new ConfigError(p, `must be an origin without path or trailing slash (got ${JSON.stringify(x)}; use ${JSON.stringify(u.origin)}).`);
    return x;
  });
  let webhook: WebhookConfig | undefined;
  if (o.webhook !== undefined) {
    const wp = `${path}.webhook`;
    const w = obj(o.webhook, wp);
    onlyKeys(w, wp, ['url', 'secret']);
    const wurl = url(w, 'url', wp, false, livemode) as string;
    const secret = str(w, 'secret', wp, { secret: true, pattern: /^whsec_[A-Za-z0-9+/]{32,}={0,2}$/, hint: 'must be whsec_ followed by the base64 of at least 24 random bytes' });
    webhook = { url: wurl, secret };
  }
  const auto = o.auto_refund_anomalies ?? true;
  if (typeof auto !== 'boolean') throw new ConfigError(`${path}.auto_refund_anomalies`, 'must be true or false.');
  const po = obj(o.providers ?? {}, `${path}.providers`);
  onlyKeys(po, `${path}.providers`, CHANNELS);
  const providers: ProvidersConfig = {};
  if (po.wechat_pay !== undefined) providers.wechat_pay = parseWechat(po.wechat_pay, `${path}.providers.wechat_pay`, livemode);
  if (po.alipay !== undefined) providers.alipay = parseAlipayConfig(po.alipay, `${path}.providers.alipay`, livemode);
  if (po.unionpay !== undefined) providers.unionpay = parseUnionpayConfig(po.unionpay, `${path}.providers.unionpay`, livemode);
  if (Object.keys(providers).length === 0) throw new ConfigError(`${path}.providers`, 'must configure at least one provider (wechat_pay).');
  return { id, name, secret_keys: secretKeys, allowed_origins: origins, ...(webhook ? { webhook } : {}), auto_refund_anomalies: auto, providers, livemode, ...(o.apple !== undefined ? { apple: parseAppleConfig(o.apple, `${path}.apple`, livemode) } : {}) };
}

export function parseConfig(raw: string | undefined): ShouyinConfig {
  if (raw === undefined || raw.trim() === '') {
    throw new ConfigError('(root)', 'is not set. Run `npm start` to generate .dev.vars locally, or set the SHOUYIN_CONFIG secret (`wrangler secret put SHOUYIN_CONFIG`).');
  }
  let doc: unknown;
  try {
    doc = JSON.parse(raw);
  } catch (e) {
    throw new ConfigError('(root)', `is not valid JSON: ${(e as Error).message}`);
  }
  const o = obj(doc, '(root)');
  // `sandbox` is the provider sandbox Worker's section (sandbox/src/config.ts): accepted, not read here.
  onlyKeys(o, '(root)', ['public_base_url', 'merchants', 'sandbox']);
  const base = url(o, 'public_base_url', '(root)', false, false) as string;
  if (!Array.isArray(o.merchants) || o.merchants.length === 0) throw new ConfigError('merchants', 'must be a non-empty array.');
  const ids = new Set<string>();
  const keys = new Set<string>();
  const merchants = o.merchants.map((m, i) => parseMerchant(m, i, ids, keys));
  merchants.forEach((m) => {
    if (m.livemode && !base.startsWith('https://')) throw new ConfigError('public_base_url', 'must be https when a live merchant is configured.');
  });
  return { public_base_url: base, merchants };
}

const cache = new Map<string, ShouyinConfig>();

/** Parsed once per isolate per distinct document. */
export function loadConfig(env: { SHOUYIN_CONFIG?: string }): ShouyinConfig {
  const raw = env.SHOUYIN_CONFIG ?? '';
  let c = cache.get(raw);
  if (!c) {
    c = parseConfig(raw);
    cache.clear();
    cache.set(raw, c);
  }
  return c;
}

export function merchantById(config: ShouyinConfig, id: string): MerchantConfig | undefined {
  return config.merchants.find((m) => m.id === id);
}

export function configuredChannels(m: MerchantConfig): Channel[] {
  return CHANNELS.filter((c) => m.providers[c as keyof ProvidersConfig] !== undefined);
}
