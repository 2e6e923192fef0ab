// Test-only X.509 certificates for the UnionPay sandbox: a root → middle → signing-certificate chain
// like UnionPay's (CFCA-style names, the signing certificate's CN `041@Z…@00040000:SIGN@…`), made on
// this machine with node:crypto. Used by `npm start` / the browser tests (scripts/dev-config.mjs) and,
// once, to write worker/test/fixtures/unionpay-certs.ts:
//
//   node scripts/unionpay-certs.mjs --fixture worker/test/fixtures/unionpay-certs.ts
//
// Synchronous on purpose (dev-config's generateSecrets is), so it writes the few DER structures a
// certificate needs itself and signs with crypto.sign. Nothing here is a production key, ever.

import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { writeFileSync } from 'node:fs';

// ------------------------------------------------------------------------------------------ DER

function len(n) {
  if (n < 0x80) return Buffer.from([n]);
  const bytes = [];
  for (let x = n; x > 0; x = Math.floor(x / 256)) bytes.unshift(x & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}
const tlv = (tag, ...parts) => {
  const body = Buffer.concat(parts);
  return Buffer.concat([Buffer.from([tag]), len(body.length), body]);
};
const seq = (...p) => tlv(0x30, ...p);
const set = (...p) => tlv(0x31, ...p);
const NULL = Buffer.from([0x05, 0x00]);

function oid(s) {
  const [a, b, ...rest] = s.split('.').map(Number);
  const out = [a * 40 + b];
  for (const n of rest) {
    const stack = [n & 0x7f];
    for (let x = Math.floor(n / 128); x > 0; x = Math.floor(x / 128)) stack.unshift(0x80 | (x & 0x7f));
    out.push(...stack);
  }
  return tlv(0x06, Buffer.from(out));
}

function integer(big) {
  let hex = BigInt(big).toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  let b = Buffer.from(hex, 'hex');
  if (b[0] & 0x80) b = Buffer.concat([Buffer.from([0]), b]);
  return tlv(0x02, b);
}

function time(d) {
  const iso = d.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  // RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050.
  return d.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(`${iso.slice(2)}Z`)) : tlv(0x18, Buffer.from(`${iso}Z`));
}

const ATTR = { C: '2.5.4.6', O: '2.5.4.10', OU: '2.5.4.11', CN: '2.5.4.3' };

/** [['C','CN'], ['O','…'], ['CN','…']] → Name. C as PrintableString, the rest UTF8String. */
function name(rdns) {
  return seq(...rdns.map(([k, v]) => set(seq(oid(ATTR[k]), tlv(k === 'C' ? 0x13 : 0x0c, Buffer.from(v, 'utf8'))))));
}

const SIG_OID = { sha256: '1.2.840.113549.1.1.11', sha1: '1.2.840.113549.1.1.5' };

function extensions(ca) {
  const ext = (id, critical, value) => seq(oid(id), ...(critical ? [tlv(0x01, Buffer.from([0xff]))] : []), tlv(0x04, value));
  // keyUsage: CA = keyCertSign + cRLSign (bits 5, 6); signing cert = digitalSignature + nonRepudiation (bits 0, 1).
  const keyUsage = ca ? tlv(0x03, Buffer.from([0x01, 0x06])) : tlv(0x03, Buffer.from([0x06, 0xc0]));
  const basic = ca ? seq(tlv(0x01, Buffer.from([0xff]))) : seq();
  return tlv(0xa3, seq(ext('2.5.29.19', ca, basic), ext('2.5.29.15', true, keyUsage)));
}

/**
 * One certificate. `subject`/`issuer` as RDN lists, `publicKey` / `issuerKey` as PEM or KeyObject,
 * `ca` for basicConstraints cA + keyCertSign, `hash` 'sha256' | 'sha1'. Returns the PEM.
 */
export function issueCertificate({ subject, issuer, serial, notBefore, notAfter, publicKey, issuerKey, ca = false, hash = 'sha256' }) {
  const alg = seq(oid(SIG_OID[hash]), NULL);
  const spki = createPublicKey(publicKey).export({ type: 'spki', format: 'der' });
  const tbs = seq(tlv(0xa0, integer(2)), integer(serial), alg, name(issuer), seq(time(notBefore), time(notAfter)), name(subject), spki, extensions(ca));
  const signature = sign(hash, tbs, createPrivateKey(issuerKey));
  const der = seq(tbs, alg, tlv(0x03, Buffer.concat([Buffer.from([0]), signature])));
  const b64 = (der.toString('base64').match(/.{1,64}/g) ?? []).join('\n');
  return `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`;
}

