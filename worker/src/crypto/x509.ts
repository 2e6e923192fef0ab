// X.509 certificates (RFC 5280), the one place Shouyin reads them: WebCrypto cannot parse a
// certificate, yet WeChat Pay platform certificates, Alipay public-key certificates, UnionPay's
// signPubKeyCert and the x5c chain of an App Store JWS all need their fields. Three parts:
//   1. `parseCertificate`: a strict reader. Certificates arrive from the network (UnionPay embeds one
//      in every answer and notify, Apple three in every JWS), so anything that is not exactly one DER
//      Certificate is refused with a DerError: trailing bytes, non-DER lengths, fields out of place,
//      an inner signature algorithm that differs from the outer one (RFC 5280 §4.1.1.2), a repeated
//      extension (https://open.unionpay.com/tjweb/acproduct/APIList?acpAPIId=754&apiservId=448&version=V2.2), a time
// that is not the RFC 5280 §4.1.2.5 form.
//   2. Extension readers: basicConstraints (§4.2.1.9), keyUsage (§4.2.1.3), presence of any OID.
//   3. One chain step, `checkIssuedBy` (names chain, the issuer is a CA allowed to sign
//      certificates, its path length holds, no critical extension goes unprocessed, the signature
//      verifies with WebCrypto), and `checkValidityAt`. Which roots to trust and which extra rules
//      apply (Apple's marker OIDs, UnionPay's CN owner) is the caller's policy.

import {
  DerError,
  Tag,
  checkDerTree,
  checkInteger,
  children,
  decodeBitString,
  decodeBoolean,
  decodeOid,
  decodeSmallInteger,
  expectTag,
  fail,
  readExact,
  value,
  whole,
  type Tlv,
} from './der';
import { ECDSA_SIGNATURE_ALGORITHMS, ecdsaDerToRaw, spkiCurve } from './ecdsa';
import { buf, toHex } from './encoding';
import { pemDecode } from './pem';

export { DerError } from './der';

export interface RdnAttribute {
  oid: string;
  /** Short name when known (CN, O, OU, C, L, ST, …), else the OID. */
  name: string;
  value: string;
}

export interface Extension {
  oid: string;
  critical: boolean;
  /** The extnValue OCTET STRING's content (the DER of the extension's own value). */
  value: Uint8Array;
}

export interface Certificate {
  /** 1, 2 or 3 (X.509 v3 carries extensions). */
  version: 1 | 2 | 3;
  /** Uppercase hex without leading zero bytes (WeChat's `Wechatpay-Serial` form, e.g. D7CE59D1F522D701). */
  serialNumberHex: string;
  /** Decimal (UnionPay's `certId` form). */
  serialNumberDecimal: string;
  notBefore: Date;
  notAfter: Date;
  issuer: RdnAttribute[];
  subject: RdnAttribute[];
  /** The signature algorithm OID (e.g. 1.2.840.113549.1.1.11 = sha256WithRSA); inner and outer are equal. */
  signatureAlgorithm: string;
  /** DER of tbsCertificate: the bytes the issuer signed. */
  tbsCertificate: Uint8Array;
  /** The signature bytes (BIT STRING content without its unused-bits byte). */
  signature: Uint8Array;
  /** DER of SubjectPublicKeyInfo, importable as WebCrypto `spki`. */
  subjectPublicKeyInfo: Uint8Array;
  /** Every extension, in certificate order (none for v1/v2). */
  extensions: readonly Extension[];
}

/** sha*WithRSAEncryption (RFC 4055 §5, RFC 3279 §2.2.1) → the hash WebCrypto must use. UnionPay's test chain is SHA-1. */
export const RSA_SIGNATURE_ALGORITHMS: Record<string, { hash: 'SHA-1' | 'SHA-256' | 'SHA-384' | 'SHA-512' }> = {
  '1.2.840.113549.1.1.5': { hash: 'SHA-1' },
  '1.2.840.113549.1.1.11': { hash: 'SHA-256' },
  '1.2.840.113549.1.1.12': { hash: 'SHA-384' },
  '1.2.840.113549.1.1.13': { hash: 'SHA-512' },
};

