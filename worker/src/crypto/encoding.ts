// Byte/text conversions used by every signer and verifier. WebCrypto-only: runs unchanged in workerd.

const encoder = new TextEncoder();
// fatal: a provider body that is not valid UTF-8 must fail loudly, not turn into U+FFFD and verify wrong.
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

export type Bytes = ArrayBuffer | Uint8Array;

function view(b: Bytes): Uint8Array {
  return b instanceof Uint8Array ? b : new Uint8Array(b);
}

export function utf8(s: string): Uint8Array<ArrayBuffer> {
  // encode() always returns a fresh, non-shared buffer; workers-types declares the wider type.
  return encoder.encode(s) as Uint8Array<ArrayBuffer>;
}

export function fromUtf8(b: Bytes): string {
  return decoder.decode(view(b));
}

export function toBase64(b: Bytes): string {
  const u = view(b);
  let s = '';
  // Chunked: String.fromCharCode(...bigArray) overflows the argument stack on large inputs.
  for (let i = 0; i < u.length; i += 0x8000) s += String.fromCharCode(...u.subarray(i, i + 0x8000));
  return btoa(s);
}

/** Standard base64 (padding optional, whitespace ignored). Throws on anything else. */
export function fromBase64(s: string): Uint8Array<ArrayBuffer> {
  const clean = s.replace(/[\s]+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean) || clean.replace(/=+$/, '').length % 4 === 1) {
    throw new TypeError('Invalid base64 string.');
  }
  const padded = clean.length % 4 === 0 ? clean : clean + '='.repeat(4 - (clean.length % 4));
  const bin = atob(padded);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export function toHex(b: Bytes): string {
  const u = view(b);
  let s = '';
  for (const x of u) s += x.toString(16).padStart(2, '0');
  return s;
}

/** Hex (either case) to bytes. Throws on odd length or non-hex characters. */
export function fromHex(s: string): Uint8Array<ArrayBuffer> {
  if (s.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(s)) throw new TypeError('Invalid hex string.');
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(i * 2, i * 2 + 2), 16);
  return out;
}

const ALNUM = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** `n` random characters from [0-9A-Za-z]; rejection sampling keeps every character equally likely. */
export function randomAlnum(n: number): string {
  // 62 * 4 = 248: bytes >= 248 are rejected so `x % 62` is unbiased.
  const limit = 248;
  let out = '';
  while (out.length < n) {
    const buf = crypto.getRandomValues(new Uint8Array(Math.min(65536, Math.max(16, (n - out.length) * 2))));
    for (const x of buf) {
      if (x < limit) out += ALNUM[x % 62];
      if (out.length === n) break;
    }
  }
  return out;
}

/** Copy into a fresh ArrayBuffer-backed view: WebCrypto's BufferSource typing rejects SharedArrayBuffer views. */
export function buf(b: Bytes): Uint8Array<ArrayBuffer> {
  const u = view(b);
  const out = new Uint8Array(new ArrayBuffer(u.length));
  out.set(u);
  return out;
}
