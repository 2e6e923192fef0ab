// UnionPay ACP 5.1.0 signatures, both sides (stripe's test-twin pattern): the provider signs requests
// and verifies answers and notifies with these; the sandbox and the tests use the same functions for
// the other side. Nobody hand-assembles a signature. Rules:
// https://open.unionpay.com/tjweb/acproduct/list?apiSvcId=448.
//
//   string    = every field except `signature`, sorted by name (ordinal), joined `k=v&k=v`, raw values
//   digestHex = lowercase hex of SHA-256(UTF-8(string))                      (64 characters)
//   signature = base64(RSASSA-PKCS1-v1_5-SHA256(key, UTF-8(digestHex)))     (signMethod 01)
//
// When sending, empty values are dropped first (official AcpService.sign → filterBlank); when
// verifying, every received field counts, empties included (official coverMap2String).

import { sha256Hex } from '../../crypto/digest';
import { importRsaPrivateKey, rsaSign, rsaVerify } from '../../crypto/rsa';
import { VerificationError } from '../../lib/errors';
import { verifySignPubKeyCert, type ChainOptions } from './cert';
import type { Fields } from './wire';

export const VERSION = '5.1.0';
export const SIGN_METHOD_RSA = '01';
export const ENCODING = 'UTF-8';

/** The string that is hashed: sorted `k=v&…` of every field but `signature`, values untouched. */
export function signingString(fields: Fields): string {
  // Default sort = UTF-16 code unit order = Java's TreeMap<String> order (field names are ASCII anyway).
  return Object.keys(fields)
    .filter((k) => k !== 'signature')
    .sort()
    .map((k) => `${k}=${fields[k]}`)
    .join('&');
}

/**
 * Lowercase hex SHA-256 of the signing string. Uppercase hex does not verify
 * (https://open.unionpay.com/tjweb/acproduct/list?apiSvcId=448).
 */
export function digestHex(fields: Fields): Promise<string> {
  return sha256Hex(signingString(fields));
}

/** The official filterBlank: fields whose value is empty are not sent and not signed. */
export function filterBlank(fields: Fields): Fields {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== ''));
}

/**
 * Signs a request (the merchant's side, or the sandbox signing as UnionPay): drops blank fields,
 * then adds `signature`. The caller supplies version, encoding, signMethod and certId.
 */
export async function signFields(fields: Fields, privateKeyPem: string): Promise<Fields> {
  const out = filterBlank(fields);
  delete out.signature;
  const key = await importRsaPrivateKey(privateKeyPem);
  return { ...out, signature: await rsaSign(key, await digestHex(out)) };
}

/** The signature check alone, over all received fields (the sandbox checks merchants with it). */
export async function verifyFieldsSignature(fields: Fields, publicKey: CryptoKey): Promise<boolean> {
  const sig = fields.signature;
  if (sig === undefined || sig === '') return false;
  return rsaVerify(publicKey, await digestHex(fields), sig);
}

/**
 * Verifies a synchronous answer or a notify from UnionPay, in the official order
 * (https://open.unionpay.com/tjweb/acproduct/list?apiSvcId=448): version and signMethod, then `signPubKeyCert` — chain
 * to the configured middle and root, validity window, owner in the subject CN — and only then the signature over every
 * field with the CRLFs inside the certificate as received. Throws VerificationError; returns nothing on success.
 */
export async function verifyUnionpayFields(fields: Fields, chain: ChainOptions): Promise<void> {
  if (fields.signature === undefined || fields.signature === '') {
    throw new VerificationError('missing_signature', 'The message has no signature: not a signed UnionPay message.');
  }
  if (fields.version !== VERSION || fields.signMethod !== SIGN_METHOD_RSA) {
    throw new VerificationError(
      'unsupported_sign_method',
      `version ${JSON.stringify(fields.version)} / signMethod ${JSON.stringify(fields.signMethod)}: only 5.1.0 with signMethod 01 (RSA, certificate in signPubKeyCert) is accepted.`,
    );
  }
  const pem = fields.signPubKeyCert;
  if (pem === undefined || pem === '') {
    throw new VerificationError('missing_certificate', 'signPubKeyCert is missing: a 5.1.0 message carries the certificate it was signed with.');
  }
  const key = await verifySignPubKeyCert(pem, chain);
  if (!(await verifyFieldsSignature(fields, key))) {
    throw new VerificationError(
      'bad_signature',
      'The signature does not verify over the sorted fields (was a value changed or re-encoded, or the CRLFs in signPubKeyCert normalised?).',
    );
  }
}

/**
 * A PEM as UnionPay embeds it in signPubKeyCert: CRLF line ends, no final line break (as in the notify vector of
 * fixtures/vectors.json).
 */
export function crlfPem(pem: string): string {
  return pem.replace(/\r\n/g, '\n').trimEnd().replace(/\n/g, '\r\n');
}

/**
 * UnionPay's side (the sandbox, and tests forging messages): adds `signPubKeyCert` with CRLFs, then
 * signs like any sender. The result verifies with verifyUnionpayFields when the certificate chains.
 */
export function signAsUnionpay(fields: Fields, signer: { sign_key: string; sign_cert: string }): Promise<Fields> {
  return signFields({ ...fields, signPubKeyCert: crlfPem(signer.sign_cert) }, signer.sign_key);
}