export const OID_BASIC_CONSTRAINTS = '2.5.29.19';
export const OID_KEY_USAGE = '2.5.29.15';

const NAMES: Record<string, string> = {
  '2.5.4.3': 'CN',
  '2.5.4.5': 'serialNumber',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '1.2.840.113549.1.9.1': 'emailAddress',
};

// ── reading ─────────────────────────────────────────────────────────────────────────────────────

/** ISO 8859-1, byte = code point (TextDecoder's 'latin1' is windows-1252, which remaps 0x80–0x9F). */
const latin1 = { decode: (v: Uint8Array): string => Array.from(v, (b) => String.fromCharCode(b)).join('') };
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** The fields of one SEQUENCE, taken in order; `done` throws if any is left over. */
class Fields {
  private i = 0;
  constructor(
    private readonly list: Tlv[],
    private readonly what: string,
  ) {}

  next(tag: number, what: string): Tlv {
    return expectTag(this.list[this.i++], tag, `${what} in ${this.what}`);
  }

  /** The next field whatever its tag (an ANY). */
  any(what: string): Tlv {
    const t = this.list[this.i++];
    if (!t) fail(`missing ${what} in ${this.what}`);
    return t;
  }

  /** The next field if there is one, whatever its tag (an ANY OPTIONAL). */
  anyOptional(): Tlv | undefined {
    return this.list[this.i++];
  }

  optional(tag: number): Tlv | undefined {
    const t = this.list[this.i];
    if (t?.tag !== tag) return undefined;
    this.i++;
    return t;
  }

  done(): void {
    if (this.i < this.list.length) fail(`${this.what} has ${this.list.length - this.i} unexpected field(s) after its last one`);
  }
}

const fields = (der: Uint8Array, t: Tlv, what: string) => new Fields(children(der, t), what);

function decodeString(der: Uint8Array, t: Tlv): string {
  const v = value(der, t);
  switch (t.tag) {
    case Tag.UTF8_STRING:
      try {
        return utf8Decoder.decode(v);
      } catch {
        return fail('UTF8String attribute is not valid UTF-8');
      }
    case Tag.BMP_STRING: {
      if (v.length % 2 !== 0) fail('BMPString attribute has an odd length');
      let s = '';
      for (let i = 0; i < v.length; i += 2) s += String.fromCharCode(((v[i] as number) << 8) | (v[i + 1] as number));
      return s;
    }
    case Tag.UNIVERSAL_STRING: {
      if (v.length % 4 !== 0) fail('UniversalString attribute length is not a multiple of 4');
      let s = '';
      for (let i = 0; i < v.length; i += 4) {
        const cp = (((v[i] as number) << 24) | ((v[i + 1] as number) << 16) | ((v[i + 2] as number) << 8) | (v[i + 3] as number)) >>> 0;
        if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) fail('UniversalString attribute holds no valid character');
        s += String.fromCodePoint(cp);
      }
      return s;
    }
    default:
      // PrintableString, IA5String, TeletexString, NumericString, VisibleString: byte = character.
      // Any non-string value (legal for attributes Shouyin does not know) is shown as RFC 4514 §2.4 #hex.
      return t.tag === 0x12 || t.tag === Tag.PRINTABLE_STRING || t.tag === Tag.T61_STRING || t.tag === Tag.IA5_STRING || t.tag === 0x1a
        ? latin1.decode(v)
        : `#${toHex(whole(der, t))}`;
  }
}

