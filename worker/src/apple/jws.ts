// Compact JWS (RFC 7515 §7.1) as the App Store signs it: `b64url(header).b64url(payload).b64url(sig)`,
// header `{"alg":"ES256","x5c":[leaf, intermediate, root]}` (x5c entries are standard base64 DER,
// RFC 7515 §4.1.6). This file reads tokens and, as the signing twin the sandbox and tests use,
// writes them. Trust decisions are in chain.ts and verify.ts.

import { buf, fromBase64, fromUtf8, toBase64, utf8 } from '../crypto/encoding';
import { VerificationError } from '../lib/errors';
import { ecdsaRawToDer } from '../crypto/ecdsa';

export function base64UrlEncode(b: Uint8Array | ArrayBuffer): string {
  return toBase64(b).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** Unpadded base64url only (RFC 7515 §2); throws TypeError on anything else. */
export function base64UrlDecode(s: string): Uint8Array<ArrayBuffer> {
  if (!/^[A-Za-z0-9_-]*$/.test(s)) throw new TypeError('Invalid base64url.');
  return fromBase64(s.replace(/-/g, '+').replace(/_/g, '/'));
}

export interface JwsHeader {
  alg?: unknown;
  x5c?: unknown;
  [k: string]: unknown;
}

export interface DecodedJws {
  header: JwsHeader;
  payload: Record<string, unknown>;
  /** ASCII bytes of `header.payload` as received: what was signed. */
  signingInput: Uint8Array<ArrayBuffer>;
  signature: Uint8Array<ArrayBuffer>;
}

export const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

const malformed = (why: string) => new VerificationError('jws_malformed', `Not a compact JWS from the App Store: ${why}.`);

function jsonObject(part: string, what: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(fromUtf8(base64UrlDecode(part)));
  } catch {
    throw malformed(`the ${what} is not base64url-encoded JSON`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw malformed(`the ${what} is not a JSON object`);
  return v as Record<string, unknown>;
}

/** Splits and decodes a compact JWS. Throws VerificationError `jws_malformed`. Verifies nothing. */
export function decodeJws(token: string): DecodedJws {
  if (!COMPACT_JWS.test(token)) {
    throw malformed('expected three base64url parts separated by dots (header.payload.signature)');
  }
  const [h, p, s] = token.split('.') as [string, string, string];
  const header = jsonObject(h, 'header');
  const payload = jsonObject(p, 'payload');
  let signature: Uint8Array<ArrayBuffer>;
  try {
    signature = base64UrlDecode(s);
  } catch {
    throw malformed('the signature is not base64url');
  }
  return { header, payload, signingInput: utf8(`${h}.${p}`), signature };
}

export interface SignOptions {
  /** x5c: certificates as DER, leaf first. */
  chain: Uint8Array[];
  /**
   * Test-only: encode the signature as DER instead of raw R‖S — what generic ECDSA libraries
   * (OpenSSL, Java's SHA256withECDSA) emit, and what a JWS verifier must refuse
   * (https://www.rfc-editor.org/rfc/rfc7518#section-3.4).
   */
  derSignature?: boolean;
}

/** Signs `payload` as the App Store does: ES256 over `b64url(header).b64url(payload)`, raw R‖S. */
export async function signJws(payload: unknown, privateKey: CryptoKey, opts: SignOptions): Promise<string> {
  const header = { alg: 'ES256', x5c: opts.chain.map((c) => toBase64(c)) };
  const input = `${base64UrlEncode(utf8(JSON.stringify(header)))}.${base64UrlEncode(utf8(JSON.stringify(payload)))}`;
  const raw = new Uint8Array(await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, privateKey, buf(utf8(input))));
  return `${input}.${base64UrlEncode(opts.derSignature ? ecdsaRawToDer(raw) : raw)}`;
}

/** The x5c entries as DER. Throws VerificationError for anything but an array of base64 strings. */
export function x5cCertificates(header: JwsHeader): Uint8Array<ArrayBuffer>[] {
  const x5c = header.x5c;
  if (!Array.isArray(x5c) || x5c.some((c) => typeof c !== 'string')) {
    throw new VerificationError('jws_chain_invalid', 'The JWS header has no x5c certificate chain (an array of base64 DER certificates).');
  }
  return x5c.map((c: string, i) => {
    try {
      // RFC 7515 §4.1.6: x5c holds standard base64, not base64url.
      return fromBase64(c);
    } catch {
      throw new VerificationError('jws_certificate_malformed', `x5c[${i}] is not base64 (RFC 7515 §4.1.6 uses standard base64, not base64url).`);
    }
  });
}
