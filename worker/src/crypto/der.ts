// Minimal DER (ASN.1) reading and writing: enough for X.509 certificates and RSA key wrappers.
//
// Reading is strict Distinguished Encoding Rules (ITU-T X.690 §10), because what is read here is
// often attacker-supplied (a certificate inside a payment notify, the x5c chain of a JWS): one value
// must have exactly one encoding, so that what a signature covers and what the reader understands
// cannot drift apart. Refused: indefinite lengths (§10.1), lengths in long form that fit the short
// form or carry leading zero bytes (§10.1, §8.1.3.5), lengths running past their container, the
// end-of-contents tag, high tag numbers (nothing in X.509 uses them), and — in `checkDerTree` —
// constructed encodings of string types (§10.2) and nesting deeper than a certificate ever needs.
// Every refusal is a DerError; a reader never fails with a TypeError or RangeError of its own.

/** Malformed or non-DER input. The message names what was wrong and, where known, which field. */
export class DerError extends Error {
  override name = 'DerError';
}

export interface Tlv {
  tag: number;
  /** Offset of the tag byte. */
  start: number;
  /** Offset of the first value byte. */
  valueStart: number;
  /** Offset just past the value. */
  end: number;
}

export const Tag = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  T61_STRING: 0x14,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  UNIVERSAL_STRING: 0x1c,
  BMP_STRING: 0x1e,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

/** Throws a DerError prefixed "Malformed DER: ". */
export function fail(what: string): never {
  throw new DerError(`Malformed DER: ${what}.`);
}

/** Reads one TLV at `offset`, bounded by `limit`. Only single-byte tags (all X.509 needs). */
export function readTlv(der: Uint8Array, offset: number, limit = der.length): Tlv {
  if (!Number.isInteger(offset) || offset < 0 || limit > der.length) fail('read outside the input');
  if (offset + 2 > limit) fail(offset >= limit ? 'missing element' : 'truncated header');
  const tag = der[offset] as number;
  if (tag === 0x00) fail('end-of-contents octets (indefinite-length encoding is not DER)');
  if ((tag & 0x1f) === 0x1f) fail('multi-byte tags are not supported');
  let len = der[offset + 1] as number;
  let p = offset + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0) fail('indefinite length (not DER)');
    // Four length octets already exceed any input this code reads (a certificate is a few KB).
    if (n > 4) fail(`a ${n}-byte length field`);
    if (p + n > limit) fail('truncated length');
    if (der[p] === 0) fail('length with leading zero bytes (not minimal)');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (der[p + i] as number);
    if (len < 0x80) fail('long-form length below 128 (not minimal)');
    p += n;
  }
  if (p + len > limit) fail('value runs past its container');
  return { tag, start: offset, valueStart: p, end: p + len };
}

/** The one TLV that `der` must be, with no byte before or after it. */
export function readExact(der: Uint8Array, tag: number, what: string): Tlv {
  const t = expectTag(readTlv(der, 0), tag, what);
  if (t.end !== der.length) fail(`${der.length - t.end} trailing byte(s) after ${what}`);
  return t;
}

/** The TLVs directly inside a constructed element: they must fill it exactly. */
export function children(der: Uint8Array, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let p = parent.valueStart; p < parent.end; ) {
    const t = readTlv(der, p, parent.end);
    out.push(t);
    p = t.end;
  }
  return out;
}

export function expectTag(t: Tlv | undefined, tag: number, what: string): Tlv {
  if (!t) fail(`missing ${what}`);
  if (t.tag !== tag) fail(`expected ${what} (tag 0x${tag.toString(16).padStart(2, '0')}), found tag 0x${t.tag.toString(16).padStart(2, '0')}`);
  return t;
}

export function value(der: Uint8Array, t: Tlv): Uint8Array {
  return der.subarray(t.valueStart, t.end);
}

export function whole(der: Uint8Array, t: Tlv): Uint8Array {
  return der.subarray(t.start, t.end);
}

/** Deepest nesting `checkDerTree` allows. A certificate nests 6 levels (Certificate › tbsCertificate › extensions › Extensions › Extension › value). */
export const MAX_DER_DEPTH = 16;

/** Universal types that DER allows in constructed form: SEQUENCE, SET (X.690 §10.2 forbids it for strings). */
const CONSTRUCTED_UNIVERSAL = new Set<number>([Tag.SEQUENCE, Tag.SET]);

/** The DER content rules of the primitive universal types whose content has structure. */
function checkPrimitive(der: Uint8Array, t: Tlv): void {
  const v = value(der, t);
  if (t.tag === Tag.BOOLEAN) decodeBoolean(v, 'a BOOLEAN');
  else if (t.tag === Tag.INTEGER) checkInteger(v, 'an INTEGER');
  else if (t.tag === Tag.NULL && v.length !== 0) fail('NULL with content (X.690 §8.8.2)');
  else if (t.tag === Tag.OID) decodeOid(v);
  else if (t.tag === Tag.BIT_STRING) decodeBitString(v, 'a BIT STRING');
}

