import { describe, expect, it } from 'vitest';
import vectors from './fixtures/vectors.json';
import { DerError, Tag, checkDerTree, decodeOid, encode, readTlv } from './der';
import { fromHex, toHex } from './encoding';
import {
  algorithmIdentifier,
  basicConstraintsExtension,
  caExtensions,
  ecKey,
  encodeOid,
  extension,
  integer,
  issue,
  keyUsageExtension,
  leafExtensions,
  name,
  rsaKey,
  type Name,
} from './fixtures/issue';
import { derToPem, pemDecode, pemToDer } from './pem';
import {
  CertPathError,
  basicConstraints,
  checkIssuedBy,
  checkValidityAt,
  formatName,
  hasExtension,
  keyUsage,
  mayIssueCertificates,
  nameAttribute,
  parseCertificate,
  verifySignedBy,
  type Certificate,
} from './x509';

const pem = vectors.wechat_v3_notify.platform_cert_pem;

const concat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};

/** The reason of the CertPathError a chain step throws, or 'ok'. */
async function step(p: Promise<unknown> | (() => void)): Promise<string> {
  try {
    await (typeof p === 'function' ? p() : p);
    return 'ok';
  } catch (e) {
    if (e instanceof CertPathError) return e.reason;
    throw e;
  }
}

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

  it('version and extensions', () => {
    expect(cert.version).toBe(3);
    expect(cert.extensions.map((e) => e.oid)).toEqual(['2.5.29.14', '2.5.29.35', '2.5.29.19']);
    expect(basicConstraints(cert)).toEqual({ ca: true });
    expect(keyUsage(cert)).toBeUndefined();
    // cA and no keyUsage: RFC 5280 lets it sign certificates.
    expect(mayIssueCertificates(cert)).toBe(true);
  });

  it('SubjectPublicKeyInfo is importable', async () => {
    expect(cert.subjectPublicKeyInfo[0]).toBe(0x30);
    expect(cert.subjectPublicKeyInfo.length).toBe(294); // 2048-bit RSA SPKI
    const key = await crypto.subtle.importKey('spki', cert.subjectPublicKeyInfo.slice(), { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, true, ['verify']);
    expect(key.type).toBe('public');
  });

  it('rejects garbage with its own error type', () => {
    expect(() => parseCertificate(new Uint8Array([0x30, 0x05, 0x02]))).toThrow(/Malformed DER/);
    expect(() => parseCertificate(new Uint8Array([0x30, 0x05, 0x02]))).toThrow(DerError);
    expect(() => parseCertificate('not a pem')).toThrow(/No PEM block/);
    expect(() => parseCertificate('not a pem')).toThrow(DerError);
  });
});

