// crypto/x509.ts held to an independent reader: every test certificate in the repository is parsed by
// pkijs (a full RFC 5280 implementation on WebCrypto) and the fields must agree — serial, names,
// validity, SubjectPublicKeyInfo, signature algorithm (inner and outer), signature, tbsCertificate,
// extensions, basicConstraints and keyUsage — and so must the signature verdict against each issuer.
// Byte-flipped copies that crypto/x509.ts still accepts must read the same in pkijs too.
// pkijs is a devDependency for this test only: it must never be imported by Worker code (the last
// test scans worker/src for that), since it would triple the bundle (docs/unionpay.md).

import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { describe, expect, it } from 'vitest';
import { CERT_ALIPAY_CERT, CERT_APP_CERT, CERT_ROOT_BUNDLE } from '../providers/alipay/fixtures/test-keys';
import unionpayVectors from '../providers/unionpay/fixtures/vectors.json';
import {
  EXPIRED_CERT,
  IMPOSTOR_MIDDLE_CERT,
  NOT_CA_MIDDLE_CERT,
  OTHER_OWNER_CERT,
  PROD_OWNER_CERT,
  SELF_SIGNED_CERT,
  UNDER_IMPOSTOR_CERT,
  UNDER_NOT_CA_CERT,
  UNIONPAY_MIDDLE_CERT,
  UNIONPAY_ROOT_CERT,
  UNIONPAY_SANDBOX_SIGN_CERT,
} from '../../test/fixtures/unionpay-certs';
import { toHex } from './encoding';
import { APPLE_SHAPED_INTERMEDIATE, APPLE_SHAPED_LEAF, APPLE_SHAPED_ROOT } from './fixtures/apple-shaped-chain';
import vectors from './fixtures/vectors.json';
import { pemToDer } from './pem';
import { DerError, KEY_USAGE_BITS, basicConstraints, keyUsage, parseCertificate, verifySignedBy, type Certificate, type RdnAttribute } from './x509';

const bundle = CERT_ROOT_BUNDLE.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
const [ALIPAY_ROOT_EC, ALIPAY_ROOT_RSA] = bundle as [string, string];

/** [name, certificate PEM, issuer PEM when the repository holds it]. */
const CERTS: [string, string, string | undefined][] = [
  ['UnionPay sandbox root', UNIONPAY_ROOT_CERT, UNIONPAY_ROOT_CERT],
  ['UnionPay sandbox middle (SHA-1)', UNIONPAY_MIDDLE_CERT, UNIONPAY_ROOT_CERT],
  ['UnionPay sandbox signing certificate', UNIONPAY_SANDBOX_SIGN_CERT, UNIONPAY_MIDDLE_CERT],
  ['UnionPay self-signed forgery', SELF_SIGNED_CERT, SELF_SIGNED_CERT],
  ['UnionPay expired leaf', EXPIRED_CERT, UNIONPAY_MIDDLE_CERT],
  ['UnionPay production-owner leaf', PROD_OWNER_CERT, UNIONPAY_MIDDLE_CERT],
  ['UnionPay other-owner leaf', OTHER_OWNER_CERT, UNIONPAY_MIDDLE_CERT],
  ['UnionPay impostor middle', IMPOSTOR_MIDDLE_CERT, undefined],
  ['UnionPay leaf under the impostor', UNDER_IMPOSTOR_CERT, IMPOSTOR_MIDDLE_CERT],
  ['UnionPay non-CA middle', NOT_CA_MIDDLE_CERT, undefined],
  ['UnionPay leaf under the non-CA middle', UNDER_NOT_CA_CERT, NOT_CA_MIDDLE_CERT],
  ['CFCA UnionPay test certificate', unionpayVectors.unionpay_acp_510_backurl_notify.fields.signPubKeyCert, undefined],
  ['WeChat Pay platform certificate', vectors.wechat_v3_notify.platform_cert_pem, vectors.wechat_v3_notify.platform_cert_pem],
  ['Alipay ECDSA root', ALIPAY_ROOT_EC, ALIPAY_ROOT_EC],
  ['Alipay RSA root', ALIPAY_ROOT_RSA, ALIPAY_ROOT_RSA],
  ['Alipay app certificate', CERT_APP_CERT, ALIPAY_ROOT_RSA],
  ['Alipay public-key certificate', CERT_ALIPAY_CERT, ALIPAY_ROOT_RSA],
  ['App Store-shaped root', APPLE_SHAPED_ROOT, APPLE_SHAPED_ROOT],
  ['App Store-shaped intermediate', APPLE_SHAPED_INTERMEDIATE, APPLE_SHAPED_ROOT],
  ['App Store-shaped leaf', APPLE_SHAPED_LEAF, APPLE_SHAPED_INTERMEDIATE],
];

