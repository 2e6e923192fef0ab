// What the Alipay ledger needs from SHOUYIN_CONFIG to work on its own (alarms run without a
// request). Routes pass it on every call that can send; the ledger keeps the latest copy. It holds
// the simulator's own key only: the sandbox never holds or serves a live merchant's secrets.

import type { MerchantConfig } from '../../../worker/src/config';
import type { SandboxedConfig } from '../config';
import type { Env } from '../env';
import type { AlipayConfig } from '../../../worker/src/providers/alipay/config';
import { defaultSellerId } from './model';

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

/** The one ledger instance of the Alipay simulator. */
export function alipayLedger(env: Env) {
  return env.ALIPAY_LEDGER.getByName('alipay');
}
