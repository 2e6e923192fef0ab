import { loadConfig } from './config';
import type { Env } from './env';
import type { OrderRow } from './wechatpay/model';
import { testWechatMerchants } from './wechatpay/merchants';

/** Hono environment of every sandbox sub-app. */
export type SandboxEnv = { Bindings: Env };

/**
 * The WeChat Pay simulator's ledger of one test merchant (its mchid / mch_id). Each merchant has its
 * own: its orders, its notify outbox, its clock and its control calls touch no other merchant's
 * (docs/test-mode.md, "One ledger per test merchant").
 */
export function wechatLedger(env: Env, mchid: string) {
  return env.WECHATPAY_LEDGER.getByName(`wechatpay:${mchid}`);
}

/** Where the official account `appid`'s OAuth codes are kept (its code is no merchant's). */
export function oauthLedger(env: Env, appid: string) {
  return env.WECHATPAY_LEDGER.getByName(`wechatpay-oauth:${appid}`);
}

/**
 * The order a shopper's page names by a public id only (a scanned code_url, a prepay_id), with its
 * merchant's ledger: each test merchant's ledger is asked (there are a few).
 */
export async function wechatOrderBy(
  env: Env,
  ref: { code_url: string } | { prepay_id: string },
): Promise<{ ledger: ReturnType<typeof wechatLedger>; order: OrderRow } | null> {
  const mchids = [...new Set(testWechatMerchants(loadConfig(env)).map((m) => m.mchid))];
  const found = await Promise.all(
    mchids.map(async (mchid) => {
      const ledger = wechatLedger(env, mchid);
      const order = 'code_url' in ref ? await ledger.walletView(ref.code_url) : await ledger.byPrepayId(ref.prepay_id);
      return order ? { ledger, order: order as OrderRow } : null;
    }),
  );
  return found.find((x) => x !== null) ?? null;
}
