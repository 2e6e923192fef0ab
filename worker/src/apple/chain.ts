// The x5c chain of an App Store JWS. A signature proves something only when its leaf is vouched
// for by Apple (developer.apple.com/documentation/appstoreserverapi/jwsdecodedheader: x5c is the
// leaf, the intermediate and the root; Apple's App Store Server Library checks it in
// SignedDataVerifier.verifyCertificateChain):
//   1. exactly three certificates, [leaf, intermediate, root]; the root in the header is never
//      trusted — the intermediate must be signed by one of the PINNED roots (apple.root_certificates),
//      and the leaf by the intermediate, with issuer/subject names chaining;
//   2. the intermediate may issue certificates (basicConstraints cA, keyUsage keyCertSign, path
//      length), and no certificate carries a critical extension nobody processes;
//   3. Apple's marker OIDs: leaf 1.2.840.113635.100.6.11.1 (App Store receipt signing), intermediate
//      1.2.840.113635.100.6.2.1 (WWDR). Without them any certificate Apple ever issued under its
//      root — a developer's own, say — would pass;
//   4. the leaf's key is P-256 (the JWS is ES256);
//   5. leaf, intermediate and root are valid at the JWS's signedDate, ±60 s (Apple's MAX_SKEW).
// Rules 1, 2 and 5 are crypto/x509.ts's chain step and validity check; this file is Apple's policy.
// Revocation (OCSP) is not checked: Apple's library does so only with online checks on, and then
// validates at the current time instead of signedDate.

import { VerificationError } from '../lib/errors';
import { CertPathError, DerError, checkIssuedBy, checkValidityAt, formatName, parseCertificate, type Certificate } from '../crypto/x509';
import { importEcdsaPublicKey, spkiCurve } from '../crypto/ecdsa';
import { requireMarker } from './extensions';

export const APPLE_LEAF_MARKER_OID = '1.2.840.113635.100.6.11.1';
export const APPLE_INTERMEDIATE_MARKER_OID = '1.2.840.113635.100.6.2.1';
/** Apple's SignedDataVerifier allows this much clock skew on certificate dates. */
export const MAX_SKEW_MS = 60_000;

export interface AnchoredChain {
  leaf: Certificate;
  intermediate: Certificate;
  /** The pinned root the intermediate verified against (not x5c[2]). */
  root: Certificate;
  /** The leaf's P-256 key, ready for ES256 verification. */
  key: CryptoKey;
}

function parse(der: Uint8Array, what: string): Certificate {
  try {
    return parseCertificate(der);
  } catch (e) {
    throw new VerificationError('jws_certificate_malformed', `${what} is not a readable X.509 certificate: ${(e as Error).message}`);
  }
}

const untrusted = (message: string) => new VerificationError('jws_chain_untrusted', message);

