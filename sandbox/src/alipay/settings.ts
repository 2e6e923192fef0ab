// What the Alipay ledger needs from SHOUYIN_CONFIG to work on its own (alarms run without a
// request). Routes pass it on every call that can send; the alarm reads it from the configuration,
// and it is never written to storage. It holds
// the simulator's own key only: the sandbox never holds or serves a live merchant's secrets.

import type { MerchantConfig } from '../../../worker/src/config';
import { loadConfig, type SandboxedConfig } from '../config';
import type { Env } from '../env';
import type { AlipayConfig } from '../../../worker/src/providers/alipay/config';
import { defaultSellerId, type TradeRow } from './model';

export interface AlipayLedgerSettings {
  /** Notifies to this origin go to the Shouyin Worker over its service binding (no port listens under the test runner). */
  public_base_url: string;
  time_scale: number;
  notify_delay_seconds: number;
  /** The simulated Alipay's signing key (sandbox.alipay.private_key). */
  signer_private_key: string;
}

/** `null` when the Alipay sandbox has no signing key configured (it is then switched off). */
export function alipayLedgerSettings(config: SandboxedConfig): AlipayLedgerSettings | null {
  const signer = config.sandbox.alipay;
  if (!signer) return null;
  return {
    public_base_url: config.public_base_url,
    time_scale: config.sandbox.time_scale,
    notify_delay_seconds: config.sandbox.notify_delay_seconds,
    signer_private_key: signer.private_key,
  };
}

export interface AlipayTestMerchant {
  merchant: MerchantConfig;
  alipay: AlipayConfig;
  /** The seller PID the sandbox reports: the configured seller_id, or one derived from the app_id. */
  sellerId: string;
}

function asTestMerchant(m: MerchantConfig | undefined): AlipayTestMerchant | undefined {
  const alipay = m?.providers.alipay;
  // The sandbox never serves a live merchant: to it, a live app_id does not exist.
  if (!m || m.livemode || !alipay) return undefined;
  return { merchant: m, alipay, sellerId: alipay.seller_id ?? defaultSellerId(alipay.app_id) };
}

/** A test merchant by its Alipay app_id. */
export function testMerchantByAppId(config: SandboxedConfig, appId: string): AlipayTestMerchant | undefined {
  return asTestMerchant(config.merchants.find((m) => m.providers.alipay?.app_id === appId && !m.livemode));
}

export function testMerchant(m: MerchantConfig): AlipayTestMerchant | undefined {
  return asTestMerchant(m);
}

/**
 * The Alipay simulator's ledger of one test merchant (its app_id): its trades, notifies, clock and
 * control calls touch no other merchant's (docs/test-mode.md, "One ledger per test merchant").
 */
export function alipayLedger(env: Env, appId: string) {
  return env.ALIPAY_LEDGER.getByName(`alipay:${appId}`);
}

/** The trade a shopper's cashier names by a public id only (the QR, the cashier token), with its merchant's ledger. */
export async function alipayTradeBy(
  env: Env,
  ref: { qr_code: string } | { token: string },
): Promise<{ ledger: ReturnType<typeof alipayLedger>; trade: TradeRow; expired: boolean } | null> {
  const appIds = [...new Set(loadConfig(env).merchants.flatMap((m) => (!m.livemode && m.providers.alipay ? [m.providers.alipay.app_id] : [])))];
  const found = await Promise.all(
    appIds.map(async (appId) => {
      const ledger = alipayLedger(env, appId);
      const v = await ledger.cashierView(ref);
      return v ? { ledger, trade: v.trade as TradeRow, expired: v.expired } : null;
    }),
  );
  return found.find((x) => x !== null) ?? null;
}
