import { describe, expect, it } from 'vitest';
import { utf8 } from '../crypto/encoding';
import { parseCertificate } from '../crypto/x509';
import { VerificationError } from '../lib/errors';
import { SANDBOX_LEAF_NAME, buildChain, generateEcKey, issueCertificate, type Name, type SandboxChain } from '../../../sandbox/src/apple/pki';
import { APPLE_INTERMEDIATE_MARKER_OID, APPLE_LEAF_MARKER_OID, MAX_SKEW_MS } from './chain';
import { base64UrlDecode, base64UrlEncode, decodeJws, signJws } from './jws';
import { verifyAppleJws } from './verify';

const SECRET = 'sk_test_unit0000000000000000000000';
const NOW = Date.UTC(2026, 5, 1);

const sign = (chain: SandboxChain, payload: Record<string, unknown>, der = false) =>
  signJws(payload, chain.leaf.keys.privateKey, { chain: [chain.leaf.der, chain.intermediate.der, chain.root.der], derSignature: der });

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof VerificationError) return e.code;
    throw e;
  }
  return 'ok';
}

describe('verifyAppleJws', async () => {
  const chain = await buildChain(SECRET, '');
  const roots = [chain.root.cert];
  const payload = { transactionId: '2000000000000001', bundleId: 'com.example.app', signedDate: NOW };

  it('accepts an ES256 token whose chain ends at a pinned root, and returns its payload', async () => {
    const v = await verifyAppleJws(await sign(chain, payload), roots);
    expect(v.payload).toEqual(payload);
    expect(v.signedDate).toBe(NOW);
  });

  it('trusts the pinned root, never the root in x5c', async () => {
    const foreign = await buildChain(SECRET, 'foreign/');
    // Same names, other keys: only the signature check tells it apart.
    expect(foreign.root.cert.subject).toEqual(chain.root.cert.subject);
    expect(await code(verifyAppleJws(await sign(foreign, payload), roots))).toBe('jws_chain_untrusted');
    // A chain that carries the pinned root as x5c[2] but was issued by another root is still refused.
    const swapped = await signJws(payload, foreign.leaf.keys.privateKey, { chain: [foreign.leaf.der, foreign.intermediate.der, chain.root.der] });
    expect(await code(verifyAppleJws(swapped, roots))).toBe('jws_chain_untrusted');
  });

  it('refuses a leaf that its intermediate did not sign', async () => {
    const foreign = await buildChain(SECRET, 'foreign/');
    const mixed = await signJws(payload, foreign.leaf.keys.privateKey, { chain: [foreign.leaf.der, chain.intermediate.der, chain.root.der] });
    expect(await code(verifyAppleJws(mixed, roots))).toBe('jws_chain_untrusted');
  });

  it("requires Apple's marker OIDs on the intermediate and the leaf", async () => {
    const noInter = await buildChain(SECRET, '', { intermediateMarker: false });
    expect(await code(verifyAppleJws(await sign(noInter, payload), roots))).toBe('jws_certificate_marker_missing');
    const noLeaf = await buildChain(SECRET, '', { leafMarker: false });
    expect(await code(verifyAppleJws(await sign(noLeaf, payload), roots))).toBe('jws_certificate_marker_missing');
  });

  it('requires the intermediate to be a CA', async () => {
    // The leaf (not a CA, but with both markers) posing as the intermediate of a second leaf.
    const leafKey = await generateEcKey();
    const name: Name = [['CN', 'Sub leaf']];
    const sub = await issueCertificate({
      subject: name,
      issuer: SANDBOX_LEAF_NAME,
      serial: 9n,
      notBefore: new Date(Date.UTC(2024, 0, 1)),
      notAfter: new Date(Date.UTC(2030, 0, 1)),
      publicKey: leafKey.publicKey,
      issuerKey: chain.leaf.keys.privateKey,
      ca: false,
      markers: [APPLE_LEAF_MARKER_OID, APPLE_INTERMEDIATE_MARKER_OID],
    });
    const t = await signJws(payload, leafKey.privateKey, { chain: [sub, chain.leaf.der, chain.root.der] });
    // Pin the real intermediate as the root, so rule 1 passes and only the CA rule is left.
    expect(await code(verifyAppleJws(t, [chain.intermediate.cert]))).toBe('jws_chain_untrusted');
  });

  it('checks every certificate at signedDate, with 60 s of skew', async () => {
    const short = await buildChain(SECRET, '', { leafNotBefore: new Date(Date.UTC(2024, 0, 1)), leafNotAfter: new Date(Date.UTC(2024, 11, 31)) });
    const end = Date.UTC(2024, 11, 31);
    expect(await code(verifyAppleJws(await sign(short, { ...payload, signedDate: end + MAX_SKEW_MS }), roots))).toBe('ok');
    expect(await code(verifyAppleJws(await sign(short, { ...payload, signedDate: end + MAX_SKEW_MS + 1 }), roots))).toBe('jws_certificate_expired');
    // Signed while valid: still good today (Apple's offline rule).
    expect(await code(verifyAppleJws(await sign(short, { ...payload, signedDate: Date.UTC(2024, 5, 1) }), roots))).toBe('ok');
    expect(await code(verifyAppleJws(await sign(chain, { ...payload, signedDate: Date.UTC(2023, 0, 1) }), roots))).toBe('jws_certificate_not_yet_valid');
  });

  it('wants signedDate in the payload', async () => {
    expect(await code(verifyAppleJws(await sign(chain, { transactionId: '1' }), roots))).toBe('jws_payload_invalid');
  });

  it('refuses a DER-encoded ES256 signature, and says so', async () => {
    expect(await code(verifyAppleJws(await sign(chain, payload, true), roots))).toBe('jws_signature_der');
  });

  it('refuses a token changed after signing', async () => {
    const [h, , s] = (await sign(chain, payload)).split('.');
    const edited = base64UrlEncode(utf8(JSON.stringify({ ...payload, bundleId: 'com.example.other' })));
    expect(await code(verifyAppleJws(`${h}.${edited}.${s}`, roots))).toBe('jws_signature_invalid');
    // Even the signedDate: the signature is checked before any date is trusted.
    const backdated = base64UrlEncode(utf8(JSON.stringify({ ...payload, signedDate: Date.UTC(2020, 0, 1) })));
    expect(await code(verifyAppleJws(`${h}.${backdated}.${s}`, roots))).toBe('jws_signature_invalid');
  });

  it('refuses alg other than ES256, and malformed tokens', async () => {
    const t = await sign(chain, payload);
    const [h, p, s] = t.split('.') as [string, string, string];
    const header = JSON.parse(new TextDecoder().decode(base64UrlDecode(h))) as Record<string, unknown>;
    for (const alg of ['none', 'HS256', 'ES384', undefined]) {
      const h2 = base64UrlEncode(utf8(JSON.stringify({ ...header, alg })));
      expect(await code(verifyAppleJws(`${h2}.${p}.${s}`, roots))).toBe('jws_algorithm_unsupported');
    }
    expect(await code(verifyAppleJws(`${h}.${p}`, roots))).toBe('jws_malformed');
    expect(await code(verifyAppleJws(`${h}.${p}.${s}.x`, roots))).toBe('jws_malformed');
    expect(await code(verifyAppleJws(`${h}.bm90IGpzb24.${s}`, roots))).toBe('jws_malformed');
    expect(await code(verifyAppleJws(`${h}.${p}.${s.slice(0, -4)}`, roots))).toBe('jws_signature_invalid');
  });

  it('wants exactly three x5c certificates', async () => {
    const two = await signJws(payload, chain.leaf.keys.privateKey, { chain: [chain.leaf.der, chain.intermediate.der] });
    expect(await code(verifyAppleJws(two, roots))).toBe('jws_chain_invalid');
    const t = await sign(chain, payload);
    const [, p, s] = t.split('.');
    const noX5c = base64UrlEncode(utf8(JSON.stringify({ alg: 'ES256' })));
    expect(await code(verifyAppleJws(`${noX5c}.${p}.${s}`, roots))).toBe('jws_chain_invalid');
    const junk = base64UrlEncode(utf8(JSON.stringify({ alg: 'ES256', x5c: ['AAAA', 'AAAA', 'AAAA'] })));
    expect(await code(verifyAppleJws(`${junk}.${p}.${s}`, roots))).toBe('jws_certificate_malformed');
  });

  it("verifies a chain shaped like the App Store's: P-384 root and intermediate signing with SHA-384, P-256 leaf", async () => {
    const [rk, ik, lk] = [await generateEcKey('P-384'), await generateEcKey('P-384'), await generateEcKey('P-256')];
    const rn: Name = [['CN', 'Test Root CA - G3']];
    const inn: Name = [
      ['CN', 'Test WWDR CA'],
      ['OU', 'G6'],
    ];
    const common = { notBefore: new Date(Date.UTC(2024, 0, 1)), notAfter: new Date(Date.UTC(2035, 0, 1)), hash: 'SHA-384' as const };
    const root = await issueCertificate({ ...common, subject: rn, issuer: rn, serial: 1n, publicKey: rk.publicKey, issuerKey: rk.privateKey, ca: true });
    const inter = await issueCertificate({
      ...common,
      subject: inn,
      issuer: rn,
      serial: 2n,
      publicKey: ik.publicKey,
      issuerKey: rk.privateKey,
      ca: true,
      markers: [APPLE_INTERMEDIATE_MARKER_OID],
    });
    const leaf = await issueCertificate({
      ...common,
      subject: [['CN', 'Test leaf']],
      issuer: inn,
      serial: 3n,
      publicKey: lk.publicKey,
      issuerKey: ik.privateKey,
      ca: false,
      markers: [APPLE_LEAF_MARKER_OID],
    });
    expect(parseCertificate(inter).signatureAlgorithm).toBe('1.2.840.10045.4.3.3');
    const t = await signJws(payload, lk.privateKey, { chain: [leaf, inter, root] });
    expect((await verifyAppleJws(t, [parseCertificate(root)])).payload).toEqual(payload);
    // A P-384 leaf cannot have made an ES256 signature.
    const leaf384 = await issueCertificate({
      ...common,
      subject: [['CN', 'Test leaf']],
      issuer: inn,
      serial: 4n,
      publicKey: ik.publicKey,
      issuerKey: ik.privateKey,
      ca: false,
      markers: [APPLE_LEAF_MARKER_OID],
    });
    const t384 = await signJws(payload, lk.privateKey, { chain: [leaf384, inter, root] });
    expect(await code(verifyAppleJws(t384, [parseCertificate(root)]))).toBe('jws_key_unsupported');
  });

  it('decodeJws keeps the exact signing input', async () => {
    const t = await sign(chain, payload);
    const d = decodeJws(t);
    expect(new TextDecoder().decode(d.signingInput)).toBe(t.split('.').slice(0, 2).join('.'));
    expect(d.signature.length).toBe(64);
  });
});
