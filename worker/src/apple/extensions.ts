// Apple's marker extensions on the x5c chain of an App Store JWS. The extension readers and the CA
// rule are crypto/x509.ts's (shared with UnionPay's chain check); what is Apple's own is which
// marker must sit on which certificate, and the codes its absence maps to.

import { hasExtension, type Certificate } from '../crypto/x509';
import { VerificationError } from '../lib/errors';

/**
 * Throws `jws_certificate_marker_missing` unless `cert` carries the marker extension `oid`. The
 * markers are non-critical extensions whose presence says what Apple issued the certificate for
 * (Apple's App Store Server Library checks the same OIDs in SignedDataVerifier).
 */
export function requireMarker(cert: Certificate, oid: string, what: string): void {
  if (!hasExtension(cert, oid)) {
    throw new VerificationError(
      'jws_certificate_marker_missing',
      `The ${what} lacks Apple's marker extension ${oid}: it is some certificate issued under the root, not one the App Store signs with.`,
    );
  }
}