describe('strict DER', () => {
  const der = pemToDer(pem);

  it('refuses trailing bytes after the Certificate (one byte, a second certificate, inside a PEM)', () => {
    expect(() => parseCertificate(concat(der, new Uint8Array([0])))).toThrow(/1 trailing byte\(s\) after Certificate/);
    expect(() => parseCertificate(concat(der, der))).toThrow(/trailing byte/);
    expect(() => parseCertificate(derToPem(concat(der, new Uint8Array([0x05, 0x00])), 'CERTIFICATE'))).toThrow(DerError);
  });

  it('refuses indefinite, non-minimal and oversized lengths, and lengths past the buffer', () => {
    expect(() => readTlv(fromHex('308002010000'), 0)).toThrow(/indefinite length/);
    expect(() => readTlv(fromHex('3081050201000500'), 0)).toThrow(/below 128/);
    expect(() => readTlv(fromHex('308200050201000500'), 0)).toThrow(/leading zero/);
    expect(() => readTlv(fromHex('3085000000000500'), 0)).toThrow(/5-byte length/);
    expect(() => readTlv(fromHex('300602010005'), 0)).toThrow(/runs past/);
    expect(() => readTlv(fromHex('30'), 0)).toThrow(/truncated header/);
    expect(() => readTlv(fromHex('0000'), 0)).toThrow(/end-of-contents/);
    expect(() => readTlv(fromHex('1f0100'), 0)).toThrow(/multi-byte tags/);
  });

  it('refuses nesting deeper than a certificate needs, and constructed strings', () => {
    let deep: Uint8Array = new Uint8Array([0x05, 0x00]);
    for (let i = 0; i < 40; i++) deep = encode(Tag.SEQUENCE, deep);
    expect(() => checkDerTree(deep, readTlv(deep, 0))).toThrow(/nesting deeper than 16/);
    const constructedOctets = fromHex('2403040100');
    expect(() => checkDerTree(constructedOctets, readTlv(constructedOctets, 0))).toThrow(/constructed encoding/);
  });

  it('decodes OIDs and refuses non-minimal or truncated ones', () => {
    expect(decodeOid(new Uint8Array([0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b]))).toBe('1.2.840.113549.1.1.11');
    expect(decodeOid(new Uint8Array([0x55, 0x04, 0x03]))).toBe('2.5.4.3');
    expect(decodeOid(fromHex('8837'))).toBe('2.999');
    expect(() => decodeOid(fromHex('2a8048'))).toThrow(/not minimal/);
    expect(() => decodeOid(fromHex('2a86'))).toThrow(/truncated OID/);
    expect(() => decodeOid(new Uint8Array())).toThrow(/empty OID/);
  });
});

// Certificates written field by field (parse-only: their signature is not checked).
const SPKI = encode(
  Tag.SEQUENCE,
  encode(Tag.SEQUENCE, encodeOid('1.2.840.10045.2.1'), encodeOid('1.2.840.10045.3.1.7')),
  encode(Tag.BIT_STRING, fromHex('0004')),
);
const ALG = algorithmIdentifier('ecdsa-sha256');
const NAME = name([['CN', 'Test']]);
const VALIDITY = encode(
  Tag.SEQUENCE,
  encode(Tag.UTC_TIME, new TextEncoder().encode('240101000000Z')),
  encode(Tag.UTC_TIME, new TextEncoder().encode('340101000000Z')),
);
const V3 = encode(0xa0, integer(2n));

function rawCert(tbs: Uint8Array[], outer = ALG): Uint8Array {
  return encode(Tag.SEQUENCE, encode(Tag.SEQUENCE, ...tbs), outer, encode(Tag.BIT_STRING, fromHex('003006020101020101')));
}
const fields = (over: Partial<Record<'version' | 'serial' | 'alg' | 'issuer' | 'validity' | 'subject' | 'spki' | 'tail', Uint8Array[]>> = {}) => [
  ...(over.version ?? [V3]),
  ...(over.serial ?? [integer(1n)]),
  ...(over.alg ?? [ALG]),
  ...(over.issuer ?? [NAME]),
  ...(over.validity ?? [VALIDITY]),
  ...(over.subject ?? [NAME]),
  ...(over.spki ?? [SPKI]),
  ...(over.tail ?? []),
];
const exts = (...e: Uint8Array[]) => encode(0xa3, encode(Tag.SEQUENCE, ...e));

