// signPubKeyCert rules (UnionPay SDK CertUtil.verifyCertificate): chain to the configured middle and
// root, validity window on an injected clock, the CN owner (test-environment owner only in test mode).
import { describe, expect, it } from 'vitest';
import { derToPem, pemToDer } from '../../crypto/pem';
import { basicConstraints, keyUsage, mayIssueCertificates, parseCertificate } from '../../crypto/x509';
import { VerificationError } from '../../lib/errors';
import {
  EXPIRED_CERT,
  IMPOSTOR_MIDDLE_CERT,
  NOT_CA_MIDDLE_CERT,
  OTHER_OWNER_CERT,
  PROD_OWNER_CERT,
  SELF_SIGNED_CERT,
  UNDER_IMPOSTOR_CERT,
  UNDER_NOT_CA_CERT,
  UNIONPAY_MIDDLE_CERT,
  UNIONPAY_ROOT_CERT,
  UNIONPAY_SANDBOX_SIGN_CERT,
} from '../../../test/fixtures/unionpay-certs';
import { TEST_CN_OWNER, UNIONPAY_CN_OWNER, checkOwner, checkValidity, cnOwner, verifySignPubKeyCert } from './cert';
import vectors from './fixtures/vectors.json';
import { crlfPem } from './sign';

const NOW = Date.UTC(2026, 5, 1);
const chain = { rootCert: UNIONPAY_ROOT_CERT, middleCert: UNIONPAY_MIDDLE_CERT, now: NOW, testMode: true };
const code = (p: Promise<unknown> | (() => void)) =>
  (typeof p === 'function' ? Promise.resolve().then(p) : p).then(
    () => 'ok',
    (e: unknown) => (e instanceof VerificationError ? e.code : `threw ${String(e)}`),
  );

describe('the sandbox chain (scripts/unionpay-certs.mjs)', () => {
  it('verifies leaf → middle (SHA-256) → root (SHA-1), in PEM with LF or CRLF', async () => {
    expect(parseCertificate(UNIONPAY_MIDDLE_CERT).signatureAlgorithm).toBe('1.2.840.113549.1.1.5');
    expect(parseCertificate(UNIONPAY_SANDBOX_SIGN_CERT).signatureAlgorithm).toBe('1.2.840.113549.1.1.11');
    expect(await code(verifySignPubKeyCert(UNIONPAY_SANDBOX_SIGN_CERT, chain))).toBe('ok');
    expect(await code(verifySignPubKeyCert(crlfPem(UNIONPAY_SANDBOX_SIGN_CERT), chain))).toBe('ok');
  });

  it('reads CA facts: the middle is a CA that may sign certificates, the leaf is not', () => {
    const middle = parseCertificate(UNIONPAY_MIDDLE_CERT);
    const leaf = parseCertificate(UNIONPAY_SANDBOX_SIGN_CERT);
    expect(basicConstraints(middle)).toEqual({ ca: true });
    expect(keyUsage(middle)).toEqual(['keyCertSign', 'cRLSign']);
    expect(mayIssueCertificates(middle)).toBe(true);
    expect(basicConstraints(leaf)).toEqual({ ca: false });
    expect(keyUsage(leaf)).toEqual(['digitalSignature', 'nonRepudiation']);
    expect(mayIssueCertificates(leaf)).toBe(false);
  });
});

