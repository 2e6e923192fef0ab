import type { Env } from './env';

/** Hono environment of every sandbox sub-app. */
export type SandboxEnv = { Bindings: Env };

/** The one ledger instance of the WeChat Pay simulator. */
export function wechatLedger(env: Env) {
  return env.WECHATPAY_LEDGER.getByName('wechatpay');
}
