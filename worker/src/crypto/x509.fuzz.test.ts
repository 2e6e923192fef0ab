// Malformed-DER fuzzing of the certificate reader, deterministic (seeded PRNG) and fast. Inputs are
// the repository's test certificates: UnionPay-style RSA chain (SHA-1 and SHA-256), Alipay-style RSA
// and ECDSA roots and leaves, the self-signed WeChat Pay vector, CFCA's UnionPay test certificate, and
// an App Store-shaped ECDSA chain. Two properties:
//   1. no crash: every refusal is a DerError (never a TypeError or RangeError), including from the
//      extension readers on whatever parses;
//   2. no forgery: a mutant that still parses never passes the signature check against the original's
//      issuer. Every byte of a certificate is either signed (tbsCertificate), the signature itself,
//      or structure whose change the reader refuses (outer header, outer algorithm identifier).

import { describe, expect, it } from 'vitest';
import { CERT_ALIPAY_CERT, CERT_APP_CERT, CERT_ROOT_BUNDLE } from '../providers/alipay/fixtures/test-keys';
import unionpayVectors from '../providers/unionpay/fixtures/vectors.json';
import { UNIONPAY_MIDDLE_CERT, UNIONPAY_ROOT_CERT, UNIONPAY_SANDBOX_SIGN_CERT } from '../../test/fixtures/unionpay-certs';
import { DerError, Tag, encode, readTlv, type Tlv } from './der';
import { APPLE_SHAPED_INTERMEDIATE, APPLE_SHAPED_LEAF, APPLE_SHAPED_ROOT } from './fixtures/apple-shaped-chain';
import { caExtensions, encodeOid, integer, name } from './fixtures/issue';
import vectors from './fixtures/vectors.json';
import { pemToDer } from './pem';
import { CertPathError, basicConstraints, checkIssuedBy, keyUsage, mayIssueCertificates, parseCertificate, verifySignedBy, type Certificate } from './x509';

/** mulberry32: a small seeded PRNG, so every run mutates the same bytes the same way. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SEED = 0x5107_2026;
const FLIPS_PER_CERT = 300;

const bundle = CERT_ROOT_BUNDLE.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
const [ALIPAY_ROOT_EC, ALIPAY_ROOT_RSA] = bundle as [string, string];

interface Case {
  what: string;
  der: Uint8Array;
  /** The certificate that signed it; undefined when the repository does not hold it (CFCA's). */
  issuer?: Certificate;
}

const P = (pem: string) => parseCertificate(pem);
const CASES: Case[] = [
  { what: 'UnionPay sandbox signing certificate (SHA-256)', der: pemToDer(UNIONPAY_SANDBOX_SIGN_CERT), issuer: P(UNIONPAY_MIDDLE_CERT) },
  { what: 'UnionPay sandbox middle (SHA-1)', der: pemToDer(UNIONPAY_MIDDLE_CERT), issuer: P(UNIONPAY_ROOT_CERT) },
  { what: 'UnionPay sandbox root', der: pemToDer(UNIONPAY_ROOT_CERT), issuer: P(UNIONPAY_ROOT_CERT) },
  {
    what: 'WeChat Pay platform certificate (self-signed)',
    der: pemToDer(vectors.wechat_v3_notify.platform_cert_pem),
    issuer: P(vectors.wechat_v3_notify.platform_cert_pem),
  },
  { what: 'Alipay app certificate', der: pemToDer(CERT_APP_CERT), issuer: P(ALIPAY_ROOT_RSA) },
  { what: 'Alipay public-key certificate', der: pemToDer(CERT_ALIPAY_CERT), issuer: P(ALIPAY_ROOT_RSA) },
  { what: 'Alipay-style ECDSA root', der: pemToDer(ALIPAY_ROOT_EC), issuer: P(ALIPAY_ROOT_EC) },
  { what: 'App Store-shaped leaf (P-256)', der: pemToDer(APPLE_SHAPED_LEAF), issuer: P(APPLE_SHAPED_INTERMEDIATE) },
  { what: 'App Store-shaped intermediate (P-384)', der: pemToDer(APPLE_SHAPED_INTERMEDIATE), issuer: P(APPLE_SHAPED_ROOT) },
  { what: 'CFCA UnionPay test certificate', der: pemToDer(unionpayVectors.unionpay_acp_510_backurl_notify.fields.signPubKeyCert) },
];

type Outcome = { parsed: false } | { parsed: true; cert: Certificate };

/** Parses `der`; any throw other than DerError fails the test, naming the case. */
function attempt(der: Uint8Array, label: string): Outcome {
  try {
    const cert = parseCertificate(der);
    // Whatever parses must also be safe to read further.
    for (const read of [basicConstraints, keyUsage, mayIssueCertificates]) {
      try {
        read(cert);
      } catch (e) {
        if (!(e instanceof DerError)) throw new Error(`${label}: extension reader threw ${String(e)}`);
      }
    }
    return { parsed: true, cert };
  } catch (e) {
    if (e instanceof DerError) return { parsed: false };
    throw new Error(`${label}: threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)} instead of a DerError`);
  }
}

