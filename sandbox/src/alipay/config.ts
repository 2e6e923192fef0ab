// `sandbox.alipay` of SHOUYIN_CONFIG: the key the Alipay simulator signs with, and the check that a test
// merchant on it can verify what it signs. Read by the sandbox Worker only (../config.ts).

import { ConfigError, obj, onlyKeys } from '../../../worker/src/lib/config-fields';
import { privateKey, type AlipayConfig } from '../../../worker/src/providers/alipay/config';
import { splitPemCertificates } from '../../../worker/src/providers/alipay/certs';
import { rsaPrivateNumbers, rsaPublicNumbers, samePublicKey } from '../../../worker/src/providers/alipay/keys';

export interface AlipaySandboxConfig {
  /** The key the simulated Alipay signs answers and notifies with. */
  private_key: string;
}

/** `sandbox.alipay`: `{private_key}`, the simulated Alipay's signing key. */
export function parseAlipaySandbox(v: unknown, path = 'sandbox.alipay'): AlipaySandboxConfig {
  const o = obj(v, path);
  onlyKeys(o, path, ['private_key']);
  return { private_key: privateKey(o, path) };
}

/**
 * A test merchant on the built-in sandbox verifies the sandbox's answers with the Alipay key it
 * configured, so that key must be the public half of `sandbox.alipay.private_key` (in certificate
 * mode: the key of every configured Alipay certificate).
 */
export function checkAlipaySandbox(cfg: AlipayConfig, sandbox: AlipaySandboxConfig | undefined, merchantIndex: number): void {
  if (cfg.gateway !== undefined) return;
  const path = `merchants[${merchantIndex}].providers.alipay`;
  if (!sandbox) {
    throw new ConfigError(
      'sandbox.alipay',
      `is missing: merchants[${merchantIndex}] is a test merchant using the built-in Alipay sandbox, which needs its signing key.`,
    );
  }
  const signer = rsaPrivateNumbers(sandbox.private_key);
  if (cfg.alipay_public_key !== undefined && !samePublicKey(rsaPublicNumbers(cfg.alipay_public_key), signer)) {
    throw new ConfigError(
      `${path}.alipay_public_key`,
      'is not the public half of sandbox.alipay.private_key: the built-in sandbox signs with that key, so its answers would fail verification.',
    );
  }
  if (cfg.alipay_cert !== undefined && !splitPemCertificates(cfg.alipay_cert).every((c) => samePublicKey(rsaPublicNumbers(c), signer))) {
    throw new ConfigError(`${path}.alipay_cert`, 'does not certify the public half of sandbox.alipay.private_key: the built-in sandbox signs with that key.');
  }
}
