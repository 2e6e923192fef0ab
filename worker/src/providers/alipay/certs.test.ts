// Certificate-mode SNs (Alipay's 公钥证书 mode: app_cert_sn, alipay_root_cert_sn). Against Shouyin's
// own test PKI (fixtures/test-keys.ts, SNs computed independently with Python's hashlib), and the
// `alipay_cert_sn` vector itself on alipay-sdk-nodejs-all's certificates (fixtures/upstream/). MD5 is
// a workerd extension, so this runs inside workerd.

import { describe, expect, it } from 'vitest';
import { parseCertificate } from '../../crypto/x509';
import { certSn, issuerDn, rootCertSn, splitPemCertificates } from './certs';
import { CERT_ALIPAY_CERT, CERT_APP_CERT, CERT_ROOT_BUNDLE, CERT_SNS } from './fixtures/test-keys';
import { UPSTREAM_CERTS } from './fixtures/upstream';
import vectors from './fixtures/vectors.json';

describe('certificate SNs (Shouyin’s test PKI)', () => {
  it('writes the issuer DN reversed, comma-joined, without spaces', () => {
    expect(issuerDn(parseCertificate(CERT_APP_CERT))).toBe('CN=Shouyin Test Alipay Root CA R1,OU=Certification Authority,O=Shouyin Test,C=CN');
  });

  it('app_cert_sn = md5(issuer DN + decimal serial)', async () => {
    expect(await certSn(CERT_APP_CERT)).toBe(CERT_SNS.app_cert_sn);
  });

  it('alipay_cert_sn of the Alipay public-key certificate', async () => {
    expect(await certSn(CERT_ALIPAY_CERT)).toBe(CERT_SNS.alipay_cert_sn);
  });

  it('alipay_root_cert_sn skips the ECDSA root and keeps the RSA-signed one', async () => {
    const algs = splitPemCertificates(CERT_ROOT_BUNDLE).map((p) => parseCertificate(p).signatureAlgorithm);
    expect(algs).toEqual(['1.2.840.10045.4.3.3', '1.2.840.113549.1.1.11']);
    expect(await rootCertSn(CERT_ROOT_BUNDLE)).toBe(CERT_SNS.alipay_root_cert_sn);
  });

  it('accepts a bundle pasted with literal \\n escapes', async () => {
    expect(await rootCertSn(CERT_ROOT_BUNDLE.replace(/\n/g, '\\n'))).toBe(CERT_SNS.alipay_root_cert_sn);
  });

  it('refuses a bundle without an RSA-signed certificate', async () => {
    await expect(rootCertSn('nothing here')).rejects.toThrow(/no RSA-signed/);
    await expect(rootCertSn(splitPemCertificates(CERT_ROOT_BUNDLE)[0]!)).rejects.toThrow(/no RSA-signed/);
  });
});

// The upstream known answer, on the certificates it was computed from.
describe('certificate SNs (alipay_cert_sn vector, upstream fixtures)', () => {
  const v = vectors.alipay_cert_sn;
  const { app: appCert, alipay: alipayCert, root: rootBundle } = UPSTREAM_CERTS;

  it('writes the issuer DN reversed, comma-joined, without spaces', () => {
    expect(issuerDn(parseCertificate(appCert))).toBe(v.app_cert_issuer_dn);
  });

  it('app_cert_sn = md5(issuer DN + decimal serial)', async () => {
    expect(await certSn(appCert)).toBe(v.app_cert_sn);
  });

  it('alipay_cert_sn of the Alipay public-key certificate', async () => {
    expect(await certSn(alipayCert)).toBe(v.alipay_cert_sn);
  });

  it('alipay_root_cert_sn joins the RSA-signed roots only, in file order', async () => {
    const certs = splitPemCertificates(rootBundle).map((p) => parseCertificate(p).signatureAlgorithm);
    expect(certs).toEqual(v.root_bundle_sig_algs_in_order.map((s) => s.split(' ')[0]));
    expect(await rootCertSn(rootBundle)).toBe(v.alipay_root_cert_sn);
  });

  it('accepts a bundle pasted with literal \\n escapes', async () => {
    expect(await rootCertSn(rootBundle.replace(/\n/g, '\\n'))).toBe(v.alipay_root_cert_sn);
  });
});
