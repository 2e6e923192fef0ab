import { describe, expect, it } from 'vitest';
import vectors from './fixtures/vectors.json';
import { pemDecode, derToPem } from './pem';
import { exportPublicKeyPem, importRsaPrivateKey, importRsaPublicKey, publicKeyFromCertificate, publicKeyFromPrivate, rsaSign, rsaVerify } from './rsa';
import { readTlv, children } from './der';

const kp = vectors.wechat_v3_rsa_keypair;
const certPem = vectors.wechat_v3_notify.platform_cert_pem;
const p1 = vectors.pkcs1_test_key;

describe('rsa', () => {
  it('PKCS#8 sign reproduces the wechatpay-go signer vector', async () => {
    const key = await importRsaPrivateKey(kp.private_key_pkcs8_pem);
    expect(await rsaSign(key, kp.sign_source)).toBe(kp.expected_signature);
  });

  it('verifies with the platform certificate (same modulus as the test key)', async () => {
    const pub = await publicKeyFromCertificate(certPem);
    expect(await rsaVerify(pub, 'source', kp.expected_signature)).toBe(true);
    expect(await rsaVerify(pub, 'sourcE', kp.expected_signature)).toBe(false);
  });

  it('rsaVerify returns false (never throws) on malformed signatures', async () => {
    const pub = await publicKeyFromCertificate(certPem);
    expect(await rsaVerify(pub, 'source', '***not base64***')).toBe(false);
    expect(await rsaVerify(pub, 'source', 'AAAA')).toBe(false);
    expect(await rsaVerify(pub, 'source', '')).toBe(false);
  });

  it('imports a PKCS#1 private key (openssl genrsa -traditional) and reproduces openssl', async () => {
    expect(p1.private_key_pkcs1_pem).toContain('BEGIN RSA PRIVATE KEY');
    const key = await importRsaPrivateKey(p1.private_key_pkcs1_pem);
    expect(await rsaSign(key, 'source')).toBe(p1.signature_of_source);
    const pub = await importRsaPublicKey(p1.public_key_spki_pem);
    expect(await rsaVerify(pub, 'source', p1.signature_of_source)).toBe(true);
  });

  it('imports the vector PKCS#8 key re-expressed as PKCS#1 (header stripped)', async () => {
    // PrivateKeyInfo { version, algorithm, OCTET STRING { RSAPrivateKey } }: take the octet string content.
    const der = pemDecode(kp.private_key_pkcs8_pem).der;
    const octet = children(der, readTlv(der, 0))[2]!;
    const pkcs1Pem = derToPem(der.subarray(octet.valueStart, octet.end), 'RSA PRIVATE KEY');
    const key = await importRsaPrivateKey(pkcs1Pem);
    expect(await rsaSign(key, kp.sign_source)).toBe(kp.expected_signature);
  });

  it('public key from SPKI PEM, bare base64, and certificate agree', async () => {
    const pem = await exportPublicKeyPem(await publicKeyFromCertificate(certPem));
    expect(pem).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
    const bare = pemDecode(pem).der;
    const b64 = pem.replace(/-----[^-]+-----|\s/g, '');
    for (const k of [await importRsaPublicKey(pem), await importRsaPublicKey(b64), await importRsaPublicKey(certPem)]) {
      expect(await rsaVerify(k, 'source', kp.expected_signature)).toBe(true);
    }
    expect(bare.length).toBe(294);
  });

  it('publicKeyFromPrivate rebuilds the verifying half', async () => {
    const pub = await publicKeyFromPrivate(kp.private_key_pkcs8_pem);
    expect(pub.type).toBe('public');
    expect(await rsaVerify(pub, 'source', kp.expected_signature)).toBe(true);
    expect(await exportPublicKeyPem(pub)).toBe(await exportPublicKeyPem(await publicKeyFromCertificate(certPem)));
  });

  it('caches imports by PEM text', async () => {
    expect(await importRsaPrivateKey(kp.private_key_pkcs8_pem)).toBe(await importRsaPrivateKey(kp.private_key_pkcs8_pem));
  });

  it('rejects the wrong PEM kind with a message naming it', async () => {
    await expect(importRsaPrivateKey(certPem)).rejects.toThrow(/Expected a "PRIVATE KEY"/);
    await expect(importRsaPrivateKey('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----')).rejects.toThrow(/Could not import/);
  });
});
