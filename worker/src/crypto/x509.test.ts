import { describe, expect, it } from 'vitest';
import vectors from './fixtures/vectors.json';
import { decodeOid, readTlv } from './der';
import { toHex } from './encoding';
import { derToPem, pemDecode, pemToDer } from './pem';
import { formatName, nameAttribute, parseCertificate } from './x509';

const pem = vectors.wechat_v3_notify.platform_cert_pem;

describe('x509', () => {
  const cert = parseCertificate(pem);

  it('serial number in hex (WeChat) and decimal (UnionPay) forms', () => {
    expect(cert.serialNumberHex).toBe('D7CE59D1F522D701');
    expect(cert.serialNumberHex).toBe(vectors.wechat_v3_notify.platform_cert_serial_hex);
    expect(cert.serialNumberDecimal).toBe('15550465321652639489');
  });

  it('validity', () => {
    expect(cert.notBefore.toISOString()).toBe('2021-04-27T08:55:23.000Z');
    expect(cert.notAfter.toISOString()).toBe('2031-04-25T08:55:23.000Z');
  });

  it('issuer and subject', () => {
    expect(formatName(cert.issuer)).toBe('C=XX, L=Default City, O=Default Company Ltd');
    expect(formatName(cert.subject)).toBe('C=XX, L=Default City, O=Default Company Ltd');
    expect(nameAttribute(cert.subject, 'O')).toBe('Default Company Ltd');
    expect(nameAttribute(cert.subject, 'CN')).toBeUndefined();
  });

  it('signature algorithm, tbs and signature bytes', () => {
    expect(cert.signatureAlgorithm).toBe('1.2.840.113549.1.1.11');
    expect(cert.signature.length).toBe(256);
    expect(toHex(cert.signature.subarray(0, 4))).toBe('7d38f129');
    // tbsCertificate is a SEQUENCE starting right after the outer header (30 82 03 57).
    const der = pemToDer(pem, 'CERTIFICATE');
    expect(toHex(cert.tbsCertificate.subarray(0, 4))).toBe(toHex(der.subarray(4, 8)));
    expect(readTlv(cert.tbsCertificate, 0).end).toBe(cert.tbsCertificate.length);
  });

  it('SubjectPublicKeyInfo is importable', async () => {
    expect(cert.subjectPublicKeyInfo[0]).toBe(0x30);
    expect(cert.subjectPublicKeyInfo.length).toBe(294); // 2048-bit RSA SPKI
    const key = await crypto.subtle.importKey('spki', cert.subjectPublicKeyInfo.slice(), { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, true, ['verify']);
    expect(key.type).toBe('public');
  });

  it('rejects garbage', () => {
    expect(() => parseCertificate(new Uint8Array([0x30, 0x05, 0x02]))).toThrow(/Malformed DER/);
    expect(() => parseCertificate('not a pem')).toThrow(/No PEM block/);
  });
});

describe('pem / der', () => {
  it('round-trips and tolerates literal \\n escapes', () => {
    const der = pemToDer(pem);
    expect(pemToDer(derToPem(der, 'CERTIFICATE'))).toEqual(der);
    expect(pemDecode(pem.replace(/\n/g, '\\n')).der).toEqual(der);
    expect(() => pemToDer(pem, 'PUBLIC KEY')).toThrow(/Expected a PEM "PUBLIC KEY"/);
  });

  it('decodes OIDs', () => {
    expect(decodeOid(new Uint8Array([0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b]))).toBe('1.2.840.113549.1.1.11');
    expect(decodeOid(new Uint8Array([0x55, 0x04, 0x03]))).toBe('2.5.4.3');
  });
});
