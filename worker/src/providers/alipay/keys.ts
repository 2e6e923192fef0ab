// Alipay key material. Alipay's key tool hands out app keys as PKCS#1 (`BEGIN RSA PRIVATE KEY`) or
// PKCS#8, often as bare base64 without PEM lines, and shows the Alipay public key as bare SPKI base64
// (https://opendocs.alipay.com/common/02kipl). The config accepts all of these; this module reads them with
// synchronous DER parsing (config validation cannot await WebCrypto) and resolves the verifying key
// of each mode at run time.

import { Tag, children, expectTag, readTlv, value, type Tlv } from '../../crypto/der';
import { fromBase64, toHex } from '../../crypto/encoding';
import { derToPem, pemDecode } from '../../crypto/pem';
import { importRsaPublicKey, publicKeyFromCertificate } from '../../crypto/rsa';
import { parseCertificate } from '../../crypto/x509';
import { certSn, rootCertSn, splitPemCertificates } from './certs';

/** The public numbers of an RSA key, as lowercase hex without leading zero bytes. */
export interface RsaPublicNumbers {
  n: string;
  e: string;
}

function intHex(der: Uint8Array, t: Tlv | undefined, what: string): string {
  const v = value(der, expectTag(t, Tag.INTEGER, what));
  let i = 0;
  while (i < v.length - 1 && v[i] === 0) i++;
  return toHex(v.subarray(i));
}

function isPem(text: string): boolean {
  return text.includes('-----BEGIN');
}

/** `BEGIN PRIVATE KEY` (PKCS#8) or `BEGIN RSA PRIVATE KEY` (PKCS#1) PEM, or the same DER as bare base64. */
function privateKeyDer(text: string): { der: Uint8Array; pkcs1: boolean } {
  if (isPem(text)) {
    const { label, der } = pemDecode(text);
    if (label === 'RSA PRIVATE KEY') return { der, pkcs1: true };
    if (label === 'PRIVATE KEY') return { der, pkcs1: false };
    throw new TypeError(`expected a "PRIVATE KEY" or "RSA PRIVATE KEY" PEM, got "${label}"`);
  }
  const der = fromBase64(text);
  // PKCS#1 RSAPrivateKey is SEQUENCE { INTEGER version, INTEGER n, … }; PKCS#8 has an
  // AlgorithmIdentifier SEQUENCE second.
  const top = children(der, expectTag(readTlv(der, 0), Tag.SEQUENCE, 'private key'));
  return { der, pkcs1: top[1]?.tag === Tag.INTEGER };
}

/** n and e of a private key (PKCS#1 or PKCS#8, PEM or bare base64). Throws TypeError when it is not one. */
export function rsaPrivateNumbers(text: string): RsaPublicNumbers {
  const { der, pkcs1 } = privateKeyDer(text);
  let rsa = der;
  if (!pkcs1) {
    const top = children(der, expectTag(readTlv(der, 0), Tag.SEQUENCE, 'PrivateKeyInfo'));
    rsa = value(der, expectTag(top[2], Tag.OCTET_STRING, 'privateKey'));
  }
  const f = children(rsa, expectTag(readTlv(rsa, 0), Tag.SEQUENCE, 'RSAPrivateKey'));
  return { n: intHex(rsa, f[1], 'modulus'), e: intHex(rsa, f[2], 'publicExponent') };
}

/** n and e of an SPKI public key (`BEGIN PUBLIC KEY` PEM or bare base64) or of a certificate PEM. */
export function rsaPublicNumbers(text: string): RsaPublicNumbers {
  let spki: Uint8Array;
  if (isPem(text)) {
    const { label, der } = pemDecode(text);
    if (label === 'CERTIFICATE') spki = parseCertificate(der).subjectPublicKeyInfo;
    else if (label === 'PUBLIC KEY') spki = der;
    else throw new TypeError(`expected a "PUBLIC KEY" PEM, got "${label}"`);
  } else {
    spki = fromBase64(text);
  }
  const top = children(spki, expectTag(readTlv(spki, 0), Tag.SEQUENCE, 'SubjectPublicKeyInfo'));
  const bits = value(spki, expectTag(top[1], Tag.BIT_STRING, 'subjectPublicKey')).subarray(1);
  const f = children(bits, expectTag(readTlv(bits, 0), Tag.SEQUENCE, 'RSAPublicKey'));
  return { n: intHex(bits, f[0], 'modulus'), e: intHex(bits, f[1], 'publicExponent') };
}

export const samePublicKey = (a: RsaPublicNumbers, b: RsaPublicNumbers): boolean => a.n === b.n && a.e === b.e;

/** A private key as a PEM WebCrypto's importer takes: bare base64 gets the PEM lines its DER calls for. */
export function normalizePrivateKeyPem(text: string): string {
  if (isPem(text)) return text;
  const { der, pkcs1 } = privateKeyDer(text.trim());
  return derToPem(der, pkcs1 ? 'RSA PRIVATE KEY' : 'PRIVATE KEY');
}

// ------------------------------------------------------------------------ run-time material

/** What signing and verifying need from one merchant's Alipay config. */
export interface AlipayKeyConfig {
  alipay_public_key?: string;
  app_cert?: string;
  alipay_cert?: string;
  alipay_root_cert?: string;
}

export interface CertModeSns {
  app_cert_sn: string;
  alipay_root_cert_sn: string;
}

export const isCertMode = (cfg: AlipayKeyConfig): boolean => cfg.app_cert !== undefined;

const snCache = new Map<string, Promise<CertModeSns>>();

/** app_cert_sn and alipay_root_cert_sn, computed once per certificate pair (MD5 is async in WebCrypto). */
export function certModeSns(cfg: AlipayKeyConfig): Promise<CertModeSns> | null {
  if (cfg.app_cert === undefined || cfg.alipay_root_cert === undefined) return null;
  const k = `${cfg.app_cert}\u0000${cfg.alipay_root_cert}`;
  let p = snCache.get(k);
  if (!p) {
    const app = cfg.app_cert;
    const root = cfg.alipay_root_cert;
    p = (async () => ({ app_cert_sn: await certSn(app), alipay_root_cert_sn: await rootCertSn(root) }))();
    p.catch(() => snCache.delete(k));
    snCache.set(k, p);
  }
  return p;
}

/** The configured Alipay public-key certificates by their SN (a rotation may configure two). */
export async function alipayCertsBySn(cfg: AlipayKeyConfig): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const pem of splitPemCertificates(cfg.alipay_cert ?? '')) out.set(await certSn(pem), pem);
  return out;
}

/**
 * The keys that may have signed an Alipay answer or notify. Public-key mode: the Alipay public key.
 * Certificate mode: the certificate whose SN the answer names (`alipay_cert_sn`); without a named SN
 * (notifies carry none), every configured Alipay certificate, in order.
 */
export async function alipayVerifyKeys(cfg: AlipayKeyConfig, namedCertSn?: string): Promise<CryptoKey[]> {
  if (!isCertMode(cfg)) {
    if (cfg.alipay_public_key === undefined) return [];
    return [await importRsaPublicKey(cfg.alipay_public_key)];
  }
  const certs = await alipayCertsBySn(cfg);
  if (namedCertSn !== undefined) {
    const pem = certs.get(namedCertSn);
    return pem === undefined ? [] : [await publicKeyFromCertificate(pem)];
  }
  return Promise.all([...certs.values()].map((pem) => publicKeyFromCertificate(pem)));
}
