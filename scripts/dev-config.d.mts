// Types for dev-config.mjs (plain Node so `npm start` runs before anything is compiled).

export interface DevSecrets {
  secret_key: string;
  /** The operator's admin key (SHOUYIN_ADMIN_KEYS): `sk_admin_` + 40 letters and digits. */
  admin_key: string;
  /** SHOUYIN_MASTER_KEY: `dev:<base64 of 32 random bytes>`. */
  master_key: string;
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
export function newMasterKey(): string;
export function devVarsText(config: DevConfig, demo: { secretKey: string; webhookSecret: string; adminKey?: string; masterKey?: string }): string;
export function newAdminKey(): string;
export function parseDevVars(text: string): Record<string, string>;
/** What a start did to the URLs in .dev.vars (see retargetConfig). */
export interface UrlChanges {
  /** The port public_base_url was written for by `npm start`; null when public_base_url is not one it wrote. */
  from: number | null;
  to: number;
  /** What moved to `to`, named for people: 'public_base_url', '2 allowed origins', 'the webhook'. */
  moved: string[];
  /** Allowed origins and webhook URLs left as they were (the ones a developer added). */
  kept: number;
  /** public_base_url is the developer's own, and the demo still has URLs npm start made for another port. */
  ownBaseOffPort: boolean;
}
/** Moves only the URLs `npm start` generated for the previous port to `port`; every other URL stays. */
export function retargetConfig(config: DevConfig, port: number): { config: DevConfig; urls: UrlChanges };
/** Adds a UnionPay section (fresh keys) to a test config made before the demo had UnionPay. */
export function withUnionpay(config: DevConfig): DevConfig;
/** Adds an Alipay section (fresh keys) to a test config made before the demo had Alipay. */
export function withAlipay(config: DevConfig): DevConfig;
/** Adds the official account (JSAPI's OAuth) to the WeChat Pay test merchant of an older .dev.vars. */
export function withWechatOauth(config: DevConfig): DevConfig;
export function ensureDevVars(path: string, options: Partial<DevConfigOptions> & { port: number }): DevVarsResult;
export interface DevVarsResult {
  status: 'created' | 'updated' | 'unchanged';
  config: DevConfig;
  secretKey: string;
  webhookSecret: string;
  /** The operator's admin key (the first valid one in SHOUYIN_ADMIN_KEYS, or the one added). */
  adminKey: string;
  urls: UrlChanges;
  /** What an older file lacked and got (provider sections, DEMO_* lines), by name. */
  added: string[];
}
/** The lines `npm start` prints about the .dev.vars named `file`; none when nothing changed. Never a secret. */
export function describeChanges(result: DevVarsResult, file: string): string[];
