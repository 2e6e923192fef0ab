// The Apple sandbox's certificate authority (test mode only): an ECDSA P-256 chain shaped like the
// App Store's — root → intermediate carrying Apple's WWDR marker OID → leaf carrying the receipt-
// signing marker OID — written with WebCrypto, so it runs in workerd and in tests alike.
//
// Keys are derived, not stored: HMAC-SHA256(the test merchant's first sk_test_ key, label) is the
// private scalar. Every isolate therefore makes the same keys for the same merchant (a token minted
// by one isolate verifies in another, and after a restart), while nobody without the merchant's
// secret key can sign as its sandbox. Certificates are remade per isolate (ECDSA signatures are
// randomised) but carry the same names, keys and dates, which is all a chain check looks at.
// Nothing here is ever trusted for a live merchant: live merchants must pin Apple's root.

import type { MerchantConfig } from '../../../worker/src/config';
import { simulatorSeed } from '../config';
import { Tag, encode } from '../../../worker/src/crypto/der';
import { buf, utf8 } from '../../../worker/src/crypto/encoding';
import { hmacSha256 } from '../../../worker/src/crypto/hmac';
import { derToPem } from '../../../worker/src/crypto/pem';
import { parseCertificate, type Certificate } from '../../../worker/src/crypto/x509';
import { APPLE_INTERMEDIATE_MARKER_OID, APPLE_LEAF_MARKER_OID } from '../../../worker/src/apple/chain';
import { ecdsaRawToDer } from '../../../worker/src/crypto/ecdsa';

// ── DER writing ─────────────────────────────────────────────────────────────────────────────────

export function encodeOid(oid: string): Uint8Array {
  const [a, b, ...rest] = oid.split('.').map(Number) as [number, number, ...number[]];
  const out = [a * 40 + b];
  for (const n of rest) {
    const stack = [n & 0x7f];
    for (let x = Math.floor(n / 128); x > 0; x = Math.floor(x / 128)) stack.unshift(0x80 | (x & 0x7f));
    out.push(...stack);
  }
  return encode(Tag.OID, new Uint8Array(out));
}

function integer(n: bigint): Uint8Array {
  let hex = n.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  const bytes = hex.match(/../g)!.map((h) => parseInt(h, 16));
  if ((bytes[0] as number) & 0x80) bytes.unshift(0);
  return encode(Tag.INTEGER, new Uint8Array(bytes));
}

function time(d: Date): Uint8Array {
  const s = d.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  // RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050 on.
  return d.getUTCFullYear() < 2050 ? encode(Tag.UTC_TIME, utf8(`${s.slice(2)}Z`)) : encode(Tag.GENERALIZED_TIME, utf8(`${s}Z`));
}

const ATTRS = { C: '2.5.4.6', O: '2.5.4.10', OU: '2.5.4.11', CN: '2.5.4.3' } as const;
export type Name = [keyof typeof ATTRS, string][];

function name(rdns: Name): Uint8Array {
  return encode(
    Tag.SEQUENCE,
    ...rdns.map(([k, v]) => encode(Tag.SET, encode(Tag.SEQUENCE, encodeOid(ATTRS[k]), encode(k === 'C' ? Tag.PRINTABLE_STRING : Tag.UTF8_STRING, utf8(v))))),
  );
}

const ECDSA_WITH = { 'SHA-256': '1.2.840.10045.4.3.2', 'SHA-384': '1.2.840.10045.4.3.3' } as const;
const signatureAlgorithm = (hash: keyof typeof ECDSA_WITH) => encode(Tag.SEQUENCE, encodeOid(ECDSA_WITH[hash]));
const TRUE = new Uint8Array([0x01, 0x01, 0xff]);

function extension(oid: string, critical: boolean, inner: Uint8Array): Uint8Array {
  return encode(Tag.SEQUENCE, encodeOid(oid), ...(critical ? [TRUE] : []), encode(Tag.OCTET_STRING, inner));
}

export interface IssueParams {
  subject: Name;
  issuer: Name;
  serial: bigint;
  notBefore: Date;
  notAfter: Date;
  /** The subject's public key. */
  publicKey: CryptoKey;
  /** The issuer's ECDSA private key (the subject's own for a self-signed root). */
  issuerKey: CryptoKey;
  /** ecdsa-with-SHA256 (default) or ecdsa-with-SHA384, as Apple's P-384 root and intermediates sign. */
  hash?: 'SHA-256' | 'SHA-384';
  ca: boolean;
  /** Extra extensions that carry only a NULL value, e.g. Apple's marker OIDs. */
  markers?: string[];
}

