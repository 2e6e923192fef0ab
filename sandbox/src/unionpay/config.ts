// `sandbox.unionpay` of SHOUYIN_CONFIG: the UnionPay simulator's signing key and certificate chain, and
// the check that a test merchant on it trusts that chain. Read by the sandbox Worker only (../config.ts).

import { ConfigError, PRIVATE_KEY_PEM, obj, onlyKeys, str } from '../../../worker/src/lib/config-fields';
import { certificate, checkPair, sameName, usesUnionpaySandbox, type UnionpayConfig } from '../../../worker/src/providers/unionpay/config';

export interface UnionpaySandboxConfig {
  /** The key the simulator signs answers and notifies with (its signPubKeyCert's key). */
  sign_key: string;
  /** The simulator's signing certificate, sent as signPubKeyCert: CN 041@…@00040000:SIGN@…, issued by middle_cert. */
  sign_cert: string;
  /** The simulator's root and middle: test merchants on the built-in sandbox configure these two. */
  root_cert: string;
  middle_cert: string;
}

export function parseUnionpaySandbox(v: unknown): UnionpaySandboxConfig {
  const path = 'sandbox.unionpay';
  const o = obj(v, path);
  onlyKeys(o, path, ['sign_key', 'sign_cert', 'root_cert', 'middle_cert']);
  const root = certificate(o, 'root_cert', path, 'must be a PEM certificate');
  const middle = certificate(o, 'middle_cert', path, 'must be a PEM certificate');
  checkPair(path, root.cert, middle.cert);
  const leaf = certificate(o, 'sign_cert', path, 'must be a PEM certificate');
  if (!sameName(leaf.cert.issuer, middle.cert.subject)) {
    throw new ConfigError(`${path}.sign_cert`, "was not issued by middle_cert: the simulator's signPubKeyCert would never verify.");
  }
  return {
    sign_key: str(o, 'sign_key', path, { secret: true, pattern: PRIVATE_KEY_PEM, hint: 'must be a PEM private key' }),
    sign_cert: leaf.pem,
    root_cert: root.pem,
    middle_cert: middle.pem,
  };
}

/**
 * A test merchant on the built-in sandbox needs `sandbox.unionpay`, and must trust the simulator's
 * chain: its root_cert and middle_cert are the sandbox's.
 */
export function checkUnionpaySandbox(cfg: UnionpayConfig, livemode: boolean, sandbox: UnionpaySandboxConfig | undefined, i: number): void {
  if (!usesUnionpaySandbox(cfg, livemode)) return;
  const path = `merchants[${i}].providers.unionpay`;
  if (!sandbox) {
    throw new ConfigError(
      'sandbox.unionpay',
      `is missing: merchants[${i}] is a test merchant using the built-in UnionPay sandbox, which needs its signing key and certificate chain.`,
    );
  }
  const strip = (pem: string) => pem.replace(/\\n/g, '\n').replace(/\s+/g, '');
  for (const k of ['root_cert', 'middle_cert'] as const) {
    if (strip(cfg[k]) !== strip(sandbox[k])) {
      throw new ConfigError(
        `${path}.${k}`,
        `must be sandbox.unionpay.${k}: a test merchant on the built-in sandbox verifies the simulator's signPubKeyCert against the simulator's own chain (or set gateway to use another environment).`,
      );
    }
  }
}
