// Verifies one App Store JWS (signedTransactionInfo, signedRenewalInfo, a notification's
// signedPayload) against pinned roots. Order: header → chain signatures and markers → the ES256
// signature → certificate dates at signedDate. The signature is checked before signedDate is used,
// so a token whose payload was edited is reported as tampered, not as "expired".

import type { Certificate } from '../crypto/x509';
import { VerificationError } from '../lib/errors';
import { anchorChain, checkChainDates } from './chain';
import { ecdsaDerToRaw } from '../crypto/ecdsa';
import { decodeJws, x5cCertificates } from './jws';

export interface VerifiedJws {
  payload: Record<string, unknown>;
  /** signedDate (ms since the epoch), the moment the chain was checked at. */
  signedDate: number;
}

/**
 * The payload of `token` once it verifies. Throws VerificationError with a `jws_…` code
 * (malformed, algorithm, chain, marker, key, signature, DER signature, dates, payload).
 */
export async function verifyAppleJws(token: string, roots: readonly Certificate[]): Promise<VerifiedJws> {
  const jws = decodeJws(token);
  if (jws.header.alg !== 'ES256') {
    throw new VerificationError('jws_algorithm_unsupported', `The JWS header says alg ${JSON.stringify(jws.header.alg)}; the App Store signs with ES256 only.`);
  }
  const ders = x5cCertificates(jws.header);
  const chain = await anchorChain(ders, roots, (jws.header.x5c as string[]).join('.'));

  // RFC 7518 §3.4: an ES256 signature is R‖S, 64 bytes. A DER Ecdsa-Sig-Value (70–72 bytes,
  // starting 0x30) is what a generic ECDSA signer emits; say so rather than "invalid signature".
  if (jws.signature.length !== 64) {
    if (ecdsaDerToRaw(jws.signature, 32)) {
      throw new VerificationError('jws_signature_der', 'The ES256 signature is DER-encoded; a JWS carries the raw 64-byte R‖S form (RFC 7518 §3.4).');
    }
    throw new VerificationError('jws_signature_invalid', `The ES256 signature is ${jws.signature.length} bytes; it must be 64 (R‖S).`);
  }
  const ok = await crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, chain.key, jws.signature, jws.signingInput);
  if (!ok) {
    throw new VerificationError(
      'jws_signature_invalid',
      "The ES256 signature does not match the header and payload: the token was changed after it was signed, or signed with another key than its leaf certificate's.",
    );
  }

  const signedDate = jws.payload.signedDate;
  if (typeof signedDate !== 'number' || !Number.isFinite(signedDate) || signedDate <= 0) {
    throw new VerificationError('jws_payload_invalid', 'The payload has no signedDate (milliseconds since the epoch).');
  }
  checkChainDates(chain, signedDate);
  return { payload: jws.payload, signedDate };
}
