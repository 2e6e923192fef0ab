// Which roots a merchant's App Store JWS must chain to: the PEMs pinned in `apple.root_certificates`
// (Apple Root CA - G3), or — for a test merchant that pins none — its built-in sandbox root.

import type { MerchantConfig } from '../config';
import type { Certificate } from '../crypto/x509';
import { ErrorType, ShouyinError } from '../lib/errors';
import { sandboxRoots } from '../../../sandbox/src/apple/pki';
import { parsedRoots, type AppleConfig } from './config';

const pinned = new WeakMap<AppleConfig, Certificate[]>();

export async function rootsFor(merchant: MerchantConfig, cfg: AppleConfig): Promise<readonly Certificate[]> {
  if (cfg.root_certificates) {
    let r = pinned.get(cfg);
    if (!r) pinned.set(cfg, (r = parsedRoots(cfg)));
    return r;
  }
  if (!merchant.livemode) return sandboxRoots(merchant);
  // Config validation refuses this; kept so a live merchant can never fall through to a sandbox root.
  throw new ShouyinError(ErrorType.configuration, 'apple_roots_missing', 'apple.root_certificates is required for a live merchant.');
}