/** One X.509 v3 certificate (DER), signed by `issuerKey` with ecdsa-with-SHA256 (or `hash`). */
export async function issueCertificate(p: IssueParams): Promise<Uint8Array<ArrayBuffer>> {
  const hash = p.hash ?? 'SHA-256';
  const spki = new Uint8Array((await crypto.subtle.exportKey('spki', p.publicKey)) as ArrayBuffer);
  const keyUsage = p.ca
    ? new Uint8Array([0x03, 0x02, 0x01, 0x06]) // keyCertSign | cRLSign
    : new Uint8Array([0x03, 0x02, 0x07, 0x80]); // digitalSignature
  const exts = [
    extension('2.5.29.19', true, encode(Tag.SEQUENCE, ...(p.ca ? [TRUE] : []))),
    extension('2.5.29.15', true, keyUsage),
    // Apple's certificates carry their marker extensions with a NULL value, non-critical.
    ...(p.markers ?? []).map((oid) => extension(oid, false, new Uint8Array([Tag.NULL, 0x00]))),
  ];
  const tbs = encode(
    Tag.SEQUENCE,
    encode(0xa0, integer(2n)),
    integer(p.serial),
    signatureAlgorithm(hash),
    name(p.issuer),
    encode(Tag.SEQUENCE, time(p.notBefore), time(p.notAfter)),
    name(p.subject),
    spki,
    encode(0xa3, encode(Tag.SEQUENCE, ...exts)),
  );
  const raw = new Uint8Array(await crypto.subtle.sign({ name: 'ECDSA', hash }, p.issuerKey, buf(tbs)));
  const sig = ecdsaRawToDer(raw);
  return buf(encode(Tag.SEQUENCE, tbs, signatureAlgorithm(hash), encode(Tag.BIT_STRING, new Uint8Array([0]), sig)));
}

// ── deterministic P-256 keys ────────────────────────────────────────────────────────────────────

const P256_N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const P256_PKCS8_PREFIX = [
  // PrivateKeyInfo { version 0, AlgorithmIdentifier { id-ecPublicKey, prime256v1 }, OCTET STRING {
  0x30, 0x41, 0x02, 0x01, 0x00, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07,
  0x04, 0x27,
  //   ECPrivateKey { version 1, privateKey OCTET STRING (32) } — RFC 5915; the public key is optional
  //   and computed by the importer.
  0x30, 0x25, 0x02, 0x01, 0x01, 0x04, 0x20,
];

/** A P-256 key pair whose private scalar is HMAC-SHA256(secret, label) (re-hashed in the ~2⁻³² case it is ≥ n). */
export async function derivedP256(secret: string, label: string): Promise<CryptoKeyPair> {
  let d = await hmacSha256(secret, `shouyin/apple-sandbox/v1/${label}`);
  for (let i = 0; ; i++) {
    const n = BigInt(`0x${[...d].map((x) => x.toString(16).padStart(2, '0')).join('')}`);
    if (n > 0n && n < P256_N) break;
    d = await hmacSha256(secret, `shouyin/apple-sandbox/v1/${label}/${i}`);
  }
  const pkcs8 = new Uint8Array([...P256_PKCS8_PREFIX, ...d]);
  const privateKey = await crypto.subtle.importKey('pkcs8', pkcs8, { name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign']);
  const jwk = (await crypto.subtle.exportKey('jwk', privateKey)) as JsonWebKey;
  const publicKey = await crypto.subtle.importKey(
    'jwk',
    { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y, ext: true },
    { name: 'ECDSA', namedCurve: 'P-256' },
    true,
    ['verify'],
  );
  return { privateKey, publicKey };
}

export const generateEcKey = (curve: 'P-256' | 'P-384' = 'P-256'): Promise<CryptoKeyPair> =>
  crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: curve }, true, ['sign', 'verify']) as Promise<CryptoKeyPair>;

// ── the sandbox chain ───────────────────────────────────────────────────────────────────────────

export const SANDBOX_ROOT_NAME: Name = [
  ['CN', 'Shouyin Sandbox Apple Root CA'],
  ['OU', 'Test mode only'],
  ['O', 'Shouyin Sandbox'],
  ['C', 'CN'],
];
export const SANDBOX_INTERMEDIATE_NAME: Name = [
  ['CN', 'Shouyin Sandbox Worldwide Developer Relations CA'],
  ['OU', 'G6'],
  ['O', 'Shouyin Sandbox'],
  ['C', 'CN'],
];
export const SANDBOX_LEAF_NAME: Name = [
  ['CN', 'Shouyin Sandbox App Store Receipt Signing'],
  ['OU', 'Test mode only'],
  ['O', 'Shouyin Sandbox'],
  ['C', 'CN'],
];