describe('forged and wrong certificates', () => {
  it('a self-signed certificate with the real CN pattern → cert_untrusted', async () => {
    expect(cnOwner(parseCertificate(SELF_SIGNED_CERT))).toBe(TEST_CN_OWNER);
    expect(await code(verifySignPubKeyCert(SELF_SIGNED_CERT, chain))).toBe('cert_untrusted');
  });

  it('a certificate under a middle with the right name and the wrong key → cert_untrusted', async () => {
    expect(await code(verifySignPubKeyCert(UNDER_IMPOSTOR_CERT, chain))).toBe('cert_untrusted');
    // Configured with the impostor middle, the chain to the real root still fails.
    expect(await code(verifySignPubKeyCert(UNDER_IMPOSTOR_CERT, { ...chain, middleCert: IMPOSTOR_MIDDLE_CERT }))).toBe('cert_untrusted');
  });

  it('a chain through a non-CA certificate → cert_untrusted', async () => {
    expect(basicConstraints(parseCertificate(NOT_CA_MIDDLE_CERT))?.ca).toBe(false);
    expect(await code(verifySignPubKeyCert(UNDER_NOT_CA_CERT, { ...chain, middleCert: NOT_CA_MIDDLE_CERT }))).toBe('cert_untrusted');
  });

  it('the right middle with another root (test chain against prod root) → cert_untrusted', async () => {
    expect(await code(verifySignPubKeyCert(UNIONPAY_SANDBOX_SIGN_CERT, { ...chain, rootCert: IMPOSTOR_MIDDLE_CERT }))).toBe('cert_untrusted');
  });

  it('an expired leaf under the right middle → cert_expired; the middle’s window counts too', async () => {
    expect(await code(verifySignPubKeyCert(EXPIRED_CERT, chain))).toBe('cert_expired');
    // On a 2020 clock the leaf is inside its window, but the middle only starts in 2025.
    expect(await code(() => checkValidity(parseCertificate(EXPIRED_CERT), 'leaf', Date.UTC(2020, 0, 1)))).toBe('ok');
    expect(await code(verifySignPubKeyCert(EXPIRED_CERT, { ...chain, now: Date.UTC(2020, 0, 1) }))).toBe('cert_not_yet_valid');
    expect(await code(verifySignPubKeyCert(UNIONPAY_SANDBOX_SIGN_CERT, { ...chain, now: Date.UTC(2046, 0, 2) }))).toBe('cert_expired');
  });

  it('the test-environment owner 00040000:SIGN is accepted in test mode only', async () => {
    expect(await code(verifySignPubKeyCert(UNIONPAY_SANDBOX_SIGN_CERT, { ...chain, testMode: false }))).toBe('cert_owner');
    expect(await code(verifySignPubKeyCert(PROD_OWNER_CERT, { ...chain, testMode: false }))).toBe('ok');
    expect(await code(verifySignPubKeyCert(PROD_OWNER_CERT, chain))).toBe('ok');
  });

  it('any other owner → cert_owner, in both modes', async () => {
    expect(await code(verifySignPubKeyCert(OTHER_OWNER_CERT, chain))).toBe('cert_owner');
    expect(await code(verifySignPubKeyCert(OTHER_OWNER_CERT, { ...chain, testMode: false }))).toBe('cert_owner');
  });

  it('garbage → cert_malformed', async () => {
    expect(await code(verifySignPubKeyCert('-----BEGIN CERTIFICATE-----\r\nAAAA\r\n-----END CERTIFICATE-----', chain))).toBe('cert_malformed');
  });

  it('the right certificate with bytes after it → cert_malformed (a certificate is exactly one DER SEQUENCE)', async () => {
    const der = pemToDer(UNIONPAY_SANDBOX_SIGN_CERT);
    for (const tail of [[0x00], [0x05, 0x00], [...der]]) {
      const padded = derToPem(new Uint8Array([...der, ...tail]), 'CERTIFICATE');
      expect(await code(verifySignPubKeyCert(padded, chain))).toBe('cert_malformed');
    }
  });
});

describe('the vector certificate (CFCA TEST OCA1, expired 2020-11-01)', () => {
  const cert = parseCertificate(vectors.unionpay_acp_510_backurl_notify.fields.signPubKeyCert);

  it('reads serial, issuer, subject CN, owner and window', () => {
    expect(cert.signatureAlgorithm).toBe('1.2.840.113549.1.1.5');
    expect(cert.issuer.find((a) => a.name === 'CN')?.value).toBe('CFCA TEST OCA1');
    expect(cert.subject.find((a) => a.name === 'CN')?.value).toBe('041@Z2017-11-1@00040000:SIGN@00000001');
    expect(cnOwner(cert)).toBe('00040000:SIGN');
    expect(cert.notBefore.toISOString()).toBe('2017-11-01T07:24:08.000Z');
    expect(cert.notAfter.toISOString()).toBe('2020-11-01T07:24:08.000Z');
    expect(cert.serialNumberDecimal).toBe(BigInt(`0x${cert.serialNumberHex}`).toString());
  });

  it('is valid on a clock set to the notify (2018-07-26), expired today', async () => {
    const at = Date.UTC(2018, 6, 26, 3, 19, 54);
    expect(await code(() => checkValidity(cert, 'signPubKeyCert', at))).toBe('ok');
    expect(await code(() => checkValidity(cert, 'signPubKeyCert', Date.now()))).toBe('cert_expired');
  });

  it('passes the owner rule in test mode only', async () => {
    expect(await code(() => checkOwner(cert, true))).toBe('ok');
    expect(await code(() => checkOwner(cert, false))).toBe('cert_owner');
    expect(UNIONPAY_CN_OWNER).toBe('中国银联股份有限公司');
  });

  it('does not chain to the sandbox root (it is CFCA’s): cert_untrusted even on its own clock', async () => {
    expect(await code(verifySignPubKeyCert(vectors.unionpay_acp_510_backurl_notify.fields.signPubKeyCert, { ...chain, now: Date.UTC(2018, 6, 26) }))).toBe(
      'cert_untrusted',
    );
  });
});