const hex = (b: ArrayBuffer | Uint8Array) => toHex(b instanceof Uint8Array ? b : new Uint8Array(b));

/** Attribute values as crypto/x509.ts renders them: the string, or RFC 4514 #hex for a non-string value. */
function theirNames(n: pkijs.RelativeDistinguishedNames): Omit<RdnAttribute, 'name'>[] {
  return n.typesAndValues.map((tv) => {
    const v = (tv.value as asn1js.Utf8String).valueBlock.value;
    return { oid: tv.type, value: typeof v === 'string' ? v : `#${hex(tv.value.toBER())}` };
  });
}

function theirKeyUsage(e: pkijs.Extension | undefined): string[] | undefined {
  if (!e) return undefined;
  const bits = asn1js.fromBER(new Uint8Array(e.extnValue.valueBlock.valueHexView)).result as asn1js.BitString;
  const bytes = bits.valueBlock.valueHexView;
  const n = bytes.length * 8 - bits.valueBlock.unusedBits;
  return KEY_USAGE_BITS.filter((_, i) => i < n && (((bytes[i >> 3] as number) >> (7 - (i & 7))) & 1) === 1);
}

/** Field-by-field agreement between crypto/x509.ts and pkijs on one certificate. */
function agree(ours: Certificate, der: Uint8Array<ArrayBuffer>, label: string): void {
  const theirs = pkijs.Certificate.fromBER(der);
  const serial = hex(theirs.serialNumber.valueBlock.valueHexView)
    .replace(/^(00)+(?=..)/, '')
    .toUpperCase();
  expect(ours.serialNumberHex, `${label}: serial`).toBe(serial);
  expect(ours.serialNumberDecimal, `${label}: serial (decimal)`).toBe(BigInt(`0x${serial}`).toString());
  expect(ours.version, `${label}: version`).toBe(theirs.version + 1);
  expect(
    ours.issuer.map(({ oid, value }) => ({ oid, value })),
    `${label}: issuer`,
  ).toEqual(theirNames(theirs.issuer));
  expect(
    ours.subject.map(({ oid, value }) => ({ oid, value })),
    `${label}: subject`,
  ).toEqual(theirNames(theirs.subject));
  expect(ours.notBefore.getTime(), `${label}: notBefore`).toBe(theirs.notBefore.value.getTime());
  expect(ours.notAfter.getTime(), `${label}: notAfter`).toBe(theirs.notAfter.value.getTime());
  expect(hex(ours.subjectPublicKeyInfo), `${label}: SPKI`).toBe(hex(theirs.subjectPublicKeyInfo.toSchema().toBER()));
  expect(ours.signatureAlgorithm, `${label}: signatureAlgorithm`).toBe(theirs.signatureAlgorithm.algorithmId);
  expect(ours.signatureAlgorithm, `${label}: tbsCertificate.signature`).toBe(theirs.signature.algorithmId);
  expect(hex(ours.signature), `${label}: signatureValue`).toBe(hex(theirs.signatureValue.valueBlock.valueHexView));
  expect(hex(ours.tbsCertificate), `${label}: tbsCertificate`).toBe(hex(theirs.tbsView));
  const exts = theirs.extensions ?? [];
  expect(
    ours.extensions.map((e) => ({ oid: e.oid, critical: e.critical, value: hex(e.value) })),
    `${label}: extensions`,
  ).toEqual(exts.map((e) => ({ oid: e.extnID, critical: e.critical, value: hex(e.extnValue.valueBlock.valueHexView) })));
  // The extension readers are stricter than pkijs (which is BER-lenient): where ours refuses a value
  // (only ever in a mutant), there is nothing to compare; where ours reads it, pkijs must agree.
  const ourBc = readOrRefuse(() => basicConstraints(ours));
  if (ourBc !== REFUSED) {
    const bc = exts.find((e) => e.extnID === '2.5.29.19')?.parsedValue as pkijs.BasicConstraints | undefined;
    expect(ourBc?.ca, `${label}: basicConstraints cA`).toBe(bc?.cA);
    const len = bc?.pathLenConstraint;
    expect(ourBc?.pathLength, `${label}: pathLenConstraint`).toBe(typeof len === 'object' ? len.valueBlock.valueDec : len);
  }
  const ourKu = readOrRefuse(() => keyUsage(ours));
  if (ourKu !== REFUSED) expect(ourKu, `${label}: keyUsage`).toEqual(theirKeyUsage(exts.find((e) => e.extnID === '2.5.29.15')));
}

