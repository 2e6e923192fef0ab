import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../../worker/src/crypto/encoding';
import { pemToDer } from '../../../worker/src/crypto/pem';
import { parseCertificate } from '../../../worker/src/crypto/x509';
import { APPLE_SANDBOX_ROOT_PEM, TEST } from '../../../worker/test/fixtures/config';
import { app } from '../index';
import { APPLE_INTERMEDIATE_MARKER_OID, APPLE_LEAF_MARKER_OID } from '../../../worker/src/apple/chain';
import { hasExtension, mayIssueCertificates } from '../../../worker/src/crypto/x509';
import { buildChain, derivedP256 } from './pki';

const spkiHex = async (k: CryptoKey) => toHex(new Uint8Array((await crypto.subtle.exportKey('spki', k)) as ArrayBuffer));

describe('Apple sandbox PKI', () => {
  it('derives the same P-256 key from the same secret in every isolate, and another from another secret', async () => {
    const a = await derivedP256('sk_test_aaaaaaaaaaaaaaaaaaaaaaaa', 'root');
    const b = await derivedP256('sk_test_aaaaaaaaaaaaaaaaaaaaaaaa', 'root');
    const c = await derivedP256('sk_test_bbbbbbbbbbbbbbbbbbbbbbbb', 'root');
    const d = await derivedP256('sk_test_aaaaaaaaaaaaaaaaaaaaaaaa', 'leaf');
    expect(await spkiHex(a.publicKey)).toBe(await spkiHex(b.publicKey));
    expect(await spkiHex(a.publicKey)).not.toBe(await spkiHex(c.publicKey));
    expect(await spkiHex(a.publicKey)).not.toBe(await spkiHex(d.publicKey));
    // The private half signs what the public half verifies.
    const sig = await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, a.privateKey, new Uint8Array([1]));
    expect(await crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, b.publicKey, sig, new Uint8Array([1]))).toBe(true);
  });

  it("shapes the chain like the App Store's: markers on intermediate and leaf, the intermediate a CA", async () => {
    const { root, intermediate, leaf } = await buildChain('sk_test_aaaaaaaaaaaaaaaaaaaaaaaa', '');
    expect(mayIssueCertificates(root.cert)).toBe(true);
    expect(mayIssueCertificates(intermediate.cert)).toBe(true);
    expect(mayIssueCertificates(leaf.cert)).toBe(false);
    expect(hasExtension(intermediate.cert, APPLE_INTERMEDIATE_MARKER_OID)).toBe(true);
    expect(hasExtension(leaf.cert, APPLE_LEAF_MARKER_OID)).toBe(true);
    expect(hasExtension(leaf.cert, APPLE_INTERMEDIATE_MARKER_OID)).toBe(false);
    expect(leaf.cert.notAfter.toISOString()).toBe('2049-12-31T23:59:59.000Z');
    const noMarker = await buildChain('sk_test_aaaaaaaaaaaaaaaaaaaaaaaa', '', { leafMarker: false });
    expect(hasExtension(noMarker.leaf.cert, APPLE_LEAF_MARKER_OID)).toBe(false);
    expect(await spkiHex(noMarker.leaf.keys.publicKey)).toBe(await spkiHex(leaf.keys.publicKey));
  });

  it('gives a test merchant its root to pin, the one the test fixtures pin for the demo merchant', async () => {
    const res = await app.request(
      `${TEST.public_base_url}/sandbox/apple/_control/root_certificate`,
      { headers: { authorization: `Bearer ${TEST.secret_key}` } },
      env,
    );
    expect(res.status).toBe(200);
    const { root_certificate } = (await res.json()) as { root_certificate: string };
    const { root } = await buildChain(TEST.secret_key, '');
    const given = parseCertificate(pemToDer(root_certificate, 'CERTIFICATE'));
    const fixture = parseCertificate(pemToDer(APPLE_SANDBOX_ROOT_PEM, 'CERTIFICATE'));
    // ECDSA signatures differ per isolate; the name and the key are what a chain check looks at.
    for (const c of [given, fixture]) {
      expect(toHex(c.subjectPublicKeyInfo)).toBe(toHex(root.cert.subjectPublicKeyInfo));
      expect(c.subject).toEqual(root.cert.subject);
    }
    const anonymous = await app.request(`${TEST.public_base_url}/sandbox/apple/_control/root_certificate`, {}, env);
    expect(anonymous.status).toBe(401);
  });
});