async function anchor(ders: Uint8Array[], roots: readonly Certificate[]): Promise<AnchoredChain> {
  const leaf = parse(ders[0] as Uint8Array, 'x5c[0] (leaf)');
  const intermediate = parse(ders[1] as Uint8Array, 'x5c[1] (intermediate)');
  // x5c[2] must be a certificate, but trust comes only from the pinned roots.
  parse(ders[2] as Uint8Array, 'x5c[2] (root)');

  let root: Certificate | undefined;
  for (const r of roots) {
    try {
      await checkIssuedBy(intermediate, r, { issuerIsTrustAnchor: true, intermediatesBelow: 1, handledCriticalExtensions: [APPLE_INTERMEDIATE_MARKER_OID] });
      root = r;
      break;
    } catch (e) {
      if (!(e instanceof CertPathError)) throw e;
      // Another pinned root may be the issuer; any other failure is the intermediate's own.
      if (e.reason === 'name_mismatch' || e.reason === 'signature_invalid') continue;
      throw untrusted(`The intermediate ("${formatName(intermediate.subject)}") is not trusted: ${e.message}.`);
    }
  }
  if (!root) {
    throw untrusted(
      `The intermediate ("${formatName(intermediate.subject)}", issued by "${formatName(intermediate.issuer)}") was not signed by any pinned root in apple.root_certificates. ` +
        'Either the token was not signed by the App Store, or it comes from a chain this merchant does not pin (for a test merchant on the provider sandbox: the root GET /sandbox/apple/_control/root_certificate gives).',
    );
  }
  try {
    await checkIssuedBy(leaf, intermediate, { intermediatesBelow: 0, handledCriticalExtensions: [APPLE_LEAF_MARKER_OID] });
  } catch (e) {
    if (e instanceof DerError) throw new VerificationError('jws_certificate_malformed', `The intermediate's extensions are unreadable: ${e.message}`);
    if (!(e instanceof CertPathError)) throw e;
    if (e.reason === 'name_mismatch' || e.reason === 'signature_invalid') {
      throw untrusted(`The leaf ("${formatName(leaf.subject)}") was not signed by the intermediate in x5c[1].`);
    }
    if (e.reason === 'issuer_not_ca' || e.reason === 'issuer_cannot_sign_certificates') {
      throw untrusted('The intermediate is not a CA certificate (basicConstraints cA / keyUsage keyCertSign).');
    }
    throw untrusted(`The leaf ("${formatName(leaf.subject)}") is not trusted: ${e.message}.`);
  }
  requireMarker(intermediate, APPLE_INTERMEDIATE_MARKER_OID, 'intermediate');
  requireMarker(leaf, APPLE_LEAF_MARKER_OID, 'leaf');

  if (spkiCurve(leaf.subjectPublicKeyInfo)?.curve !== 'P-256') {
    throw new VerificationError('jws_key_unsupported', 'The leaf certificate does not hold a P-256 key, so it cannot have made an ES256 signature.');
  }
  return { leaf, intermediate, root, key: await importEcdsaPublicKey(leaf.subjectPublicKeyInfo) };
}

// Signature and extension checks run once per (x5c, pinned roots); dates every time.
const cache = new WeakMap<readonly Certificate[], Map<string, Promise<AnchoredChain>>>();
const MAX_CACHED = 32;

/**
 * Rules 1–4 above for x5c (DER, leaf first) against the pinned `roots`. Throws VerificationError:
 * `jws_chain_invalid`, `jws_certificate_malformed`, `jws_chain_untrusted`, `jws_certificate_marker_missing`,
 * `jws_key_unsupported`.
 */
export function anchorChain(ders: Uint8Array[], roots: readonly Certificate[], cacheKey?: string): Promise<AnchoredChain> {
  if (ders.length !== 3) {
    return Promise.reject(new VerificationError('jws_chain_invalid', `x5c must hold exactly 3 certificates (leaf, intermediate, root), got ${ders.length}.`));
  }
  if (cacheKey === undefined) return anchor(ders, roots);
  let perRoots = cache.get(roots);
  if (!perRoots) cache.set(roots, (perRoots = new Map()));
  let p = perRoots.get(cacheKey);
  if (!p) {
    p = anchor(ders, roots);
    // A failure is not remembered: nothing about it should outlive the request.
    p.catch(() => perRoots.delete(cacheKey));
    if (perRoots.size >= MAX_CACHED) perRoots.delete(perRoots.keys().next().value as string);
    perRoots.set(cacheKey, p);
  }
  return p;
}

/** Rule 5. Throws VerificationError `jws_certificate_expired` / `jws_certificate_not_yet_valid`. */
export function checkChainDates(chain: AnchoredChain, at: number): void {
  const check = (c: Certificate, what: string) => {
    try {
      checkValidityAt(c, at, MAX_SKEW_MS);
    } catch (e) {
      if (!(e instanceof CertPathError)) throw e;
      if (e.reason === 'not_yet_valid') {
        throw new VerificationError(
          'jws_certificate_not_yet_valid',
          `The ${what} certificate is not valid before ${c.notBefore.toISOString()}, but the token says it was signed at ${new Date(at).toISOString()}.`,
        );
      }
      throw new VerificationError(
        'jws_certificate_expired',
        `The ${what} certificate expired at ${c.notAfter.toISOString()}, before the token's signedDate ${new Date(at).toISOString()}.`,
      );
    }
  };
  check(chain.leaf, 'leaf');
  check(chain.intermediate, 'intermediate');
  check(chain.root, 'pinned root');
}