/**
 * Walks every element under `root` (not into OCTET STRING or BIT STRING contents, which are opaque
 * until a reader asks for them) and throws unless each constructed one is made of well-formed TLVs
 * that fill it exactly, with at most `maxDepth` levels, and each BOOLEAN, INTEGER, NULL, OBJECT
 * IDENTIFIER and BIT STRING has DER content.
 */
export function checkDerTree(der: Uint8Array, root: Tlv, maxDepth = MAX_DER_DEPTH): void {
  const walk = (t: Tlv, depth: number): void => {
    const constructed = (t.tag & 0x20) !== 0;
    const universal = (t.tag & 0xc0) === 0;
    if (universal && constructed && !CONSTRUCTED_UNIVERSAL.has(t.tag)) fail(`constructed encoding of universal tag ${t.tag & 0x1f} (not DER)`);
    if (universal && !constructed && (t.tag === 0x10 || t.tag === 0x11)) fail('primitive SEQUENCE or SET');
    if (universal && (t.tag & 0x1f) === 15) fail('reserved universal tag 15 (X.680 §8.4)');
    if (universal && !constructed) checkPrimitive(der, t);
    if (!constructed) return;
    if (depth >= maxDepth) fail(`nesting deeper than ${maxDepth} levels`);
    for (const c of children(der, t)) walk(c, depth + 1);
  };
  walk(root, 0);
}

/** DER BOOLEAN content: exactly one byte, 0x00 or 0xFF (X.690 §11.1). */
export function decodeBoolean(v: Uint8Array, what: string): boolean {
  if (v.length !== 1 || (v[0] !== 0x00 && v[0] !== 0xff)) fail(`${what} is not a DER BOOLEAN`);
  return v[0] === 0xff;
}

/** Throws unless INTEGER content is minimal two's complement (X.690 §8.3.2). Returns the content. */
export function checkInteger(v: Uint8Array, what: string): Uint8Array {
  if (v.length === 0) fail(`${what} is an empty INTEGER`);
  if (v.length > 1 && ((v[0] === 0x00 && ((v[1] as number) & 0x80) === 0) || (v[0] === 0xff && ((v[1] as number) & 0x80) !== 0))) {
    fail(`${what} is not minimally encoded`);
  }
  return v;
}

/** A small non-negative INTEGER (a version, a path length). */
export function decodeSmallInteger(v: Uint8Array, what: string): number {
  checkInteger(v, what);
  if (((v[0] as number) & 0x80) !== 0) fail(`${what} is negative`);
  if (v.length > 4) fail(`${what} is too large`);
  let n = 0;
  for (const b of v) n = n * 256 + b;
  return n;
}

/** BIT STRING content → its bits (without the unused-bits octet); `unused` is that octet (X.690 §8.6.2). */
export function decodeBitString(v: Uint8Array, what: string): { bytes: Uint8Array; unused: number } {
  const unused = v[0];
  if (unused === undefined) fail(`${what} is an empty BIT STRING`);
  if (unused > 7 || (v.length === 1 && unused !== 0)) fail(`${what} has an invalid unused-bits count`);
  return { bytes: v.subarray(1), unused };
}

/** Dotted-decimal OID from OBJECT IDENTIFIER content (X.690 §8.19), refusing non-minimal or truncated subidentifiers. */
export function decodeOid(v: Uint8Array): string {
  if (v.length === 0) fail('empty OID');
  const subs: number[] = [];
  let n = 0;
  let fresh = true;
  for (let i = 0; i < v.length; i++) {
    const b = v[i] as number;
    if (fresh && b === 0x80) fail('OID subidentifier with a leading 0x80 (not minimal)');
    if (n > (Number.MAX_SAFE_INTEGER - 0x7f) / 128) fail('OID subidentifier too large');
    n = n * 128 + (b & 0x7f);
    fresh = (b & 0x80) === 0;
    if (fresh) {
      subs.push(n);
      n = 0;
    }
  }
  if (!fresh) fail('truncated OID');
  const first = subs[0] as number;
  const arc = first < 40 ? 0 : first < 80 ? 1 : 2;
  return [arc, first - arc * 40, ...subs.slice(1)].join('.');
}

function encodeLength(n: number): number[] {
  if (n < 0x80) return [n];
  const bytes: number[] = [];
  for (let x = n; x > 0; x = Math.floor(x / 256)) bytes.unshift(x & 0xff);
  return [0x80 | bytes.length, ...bytes];
}

/** One DER element from a tag and its content parts. */
export function encode(tag: number, ...parts: Uint8Array[]): Uint8Array {
  const len = parts.reduce((s, p) => s + p.length, 0);
  const head = [tag, ...encodeLength(len)];
  const out = new Uint8Array(head.length + len);
  out.set(head, 0);
  let p = head.length;
  for (const part of parts) {
    out.set(part, p);
    p += part.length;
  }
  return out;
}

/** AlgorithmIdentifier { rsaEncryption (1.2.840.113549.1.1.1), NULL }. */
export const RSA_ALGORITHM_IDENTIFIER = new Uint8Array([0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00]);
