// What the ledger needs from SHOUYIN_CONFIG to work on its own (alarms run without a request).
// Routes pass it on every call that can send; the ledger's alarm reads it from the configuration
// itself. It is never written to storage (keys stay in configuration). Only test
// merchants' keys are in it: the sandbox never holds or serves a live merchant's secrets.

import type { SandboxedConfig } from './config';

export interface LedgerSettings {
  /** Notifies to this origin go to the Shouyin Worker over its service binding (no port listens under the test runner). */
  public_base_url: string;
  time_scale: number;
  notify_delay_seconds: number;
  /**
   * The APIv3 simulator's own signing key (`Wechatpay-Serial` = a PUB_KEY_ID_… or a platform cert
   * serial); `null` when sandbox.wechat_pay is not configured (then only the APIv2 simulator runs).
   */
  signer: { serial: string; private_key: string } | null;
  /** mchid → APIv3 key, the AES-256-GCM key of that merchant's notify resources. */
  apiv3_keys: Record<string, string>;
  /** mch_id → APIv2 key: signs that merchant's v2 answers and notifies, encrypts its refund req_info. */
  apiv2_keys: Record<string, string>;
}

/** `null` when no WeChat Pay simulator can run (no APIv3 signing key and no APIv2 test merchant). */
export function ledgerSettings(config: SandboxedConfig): LedgerSettings | null {
  const signer = config.sandbox.wechat_pay;
  const v3: Record<string, string> = {};
  const v2: Record<string, string> = {};
  for (const m of config.merchants) {
    const w = m.providers.wechat_pay;
    if (m.livemode || !w) continue;
    if (w.api_version === 'v2') v2[w.mch_id] = w.apiv2_key;
    else v3[w.mchid] = w.apiv3_key;
  }
  if (!signer && Object.keys(v2).length === 0) return null;
  return {
    public_base_url: config.public_base_url,
    time_scale: config.sandbox.time_scale,
    notify_delay_seconds: config.sandbox.notify_delay_seconds,
    signer: signer ? { serial: signer.serial, private_key: signer.private_key } : null,
    apiv3_keys: v3,
    apiv2_keys: v2,
  };
}
