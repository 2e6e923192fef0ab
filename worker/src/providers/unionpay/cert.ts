// signPubKeyCert checks, as UnionPay's official SDK does them (CertUtil.verifyCertificate in the SDK
// of https://open.unionpay.com/tjweb/acproduct/list?apiSvcId=448): the certificate a UnionPay message
// carries is trusted only when
//   1. it chains leaf → configured middle → configured root (signatures and name chaining; the middle
//      must be a CA: basicConstraints cA and, when keyUsage is present, keyCertSign), PKIX without
//      revocation, as the SDKs do;
//   2. now is inside the validity window of the leaf and of the middle (the root is the trust anchor);
//   3. its owner — the 3rd `@`-separated part of the subject CN, `041@…@<owner>@…` — is
//      中国银联股份有限公司; `00040000:SIGN` (UnionPay's test environment) is accepted in test mode only.
// Anyone can embed a certificate of their own in a message: without 1–3 a signature proves nothing.
//
// Rules 1 and 2 are crypto/x509.ts's chain step and validity check (shared with the App Store
// chain); this file is UnionPay's policy: which certificates anchor the chain, the owner rule, and
// the error codes. X.509 libraries measured for this (pkijs 4.0.0, @peculiar/x509 2.2.0) run in
// workerd but would triple the Worker bundle for this one check — numbers in docs/unionpay.md.

import { buf } from '../../crypto/encoding';
import { CertPathError, DerError, checkIssuedBy, checkValidityAt, nameAttribute, parseCertificate, type Certificate } from '../../crypto/x509';
import { VerificationError } from '../../lib/errors';

/** Production owner of UnionPay's signing certificate (official SDKConstants UNIONPAY_CNNAME). */
export const UNIONPAY_CN_OWNER = '中国银联股份有限公司';
/** The owner in UnionPay's test environment certificates (ifValidateCNName=false). */
export const TEST_CN_OWNER = '00040000:SIGN';

export interface ChainOptions {
  /** PEM of the configured root (acp_prod_root.cer / acp_test_root.cer). */
  rootCert: string;
  /** PEM of the configured middle (acp_prod_middle.cer / acp_test_middle.cer). */
  middleCert: string;
  /** ms since the epoch (injected: the 2018 test vector verifies only on a clock inside 2017–2020). */
  now: number;
  /** `sk_test_` merchant: the test-environment owner `00040000:SIGN` is accepted too. */
  testMode: boolean;
}

/** The owner part of a UnionPay CN (`041@Z2017-11-1@00040000:SIGN@00000001` → `00040000:SIGN`); '' if none. */
export function cnOwner(cert: Certificate): string {
  return (nameAttribute(cert.subject, 'CN') ?? '').split('@')[2] ?? '';
}

interface Anchored {
  leaf: Certificate;
  middle: Certificate;
  key: CryptoKey;
}

// Chain signatures are checked once per (certificate, middle, root); validity and owner every time.
const chains = new Map<string, Promise<Anchored>>();
const MAX_CACHED = 64;

function parse(pem: string, what: string): Certificate {
  try {
    return parseCertificate(pem);
  } catch (e) {
    throw new VerificationError('cert_malformed', `${what} is not a readable X.509 certificate: ${(e as Error).message}`);
  }
}

const untrusted = (why: string) => new VerificationError('cert_untrusted', `signPubKeyCert does not chain to the configured UnionPay certificates: ${why}.`);