function mustRefuse(der: Uint8Array, label: string): void {
  if (attempt(der, label).parsed) throw new Error(`${label}: parsed, but must be refused`);
}

/** Every TLV header in the certificate, descending into constructed elements. */
function headers(der: Uint8Array): Tlv[] {
  const out: Tlv[] = [];
  const walk = (t: Tlv) => {
    out.push(t);
    if (t.tag & 0x20)
      for (let p = t.valueStart; p < t.end; ) {
        const c = readTlv(der, p, t.end);
        walk(c);
        p = c.end;
      }
  };
  walk(readTlv(der, 0));
  return out;
}

function bigEndian(n: number): number[] {
  const out: number[] = [];
  for (let x = n; x > 0; x = Math.floor(x / 256)) out.unshift(x & 0xff);
  return out;
}

/** The DER length octets of `n`. */
const derLength = (n: number): number[] => (n < 0x80 ? [n] : [0x80 | bigEndian(n).length, ...bigEndian(n)]);

/** `der` with the length octets of `t` replaced by `len`. */
function withLength(der: Uint8Array, t: Tlv, len: number[]): Uint8Array {
  const head = der.subarray(0, t.start + 1);
  const rest = der.subarray(t.valueStart);
  return new Uint8Array([...head, ...len, ...rest]);
}

const pendingSignatureChecks: { cert: Certificate; issuer: Certificate | undefined; label: string }[] = [];

/** A parsed mutant must fail the signature check and the chain step against the original's issuer. */
async function checkPendingSignatures(): Promise<void> {
  const batch = pendingSignatureChecks.splice(0);
  for (const { cert, issuer, label } of batch) {
    if (!issuer) continue;
    if (await verifySignedBy(cert, issuer)) throw new Error(`${label}: a mutated certificate verifies against its issuer`);
    try {
      await checkIssuedBy(cert, issuer, { issuerIsTrustAnchor: true });
      throw new Error(`${label}: a mutated certificate passed the chain step`);
    } catch (e) {
      if (!(e instanceof CertPathError) && !(e instanceof DerError)) throw e;
    }
  }
}