/** Name ::= SEQUENCE OF RelativeDistinguishedName; RDN ::= SET SIZE (1..MAX) OF AttributeTypeAndValue (RFC 5280 §4.1.2.4). */
function parseName(der: Uint8Array, name: Tlv, what: string): RdnAttribute[] {
  const out: RdnAttribute[] = [];
  for (const set of children(der, name)) {
    const atvs = children(der, expectTag(set, Tag.SET, `RelativeDistinguishedName in ${what}`));
    if (atvs.length === 0) fail(`empty RelativeDistinguishedName in ${what}`);
    for (const atv of atvs) {
      const f = fields(der, expectTag(atv, Tag.SEQUENCE, `AttributeTypeAndValue in ${what}`), `AttributeTypeAndValue in ${what}`);
      const oid = decodeOid(value(der, f.next(Tag.OID, 'type')));
      const val = f.any(`the value of ${oid}`);
      f.done();
      out.push({ oid, name: NAMES[oid] ?? oid, value: decodeString(der, val) });
    }
  }
  return out;
}

const DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** UTCTime YYMMDDHHMMSSZ or GeneralizedTime YYYYMMDDHHMMSSZ, the only forms RFC 5280 §4.1.2.5.1–2 allows. */
function parseTime(der: Uint8Array, t: Tlv, what: string): Date {
  if (t.tag !== Tag.UTC_TIME && t.tag !== Tag.GENERALIZED_TIME) fail(`expected a Time for ${what}`);
  const s = latin1.decode(value(der, t));
  const m = (t.tag === Tag.UTC_TIME ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/ : /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/).exec(s);
  if (!m) fail(`${what} is not in the RFC 5280 form (${t.tag === Tag.UTC_TIME ? 'YYMMDDHHMMSSZ' : 'YYYYMMDDHHMMSSZ'}): ${JSON.stringify(s)}`);
  let year = Number(m[1]);
  // RFC 5280 §4.1.2.5.1: UTCTime YY >= 50 means 19YY, else 20YY.
  if (t.tag === Tag.UTC_TIME) year += year >= 50 ? 1900 : 2000;
  const [month, day, hour, minute, second] = [m[2], m[3], m[4], m[5], m[6]].map(Number) as [number, number, number, number, number];
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = month === 2 && !leap ? 28 : (DAYS[month - 1] ?? 0);
  if (month < 1 || month > 12 || day < 1 || day > days || hour > 23 || minute > 59 || second > 59) fail(`${what} is not a calendar date: ${JSON.stringify(s)}`);
  return new Date(Date.UTC(year, month - 1, day, hour, minute, second));
}

/** AlgorithmIdentifier ::= SEQUENCE { algorithm OID, parameters ANY OPTIONAL } (RFC 5280 §4.1.1.2). */
function algorithmOid(der: Uint8Array, t: Tlv, what: string): string {
  const f = fields(der, t, what);
  const oid = decodeOid(value(der, f.next(Tag.OID, 'algorithm')));
  f.anyOptional(); // parameters
  f.done();
  return oid;
}

/** Extensions ::= SEQUENCE SIZE (1..MAX) OF Extension { extnID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING } (RFC 5280 §4.1). */
function parseExtensions(der: Uint8Array, wrapper: Tlv): Extension[] {
  const w = fields(der, wrapper, 'extensions [3]');
  const list = children(der, w.next(Tag.SEQUENCE, 'Extensions'));
  w.done();
  if (list.length === 0) fail('empty Extensions (SIZE (1..MAX))');
  const seen = new Set<string>();
  return list.map((e) => {
    const f = fields(der, expectTag(e, Tag.SEQUENCE, 'Extension'), 'Extension');
    const oid = decodeOid(value(der, f.next(Tag.OID, 'extnID')));
    const crit = f.optional(Tag.BOOLEAN);
    const critical = crit ? decodeBoolean(value(der, crit), `the critical flag of extension ${oid}`) : false;
    const octets = f.next(Tag.OCTET_STRING, `extnValue of ${oid}`);
    f.done();
    // RFC 5280 §4.2: "A certificate MUST NOT include more than one instance of a particular extension."
    if (seen.has(oid)) fail(`extension ${oid} appears twice`);
    seen.add(oid);
    return { oid, critical, value: value(der, octets) };
  });
}

