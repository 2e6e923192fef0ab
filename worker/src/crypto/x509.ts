// A small X.509 reader: WebCrypto cannot parse certificates (providers.md §0), and WeChat platform
// certificates, Alipay public-key certificates and UnionPay signPubKeyCert all need the fields below.
// Reading only: nothing here decides trust by itself.

import { Tag, children, decodeOid, expectTag, readTlv, value, whole, type Tlv } from './der';
import { toHex } from './encoding';
import { pemDecode } from './pem';

export interface RdnAttribute {
  oid: string;
  /** Short name when known (CN, O, OU, C, L, ST, …), else the OID. */
  name: string;
  value: string;
}

export interface Certificate {
  /** Uppercase hex without leading zero bytes (WeChat's `Wechatpay-Serial` form, e.g. D7CE59D1F522D701). */
  serialNumberHex: string;
  /** Decimal (UnionPay's `certId` form). */
  serialNumberDecimal: string;
  notBefore: Date;
  notAfter: Date;
  issuer: RdnAttribute[];
  subject: RdnAttribute[];
  /** The signature algorithm OID of the outer certificate (e.g. 1.2.840.113549.1.1.11 = sha256WithRSA). */
  signatureAlgorithm: string;
  /** DER of tbsCertificate: the bytes the issuer signed. */
  tbsCertificate: Uint8Array;
  /** The signature bytes (BIT STRING content without its unused-bits byte). */
  signature: Uint8Array;
  /** DER of SubjectPublicKeyInfo, importable as WebCrypto `spki`. */
  subjectPublicKeyInfo: Uint8Array;
}

export const SIGNATURE_ALGORITHMS: Record<string, { hash: 'SHA-1' | 'SHA-256' | 'SHA-384' | 'SHA-512' }> = {
  '1.2.840.113549.1.1.5': { hash: 'SHA-1' },
  '1.2.840.113549.1.1.11': { hash: 'SHA-256' },
  '1.2.840.113549.1.1.12': { hash: 'SHA-384' },
  '1.2.840.113549.1.1.13': { hash: 'SHA-512' },
};

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

const latin1 = new TextDecoder('latin1');
const utf8Decoder = new TextDecoder('utf-8');

function decodeString(der: Uint8Array, t: Tlv): string {
  const v = value(der, t);
  if (t.tag === Tag.UTF8_STRING) return utf8Decoder.decode(v);
  if (t.tag === Tag.BMP_STRING) {
    let s = '';
    for (let i = 0; i + 1 < v.length; i += 2) s += String.fromCharCode(((v[i] as number) << 8) | (v[i + 1] as number));
    return s;
  }
  return latin1.decode(v);
}

function parseName(der: Uint8Array, name: Tlv): RdnAttribute[] {
  const out: RdnAttribute[] = [];
  for (const set of children(der, expectTag(name, Tag.SEQUENCE, 'Name'))) {
    for (const atv of children(der, expectTag(set, Tag.SET, 'RelativeDistinguishedName'))) {
      const [type, val] = children(der, expectTag(atv, Tag.SEQUENCE, 'AttributeTypeAndValue'));
      const oid = decodeOid(value(der, expectTag(type, Tag.OID, 'attribute type')));
      if (!val) throw new TypeError('Malformed DER: attribute without a value.');
      out.push({ oid, name: NAMES[oid] ?? oid, value: decodeString(der, val) });
    }
  }
  return out;
}

function parseTime(der: Uint8Array, t: Tlv | undefined): Date {
  if (!t || (t.tag !== Tag.UTC_TIME && t.tag !== Tag.GENERALIZED_TIME)) throw new TypeError('Malformed DER: expected a Time.');
  const s = latin1.decode(value(der, t));
  const m = /^(\d{2}|\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  if (!m) throw new TypeError(`Malformed DER: unsupported time ${JSON.stringify(s)}.`);
  let year = Number(m[1]);
  // RFC 5280 §4.1.2.5.1: UTCTime YY >= 50 means 19YY, else 20YY.
  if (t.tag === Tag.UTC_TIME) year += year >= 50 ? 1900 : 2000;
  return new Date(Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])));
}

/** Parses a PEM (`BEGIN CERTIFICATE`) or DER certificate. Throws TypeError on malformed input. */
export function parseCertificate(input: string | Uint8Array): Certificate {
  const der = typeof input === 'string' ? pemDecode(input).der : input;
  const cert = expectTag(readTlv(der, 0), Tag.SEQUENCE, 'Certificate');
  const [tbs, sigAlg, sigVal] = children(der, cert);
  const tbsT = expectTag(tbs, Tag.SEQUENCE, 'tbsCertificate');
  const fields = children(der, tbsT);
  // version is [0] EXPLICIT and optional (absent = v1).
  let i = fields[0]?.tag === 0xa0 ? 1 : 0;
  const serial = value(der, expectTag(fields[i++], Tag.INTEGER, 'serialNumber'));
  i++; // inner signature AlgorithmIdentifier (must equal the outer one; the outer one is reported)
  const issuer = parseName(der, expectTag(fields[i++], Tag.SEQUENCE, 'issuer'));
  const validity = children(der, expectTag(fields[i++], Tag.SEQUENCE, 'validity'));
  const subject = parseName(der, expectTag(fields[i++], Tag.SEQUENCE, 'subject'));
  const spki = whole(der, expectTag(fields[i++], Tag.SEQUENCE, 'subjectPublicKeyInfo'));

  const algOid = children(der, expectTag(sigAlg, Tag.SEQUENCE, 'signatureAlgorithm'))[0];
  const sigBits = value(der, expectTag(sigVal, Tag.BIT_STRING, 'signatureValue'));

  let start = 0;
  while (start < serial.length - 1 && serial[start] === 0) start++;
  const serialHex = toHex(serial.subarray(start)).toUpperCase();
  return {
    serialNumberHex: serialHex,
    serialNumberDecimal: BigInt(`0x${serialHex}`).toString(10),
    notBefore: parseTime(der, validity[0]),
    notAfter: parseTime(der, validity[1]),
    issuer,
    subject,
    signatureAlgorithm: decodeOid(value(der, expectTag(algOid, Tag.OID, 'algorithm OID'))),
    tbsCertificate: whole(der, tbsT),
    signature: sigBits.subarray(1),
    subjectPublicKeyInfo: spki,
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
