// `merchants[].apple` in SHOUYIN_CONFIG: App Store receipt and signed-transaction verification for
// one app (docs/apple.md). Errors name the field's path and never print the shared secret.
// No helper from ../config is called at module load: config.ts imports this file.

import { ConfigError, PEM, obj, onlyKeys, str, url } from '../lib/config-fields';
import { parseCertificate, type Certificate } from '../crypto/x509';
import { spkiCurve } from '../crypto/ecdsa';

export type AppleEnvironment = 'production' | 'sandbox';

export interface AppleConfig {
  /** The app's bundle identifier; every receipt, transaction and notification must carry it. */
  bundle_id: string;
  /** App-specific (or primary) shared secret: verifyReceipt's `password`, needed for auto-renewable subscriptions. */
  shared_secret?: string;
  /** Which verifyReceipt endpoint is asked first (21007 / 21008 lead to the other). Default production. */
  environment: AppleEnvironment;
  /** false: sandbox receipts, transactions and notifications are refused (TestFlight and App Review buy in the sandbox, free). */
  allow_sandbox: boolean;
  /**
   * PEM roots an App Store JWS must chain to: Apple Root CA - G3 (AppleRootCA-G3.cer from
   * https://www.apple.com/certificateauthority/). Required for live merchants; a test merchant on
   * the provider sandbox pins the sandbox's root (GET /sandbox/apple/_control/root_certificate) — no
   * root is built in, and verification without one is refused (apple_roots_missing).
   */
  root_certificates?: string[];
  /** Overrides https://buy.itunes.apple.com/verifyReceipt (test merchants: the built-in simulator). */
  verify_receipt_url?: string;
  /** Overrides https://sandbox.itunes.apple.com/verifyReceipt (test merchants: the built-in simulator). */
  sandbox_url?: string;
  /**
   * The app's Apple ID (App Store Connect → App Information → Apple ID, a number). A Production
   * notification's `appAppleId` must be it, as Apple's App Store Server Library checks
   * (SignedDataVerifier needs it for the Production environment); without it Production notifications
   * are refused (apple_app_apple_id_missing). Sandbox notifications carry none.
   */
  app_apple_id?: number;
}

const KEYS = ['bundle_id', 'shared_secret', 'environment', 'allow_sandbox', 'root_certificates', 'verify_receipt_url', 'sandbox_url', 'app_apple_id'] as const;

function rootCertificate(pem: unknown, path: string): Certificate {
  if (typeof pem !== 'string' || !PEM('CERTIFICATE').test(pem)) {
    throw new ConfigError(path, 'must be a PEM certificate (convert AppleRootCA-G3.cer with `openssl x509 -inform der -in AppleRootCA-G3.cer`).');
  }
  let cert: Certificate;
  try {
    cert = parseCertificate(pem);
  } catch (e) {
    throw new ConfigError(path, `is not a readable X.509 certificate: ${(e as Error).message}`);
  }
  if (!spkiCurve(cert.subjectPublicKeyInfo)) {
    throw new ConfigError(
      path,
      'holds no EC key: App Store JWS chain to Apple Root CA - G3, an ECC root. (Apple Inc. Root, an RSA root, signs the old PKCS#7 receipts, which verifyReceipt checks for you.)',
    );
  }
  const self = cert.issuer.length === cert.subject.length && cert.issuer.every((a, i) => a.oid === cert.subject[i]?.oid && a.value === cert.subject[i]?.value);
  if (!self) throw new ConfigError(path, 'is not a root certificate (its issuer is not its subject); pin Apple Root CA - G3 itself, not an intermediate.');
  return cert;
}

export function parseAppleConfig(v: unknown, path: string, livemode: boolean): AppleConfig {
  const o = obj(v, path);
  onlyKeys(o, path, KEYS);
  const cfg: AppleConfig = {
    bundle_id: str(o, 'bundle_id', path, {
      pattern: /^(?=.{1,155}$)[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/,
      hint: "must be the app's bundle identifier as in App Store Connect (reverse-DNS: letters, digits, hyphens and dots, e.g. com.example.app)",
    }),
    environment: 'production',
    allow_sandbox: true,
  };
  const secret = str(o, 'shared_secret', path, {
    optional: true,
    secret: true,
    pattern: /^[0-9a-fA-F]{32}$/,
    hint: 'must be the 32-hex-character app-specific shared secret from App Store Connect (App Information → App-Specific Shared Secret)',
  });
  if (secret !== undefined) cfg.shared_secret = secret;
  const env = o.environment;
  if (env !== undefined) {
    if (env !== 'production' && env !== 'sandbox') {
      throw new ConfigError(`${path}.environment`, `must be "production" or "sandbox" (got ${JSON.stringify(env)}): the verifyReceipt endpoint asked first.`);
    }
    cfg.environment = env;
  }
  if (o.allow_sandbox !== undefined) {
    if (typeof o.allow_sandbox !== 'boolean') throw new ConfigError(`${path}.allow_sandbox`, 'must be true or false.');
    cfg.allow_sandbox = o.allow_sandbox;
  }
  if (o.root_certificates !== undefined) {
    if (!Array.isArray(o.root_certificates) || o.root_certificates.length === 0) {
      throw new ConfigError(`${path}.root_certificates`, 'must be a non-empty array of PEM certificates (Apple Root CA - G3).');
    }
    cfg.root_certificates = o.root_certificates.map((pem, i) => {
      rootCertificate(pem, `${path}.root_certificates[${i}]`);
      return pem as string;
    });
  } else if (livemode) {
    throw new ConfigError(
      `${path}.root_certificates`,
      'is missing: a live merchant must pin Apple Root CA - G3 (download AppleRootCA-G3.cer from https://www.apple.com/certificateauthority/ and convert it to PEM). Signed transactions are trusted only through it.',
    );
  }
  if (cfg.environment === 'sandbox' && !cfg.allow_sandbox) {
    throw new ConfigError(`${path}.allow_sandbox`, 'is false while environment is "sandbox": receipts would be sent to the sandbox first only to be refused.');
  }
  if (o.app_apple_id !== undefined) {
    const id = o.app_apple_id;
    if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 1) {
      throw new ConfigError(`${path}.app_apple_id`, "must be the app's Apple ID, a positive whole number (App Store Connect → App Information → Apple ID).");
    }
    cfg.app_apple_id = id;
  }
  const prod = url(o, 'verify_receipt_url', path, true, livemode);
  if (prod !== undefined) cfg.verify_receipt_url = prod;
  const sandbox = url(o, 'sandbox_url', path, true, livemode);
  if (sandbox !== undefined) cfg.sandbox_url = sandbox;
  return cfg;
}

/** The pinned roots, parsed (config validation has already proven each one readable). */
export function parsedRoots(cfg: AppleConfig): Certificate[] {
  return (cfg.root_certificates ?? []).map((pem) => parseCertificate(pem));
}