function derOf(input: string | Uint8Array): Uint8Array {
  if (typeof input !== 'string') return input;
  try {
    return pemDecode(input).der;
  } catch (e) {
    throw new DerError((e as Error).message);
  }
}

/**
 * Parses a PEM (`BEGIN CERTIFICATE`) or DER certificate. Throws DerError on anything that is not
 * exactly one well-formed DER Certificate.
 */
export function parseCertificate(input: string | Uint8Array): Certificate {
  const der = derOf(input);
  const certT = readExact(der, Tag.SEQUENCE, 'Certificate');
  const top = fields(der, certT, 'Certificate');
  const tbsT = top.next(Tag.SEQUENCE, 'tbsCertificate');
  const outerAlg = top.next(Tag.SEQUENCE, 'signatureAlgorithm');
  const sigVal = top.next(Tag.BIT_STRING, 'signatureValue');
  top.done();

  const tbs = fields(der, tbsT, 'tbsCertificate');
  // version [0] EXPLICIT Version DEFAULT v1.
  const versionT = tbs.optional(0xa0);
  let version: 1 | 2 | 3 = 1;
  if (versionT) {
    const vf = fields(der, versionT, 'version [0]');
    const v = decodeSmallInteger(value(der, vf.next(Tag.INTEGER, 'Version')), 'version');
    vf.done();
    if (v > 2) fail(`unknown certificate version ${v + 1}`);
    version = (v + 1) as 1 | 2 | 3;
  }
  // RFC 5280 §4.1.2.2: serials are positive, but users "SHOULD be prepared to gracefully handle"
  // zero and negative ones; only the DER form is enforced.
  const serial = checkInteger(value(der, tbs.next(Tag.INTEGER, 'serialNumber')), 'serialNumber');
  const innerAlg = tbs.next(Tag.SEQUENCE, 'signature');
  const issuer = parseName(der, tbs.next(Tag.SEQUENCE, 'issuer'), 'issuer');
  const validity = fields(der, tbs.next(Tag.SEQUENCE, 'validity'), 'validity');
  const notBefore = parseTime(der, validity.any('notBefore'), 'notBefore');
  const notAfter = parseTime(der, validity.any('notAfter'), 'notAfter');
  validity.done();
  const subject = parseName(der, tbs.next(Tag.SEQUENCE, 'subject'), 'subject');
  const spkiT = tbs.next(Tag.SEQUENCE, 'subjectPublicKeyInfo');
  const spki = fields(der, spkiT, 'subjectPublicKeyInfo');
  algorithmOid(der, spki.next(Tag.SEQUENCE, 'algorithm'), 'the public key algorithm');
  const key = decodeBitString(value(der, spki.next(Tag.BIT_STRING, 'subjectPublicKey')), 'subjectPublicKey');
  if (key.unused !== 0) fail('subjectPublicKey has unused bits');
  spki.done();
  // issuerUniqueID [1] and subjectUniqueID [2] (IMPLICIT BIT STRING) need v2 or v3 (RFC 5280 §4.1.2.8).
  for (const [tag, what] of [
    [0x81, 'issuerUniqueID'],
    [0x82, 'subjectUniqueID'],
  ] as const) {
    const u = tbs.optional(tag);
    if (!u) continue;
    if (version === 1) fail(`${what} in a version 1 certificate`);
    decodeBitString(value(der, u), what);
  }
  const extT = tbs.optional(0xa3);
  // RFC 5280 §4.1.2.9: extensions appear only in version 3.
  if (extT && version !== 3) fail(`extensions in a version ${version} certificate`);
  const extensions = extT ? parseExtensions(der, extT) : [];
  tbs.done();

  // RFC 5280 §4.1.1.2: signatureAlgorithm "MUST contain the same algorithm identifier as the signature
  // field in the sequence tbsCertificate". Compared as DER bytes: otherwise what the reader reports
  // and what the issuer signed could name different algorithms.
  const outer = whole(der, outerAlg);
  const inner = whole(der, innerAlg);
  if (outer.length !== inner.length || outer.some((b, i) => b !== inner[i])) {
    fail('the signature algorithm inside tbsCertificate differs from the outer signatureAlgorithm (RFC 5280 §4.1.1.2)');
  }
  const signatureAlgorithm = algorithmOid(der, outerAlg, 'signatureAlgorithm');
  const sig = decodeBitString(value(der, sigVal), 'signatureValue');
  if (sig.unused !== 0) fail('signatureValue has unused bits');

  // The fields read above fail with their names; this catches the rest (algorithm parameters,
  // attribute values, unique IDs): non-DER content anywhere, or nesting beyond any certificate's.
  checkDerTree(der, certT);

  let start = 0;
  while (start < serial.length - 1 && serial[start] === 0) start++;
  const serialHex = toHex(serial.subarray(start)).toUpperCase();
  return {
    version,
    serialNumberHex: serialHex,
    serialNumberDecimal: BigInt(`0x${serialHex}`).toString(10),
    notBefore,
    notAfter,
    issuer,
    subject,
    signatureAlgorithm,
    tbsCertificate: whole(der, tbsT),
    signature: sig.bytes,
    subjectPublicKeyInfo: whole(der, spkiT),
    extensions,
  };
}