const REFUSED = Symbol('refused');
function readOrRefuse<T>(read: () => T): T | typeof REFUSED {
  try {
    return read();
  } catch (e) {
    if (e instanceof DerError) return REFUSED;
    throw e;
  }
}

describe('crypto/x509.ts agrees with pkijs', () => {
  it.each(CERTS)('%s', async (label, pem, issuerPem) => {
    const der = pemToDer(pem);
    const ours = parseCertificate(der);
    agree(ours, der, label);
    expect(() => [basicConstraints(ours), keyUsage(ours)]).not.toThrow();
    if (issuerPem) {
      const issuer = parseCertificate(issuerPem);
      const theirVerdict = await pkijs.Certificate.fromBER(der).verify(pkijs.Certificate.fromBER(pemToDer(issuerPem)));
      expect(await verifySignedBy(ours, issuer), `${label}: signature verdict`).toBe(theirVerdict);
    }
  });

  it('the fixtures exercise what the comparison covers', () => {
    const parsed = CERTS.map(([, pem]) => parseCertificate(pem));
    const algs = new Set(parsed.map((c) => c.signatureAlgorithm));
    // SHA-1 and SHA-256 RSA, ECDSA with SHA-256 and SHA-384.
    for (const a of ['1.2.840.113549.1.1.5', '1.2.840.113549.1.1.11', '1.2.840.10045.4.3.2', '1.2.840.10045.4.3.3']) expect(algs).toContain(a);
    expect(parsed.some((c) => basicConstraints(c)?.pathLength !== undefined)).toBe(true);
    expect(parsed.some((c) => c.extensions.some((e) => e.critical))).toBe(true);
  });

  it('byte-flipped certificates that crypto/x509.ts accepts read the same in pkijs', () => {
    // A fixed linear congruential sequence picks the bytes: the same mutants on every run.
    let state = 0x2026_0527;
    const next = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0);
    let compared = 0;
    for (const [label, pem] of CERTS) {
      const der = pemToDer(pem);
      for (let i = 0; i < 40; i++) {
        const m = der.slice();
        const pos = next() % m.length;
        m[pos] = (m[pos] as number) ^ (1 + (next() % 255));
        let ours: Certificate;
        try {
          ours = parseCertificate(m);
        } catch (e) {
          expect(e).toBeInstanceOf(DerError);
          continue;
        }
        agree(ours, m, `${label}, byte ${pos} flipped`);
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(100);
  });
});
