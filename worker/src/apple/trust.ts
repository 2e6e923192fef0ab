// Which roots a merchant's App Store JWS must chain to: the PEMs pinned in `apple.root_certificates`
// (Apple Root CA - G3 for a live merchant; for a test merchant on the provider sandbox, the root its
// control surface gives, `GET /sandbox/apple/_control/root_certificate`). No root is built in.

import type { MerchantConfig } from '../config';
import type { Certificate } from '../crypto/x509';
import { ErrorType, ShouyinError } from '../lib/errors';
import { parsedRoots, type AppleConfig } from './config';

const pinned = new WeakMap<AppleConfig, Certificate[]>();

export async function rootsFor(merchant: MerchantConfig, cfg: AppleConfig): Promise<readonly Certificate[]> {
  if (!cfg.root_certificates) {
    // Config validation refuses this for a live merchant; a test merchant learns it here.
    throw new ShouyinError(
      ErrorType.configuration,
      'apple_roots_missing',
      merchant.livemode
        ? 'apple.root_certificates is required for a live merchant.'
        : 'apple.root_certificates is missing: pin the root the App Store signs under (for the provider sandbox, GET /sandbox/apple/_control/root_certificate gives it).',
    );
  }
  let r = pinned.get(cfg);
  if (!r) pinned.set(cfg, (r = parsedRoots(cfg)));
  return r;
}