/** `C=XX, L=Default City, O=Default Company Ltd` (RDNs in certificate order). */
export function formatName(rdns: RdnAttribute[]): string {
  return rdns.map((a) => `${a.name}=${a.value}`).join(', ');
}

/** The value of the first attribute named `name` (e.g. 'CN'), if any. */
export function nameAttribute(rdns: RdnAttribute[], name: string): string | undefined {
  return rdns.find((a) => a.name === name || a.oid === name)?.value;
}

/** Same attributes, same values, same order: how an issuer's subject must match a certificate's issuer (RFC 5280 §6.1.3 (a)(4)). */
export function sameName(a: RdnAttribute[], b: RdnAttribute[]): boolean {
  return a.length === b.length && a.every((x, i) => x.oid === b[i]?.oid && x.value === b[i]?.value);
}

// ── extensions ──────────────────────────────────────────────────────────────────────────────────

export function extension(cert: Certificate, oid: string): Extension | undefined {
  return cert.extensions.find((e) => e.oid === oid);
}

export function hasExtension(cert: Certificate, oid: string): boolean {
  return extension(cert, oid) !== undefined;
}

export interface BasicConstraints {
  ca: boolean;
  /** pathLenConstraint: how many non-self-issued intermediates may follow this CA. */
  pathLength?: number;
}

/** BasicConstraints ::= SEQUENCE { cA BOOLEAN DEFAULT FALSE, pathLenConstraint INTEGER (0..MAX) OPTIONAL } (RFC 5280 §4.2.1.9); undefined when absent. */
export function basicConstraints(cert: Certificate): BasicConstraints | undefined {
  const e = extension(cert, OID_BASIC_CONSTRAINTS);
  if (!e) return undefined;
  const f = fields(e.value, readExact(e.value, Tag.SEQUENCE, 'BasicConstraints'), 'BasicConstraints');
  const caT = f.optional(Tag.BOOLEAN);
  const lenT = f.optional(Tag.INTEGER);
  f.done();
  const out: BasicConstraints = { ca: caT ? decodeBoolean(value(e.value, caT), 'basicConstraints cA') : false };
  if (lenT) out.pathLength = decodeSmallInteger(value(e.value, lenT), 'basicConstraints pathLenConstraint');
  return out;
}

/** KeyUsage bits in RFC 5280 §4.2.1.3 order (bit 0 = digitalSignature). */
export const KEY_USAGE_BITS = [
  'digitalSignature',
  'nonRepudiation',
  'keyEncipherment',
  'dataEncipherment',
  'keyAgreement',
  'keyCertSign',
  'cRLSign',
  'encipherOnly',
  'decipherOnly',
] as const;
export type KeyUsage = (typeof KEY_USAGE_BITS)[number];

