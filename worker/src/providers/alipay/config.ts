// `providers.alipay` and `sandbox.alipay` of SHOUYIN_CONFIG (docs/configuration.md). Called from
// config.ts; every error names the field's path and never echoes a key's bytes.
//
// Nothing here runs at module load: config.ts imports this module and this module imports config.ts's
// helpers, so they are only ever used inside the functions below.

import { ConfigError, obj, onlyKeys, str, url, PEM, PRIVATE_KEY_PEM } from '../../lib/config-fields';
import { parseCertificate } from '../../crypto/x509';
import { splitPemCertificates } from './certs';
import { normalizePrivateKeyPem, rsaPrivateNumbers, rsaPublicNumbers, samePublicKey } from './keys';

export interface AlipayConfig {
  /** The open-platform application's 16-digit APPID. */
  app_id: string;
  /** The application private key, as a PEM (bare base64 from Alipay's key tool is wrapped here). PKCS#8 or PKCS#1. */
  private_key: string;
  /** Public-key mode: the Alipay public key (支付宝公钥), PEM or bare SPKI base64. Not the app public key. */
  alipay_public_key?: string;
  /** Certificate mode: the app public-key certificate (appCertPublicKey_<APPID>.crt). */
  app_cert?: string;
  /** Certificate mode: the Alipay public-key certificate(s) (alipayCertPublicKey_RSA2.crt); several during a rotation. */
  alipay_cert?: string;
  /** Certificate mode: the Alipay root certificate bundle (alipayRootCert.crt). */
  alipay_root_cert?: string;
  /** The seller's PID (2088…); when set, every payment must carry it as seller_id. */
  seller_id?: string;
  /** Omitted: live → https://openapi.alipay.com/gateway.do, test → the built-in sandbox. Given: used as is. */
  gateway?: string;
}

const FIELDS = ['app_id', 'private_key', 'alipay_public_key', 'app_cert', 'alipay_cert', 'alipay_root_cert', 'seller_id', 'gateway'] as const;
const BARE_BASE64 = /^[A-Za-z0-9+/\s]{100,}={0,2}\s*$/;

/** An application private key field (PEM or Alipay's bare base64), normalised to PEM. */
export function privateKey(o: Record<string, unknown>, path: string): string {
  const p = `${path}.private_key`;
  const v = str(o, 'private_key', path, { secret: true });
  if (!PRIVATE_KEY_PEM.test(v) && !BARE_BASE64.test(v)) {
    throw new ConfigError(
      p,
      'must be the application private key: a PEM ("BEGIN PRIVATE KEY" or "BEGIN RSA PRIVATE KEY") or the bare base64 from Alipay\'s key tool.',
    );
  }
  try {
    rsaPrivateNumbers(v);
    return normalizePrivateKeyPem(v);
  } catch {
    throw new ConfigError(p, 'is not a readable RSA private key (PKCS#8 or PKCS#1); paste the whole key.');
  }
}

function certificates(o: Record<string, unknown>, key: string, path: string): string {
  const v = str(o, key, path, { pattern: PEM('CERTIFICATE'), hint: 'must be the PEM certificate file Alipay issued (-----BEGIN CERTIFICATE-----)' });
  const blocks = splitPemCertificates(v);
  blocks.forEach((pem, i) => {
    try {
      parseCertificate(pem);
    } catch (e) {
      throw new ConfigError(`${path}.${key}`, `holds a certificate (#${i + 1}) that cannot be read: ${(e as Error).message}`);
    }
  });
  return v;
}

/** `merchants[i].providers.alipay`. `livemode` requires an https gateway when one is given. */
export function parseAlipayConfig(v: unknown, path: string, livemode: boolean): AlipayConfig {
  const o = obj(v, path);
  onlyKeys(o, path, FIELDS);
  const cfg: AlipayConfig = {
    app_id: str(o, 'app_id', path, { pattern: /^[0-9]{16}$/, hint: 'must be the 16-digit APPID of the Alipay open-platform application' }),
    private_key: privateKey(o, path),
  };
  const certKeys = ['app_cert', 'alipay_cert', 'alipay_root_cert'] as const;
  const certMode = certKeys.some((k) => o[k] !== undefined);
  if (certMode && o.alipay_public_key !== undefined) {
    throw new ConfigError(
      `${path}.alipay_public_key`,
      'cannot be combined with app_cert / alipay_cert / alipay_root_cert: an Alipay application signs in public-key mode or in certificate mode, not both.',
    );
  }
  if (certMode) {
    for (const k of certKeys) {
      if (o[k] === undefined)
        throw new ConfigError(
          `${path}.${k}`,
          'is missing: certificate mode needs app_cert, alipay_cert and alipay_root_cert (the three .crt files from the Alipay open platform).',
        );
    }
    cfg.app_cert = certificates(o, 'app_cert', path);
    cfg.alipay_cert = certificates(o, 'alipay_cert', path);
    cfg.alipay_root_cert = certificates(o, 'alipay_root_cert', path);
    if (!splitPemCertificates(cfg.alipay_root_cert).some((c) => parseCertificate(c).signatureAlgorithm.startsWith('1.2.840.113549.1.1.'))) {
      throw new ConfigError(`${path}.alipay_root_cert`, 'holds no RSA-signed certificate: use alipayRootCert.crt as downloaded.');
    }
    if (!samePublicKey(rsaPublicNumbers(cfg.app_cert), rsaPrivateNumbers(cfg.private_key))) {
      throw new ConfigError(`${path}.app_cert`, 'does not certify the public half of private_key: it must be the app certificate issued for this key.');
    }
  } else {
    if (o.alipay_public_key === undefined) {
      throw new ConfigError(
        `${path}.alipay_public_key`,
        'is missing: configure the Alipay public key (public-key mode) or app_cert + alipay_cert + alipay_root_cert (certificate mode).',
      );
    }
    const pub = str(o, 'alipay_public_key', path);
    try {
      rsaPublicNumbers(pub);
    } catch {
      throw new ConfigError(`${path}.alipay_public_key`, 'is not a readable RSA public key: paste the Alipay public key (支付宝公钥) as PEM or bare base64.');
    }
    if (samePublicKey(rsaPublicNumbers(pub), rsaPrivateNumbers(cfg.private_key))) {
      // A classic mistake (alipay-sdk issue #5): the app's own public key where Alipay's belongs.
      throw new ConfigError(
        `${path}.alipay_public_key`,
        'is the public half of private_key, i.e. the app public key; it must be the Alipay public key (支付宝公钥).',
      );
    }
    cfg.alipay_public_key = pub;
  }
  const seller = str(o, 'seller_id', path, { optional: true, pattern: /^2088[0-9]{12}$/, hint: 'must be the 16-digit seller PID starting with 2088' });
  if (seller !== undefined) cfg.seller_id = seller;
  const gateway = url(o, 'gateway', path, true, livemode);
  if (gateway !== undefined) cfg.gateway = gateway;
  return cfg;
}