describe('certificate structure', () => {
  it('reads a minimal hand-written certificate', () => {
    const c = parseCertificate(rawCert(fields({ tail: [exts(basicConstraintsExtension(true, 2), keyUsageExtension(5))] })));
    expect(c.version).toBe(3);
    expect(basicConstraints(c)).toEqual({ ca: true, pathLength: 2 });
    expect(keyUsage(c)).toEqual(['keyCertSign']);
  });

  it('refuses an inner signature algorithm that differs from the outer one (RFC 5280 §4.1.1.2)', () => {
    const inner = algorithmIdentifier('ecdsa-sha384');
    expect(() => parseCertificate(rawCert(fields({ alg: [inner] })))).toThrow(/differs from the outer signatureAlgorithm/);
    // Same OID, parameters only on one side: still not the same identifier.
    const withNull = encode(Tag.SEQUENCE, encodeOid('1.2.840.10045.4.3.2'), fromHex('0500'));
    expect(() => parseCertificate(rawCert(fields({ alg: [withNull] })))).toThrow(/differs/);
  });

  it('refuses fields missing, out of place or left over', () => {
    expect(() => parseCertificate(rawCert(fields({ serial: [] })))).toThrow(/serialNumber/);
    expect(() => parseCertificate(rawCert(fields({ tail: [integer(5n)] })))).toThrow(/unexpected field/);
    expect(() => parseCertificate(encode(Tag.SEQUENCE, encode(Tag.SEQUENCE, ...fields()), ALG))).toThrow(/missing signatureValue/);
    expect(() =>
      parseCertificate(encode(Tag.SEQUENCE, encode(Tag.SEQUENCE, ...fields()), ALG, encode(Tag.BIT_STRING, fromHex('00')), fromHex('0500'))),
    ).toThrow(/unexpected field/);
    const threeTimes = encode(Tag.SEQUENCE, ...[...Array(3)].map(() => encode(Tag.UTC_TIME, new TextEncoder().encode('240101000000Z'))));
    expect(() => parseCertificate(rawCert(fields({ validity: [threeTimes] })))).toThrow(/validity has 1 unexpected/);
  });

  it('refuses versions and extensions that do not go together', () => {
    expect(() => parseCertificate(rawCert(fields({ version: [encode(0xa0, integer(3n))] })))).toThrow(/unknown certificate version 4/);
    expect(() => parseCertificate(rawCert(fields({ version: [], tail: [exts(basicConstraintsExtension(true))] })))).toThrow(/extensions in a version 1/);
    expect(parseCertificate(rawCert(fields({ version: [] }))).version).toBe(1);
  });

  it('refuses repeated, empty or malformed extensions', () => {
    expect(() => parseCertificate(rawCert(fields({ tail: [exts(basicConstraintsExtension(true), basicConstraintsExtension(false))] })))).toThrow(
      /2.5.29.19 appears twice/,
    );
    expect(() => parseCertificate(rawCert(fields({ tail: [encode(0xa3, encode(Tag.SEQUENCE))] })))).toThrow(/empty Extensions/);
    const badBool = encode(Tag.SEQUENCE, encodeOid('2.5.29.19'), fromHex('010101'), encode(Tag.OCTET_STRING, fromHex('3000')));
    expect(() => parseCertificate(rawCert(fields({ tail: [exts(badBool)] })))).toThrow(/not a DER BOOLEAN/);
    // A malformed basicConstraints value parses as bytes but fails when read.
    const c = parseCertificate(rawCert(fields({ tail: [exts(extension('2.5.29.19', true, fromHex('30030101ff00')))] })));
    expect(() => basicConstraints(c)).toThrow(DerError);
  });

  it('refuses non-RFC 5280 times and impossible dates', () => {
    const t = (a: string, b: string, tag: number = Tag.UTC_TIME) =>
      encode(Tag.SEQUENCE, encode(tag, new TextEncoder().encode(a)), encode(tag, new TextEncoder().encode(b)));
    expect(() => parseCertificate(rawCert(fields({ validity: [t('2401010000Z', '340101000000Z')] })))).toThrow(/notBefore is not in the RFC 5280 form/);
    expect(() => parseCertificate(rawCert(fields({ validity: [t('240101000000+0800', '340101000000Z')] })))).toThrow(/RFC 5280 form/);
    expect(() => parseCertificate(rawCert(fields({ validity: [t('20240101000000Z', '20340101000000Z')] })))).toThrow(/RFC 5280 form/);
    expect(() => parseCertificate(rawCert(fields({ validity: [t('240230000000Z', '340101000000Z')] })))).toThrow(/not a calendar date/);
    expect(() => parseCertificate(rawCert(fields({ validity: [t('20240101000000.5Z', '20340101000000Z', Tag.GENERALIZED_TIME)] })))).toThrow(/RFC 5280 form/);
    const c = parseCertificate(rawCert(fields({ validity: [t('20240229235959Z', '20560101000000Z', Tag.GENERALIZED_TIME)] })));
    expect(c.notBefore.toISOString()).toBe('2024-02-29T23:59:59.000Z');
  });

  it('refuses non-DER content where no field reader looks (algorithm parameters, attribute values)', () => {
    const truncatedCurve = encode(
      Tag.SEQUENCE,
      encode(Tag.SEQUENCE, encodeOid('1.2.840.10045.2.1'), fromHex('06082a8648ce3d0301b7')),
      encode(Tag.BIT_STRING, fromHex('0004')),
    );
    expect(() => parseCertificate(rawCert(fields({ spki: [truncatedCurve] })))).toThrow(/truncated OID/);
    const nullWithContent = encode(
      Tag.SEQUENCE,
      encode(Tag.SEQUENCE, encodeOid('1.2.840.113549.1.1.1'), fromHex('050100')),
      encode(Tag.BIT_STRING, fromHex('0004')),
    );
    expect(() => parseCertificate(rawCert(fields({ spki: [nullWithContent] })))).toThrow(/NULL with content/);
    const reserved = encode(Tag.SEQUENCE, encode(Tag.SET, encode(Tag.SEQUENCE, encodeOid('2.5.4.3'), fromHex('0f0141'))));
    expect(() => parseCertificate(rawCert(fields({ subject: [reserved] })))).toThrow(/reserved universal tag 15/);
    // Byte = character in PrintableString/TeletexString (ISO 8859-1, not windows-1252).
    const t61 = encode(Tag.SEQUENCE, encode(Tag.SET, encode(Tag.SEQUENCE, encodeOid('2.5.4.3'), fromHex('14028ae9'))));
    expect(parseCertificate(rawCert(fields({ subject: [t61] }))).subject[0]?.value).toBe('\u008a\u00e9');
  });

  it('refuses non-minimal serials and names with empty RDNs or invalid strings', () => {
    expect(() => parseCertificate(rawCert(fields({ serial: [encode(Tag.INTEGER, fromHex('0001'))] })))).toThrow(/serialNumber is not minimally encoded/);
    expect(() => parseCertificate(rawCert(fields({ issuer: [encode(Tag.SEQUENCE, encode(Tag.SET))] })))).toThrow(/empty RelativeDistinguishedName/);
    const badUtf8 = encode(Tag.SEQUENCE, encode(Tag.SET, encode(Tag.SEQUENCE, encodeOid('2.5.4.3'), encode(Tag.UTF8_STRING, fromHex('c3')))));
    expect(() => parseCertificate(rawCert(fields({ subject: [badUtf8] })))).toThrow(/not valid UTF-8/);
  });
});