describe(`X.509 reader under malformed DER (seed 0x${SEED.toString(16)})`, () => {
  it('holds the originals: each parses and, where its issuer is known, verifies', async () => {
    for (const c of CASES) {
      const cert = parseCertificate(c.der);
      if (c.issuer) expect(await verifySignedBy(cert, c.issuer), c.what).toBe(true);
    }
  });

  it('refuses every truncation', () => {
    let n = 0;
    for (const c of CASES) {
      for (let len = 0; len < c.der.length; len++, n++) mustRefuse(c.der.subarray(0, len), `${c.what} cut to ${len} bytes`);
    }
    expect(n).toBeGreaterThan(5000);
  });

  it('refuses trailing data of any kind', () => {
    const rand = prng(SEED);
    for (const c of CASES) {
      for (let k = 1; k <= 16; k++) {
        const tail = Array.from({ length: k }, () => Math.floor(rand() * 256));
        mustRefuse(new Uint8Array([...c.der, ...tail]), `${c.what} + ${k} byte(s)`);
      }
      mustRefuse(new Uint8Array([...c.der, 0x00, 0x00]), `${c.what} + end-of-contents`);
      mustRefuse(new Uint8Array([...c.der, ...c.der]), `${c.what} twice`);
    }
  });

  it('refuses every non-DER length: indefinite, non-minimal, oversized; ±1 never verifies', async () => {
    let n = 0;
    for (const c of CASES) {
      for (const t of headers(c.der)) {
        const len = t.end - t.valueStart;
        const lenBytes = bigEndian(len);
        const label = (k: string) => `${c.what}: tag 0x${t.tag.toString(16)} at ${t.start}, ${k}`;
        mustRefuse(withLength(c.der, t, [0x80]), label('indefinite length'));
        mustRefuse(withLength(c.der, t, [0x80 | (lenBytes.length + 1), 0, ...lenBytes]), label('leading zero length octet'));
        if (len < 0x80) mustRefuse(withLength(c.der, t, [0x81, len]), label('long form for a short length'));
        mustRefuse(withLength(c.der, t, [0x85, 0, 0, 0, 0, len]), label('5-byte length'));
        mustRefuse(withLength(c.der, t, [0xff]), label('reserved length octet 0xff'));
        n += 4;
        // One more or one less: never what was signed. Refused, or parsed and not verifying.
        for (const d of [1, -1]) {
          const l = len + d;
          if (l < 0) continue;
          const m = withLength(c.der, t, derLength(l));
          const o = attempt(m, label(`length ${d > 0 ? '+1' : '-1'}`));
          if (o.parsed) pendingSignatureChecks.push({ cert: o.cert, issuer: c.issuer, label: label(`length ${d}`) });
          n++;
        }
      }
    }
    expect(n).toBeGreaterThan(1000);
    await checkPendingSignatures();
  });

  it('refuses deep nesting, without exhausting the stack', () => {
    let deep: Uint8Array = new Uint8Array([Tag.NULL, 0]);
    for (let i = 0; i < 3000; i++) deep = encode(Tag.SEQUENCE, deep);
    mustRefuse(deep, '3000 nested SEQUENCEs');
    // Inside an otherwise valid certificate: an attribute value 20 levels deep.
    let value: Uint8Array = encode(Tag.UTF8_STRING, new TextEncoder().encode('x'));
    for (let i = 0; i < 20; i++) value = encode(Tag.SEQUENCE, value);
    const deepName = encode(Tag.SEQUENCE, encode(Tag.SET, encode(Tag.SEQUENCE, encodeOid('2.5.4.3'), value)));
    const alg = encode(Tag.SEQUENCE, encodeOid('1.2.840.10045.4.3.2'));
    const spki = encode(
      Tag.SEQUENCE,
      encode(Tag.SEQUENCE, encodeOid('1.2.840.10045.2.1'), encodeOid('1.2.840.10045.3.1.7')),
      encode(Tag.BIT_STRING, new Uint8Array([0, 4])),
    );
    const validity = encode(
      Tag.SEQUENCE,
      encode(Tag.UTC_TIME, new TextEncoder().encode('250101000000Z')),
      encode(Tag.UTC_TIME, new TextEncoder().encode('350101000000Z')),
    );
    const build = (subject: Uint8Array) =>
      encode(
        Tag.SEQUENCE,
        encode(
          Tag.SEQUENCE,
          encode(0xa0, integer(2n)),
          integer(7n),
          alg,
          name([['CN', 'i']]),
          validity,
          subject,
          spki,
          encode(0xa3, encode(Tag.SEQUENCE, ...caExtensions())),
        ),
        alg,
        encode(Tag.BIT_STRING, new Uint8Array([0, 0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01])),
      );
    expect(() => parseCertificate(build(deepName))).toThrow(/nesting deeper than 16/);
    // The same certificate with a flat subject parses: the depth limit is what refused it.
    expect(parseCertificate(build(name([['CN', 'x']]))).subject[0]?.value).toBe('x');
  });

  it('refuses random garbage that looks like a SEQUENCE', () => {
    const rand = prng(SEED ^ 0x9e3779b9);
    for (let i = 0; i < 500; i++) {
      const len = 1 + Math.floor(rand() * 300);
      const body = Array.from({ length: len }, () => Math.floor(rand() * 256));
      const der = new Uint8Array([0x30, ...(len < 0x80 ? [len] : [0x82, len >> 8, len & 0xff]), ...body]);
      const o = attempt(der, `garbage #${i}`);
      expect(o.parsed, `garbage #${i} parsed`).toBe(false);
    }
  });

  it(`flipped bytes (${FLIPS_PER_CERT} per certificate): refused, or parsed and never verifying against the issuer`, async () => {
    const rand = prng(SEED + 1);
    let parsed = 0;
    for (const c of CASES) {
      for (let i = 0; i < FLIPS_PER_CERT; i++) {
        const pos = Math.floor(rand() * c.der.length);
        const mask = 1 + Math.floor(rand() * 255);
        const m = c.der.slice();
        m[pos] = (m[pos] as number) ^ mask;
        const label = `${c.what}: byte ${pos} ^ 0x${mask.toString(16)}`;
        const o = attempt(m, label);
        if (o.parsed) {
          parsed++;
          pendingSignatureChecks.push({ cert: o.cert, issuer: c.issuer, label });
        }
      }
    }
    // Enough mutants survive parsing (names, dates, keys, signatures) for the signature property to bite.
    expect(parsed).toBeGreaterThan(CASES.length * FLIPS_PER_CERT * 0.2);
    await checkPendingSignatures();
  });

  it('every single-bit flip of one certificate (UnionPay signing certificate)', async () => {
    const c = CASES[0] as Case;
    for (let pos = 0; pos < c.der.length; pos++) {
      for (let bit = 0; bit < 8; bit++) {
        const m = c.der.slice();
        m[pos] = (m[pos] as number) ^ (1 << bit);
        const label = `${c.what}: bit ${bit} of byte ${pos}`;
        const o = attempt(m, label);
        if (o.parsed) pendingSignatureChecks.push({ cert: o.cert, issuer: c.issuer, label });
      }
    }
    await checkPendingSignatures();
  });
});
