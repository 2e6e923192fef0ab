// ECDSA in the two encodings WebCrypto users meet:
// - a JWS ES256 signature is raw R‖S, 64 bytes (RFC 7518 §3.4) — exactly what WebCrypto
//   ECDSA sign/verify produce and take;
// - an X.509 signature is a DER Ecdsa-Sig-Value SEQUENCE { r INTEGER, s INTEGER } (RFC 5480 §2.2.3 /
//   RFC 3279 §2.2.3), which WebCrypto does not take: it is converted to R‖S, each half left-padded
//   to the curve's size.
// Apple Root CA - G3 and its WWDR intermediates are P-384 keys signing with ecdsa-with-SHA384; the
// leaf that signs App Store JWS is P-256 (developer.apple.com/documentation/appstoreserverapi/jwstransaction).

import { Tag, checkInteger, children, decodeOid, expectTag, readExact, value } from './der';
import { buf } from './encoding';

export type NamedCurve = 'P-256' | 'P-384' | 'P-521';

/** Named-curve OIDs (RFC 5480 §2.1.1.1) → WebCrypto curve and the byte size of r and s. */
export const EC_CURVES: Record<string, { curve: NamedCurve; size: number }> = {
  '1.2.840.10045.3.1.7': { curve: 'P-256', size: 32 },
  '1.3.132.0.34': { curve: 'P-384', size: 48 },
  '1.3.132.0.35': { curve: 'P-521', size: 66 },
};

/** ecdsa-with-SHA256/384/512 (RFC 5758 §3.2) → the hash WebCrypto must use. */
export const ECDSA_SIGNATURE_ALGORITHMS: Record<string, 'SHA-256' | 'SHA-384' | 'SHA-512'> = {
  '1.2.840.10045.4.3.2': 'SHA-256',
  '1.2.840.10045.4.3.3': 'SHA-384',
  '1.2.840.10045.4.3.4': 'SHA-512',
};

const EC_PUBLIC_KEY = '1.2.840.10045.2.1';

/** The named curve of an EC SubjectPublicKeyInfo; `undefined` for any other key (RSA, Ed25519, an explicit curve). */
export function spkiCurve(spki: Uint8Array): { curve: NamedCurve; size: number } | undefined {
  try {
    const [alg] = children(spki, readExact(spki, Tag.SEQUENCE, 'SubjectPublicKeyInfo'));
    const [algOid, params] = children(spki, expectTag(alg, Tag.SEQUENCE, 'AlgorithmIdentifier'));
    if (decodeOid(value(spki, expectTag(algOid, Tag.OID, 'algorithm'))) !== EC_PUBLIC_KEY) return undefined;
    if (!params || params.tag !== Tag.OID) return undefined;
    return EC_CURVES[decodeOid(value(spki, params))];
  } catch {
    return undefined;
  }
}

/** Minimal DER INTEGER content → unsigned big-endian bytes, or null when not a positive minimal integer. */
function positiveInteger(v: Uint8Array): Uint8Array | null {
  checkInteger(v, 'r/s');
  if (((v[0] as number) & 0x80) !== 0) return null;
  const out = v[0] === 0 ? v.subarray(1) : v;
  return out.length === 0 ? null : out;
}

/** DER Ecdsa-Sig-Value → raw R‖S (2 × `size` bytes); null when it is not exactly one well-formed value. */
export function ecdsaDerToRaw(der: Uint8Array, size: number): Uint8Array<ArrayBuffer> | null {
  try {
    const parts = children(der, readExact(der, Tag.SEQUENCE, 'Ecdsa-Sig-Value'));
    if (parts.length !== 2) return null;
    const out = new Uint8Array(2 * size);
    for (let k = 0; k < 2; k++) {
      const n = positiveInteger(value(der, expectTag(parts[k], Tag.INTEGER, 'r/s')));
      if (!n || n.length > size) return null;
      out.set(n, k * size + size - n.length);
    }
    return out;
  } catch {
    return null;
  }
}

function derInteger(n: Uint8Array): number[] {
  let i = 0;
  while (i < n.length - 1 && n[i] === 0) i++;
  const bytes = [...n.subarray(i)];
  if (((bytes[0] as number) & 0x80) !== 0) bytes.unshift(0);
  return [Tag.INTEGER, bytes.length, ...bytes];
}

/** Raw R‖S → DER Ecdsa-Sig-Value (what certificates carry; also how a JWS must NOT be signed). */
export function ecdsaRawToDer(raw: Uint8Array): Uint8Array<ArrayBuffer> {
  const half = raw.length / 2;
  const body = [...derInteger(raw.subarray(0, half)), ...derInteger(raw.subarray(half))];
  // P-521 signatures pass 127 bytes of content: long-form length then.
  const len = body.length < 0x80 ? [body.length] : [0x81, body.length];
  return new Uint8Array([Tag.SEQUENCE, ...len, ...body]);
}

/** Imports an EC SubjectPublicKeyInfo for ECDSA verification with its own named curve. */
export async function importEcdsaPublicKey(spki: Uint8Array): Promise<CryptoKey> {
  const c = spkiCurve(spki);
  if (!c) throw new TypeError('Not an EC public key on P-256, P-384 or P-521.');
  return crypto.subtle.importKey('spki', buf(spki), { name: 'ECDSA', namedCurve: c.curve }, false, ['verify']);
}
