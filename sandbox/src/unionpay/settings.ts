// What the UnionPay ledger needs from SHOUYIN_CONFIG to work on its own (alarms run without a
// request). Routes pass it on every call that can send; the alarm reads it from the configuration,
// and it is never written to storage. It holds the
// simulator's own key and certificate only: the sandbox never holds or serves a live merchant's secrets.

import type { MerchantConfig } from '../../../worker/src/config';
import { loadConfig, type SandboxedConfig } from '../config';
import type { OrderRow } from './model';
import type { Env } from '../env';
import type { UnionpayConfig } from '../../../worker/src/providers/unionpay/config';

export interface UnionpayLedgerSettings {
  /** Notifies to this origin go to the Shouyin Worker over its service binding (no port listens under the test runner). */
  public_base_url: string;
  time_scale: number;
  notify_delay_seconds: number;
  /** The simulated UnionPay's signing key and the certificate it sends as signPubKeyCert. */
  signer: { sign_key: string; sign_cert: string };
}

/** `null` when sandbox.unionpay is not configured (the UnionPay sandbox is then switched off). */
export function unionpayLedgerSettings(config: SandboxedConfig): UnionpayLedgerSettings | null {
  const s = config.sandbox.unionpay;
  if (!s) return null;
  return {
    public_base_url: config.public_base_url,
    time_scale: config.sandbox.time_scale,
    notify_delay_seconds: config.sandbox.notify_delay_seconds,
    signer: { sign_key: s.sign_key, sign_cert: s.sign_cert },
  };
}

export interface UnionpayTestMerchant {
  merchant: MerchantConfig;
  unionpay: UnionpayConfig;
}

/** A test merchant by its merId. A live merId does not exist here. */
export function testMerchantByMerId(config: SandboxedConfig, merId: string): UnionpayTestMerchant | undefined {
  const m = config.merchants.find((x) => !x.livemode && x.providers.unionpay?.mer_id === merId);
  return m?.providers.unionpay ? { merchant: m, unionpay: m.providers.unionpay } : undefined;
}

export function testMerchant(m: MerchantConfig): UnionpayTestMerchant | undefined {
  return !m.livemode && m.providers.unionpay ? { merchant: m, unionpay: m.providers.unionpay } : undefined;
}

/**
 * The UnionPay simulator's ledger of one test merchant (its merId): its orders, notifies, clock and
 * control calls touch no other merchant's (docs/test-mode.md, "One ledger per test merchant").
 */
export function unionpayLedger(env: Env, merId: string) {
  return env.UNIONPAY_LEDGER.getByName(`unionpay:${merId}`);
}

/** The order a shopper's cashier names by a public id only (the ref / tn, the QR code), with its merchant's ledger. */
export async function unionpayOrderBy(
  env: Env,
  by: { ref: string } | { qr_code: string },
): Promise<{ ledger: ReturnType<typeof unionpayLedger>; order: OrderRow } | null> {
  const merIds = [...new Set(loadConfig(env).merchants.flatMap((m) => (!m.livemode && m.providers.unionpay ? [m.providers.unionpay.mer_id] : [])))];
  const found = await Promise.all(
    merIds.map(async (merId) => {
      const ledger = unionpayLedger(env, merId);
      const order = await ledger.cashier(by);
      return order ? { ledger, order: order as OrderRow } : null;
    }),
  );
  return found.find((x) => x !== null) ?? null;
}