const NOT_BEFORE = new Date(Date.UTC(2024, 0, 1));
const NOT_AFTER = new Date(Date.UTC(2049, 11, 31, 23, 59, 59));

export interface IssuedCert {
  der: Uint8Array<ArrayBuffer>;
  cert: Certificate;
  keys: CryptoKeyPair;
}

export interface SandboxChain {
  root: IssuedCert;
  intermediate: IssuedCert;
  leaf: IssuedCert;
}

async function issued(p: IssueParams, keys: CryptoKeyPair): Promise<IssuedCert> {
  const der = await issueCertificate(p);
  return { der, cert: parseCertificate(der), keys };
}

/**
 * A root → intermediate → leaf chain from keys derived with `secret` under `prefix`. `options`
 * make the defective variants the control surface offers (a missing marker, an expired leaf).
 */
export async function buildChain(
  secret: string,
  prefix: string,
  options: { intermediateMarker?: boolean; leafMarker?: boolean; leafNotAfter?: Date; leafNotBefore?: Date } = {},
): Promise<SandboxChain> {
  const [rk, ik, lk] = await Promise.all(['root', 'intermediate', 'leaf'].map((r) => derivedP256(secret, `${prefix}${r}`)));
  const root = await issued(
    {
      subject: SANDBOX_ROOT_NAME,
      issuer: SANDBOX_ROOT_NAME,
      serial: 1n,
      notBefore: NOT_BEFORE,
      notAfter: NOT_AFTER,
      publicKey: rk!.publicKey,
      issuerKey: rk!.privateKey,
      ca: true,
    },
    rk!,
  );
  const intermediate = await issued(
    {
      subject: SANDBOX_INTERMEDIATE_NAME,
      issuer: SANDBOX_ROOT_NAME,
      serial: 2n,
      notBefore: NOT_BEFORE,
      notAfter: NOT_AFTER,
      publicKey: ik!.publicKey,
      issuerKey: rk!.privateKey,
      ca: true,
      markers: options.intermediateMarker === false ? [] : [APPLE_INTERMEDIATE_MARKER_OID],
    },
    ik!,
  );
  const leaf = await issued(
    {
      subject: SANDBOX_LEAF_NAME,
      issuer: SANDBOX_INTERMEDIATE_NAME,
      serial: 3n,
      notBefore: options.leafNotBefore ?? NOT_BEFORE,
      notAfter: options.leafNotAfter ?? NOT_AFTER,
      publicKey: lk!.publicKey,
      issuerKey: ik!.privateKey,
      ca: false,
      markers: options.leafMarker === false ? [] : [APPLE_LEAF_MARKER_OID],
    },
    lk!,
  );
  return { root, intermediate, leaf };
}

/**
 * The secret a test merchant's sandbox keys derive from: its first secret key, or for a registry
 * merchant (whose keys the sandbox knows only as hashes) the seed the registry keeps for it.
 */
export function sandboxSecret(merchant: MerchantConfig): string {
  if (merchant.livemode) throw new Error('The Apple sandbox never signs for a live merchant.');
  const seed = simulatorSeed(merchant);
  if (seed === undefined) throw new Error(`Test merchant ${merchant.id} has no key and no simulator seed.`);
  return seed;
}

const chains = new Map<string, Promise<SandboxChain>>();

/** The test merchant's sandbox chain, made once per isolate. */
export function sandboxChain(merchant: MerchantConfig): Promise<SandboxChain> {
  const secret = sandboxSecret(merchant);
  const id = `${merchant.id}\u0000${secret}`;
  let p = chains.get(id);
  if (!p) {
    p = buildChain(secret, '');
    p.catch(() => chains.delete(id));
    if (chains.size >= 32) chains.delete(chains.keys().next().value as string);
    chains.set(id, p);
  }
  return p;
}

/**
 * The PEM of a test merchant's sandbox root: what it pins in `apple.root_certificates` to accept the
 * tokens this sandbox signs (Shouyin trusts no built-in root).
 */
export async function sandboxRootPem(merchant: MerchantConfig): Promise<string> {
  return derToPem((await sandboxChain(merchant)).root.der, 'CERTIFICATE');
}
