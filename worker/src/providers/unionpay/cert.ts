// signPubKeyCert checks (providers.md §4.4, official CertUtil.verifyCertificate): the certificate a
// UnionPay message carries is trusted only when
//   1. it chains leaf → configured middle → configured root (signatures and name chaining; the middle
//      must be a CA: basicConstraints cA and, when keyUsage is present, keyCertSign), PKIX without
//      revocation, as the SDKs do;
//   2. now is inside the validity window of the leaf and of the middle (the root is the trust anchor);
//   3. its owner — the 3rd `@`-separated part of the subject CN, `041@…@<owner>@…` — is
//      中国银联股份有限公司; `00040000:SIGN` (UnionPay's test environment) is accepted in test mode only.
// Anyone can embed a certificate of their own (yansongda skips the chain check, §4.4): without 1–3 a
// signature proves nothing.
//
// The X.509 reading is crypto/x509.ts and the chain signatures crypto/rsa.ts verifyCertificateSignature:
// both libraries measured for this (pkijs 4.0.0, @peculiar/x509 2.2.0) run in workerd but would
// triple the Worker bundle for this one check — numbers in docs/unionpay.md.

import { Tag, children, decodeOid, expectTag, readTlv, value, type Tlv } from '../../crypto/der';
import { verifyCertificateSignature } from '../../crypto/rsa';
import { buf } from '../../crypto/encoding';
import { nameAttribute, parseCertificate, type Certificate, type RdnAttribute } from '../../crypto/x509';
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

const sameName = (a: RdnAttribute[], b: RdnAttribute[]): boolean =>
  a.length === b.length && a.every((x, i) => x.oid === b[i]?.oid && x.value === b[i]?.value);

interface CaFacts {
  /** basicConstraints present with cA TRUE. */
  ca: boolean;
  /** keyUsage absent, or present with keyCertSign. */
  mayCertSign: boolean;
}

/** basicConstraints (2.5.29.19) and keyUsage (2.5.29.15) of a certificate, read from its tbsCertificate. */
export function caFacts(cert: Certificate): CaFacts {
  const der = cert.tbsCertificate;
  const fields = children(der, readTlv(der, 0));
  const ext = fields.find((t) => t.tag === 0xa3);
  let ca = false;
  let mayCertSign = true;
  if (!ext) return { ca, mayCertSign };
  const [seq] = children(der, ext);
  for (const e of children(der, expectTag(seq, Tag.SEQUENCE, 'Extensions'))) {
    const parts = children(der, expectTag(e, Tag.SEQUENCE, 'Extension'));
    const oid = decodeOid(value(der, expectTag(parts[0], Tag.OID, 'extnID')));
    const octets = parts[parts.length - 1] as Tlv;
    const inner = value(der, expectTag(octets, Tag.OCTET_STRING, 'extnValue'));
    if (oid === '2.5.29.19') {
      const bc = children(inner, expectTag(readTlv(inner, 0), Tag.SEQUENCE, 'BasicConstraints'));
      const first = bc[0];
      ca = first !== undefined && first.tag === 0x01 && value(inner, first)[0] !== 0;
    } else if (oid === '2.5.29.15') {
      const bits = value(inner, expectTag(readTlv(inner, 0), Tag.BIT_STRING, 'KeyUsage'));
      // bits[0] = unused bits; keyCertSign is bit 5 = 0x04 of the first content byte (RFC 5280 §4.2.1.3).
      mayCertSign = ((bits[1] ?? 0) & 0x04) !== 0;
    }
  }
  return { ca, mayCertSign };
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

async function anchor(pem: string, middlePem: string, rootPem: string): Promise<Anchored> {
  const leaf = parse(pem, 'signPubKeyCert');
  const middle = parse(middlePem, 'The configured middle_cert');
  const root = parse(rootPem, 'The configured root_cert');
  const untrusted = (why: string) => new VerificationError('cert_untrusted', `signPubKeyCert does not chain to the configured UnionPay certificates: ${why}.`);
  if (!sameName(leaf.issuer, middle.subject) || !(await verifyCertificateSignature(leaf, middle))) {
    throw untrusted('it was not issued by middle_cert (a self-signed or foreign certificate, or the middle of another environment)');
  }
  if (!sameName(middle.issuer, root.subject) || !(await verifyCertificateSignature(middle, root))) {
    throw untrusted('middle_cert was not issued by root_cert (check that both come from the same UnionPay environment)');
  }
  const facts = caFacts(middle);
  if (!facts.ca || !facts.mayCertSign) throw untrusted('middle_cert is not a CA certificate (basicConstraints / keyUsage)');
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
  if (now < c.notBefore.getTime()) {
    throw new VerificationError('cert_not_yet_valid', `${what} is not valid before ${c.notBefore.toISOString()} (is the clock right?).`);
  }
  if (now > c.notAfter.getTime()) {
    throw new VerificationError('cert_expired', `${what} expired at ${c.notAfter.toISOString()}; UnionPay rotates its signing certificate, and root/middle must be current too.`);
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
