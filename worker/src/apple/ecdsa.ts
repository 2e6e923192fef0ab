// ECDSA in the two encodings Apple's JWS path meets (providers.md §5, §7 Apple):
// - a JWS ES256 signature is raw R‖S, 64 bytes (RFC 7518 §3.4) — exactly what WebCrypto
//   ECDSA sign/verify produce and take;
// - an X.509 signature (the intermediate and leaf of the x5c chain) is a DER Ecdsa-Sig-Value
//   SEQUENCE { r INTEGER, s INTEGER } (RFC 5480 §2.2.3 / RFC 3279 §2.2.3), which WebCrypto
//   does not take: it is converted to R‖S, each half left-padded to the curve's size.
// Apple Root CA - G3 and its WWDR intermediates are P-384 keys signing with ecdsa-with-SHA384;
// the leaf that signs JWS is P-256. Both are handled; RSA is not part of this chain.

import { Tag, children, decodeOid, expectTag, readTlv, value } from '../crypto/der';
import { buf } from '../crypto/encoding';
import type { Certificate } from '../crypto/x509';

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
    const [alg] = children(spki, expectTag(readTlv(spki, 0), Tag.SEQUENCE, 'SubjectPublicKeyInfo'));
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
  if (v.length === 0 || ((v[0] as number) & 0x80) !== 0) return null;
  // A leading 0x00 is allowed only to keep the sign bit clear (X.690 §8.3.2).
  if (v.length > 1 && v[0] === 0 && ((v[1] as number) & 0x80) === 0) return null;
  let i = 0;
  while (i < v.length - 1 && v[i] === 0) i++;
  const out = v.subarray(i);
  return out.length === 1 && out[0] === 0 ? null : out;
}

/** DER Ecdsa-Sig-Value → raw R‖S (2 × `size` bytes); null when it is not exactly one well-formed value. */
export function ecdsaDerToRaw(der: Uint8Array, size: number): Uint8Array<ArrayBuffer> | null {
  try {
    const seq = expectTag(readTlv(der, 0), Tag.SEQUENCE, 'Ecdsa-Sig-Value');
    if (seq.end !== der.length) return null;
    const parts = children(der, seq);
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

/**
 * Whether `cert` was signed by `issuer`'s EC key with ecdsa-with-SHA256/384/512. `false` (never a
 * throw) for anything else: an RSA issuer, an unknown algorithm, a malformed signature.
 */
export async function verifyEcdsaCertificateSignature(cert: Certificate, issuer: Certificate): Promise<boolean> {
  const hash = ECDSA_SIGNATURE_ALGORITHMS[cert.signatureAlgorithm];
  const c = spkiCurve(issuer.subjectPublicKeyInfo);
  if (!hash || !c) return false;
  const raw = ecdsaDerToRaw(cert.signature, c.size);
  if (!raw) return false;
  try {
    const key = await importEcdsaPublicKey(issuer.subjectPublicKeyInfo);
    return await crypto.subtle.verify({ name: 'ECDSA', hash }, key, raw, buf(cert.tbsCertificate));
  } catch {
    return false;
  }
}
