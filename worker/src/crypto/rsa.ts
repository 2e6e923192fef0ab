// RSASSA-PKCS1-v1_5 keys and signatures (WeChat v3, Alipay RSA2, UnionPay all use it:
// https://www.rfc-editor.org/rfc/rfc8017). WebCrypto imports only pkcs8/spki, so PKCS#1 PEMs are wrapped in the
// PKCS#8/SPKI ASN.1 headers here.

import { RSA_ALGORITHM_IDENTIFIER, Tag, encode } from './der';
import { buf, fromBase64, toBase64, utf8 } from './encoding';
import { derToPem, pemDecode } from './pem';
import { parseCertificate } from './x509';

export type RsaHash = 'SHA-1' | 'SHA-256';

const cache = new Map<string, Promise<CryptoKey>>();

/** Imported keys are cached by their PEM text (and purpose): importKey per request is measurable in workerd. */
function cached(key: string, make: () => Promise<CryptoKey>): Promise<CryptoKey> {
  let p = cache.get(key);
  if (!p) {
    p = make();
    // A failed import must not poison the cache: the next call retries and throws its own error.
    p.catch(() => cache.delete(key));
    cache.set(key, p);
  }
  return p;
}

/** PKCS#8 PrivateKeyInfo { version 0, rsaEncryption, OCTET STRING { RSAPrivateKey } }. */
function pkcs1ToPkcs8(pkcs1: Uint8Array): Uint8Array {
  return encode(Tag.SEQUENCE, new Uint8Array([0x02, 0x01, 0x00]), RSA_ALGORITHM_IDENTIFIER, encode(Tag.OCTET_STRING, pkcs1));
}

/** SubjectPublicKeyInfo { rsaEncryption, BIT STRING { 0 unused bits, RSAPublicKey } }. */
function pkcs1ToSpki(pkcs1: Uint8Array): Uint8Array {
  return encode(Tag.SEQUENCE, RSA_ALGORITHM_IDENTIFIER, encode(Tag.BIT_STRING, new Uint8Array([0]), pkcs1));
}

function privateDer(pem: string): Uint8Array {
  const { label, der } = pemDecode(pem);
  if (label === 'PRIVATE KEY') return der;
  if (label === 'RSA PRIVATE KEY') return pkcs1ToPkcs8(der);
  throw new TypeError(`Expected a "PRIVATE KEY" or "RSA PRIVATE KEY" PEM, got "${label}".`);
}

async function importPrivate(pem: string, extractable: boolean, hash: RsaHash): Promise<CryptoKey> {
  try {
    return await crypto.subtle.importKey('pkcs8', buf(privateDer(pem)), { name: 'RSASSA-PKCS1-v1_5', hash }, extractable, ['sign']);
  } catch (e) {
    throw new TypeError(`Could not import the RSA private key (check that it is the complete PEM, e.g. apiclient_key.pem): ${(e as Error).message}`);
  }
}

/** A signing key from a PKCS#8 (`BEGIN PRIVATE KEY`) or PKCS#1 (`BEGIN RSA PRIVATE KEY`) PEM. */
export function importRsaPrivateKey(pem: string, hash: RsaHash = 'SHA-256'): Promise<CryptoKey> {
  return cached(`private:${hash}:${pem}`, () => importPrivate(pem, false, hash));
}

function spkiFromInput(input: string): Uint8Array {
  if (!input.includes('-----BEGIN')) return fromBase64(input);
  const { label, der } = pemDecode(input);
  if (label === 'PUBLIC KEY') return der;
  if (label === 'RSA PUBLIC KEY') return pkcs1ToSpki(der);
  if (label === 'CERTIFICATE') return parseCertificate(der).subjectPublicKeyInfo;
  throw new TypeError(`Expected a "PUBLIC KEY" PEM or bare SPKI base64, got "${label}".`);
}

async function importSpki(spki: Uint8Array, hash: RsaHash): Promise<CryptoKey> {
  try {
    return await crypto.subtle.importKey('spki', buf(spki), { name: 'RSASSA-PKCS1-v1_5', hash }, true, ['verify']);
  } catch (e) {
    throw new TypeError(`Could not import the RSA public key (expected an SPKI "PUBLIC KEY" PEM, e.g. WeChat Pay's pub_key.pem): ${(e as Error).message}`);
  }
}

/** A verifying key from an SPKI PEM (`BEGIN PUBLIC KEY`), PKCS#1 public PEM, certificate PEM, or bare SPKI base64. */
export function importRsaPublicKey(pemOrSpkiBase64: string, hash: RsaHash = 'SHA-256'): Promise<CryptoKey> {
  return cached(`public:${hash}:${pemOrSpkiBase64}`, () => importSpki(spkiFromInput(pemOrSpkiBase64), hash));
}

/** The subject public key of a PEM certificate (e.g. a WeChat Pay platform certificate). */
export function publicKeyFromCertificate(pem: string, hash: RsaHash = 'SHA-256'): Promise<CryptoKey> {
  return cached(`cert:${hash}:${pem}`, () => importSpki(parseCertificate(pem).subjectPublicKeyInfo, hash));
}

/**
 * The public half of a private key PEM, for verifying. The sandbox checks a merchant's request
 * signatures with the merchant's own configured private key, since it has no merchant certificate.
 */
export function publicKeyFromPrivate(privatePem: string, hash: RsaHash = 'SHA-256'): Promise<CryptoKey> {
  return cached(`derived-public:${hash}:${privatePem}`, async () => {
    const priv = await importPrivate(privatePem, true, hash);
    const jwk = (await crypto.subtle.exportKey('jwk', priv)) as JsonWebKey;
    if (typeof jwk.n !== 'string' || typeof jwk.e !== 'string') throw new TypeError('The private key has no RSA modulus/exponent.');
    return crypto.subtle.importKey('jwk', { kty: 'RSA', n: jwk.n, e: jwk.e, ext: true }, { name: 'RSASSA-PKCS1-v1_5', hash }, true, ['verify']);
  });
}

export async function exportPublicKeyPem(key: CryptoKey): Promise<string> {
  const spki = await crypto.subtle.exportKey('spki', key);
  return derToPem(new Uint8Array(spki as ArrayBuffer), 'PUBLIC KEY');
}

function bytes(data: string | Uint8Array): Uint8Array<ArrayBuffer> {
  return buf(typeof data === 'string' ? utf8(data) : data);
}

/** Base64 RSASSA-PKCS1-v1_5 signature over the UTF-8 bytes of `data` (the hash is the key's). */
export async function rsaSign(key: CryptoKey, data: string | Uint8Array): Promise<string> {
  return toBase64(await crypto.subtle.sign('RSASSA-PKCS1-v1_5', key, bytes(data)));
}

/** `false` (never a throw) for a wrong signature, malformed base64 or a signature of the wrong length. */
export async function rsaVerify(key: CryptoKey, data: string | Uint8Array, signatureBase64: string): Promise<boolean> {
  let sig: Uint8Array;
  try {
    sig = fromBase64(signatureBase64);
  } catch {
    return false;
  }
  try {
    return await crypto.subtle.verify('RSASSA-PKCS1-v1_5', key, buf(sig), bytes(data));
  } catch {
    return false;
  }
}
