// The x5c chain rules on certificates written with crypto/fixtures/issue.ts, shaped like the App
// Store's (P-384 root and WWDR-style intermediate signing with SHA-384, P-256 leaf), including
// defects the shared X.509 reader and chain step must catch before any signature is believed.
import { describe, expect, it } from 'vitest';
import { fromHex } from '../crypto/encoding';
import { basicConstraintsExtension, caExtensions, ecKey, extension, issue, keyUsageExtension, leafExtensions, type Name } from '../crypto/fixtures/issue';
import { parseCertificate } from '../crypto/x509';
import { VerificationError } from '../lib/errors';
import { APPLE_INTERMEDIATE_MARKER_OID, APPLE_LEAF_MARKER_OID } from './chain';
import { signJws } from './jws';
import { verifyAppleJws } from './verify';

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof VerificationError) return e.code;
    throw e;
  }
  return 'ok';
}

const NULL = fromHex('0500');
const marker = (oid: string, critical = false) => extension(oid, critical, NULL);

describe('App Store x5c chain', async () => {
  const [rk, ik, lk] = [await ecKey('P-384'), await ecKey('P-384'), await ecKey('P-256')];
  const rootName: Name = [
    ['CN', 'Test Root CA - G3'],
    ['O', 'Test'],
  ];
  const interName: Name = [
    ['CN', 'Test WWDR CA'],
    ['OU', 'G6'],
    ['O', 'Test'],
  ];
  const leafName: Name = [
    ['CN', 'Test Receipt Signing'],
    ['O', 'Test'],
  ];
  const root = await issue({
    subject: rootName,
    issuer: rootName,
    publicKey: rk.publicKey,
    issuerKey: rk.privateKey,
    algorithm: 'ecdsa-sha384',
    extensions: caExtensions(),
  });
  const interExts = [...caExtensions(0), marker(APPLE_INTERMEDIATE_MARKER_OID)];
  const inter = await issue({
    subject: interName,
    issuer: rootName,
    publicKey: ik.publicKey,
    issuerKey: rk.privateKey,
    algorithm: 'ecdsa-sha384',
    extensions: interExts,
  });
  const leafOf = (extensions: Uint8Array[], more: { innerAlgorithm?: 'ecdsa-sha384' } = {}) =>
    issue({ subject: leafName, issuer: interName, publicKey: lk.publicKey, issuerKey: ik.privateKey, algorithm: 'ecdsa-sha256', extensions, ...more });
  const leaf = await leafOf([...leafExtensions(), marker(APPLE_LEAF_MARKER_OID)]);
  const roots = [parseCertificate(root)];
  const payload = { transactionId: '2000000000000001', signedDate: Date.UTC(2026, 0, 1) };
  const token = (chain: Uint8Array[]) => signJws(payload, lk.privateKey, { chain });

  it('accepts the well-formed chain', async () => {
    expect(await code(verifyAppleJws(await token([leaf, inter, root]), roots))).toBe('ok');
  });

  it('refuses a certificate with bytes after it', async () => {
    const padded = new Uint8Array([...leaf, 0x00]);
    expect(await code(verifyAppleJws(await token([padded, inter, root]), roots))).toBe('jws_certificate_malformed');
    const paddedInter = new Uint8Array([...inter, 0x05, 0x00]);
    expect(await code(verifyAppleJws(await token([leaf, paddedInter, root]), roots))).toBe('jws_certificate_malformed');
  });

  it('refuses a leaf whose inner signature algorithm differs from the outer one, though its signature verifies', async () => {
    const mismatched = await leafOf([...leafExtensions(), marker(APPLE_LEAF_MARKER_OID)], { innerAlgorithm: 'ecdsa-sha384' });
    expect(await code(verifyAppleJws(await token([mismatched, inter, root]), roots))).toBe('jws_certificate_malformed');
  });

  it('refuses a critical extension nobody processes; a critical marker is processed', async () => {
    const unknown = await leafOf([...leafExtensions(), marker(APPLE_LEAF_MARKER_OID), extension('1.2.3.4', true, NULL)]);
    expect(await code(verifyAppleJws(await token([unknown, inter, root]), roots))).toBe('jws_chain_untrusted');
    const criticalMarker = await leafOf([...leafExtensions(), marker(APPLE_LEAF_MARKER_OID, true)]);
    expect(await code(verifyAppleJws(await token([criticalMarker, inter, root]), roots))).toBe('ok');
  });

  it('refuses an intermediate without keyCertSign, and one with a malformed basicConstraints', async () => {
    const noCertSign = await issue({
      subject: interName,
      issuer: rootName,
      publicKey: ik.publicKey,
      issuerKey: rk.privateKey,
      algorithm: 'ecdsa-sha384',
      extensions: [basicConstraintsExtension(true), keyUsageExtension(0), marker(APPLE_INTERMEDIATE_MARKER_OID)],
    });
    expect(await code(verifyAppleJws(await token([leaf, noCertSign, root]), roots))).toBe('jws_chain_untrusted');
    const badBc = await issue({
      subject: interName,
      issuer: rootName,
      publicKey: ik.publicKey,
      issuerKey: rk.privateKey,
      algorithm: 'ecdsa-sha384',
      extensions: [extension('2.5.29.19', true, fromHex('30030101')), keyUsageExtension(5), marker(APPLE_INTERMEDIATE_MARKER_OID)],
    });
    expect(await code(verifyAppleJws(await token([leaf, badBc, root]), roots))).toBe('jws_certificate_malformed');
  });
});