/** The asserted keyUsage bits (RFC 5280 §4.2.1.3); undefined when the extension is absent. */
export function keyUsage(cert: Certificate): KeyUsage[] | undefined {
  const e = extension(cert, OID_KEY_USAGE);
  if (!e) return undefined;
  const { bytes, unused } = decodeBitString(value(e.value, readExact(e.value, Tag.BIT_STRING, 'KeyUsage')), 'KeyUsage');
  const bits = bytes.length * 8 - unused;
  return KEY_USAGE_BITS.filter((_, i) => i < bits && (((bytes[i >> 3] as number) >> (7 - (i & 7))) & 1) === 1);
}

/**
 * RFC 5280 §6.1.4 (k), (n): a certificate that issues others must say cA TRUE in basicConstraints,
 * and, when it has keyUsage, assert keyCertSign. Throws DerError when either extension is malformed.
 */
export function mayIssueCertificates(cert: Certificate): boolean {
  if (!basicConstraints(cert)?.ca) return false;
  const ku = keyUsage(cert);
  return ku === undefined || ku.includes('keyCertSign');
}

// ── signatures and the chain step ───────────────────────────────────────────────────────────────

/**
 * Whether `issuer`'s key made `cert`'s signature: RSASSA-PKCS1-v1_5 (SHA-1/256/384/512) or ECDSA
 * (SHA-256/384/512 on P-256/384/521). `false`, never a throw, for anything else — an unknown
 * algorithm, a key of the wrong type, a malformed signature.
 */
export async function verifySignedBy(cert: Certificate, issuer: Certificate): Promise<boolean> {
  try {
    const rsa = RSA_SIGNATURE_ALGORITHMS[cert.signatureAlgorithm];
    if (rsa) {
      const key = await crypto.subtle.importKey('spki', buf(issuer.subjectPublicKeyInfo), { name: 'RSASSA-PKCS1-v1_5', hash: rsa.hash }, false, ['verify']);
      return await crypto.subtle.verify('RSASSA-PKCS1-v1_5', key, buf(cert.signature), buf(cert.tbsCertificate));
    }
    const hash = ECDSA_SIGNATURE_ALGORITHMS[cert.signatureAlgorithm];
    const curve = spkiCurve(issuer.subjectPublicKeyInfo);
    if (!hash || !curve) return false;
    const raw = ecdsaDerToRaw(cert.signature, curve.size);
    if (!raw) return false;
    const key = await crypto.subtle.importKey('spki', buf(issuer.subjectPublicKeyInfo), { name: 'ECDSA', namedCurve: curve.curve }, false, ['verify']);
    return await crypto.subtle.verify({ name: 'ECDSA', hash }, key, raw, buf(cert.tbsCertificate));
  } catch {
    return false;
  }
}

export type CertPathFailure =
  | 'name_mismatch'
  | 'issuer_not_ca'
  | 'issuer_cannot_sign_certificates'
  | 'path_length_exceeded'
  | 'unhandled_critical_extension'
  | 'signature_invalid'
  | 'not_yet_valid'
  | 'expired';