export function rsaKeyPair() {
  return generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
}

const randomSerial = () => BigInt(`0x${randomBytes(8).toString('hex')}`) | 1n;
const years = (d, n) => new Date(Date.UTC(d.getUTCFullYear() + n, d.getUTCMonth(), d.getUTCDate()));

export const ROOT_NAME = [
  ['C', 'CN'],
  ['O', 'Shouyin Sandbox Certification Authority'],
  ['CN', 'Shouyin Sandbox UnionPay Root'],
];
export const MIDDLE_NAME = [
  ['C', 'CN'],
  ['O', 'Shouyin Sandbox Certification Authority'],
  ['CN', 'Shouyin Sandbox UnionPay OCA1'],
];
/**
 * UnionPay's CN shape `041@<id>@<owner>@<seq>`; the test environment's owner is 00040000:SIGN
 * (https://open.unionpay.com/tjweb/acproduct/list?apiSvcId=448).
 */
export const signingName = (owner = '00040000:SIGN', id = 'Z2026-01-01') => [
  ['C', 'cn'],
  ['O', 'Shouyin Sandbox OCA1'],
  ['OU', 'CUPRA'],
  ['OU', 'Enterprises'],
  ['CN', `041@${id}@${owner}@00000001`],
];

/**
 * A fresh chain for the UnionPay sandbox: `root_cert`, `middle_cert`, the simulator's `sign_cert` and
 * `sign_key`. The middle is signed with SHA-1 like UnionPay's CFCA test chain, the signing
 * certificate with SHA-256, so verifiers exercise both.
 */
export function unionpaySandboxChain(now = new Date()) {
  const root = rsaKeyPair();
  const middle = rsaKeyPair();
  const leaf = rsaKeyPair();
  const start = years(now, -1);
  const root_cert = issueCertificate({
    subject: ROOT_NAME,
    issuer: ROOT_NAME,
    serial: randomSerial(),
    notBefore: start,
    notAfter: years(now, 30),
    publicKey: root.publicKey,
    issuerKey: root.privateKey,
    ca: true,
  });
  const middle_cert = issueCertificate({
    subject: MIDDLE_NAME,
    issuer: ROOT_NAME,
    serial: randomSerial(),
    notBefore: start,
    notAfter: years(now, 25),
    publicKey: middle.publicKey,
    issuerKey: root.privateKey,
    ca: true,
    hash: 'sha1',
  });
  const sign_cert = issueCertificate({
    subject: signingName(),
    issuer: MIDDLE_NAME,
    serial: randomSerial(),
    notBefore: start,
    notAfter: years(now, 20),
    publicKey: leaf.publicKey,
    issuerKey: middle.privateKey,
  });
  return { root_cert, middle_cert, sign_cert, sign_key: leaf.privateKey, root_key: root.privateKey, middle_key: middle.privateKey };
}

// ------------------------------------------------------------------ the workerd test fixture file

