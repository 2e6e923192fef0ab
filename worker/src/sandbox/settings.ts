// What the ledger needs from SHOUYIN_CONFIG to work on its own (alarms run without a request).
// Routes pass it on every call that can send; the ledger keeps the latest copy. Only test
// merchants' keys are in it: the sandbox never holds or serves a live merchant's secrets.

import type { ShouyinConfig } from '../config';

export interface LedgerSettings {
  /** Notifies to this origin are dispatched in-process (no port listens under the test runner). */
  public_base_url: string;
  time_scale: number;
  notify_delay_seconds: number;
  /** The simulator's own signing key (`Wechatpay-Serial` = a PUB_KEY_ID_… or a platform cert serial). */
  signer: { serial: string; private_key: string };
  /** mchid → APIv3 key, the AES-256-GCM key of that merchant's notify resources. */
  apiv3_keys: Record<string, string>;
}

/** `null` when the WeChat Pay sandbox has no signing key configured (it is then switched off). */
export function ledgerSettings(config: ShouyinConfig): LedgerSettings | null {
  const signer = config.sandbox.wechat_pay;
  if (!signer) return null;
  const keys: Record<string, string> = {};
  for (const m of config.merchants) {
    const w = m.providers.wechat_pay;
    if (!m.livemode && w) keys[w.mchid] = w.apiv3_key;
  }
  return {
    public_base_url: config.public_base_url,
    time_scale: config.sandbox.time_scale,
    notify_delay_seconds: config.sandbox.notify_delay_seconds,
    signer: { serial: signer.serial, private_key: signer.private_key },
    apiv3_keys: keys,
  };
}