async function anchor(pem: string, middlePem: string, rootPem: string): Promise<Anchored> {
  const leaf = parse(pem, 'signPubKeyCert');
  const middle = parse(middlePem, 'The configured middle_cert');
  const root = parse(rootPem, 'The configured root_cert');
  try {
    await checkIssuedBy(leaf, middle, { intermediatesBelow: 0 });
  } catch (e) {
    if (e instanceof DerError) throw new VerificationError('cert_malformed', `The configured middle_cert has unreadable extensions: ${e.message}`);
    if (!(e instanceof CertPathError)) throw e;
    if (e.reason === 'name_mismatch' || e.reason === 'signature_invalid') {
      throw untrusted('it was not issued by middle_cert (a self-signed or foreign certificate, or the middle of another environment)');
    }
    if (e.reason === 'issuer_not_ca' || e.reason === 'issuer_cannot_sign_certificates') {
      throw untrusted('middle_cert is not a CA certificate (basicConstraints / keyUsage)');
    }
    throw untrusted(`signPubKeyCert under middle_cert: ${e.message}`);
  }
  try {
    // The root is the trust anchor (RFC 5280 §6.1.1 (d)): its name and key count, not its extensions.
    await checkIssuedBy(middle, root, { issuerIsTrustAnchor: true, intermediatesBelow: 1 });
  } catch (e) {
    if (!(e instanceof CertPathError)) throw e;
    if (e.reason === 'name_mismatch' || e.reason === 'signature_invalid') {
      throw untrusted('middle_cert was not issued by root_cert (check that both come from the same UnionPay environment)');
    }
    throw untrusted(`middle_cert under root_cert: ${e.message}`);
  }
  let key: CryptoKey;
  try {
    key = await crypto.subtle.importKey('spki', buf(leaf.subjectPublicKeyInfo), { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['verify']);
  } catch (e) {
    throw new VerificationError('cert_malformed', `signPubKeyCert does not hold an RSA public key: ${(e as Error).message}`);
  }
  return { leaf, middle, key };
}

/** Rule 2 for one certificate. Throws `cert_not_yet_valid` / `cert_expired`. */
export function checkValidity(c: Certificate, what: string, now: number): void {
  try {
    checkValidityAt(c, now);
  } catch (e) {
    if (!(e instanceof CertPathError)) throw e;
    if (e.reason === 'not_yet_valid') {
      throw new VerificationError('cert_not_yet_valid', `${what} is not valid before ${c.notBefore.toISOString()} (is the clock right?).`);
    }
    throw new VerificationError(
      'cert_expired',
      `${what} expired at ${c.notAfter.toISOString()}; UnionPay rotates its signing certificate, and root/middle must be current too.`,
    );
  }
}

/** Rule 3. Throws `cert_owner`. */
export function checkOwner(leaf: Certificate, testMode: boolean): void {
  const owner = cnOwner(leaf);
  if (owner === UNIONPAY_CN_OWNER || (testMode && owner === TEST_CN_OWNER)) return;
  throw new VerificationError(
    'cert_owner',
    `signPubKeyCert belongs to ${JSON.stringify(owner)}, not ${UNIONPAY_CN_OWNER}${testMode ? ` (or ${TEST_CN_OWNER} in test mode)` : ' (the test-environment owner is accepted for sk_test_ merchants only)'}.`,
  );
}

/**
 * The verifying key of `signPubKeyCert` once it passes rules 1–3 above. Throws VerificationError:
 * `cert_malformed`, `cert_untrusted`, `cert_not_yet_valid`, `cert_expired`, `cert_owner`.
 */
export async function verifySignPubKeyCert(pem: string, opts: ChainOptions): Promise<CryptoKey> {
  const id = `${pem}\u0000${opts.middleCert}\u0000${opts.rootCert}`;
  let p = chains.get(id);
  if (!p) {
    p = anchor(pem, opts.middleCert, opts.rootCert);
    // A failure is not cached: a fixed configuration must take effect at once.
    p.catch(() => chains.delete(id));
    if (chains.size >= MAX_CACHED) chains.delete(chains.keys().next().value as string);
    chains.set(id, p);
  }
  const { leaf, middle, key } = await p;
  checkValidity(leaf, 'signPubKeyCert', opts.now);
  checkValidity(middle, 'middle_cert', opts.now);
  checkOwner(leaf, opts.testMode);
  return key;
}
