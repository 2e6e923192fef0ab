// `providers.unionpay` and `sandbox.unionpay` in SHOUYIN_CONFIG (docs/configuration.md). UnionPay hands a
// merchant a PKCS#12 (.pfx) signing certificate; Shouyin takes the PEM pieces extracted from it
// (docs/unionpay.md shows the openssl commands): the PKCS#8 key and the certificate's serial in decimal.

import { ConfigError, PEM, PRIVATE_KEY_PEM, obj, onlyKeys, str, url } from '../../lib/config-fields';
import { parseCertificate, type Certificate, type RdnAttribute } from '../../crypto/x509';

export interface UnionpayConfig {
  /** 商户代码: 15 digits (test merchants 777290058…). Every notify and answer must carry it. */
  mer_id: string;
  /** The merchant signing key from the .pfx, PKCS#8 PEM (PKCS#1 is converted in code). */
  sign_key: string;
  /**
   * certId: the serial number of the signing certificate in the .pfx, in DECIMAL
   * (https://open.unionpay.com/tjweb/acproduct/APIList?acpAPIId=754&apiservId=448&version=V2.2).
   */
  sign_cert_id: string;
  /** acp_prod_root.cer / acp_test_root.cer as PEM: the trust anchor for signPubKeyCert. */
  root_cert: string;
  /** acp_prod_middle.cer / acp_test_middle.cer as PEM. */
  middle_cert: string;
  /**
   * Omitted: live → https://gateway.95516.com, test → the built-in sandbox. Given: used as is
   * (https for live), e.g. https://gateway.test.95516.com for UnionPay's own test environment.
   */
  gateway?: string;
}

const CERT = PEM('CERTIFICATE');

export function certificate(o: Record<string, unknown>, key: string, path: string, hint: string): { pem: string; cert: Certificate } {
  const pem = str(o, key, path, { pattern: CERT, hint });
  try {
    return { pem, cert: parseCertificate(pem) };
  } catch (e) {
    throw new ConfigError(`${path}.${key}`, `is not a readable X.509 certificate: ${(e as Error).message}`);
  }
}

const nameText = (rdns: RdnAttribute[]): string => rdns.map((a) => `${a.name}=${a.value}`).join(', ');
export const sameName = (a: RdnAttribute[], b: RdnAttribute[]): boolean =>
  a.length === b.length && a.every((x, i) => x.oid === b[i]?.oid && x.value === b[i]?.value);

/** The middle must name the root as its issuer: catches swapped files and mixed test/prod certificates early. */
export function checkPair(path: string, root: Certificate, middle: Certificate): void {
  if (!sameName(middle.issuer, root.subject)) {
    throw new ConfigError(
      `${path}.middle_cert`,
      `was not issued by root_cert (its issuer is "${nameText(middle.issuer)}", the root is "${nameText(root.subject)}"); are the two swapped, or from different UnionPay environments?`,
    );
  }
}

export function parseUnionpayConfig(v: unknown, path: string, livemode: boolean): UnionpayConfig {
  const o = obj(v, path);
  onlyKeys(o, path, ['mer_id', 'sign_key', 'sign_cert_id', 'root_cert', 'middle_cert', 'gateway']);
  const root = certificate(
    o,
    'root_cert',
    path,
    'must be a PEM certificate (acp_prod_root.cer / acp_test_root.cer; convert DER with `openssl x509 -inform der`)',
  );
  const middle = certificate(o, 'middle_cert', path, 'must be a PEM certificate (acp_prod_middle.cer / acp_test_middle.cer)');
  checkPair(path, root.cert, middle.cert);
  const cfg: UnionpayConfig = {
    mer_id: str(o, 'mer_id', path, { pattern: /^[0-9]{15}$/, hint: 'must be the 15-digit UnionPay merchant code (商户代码)' }),
    sign_key: str(o, 'sign_key', path, {
      secret: true,
      pattern: PRIVATE_KEY_PEM,
      hint: 'must be the PEM private key extracted from the .pfx (see docs/unionpay.md)',
    }),
    sign_cert_id: str(o, 'sign_cert_id', path, {
      pattern: /^[1-9][0-9]{0,47}$/,
      hint: 'must be the DECIMAL serial number of the .pfx signing certificate (certId), not the hex one',
    }),
    root_cert: root.pem,
    middle_cert: middle.pem,
  };
  const gateway = url(o, 'gateway', path, true, livemode);
  if (gateway !== undefined) cfg.gateway = gateway;
  return cfg;
}

/** Whether a merchant's calls go to the built-in sandbox (test mode, no gateway). */
export const usesUnionpaySandbox = (cfg: UnionpayConfig, livemode: boolean): boolean => !livemode && cfg.gateway === undefined;
