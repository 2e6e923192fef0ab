// Types for dev-config.mjs (plain Node so `npm start` runs before anything is compiled).

export interface DevSecrets {
  secret_key: string;
  webhook_secret: string;
  appid: string;
  mchid: string;
  merchant_serial: string;
  merchant_private_key: string;
  apiv3_key: string;
  public_key_id: string;
  sandbox_public_key: string;
  sandbox_private_key: string;
  /** UnionPay: the demo merchant's merId, signing key and certId (decimal), and the sandbox's chain and key. */
  unionpay_mer_id: string;
  unionpay_sign_key: string;
  unionpay_sign_cert_id: string;
  unionpay_root_cert: string;
  unionpay_middle_cert: string;
  unionpay_sandbox_sign_cert: string;
  unionpay_sandbox_sign_key: string;
  /** Alipay: the demo app's APPID, seller PID and app key, and the key the Alipay sandbox signs with. */
  alipay_app_id: string;
  alipay_seller_id: string;
  alipay_app_private_key: string;
  alipay_sandbox_private_key: string;
  alipay_sandbox_public_key: string;
  /** WeChat JSAPI: the demo's official account (AppID, AppSecret), whose OAuth the sandbox plays. */
  wechat_mp_appid: string;
  wechat_mp_appsecret: string;
}

export interface DevConfigOptions {
  port: number;
  host?: string;
  timeScale?: number;
  notifyDelaySeconds?: number;
}

/** The SHOUYIN_CONFIG document (see worker/src/config.ts), as plain JSON. */
export type DevConfig = {
  public_base_url: string;
  merchants: Array<
    Record<string, unknown> & {
      id: string;
      secret_keys: string[];
      allowed_origins: string[];
      webhook?: { url: string; secret: string };
    }
  >;
  sandbox: Record<string, unknown>;
};

export function generateSecrets(): DevSecrets;
export function buildConfig(secrets: DevSecrets, options: DevConfigOptions): DevConfig;
export function devVarsText(config: DevConfig, demo: { secretKey: string; webhookSecret: string }): string;
export function parseDevVars(text: string): Record<string, string>;
export function retargetConfig(config: DevConfig, port: number): DevConfig;
/** Adds a UnionPay section (fresh keys) to a test config made before the demo had UnionPay. */
export function withUnionpay(config: DevConfig): DevConfig;
/** Adds an Alipay section (fresh keys) to a test config made before the demo had Alipay. */
export function withAlipay(config: DevConfig): DevConfig;
/** Adds the official account (JSAPI's OAuth) to the WeChat Pay test merchant of an older .dev.vars. */
export function withWechatOauth(config: DevConfig): DevConfig;
export function ensureDevVars(
  path: string,
  options: Partial<DevConfigOptions> & { port: number },
): { status: 'created' | 'updated' | 'unchanged'; config: DevConfig; secretKey: string; webhookSecret: string };