/** A well-formed certificate that fails a chain or validity rule; `reason` says which. */
export class CertPathError extends Error {
  override name = 'CertPathError';
  constructor(
    readonly reason: CertPathFailure,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Critical extensions `checkIssuedBy` itself processes. RFC 5280 §4.2: a certificate-using system
 * "MUST reject the certificate if it encounters a critical extension it does not recognize or a
 * critical extension that contains information that it cannot process" (and §6.1.4 (o), §6.1.5 (f)).
 * basicConstraints and keyUsage are processed here; anything else critical (certificatePolicies,
 * nameConstraints, extendedKeyUsage, …) is refused unless the caller lists it as handled.
 */
const PROCESSED_CRITICAL = new Set([OID_BASIC_CONSTRAINTS, OID_KEY_USAGE]);

export interface IssuedByOptions {
  /**
   * `issuer` is a root the caller pins. Its name, key and algorithm are the trust anchor (RFC 5280
   * §6.1.1 (d)); its own extensions are not path input, so its CA flags and path length go unchecked.
   */
  issuerIsTrustAnchor?: boolean;
  /**
   * How many non-self-issued intermediate certificates the path holds below `issuer`, counting
   * `cert` when `cert` is itself an intermediate: 0 when `cert` is the end entity. Checked against
   * the issuer's pathLenConstraint (RFC 5280 §4.2.1.9, §6.1.4 (m)).
   */
  intermediatesBelow?: number;
  /** Critical extensions of `cert` the caller processes itself (e.g. a provider's marker OIDs). */
  handledCriticalExtensions?: readonly string[];
}

/**
 * One step of path validation: `cert` was issued by `issuer`. Names chain, the issuer (unless it is
 * the trust anchor) is a CA allowed to sign certificates within its path length, `cert` has no
 * critical extension nobody processes, and the issuer's key verifies the signature. Validity dates
 * are `checkValidityAt`'s, so a caller can cache this (costly) step and still check dates each time.
 * Throws CertPathError; DerError when a CA extension of the issuer is malformed.
 */
export async function checkIssuedBy(cert: Certificate, issuer: Certificate, opts: IssuedByOptions = {}): Promise<void> {
  if (!sameName(cert.issuer, issuer.subject)) {
    throw new CertPathError(
      'name_mismatch',
      `its issuer "${formatName(cert.issuer)}" is not the issuing certificate's subject "${formatName(issuer.subject)}"`,
    );
  }
  if (!opts.issuerIsTrustAnchor) {
    const bc = basicConstraints(issuer);
    if (!bc?.ca) throw new CertPathError('issuer_not_ca', `the issuing certificate "${formatName(issuer.subject)}" is not a CA (basicConstraints cA)`);
    if (!(keyUsage(issuer) ?? ['keyCertSign']).includes('keyCertSign')) {
      throw new CertPathError(
        'issuer_cannot_sign_certificates',
        `the issuing certificate "${formatName(issuer.subject)}" may not sign certificates (keyUsage without keyCertSign)`,
      );
    }
    const below = opts.intermediatesBelow ?? 0;
    if (bc.pathLength !== undefined && below > bc.pathLength) {
      throw new CertPathError('path_length_exceeded', `the issuing certificate allows ${bc.pathLength} intermediate(s) below it, the path has ${below}`);
    }
  }
  const handled = new Set(opts.handledCriticalExtensions ?? []);
  const unhandled = cert.extensions.find((e) => e.critical && !PROCESSED_CRITICAL.has(e.oid) && !handled.has(e.oid));
  if (unhandled)
    throw new CertPathError('unhandled_critical_extension', `it carries a critical extension ${unhandled.oid} that is not processed (RFC 5280 §4.2)`);
  if (!(await verifySignedBy(cert, issuer))) {
    throw new CertPathError('signature_invalid', `its signature (${cert.signatureAlgorithm}) does not verify with the key of "${formatName(issuer.subject)}"`);
  }
}

/**
 * Throws CertPathError `not_yet_valid` / `expired` unless `at` (ms since the epoch) lies within
 * [notBefore − skewMs, notAfter + skewMs] (RFC 5280 §4.1.2.5, §6.1.3 (a)(2)).
 */
export function checkValidityAt(cert: Certificate, at: number, skewMs = 0): void {
  if (at < cert.notBefore.getTime() - skewMs) throw new CertPathError('not_yet_valid', `not valid before ${cert.notBefore.toISOString()}`);
  if (at > cert.notAfter.getTime() + skewMs) throw new CertPathError('expired', `expired at ${cert.notAfter.toISOString()}`);
}
