// The ECDSA encodings Apple's JWS path meets (raw R‖S in the JWS, DER Ecdsa-Sig-Value in its x5c
// certificates) live in crypto/ecdsa.ts, next to the X.509 reader that verifies certificate
// signatures with them; the Apple code imports them from here.

export {
  ECDSA_SIGNATURE_ALGORITHMS,
  EC_CURVES,
  ecdsaDerToRaw,
  ecdsaRawToDer,
  importEcdsaPublicKey,
  spkiCurve,
  type NamedCurve,
} from '../crypto/ecdsa';