describe('chain step', async () => {
  const [rootKeys, interKeys, leafKeys] = await Promise.all([ecKey('P-384'), ecKey('P-384'), ecKey('P-256')]);
  const rootName: Name = [['CN', 'Test Root']];
  const interName: Name = [['CN', 'Test Intermediate']];
  const leafName: Name = [['CN', 'Test Leaf']];
  const rootDer = await issue({
    subject: rootName,
    issuer: rootName,
    publicKey: rootKeys.publicKey,
    issuerKey: rootKeys.privateKey,
    algorithm: 'ecdsa-sha384',
    extensions: caExtensions(),
  });
  const interDer = await issue({
    subject: interName,
    issuer: rootName,
    publicKey: interKeys.publicKey,
    issuerKey: rootKeys.privateKey,
    algorithm: 'ecdsa-sha384',
    extensions: caExtensions(0),
  });
  const leafDer = await issue({
    subject: leafName,
    issuer: interName,
    publicKey: leafKeys.publicKey,
    issuerKey: interKeys.privateKey,
    algorithm: 'ecdsa-sha256',
    extensions: leafExtensions(),
  });
  const [root, inter, leaf] = [rootDer, interDer, leafDer].map((d) => parseCertificate(d)) as [Certificate, Certificate, Certificate];

  it('accepts root → intermediate → leaf', async () => {
    expect(await step(checkIssuedBy(inter, root, { issuerIsTrustAnchor: true, intermediatesBelow: 1 }))).toBe('ok');
    expect(await step(checkIssuedBy(leaf, inter))).toBe('ok');
  });

  it('an inner/outer algorithm mismatch never reaches the chain step, even when correctly signed', async () => {
    const mismatched = await issue({
      subject: leafName,
      issuer: interName,
      publicKey: leafKeys.publicKey,
      issuerKey: interKeys.privateKey,
      algorithm: 'ecdsa-sha256',
      innerAlgorithm: 'ecdsa-sha384',
      extensions: leafExtensions(),
    });
    expect(() => parseCertificate(mismatched)).toThrow(/differs from the outer signatureAlgorithm/);
  });

  it('names must chain', async () => {
    expect(await step(checkIssuedBy(leaf, root, { issuerIsTrustAnchor: true }))).toBe('name_mismatch');
  });

  it('the issuer must be a CA that may sign certificates (unless it is the trust anchor)', async () => {
    const subName: Name = [['CN', 'Under the leaf']];
    const sub = parseCertificate(
      await issue({ subject: subName, issuer: leafName, publicKey: leafKeys.publicKey, issuerKey: leafKeys.privateKey, algorithm: 'ecdsa-sha256' }),
    );
    expect(await step(checkIssuedBy(sub, leaf))).toBe('issuer_not_ca');
    // Pinned as a trust anchor, its own extensions are not path input.
    expect(await step(checkIssuedBy(sub, leaf, { issuerIsTrustAnchor: true }))).toBe('ok');
    const noCertSign = parseCertificate(
      await issue({
        subject: interName,
        issuer: rootName,
        publicKey: interKeys.publicKey,
        issuerKey: rootKeys.privateKey,
        algorithm: 'ecdsa-sha384',
        extensions: [basicConstraintsExtension(true), keyUsageExtension(6)],
      }),
    );
    expect(await step(checkIssuedBy(leaf, noCertSign))).toBe('issuer_cannot_sign_certificates');
    const noKeyUsage = parseCertificate(
      await issue({
        subject: interName,
        issuer: rootName,
        publicKey: interKeys.publicKey,
        issuerKey: rootKeys.privateKey,
        algorithm: 'ecdsa-sha384',
        extensions: [basicConstraintsExtension(true)],
      }),
    );
    expect(await step(checkIssuedBy(leaf, noKeyUsage))).toBe('ok');
  });

  it('respects the issuer’s path length', async () => {
    // inter says pathLen 0: nothing but end entities below it.
    expect(await step(checkIssuedBy(leaf, inter, { intermediatesBelow: 0 }))).toBe('ok');
    expect(await step(checkIssuedBy(leaf, inter, { intermediatesBelow: 1 }))).toBe('path_length_exceeded');
    // The anchor's pathLen is not enforced (RFC 5280 §6.1.1 (d)); root has none anyway.
    expect(await step(checkIssuedBy(inter, root, { issuerIsTrustAnchor: true, intermediatesBelow: 5 }))).toBe('ok');
  });

  it('refuses a critical extension nobody processes, unless the caller handles it', async () => {
    const marker = '1.2.840.113635.100.6.11.1';
    const withCritical = parseCertificate(
      await issue({
        subject: leafName,
        issuer: interName,
        publicKey: leafKeys.publicKey,
        issuerKey: interKeys.privateKey,
        algorithm: 'ecdsa-sha256',
        extensions: [...leafExtensions(), extension(marker, true, fromHex('0500'))],
      }),
    );
    expect(hasExtension(withCritical, marker)).toBe(true);
    expect(await step(checkIssuedBy(withCritical, inter))).toBe('unhandled_critical_extension');
    expect(await step(checkIssuedBy(withCritical, inter, { handledCriticalExtensions: [marker] }))).toBe('ok');
    const nonCritical = parseCertificate(
      await issue({
        subject: leafName,
        issuer: interName,
        publicKey: leafKeys.publicKey,
        issuerKey: interKeys.privateKey,
        algorithm: 'ecdsa-sha256',
        extensions: [...leafExtensions(), extension(marker, false, fromHex('0500'))],
      }),
    );
    expect(await step(checkIssuedBy(nonCritical, inter))).toBe('ok');
  });

  it('the signature must verify with the issuer’s key', async () => {
    const other = await ecKey('P-384');
    const forged = parseCertificate(
      await issue({
        subject: leafName,
        issuer: interName,
        publicKey: leafKeys.publicKey,
        issuerKey: other.privateKey,
        algorithm: 'ecdsa-sha256',
        extensions: leafExtensions(),
      }),
    );
    expect(await step(checkIssuedBy(forged, inter))).toBe('signature_invalid');
    // The same key, another certificate: a tbs changed after signing.
    const edited: Certificate = { ...leaf, tbsCertificate: leaf.tbsCertificate.slice() };
    edited.tbsCertificate[20] = (edited.tbsCertificate[20] as number) ^ 1;
    expect(await verifySignedBy(edited, inter)).toBe(false);
  });

  it('verifies RSA (SHA-1 and SHA-256) and the self-signed WeChat certificate', async () => {
    const wx = parseCertificate(pem);
    expect(await verifySignedBy(wx, wx)).toBe(true);
    const forged = { ...wx, tbsCertificate: wx.tbsCertificate.slice() };
    forged.tbsCertificate[20] = (forged.tbsCertificate[20] as number) ^ 1;
    expect(await verifySignedBy(forged, wx)).toBe(false);
    const rsa1 = await rsaKey('SHA-1');
    const self = parseCertificate(
      await issue({
        subject: rootName,
        issuer: rootName,
        publicKey: rsa1.publicKey,
        issuerKey: rsa1.privateKey,
        algorithm: 'rsa-sha1',
        extensions: caExtensions(),
      }),
    );
    expect(self.signatureAlgorithm).toBe('1.2.840.113549.1.1.5');
    expect(await step(checkIssuedBy(self, self))).toBe('ok');
    // An EC issuer cannot have made an RSA signature, nor an RSA issuer an ECDSA one.
    expect(await verifySignedBy(self, root)).toBe(false);
    expect(await verifySignedBy(inter, self)).toBe(false);
  });

  it('validity at a given time, with optional skew', async () => {
    const nb = leaf.notBefore.getTime();
    const na = leaf.notAfter.getTime();
    expect(await step(() => checkValidityAt(leaf, nb))).toBe('ok');
    expect(await step(() => checkValidityAt(leaf, nb - 1))).toBe('not_yet_valid');
    expect(await step(() => checkValidityAt(leaf, nb - 60_000, 60_000))).toBe('ok');
    expect(await step(() => checkValidityAt(leaf, na))).toBe('ok');
    expect(await step(() => checkValidityAt(leaf, na + 1))).toBe('expired');
    expect(await step(() => checkValidityAt(leaf, na + 60_001, 60_000))).toBe('expired');
  });
});

describe('pem / der', () => {
  it('round-trips and tolerates literal \\n escapes', () => {
    const der = pemToDer(pem);
    expect(pemToDer(derToPem(der, 'CERTIFICATE'))).toEqual(der);
    expect(pemDecode(pem.replace(/\n/g, '\\n')).der).toEqual(der);
    expect(() => pemToDer(pem, 'PUBLIC KEY')).toThrow(/Expected a PEM "PUBLIC KEY"/);
  });
});