function fixture() {
  const base = new Date(Date.UTC(2026, 0, 1));
  const chain = unionpaySandboxChain(base);
  const merchant = rsaKeyPair();
  const forger = rsaKeyPair();
  const otherMiddle = rsaKeyPair();
  const s = (n) => BigInt(n);
  const self = issueCertificate({
    subject: signingName(),
    issuer: signingName(),
    serial: s(7),
    notBefore: years(base, -1),
    notAfter: years(base, 20),
    publicKey: forger.publicKey,
    issuerKey: forger.privateKey,
  });
  const expired = issueCertificate({
    subject: signingName(),
    issuer: MIDDLE_NAME,
    serial: s(8),
    notBefore: new Date(Date.UTC(2019, 0, 1)),
    notAfter: new Date(Date.UTC(2021, 0, 1)),
    publicKey: forger.publicKey,
    issuerKey: chain.middle_key,
  });
  const prodOwner = issueCertificate({
    subject: signingName('中国银联股份有限公司', 'Z2026-01-02'),
    issuer: MIDDLE_NAME,
    serial: s(9),
    notBefore: years(base, -1),
    notAfter: years(base, 20),
    publicKey: forger.publicKey,
    issuerKey: chain.middle_key,
  });
  const otherOwner = issueCertificate({
    subject: signingName('Some Shop Ltd', 'Z2026-01-03'),
    issuer: MIDDLE_NAME,
    serial: s(10),
    notBefore: years(base, -1),
    notAfter: years(base, 20),
    publicKey: forger.publicKey,
    issuerKey: chain.middle_key,
  });
  // A middle with our middle's very name but another key: name chaining passes, the signature must not.
  const impostorMiddle = issueCertificate({
    subject: MIDDLE_NAME,
    issuer: ROOT_NAME,
    serial: s(11),
    notBefore: years(base, -1),
    notAfter: years(base, 20),
    publicKey: otherMiddle.publicKey,
    issuerKey: otherMiddle.privateKey,
    ca: true,
  });
  const underImpostor = issueCertificate({
    subject: signingName(),
    issuer: MIDDLE_NAME,
    serial: s(12),
    notBefore: years(base, -1),
    notAfter: years(base, 20),
    publicKey: forger.publicKey,
    issuerKey: otherMiddle.privateKey,
  });
  // A "middle" that is not a CA (no cA, no keyCertSign) yet signed by the root, and a leaf under it.
  const notCaName = [
    ['C', 'CN'],
    ['O', 'Shouyin Sandbox Certification Authority'],
    ['CN', 'Shouyin Sandbox Not A CA'],
  ];
  const notCa = issueCertificate({
    subject: notCaName,
    issuer: ROOT_NAME,
    serial: s(13),
    notBefore: years(base, -1),
    notAfter: years(base, 20),
    publicKey: otherMiddle.publicKey,
    issuerKey: chain.root_key,
  });
  const underNotCa = issueCertificate({
    subject: signingName(),
    issuer: notCaName,
    serial: s(14),
    notBefore: years(base, -1),
    notAfter: years(base, 20),
    publicKey: forger.publicKey,
    issuerKey: otherMiddle.privateKey,
  });
  const q = (v) => `\`${v}\``;
  return `// GENERATED by \`node scripts/unionpay-certs.mjs --fixture worker/test/fixtures/unionpay-certs.ts\`. Test-only.
//
// A UnionPay-style chain for the sandbox (root → middle [SHA-1] → signing certificate [SHA-256], CN
// 041@Z2026-01-01@00040000:SIGN@00000001), a merchant signing key, and the forged certificates the
// verification tests use. Made on a development machine; none of it is, or signs for, anything real.

/** sandbox.unionpay and every test merchant's root_cert / middle_cert. */
export const UNIONPAY_ROOT_CERT = ${q(chain.root_cert)};
export const UNIONPAY_MIDDLE_CERT = ${q(chain.middle_cert)};
/** The simulator's signPubKeyCert and its key. */
export const UNIONPAY_SANDBOX_SIGN_CERT = ${q(chain.sign_cert)};
export const UNIONPAY_SANDBOX_SIGN_KEY = ${q(chain.sign_key)};
/** The test merchant's signing key (UnionPay would hold its certificate; certId is configured apart). */
export const UNIONPAY_MERCHANT_SIGN_KEY = ${q(merchant.privateKey)};

/** Key of every forged certificate below. */
export const FORGER_KEY = ${q(forger.privateKey)};
/** Self-signed, with the real CN pattern. */
export const SELF_SIGNED_CERT = ${q(self)};
/** Issued by the sandbox middle, valid 2019-01-01 … 2021-01-01. */
export const EXPIRED_CERT = ${q(expired)};
/** Issued by the sandbox middle, owner 中国银联股份有限公司 (what production accepts). */
export const PROD_OWNER_CERT = ${q(prodOwner)};
/** Issued by the sandbox middle, owner "Some Shop Ltd". */
export const OTHER_OWNER_CERT = ${q(otherOwner)};
/** A middle with the sandbox middle's name and another key, and a signing certificate under it. */
export const IMPOSTOR_MIDDLE_CERT = ${q(impostorMiddle)};
export const UNDER_IMPOSTOR_CERT = ${q(underImpostor)};
/** A non-CA certificate issued by the sandbox root, and a signing certificate under it. */
export const NOT_CA_MIDDLE_CERT = ${q(notCa)};
export const UNDER_NOT_CA_CERT = ${q(underNotCa)};
`;
}

if (process.argv[2] === '--fixture' && process.argv[3]) {
  writeFileSync(process.argv[3], fixture());
  console.log(`wrote ${process.argv[3]}`);
}
