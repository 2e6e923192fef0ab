// Alipay OpenAPI (gateway.do) signatures, both sides (stripe's test-twin pattern): the provider
// signs requests and verifies responses and notifies with these; the sandbox verifies requests and
// signs responses and notifies with the same functions. Nobody hand-assembles a signature.
// Rules: https://opendocs.alipay.com/common/02kf5q (requests), https://opendocs.alipay.com/common/02mse7 (sync
// responses), https://opendocs.alipay.com/open/270/105902 (notifies). RSA2 = SHA256withRSA.

import { importRsaPrivateKey, rsaSign, rsaVerify } from '../../crypto/rsa';
import { VerificationError } from '../../lib/errors';

export type Params = Record<string, string>;

/**
 * Shouyin signs with RSA2 only; `RSA` (SHA1withRSA) is Alipay's legacy type
 * (https://opendocs.alipay.com/common/02kf5q).
 */
export const SIGN_TYPE = 'RSA2';

function sortedPairs(params: Params, skip: (k: string, v: string) => boolean): string {
  // Keys compare by UTF-16 code unit, which is ASCII order for Alipay's ASCII parameter names.
  return Object.keys(params)
    .sort()
    .filter((k) => !skip(k, params[k] as string))
    .map((k) => `${k}=${params[k] as string}`)
    .join('&');
}

// ------------------------------------------------------------------------------- requests

/**
 * The request string-to-sign: every parameter except `sign` (so `sign_type` IS included), empty
 * values dropped (the Java SDK's getSignContent skips them), keys in ASCII order, `k=v` joined with
 * `&`, nothing URL-encoded, `biz_content` as the exact JSON text sent (https://opendocs.alipay.com/common/02kf5q).
 */
export function requestSignContent(params: Params): string {
  return sortedPairs(params, (k, v) => k === 'sign' || v === '');
}

/** `params` plus `sign` = base64(SHA256withRSA(app private key, UTF-8 string-to-sign)). PKCS#8 or PKCS#1 PEM. */
export async function signRequest(params: Params, appPrivateKeyPem: string): Promise<Params> {
  const key = await importRsaPrivateKey(appPrivateKeyPem);
  const { sign: _drop, ...rest } = params;
  return { ...rest, sign: await rsaSign(key, requestSignContent(rest)) };
}

/** The gateway's side: does `sign` verify over the string-to-sign with the app's public key? */
export async function verifyRequest(params: Params, appPublicKey: CryptoKey): Promise<{ ok: boolean; content: string }> {
  const content = requestSignContent(params);
  const sign = params.sign;
  return { ok: sign !== undefined && sign !== '' && (await rsaVerify(appPublicKey, content, sign)), content };
}

// ------------------------------------------------------------------ synchronous responses

/** `alipay.trade.precreate` → `alipay_trade_precreate_response` (https://opendocs.alipay.com/common/02mse7). */
export const responseKey = (method: string): string => `${method.replaceAll('.', '_')}_response`;
export const ERROR_RESPONSE_KEY = 'error_response';

export interface SignedResponse {
  /** The top-level key that holds the answer: `<method>_response`, or `error_response`. */
  key: string;
  /** The exact raw text of that key's value, as received: the bytes Alipay signed. */
  content: string;
  sign?: string;
  /** Certificate mode: the SN of the Alipay public-key certificate that signed this answer. */
  certSn?: string;
}

function malformed(message: string): VerificationError {
  return new VerificationError('malformed_response', message);
}

const WS = new Set([' ', '\t', '\n', '\r']);

/** End (exclusive) of the JSON string starting at the quote at `i`. */
function endOfString(raw: string, i: number): number {
  for (let j = i + 1; j < raw.length; j++) {
    const ch = raw[j];
    if (ch === '\\') j++;
    else if (ch === '"') return j + 1;
  }
  throw malformed('An answer string is not terminated.');
}

/** End (exclusive) of the JSON value starting at `i` (objects and arrays by bracket depth, strings aware). */
function endOfValue(raw: string, i: number): number {
  const first = raw[i];
  if (first === '"') return endOfString(raw, i);
  if (first === '{' || first === '[') {
    let depth = 0;
    for (let j = i; j < raw.length; j++) {
      const ch = raw[j];
      if (ch === '"') j = endOfString(raw, j) - 1;
      else if (ch === '{' || ch === '[') depth++;
      else if (ch === '}' || ch === ']') {
        depth--;
        if (depth === 0) return j + 1;
      }
    }
    throw malformed('An answer object is not closed.');
  }
  let j = i;
  while (j < raw.length && !WS.has(raw[j] as string) && raw[j] !== ',' && raw[j] !== '}') j++;
  if (j === i) throw malformed('An answer value is missing.');
  return j;
}

/**
 * The raw text of each top-level member of a JSON object, without re-serialising anything: the
 * signed content must be the exact substring Alipay sent, `\/` escapes and raw UTF-8 included
 * (https://opendocs.alipay.com/common/02mse7). Throws on invalid JSON and on a key that appears twice.
 */
export function topLevelMembers(raw: string): Map<string, string> {
  try {
    JSON.parse(raw);
  } catch {
    throw malformed('The answer is not JSON.');
  }
  const out = new Map<string, string>();
  let i = 0;
  const skipWs = () => {
    while (i < raw.length && WS.has(raw[i] as string)) i++;
  };
  skipWs();
  if (raw[i] !== '{') throw malformed('The answer is not a JSON object.');
  i++;
  for (;;) {
    skipWs();
    if (raw[i] === '}') break;
    const keyEnd = endOfString(raw, i);
    const key = JSON.parse(raw.slice(i, keyEnd)) as string;
    i = keyEnd;
    skipWs();
    i++; // ':' (JSON.parse above already proved the document well-formed)
    skipWs();
    const valueEnd = endOfValue(raw, i);
    if (out.has(key)) throw malformed(`The answer has the key ${JSON.stringify(key)} twice.`);
    out.set(key, raw.slice(i, valueEnd));
    i = valueEnd;
    skipWs();
    if (raw[i] === ',') i++;
  }
  return out;
}

/**
 * Finds the signed part of a gateway answer: the raw value of `<method>_response` (or
 * `error_response`), plus `sign` and, in certificate mode, `alipay_cert_sn` (https://opendocs.alipay.com/common/02mse7,
 * https://opendocs.alipay.com/common/02kipl).
 */
export function extractSignedResponse(raw: string, method: string): SignedResponse {
  const members = topLevelMembers(raw);
  const wanted = responseKey(method);
  const key = members.has(wanted) ? wanted : members.has(ERROR_RESPONSE_KEY) ? ERROR_RESPONSE_KEY : undefined;
  if (key === undefined) throw malformed(`The answer has neither ${wanted} nor ${ERROR_RESPONSE_KEY}.`);
  const content = members.get(key) as string;
  if (!content.startsWith('{')) throw malformed(`${key} is not a JSON object.`);
  const out: SignedResponse = { key, content };
  const text = (k: string): string | undefined => {
    const v = members.get(k);
    if (v === undefined) return undefined;
    const parsed: unknown = JSON.parse(v);
    if (typeof parsed !== 'string') throw malformed(`${k} is not a string.`);
    return parsed;
  };
  const sign = text('sign');
  if (sign !== undefined && sign !== '') out.sign = sign;
  const certSn = text('alipay_cert_sn');
  if (certSn !== undefined && certSn !== '') out.certSn = certSn;
  return out;
}

/**
 * RSA2 over the raw content; on failure, once more with every `\/` turned into `/`: the Java and .NET
 * SDKs retry exactly so, because Alipay escapes slashes in the JSON it emits
 * (https://opendocs.alipay.com/common/02mse7).
 */
export async function verifyResponseContent(content: string, sign: string, alipayPublicKey: CryptoKey): Promise<boolean> {
  if (await rsaVerify(alipayPublicKey, content, sign)) return true;
  return content.includes('\\/') && rsaVerify(alipayPublicKey, content.replaceAll('\\/', '/'), sign);
}

/**
 * JSON as Alipay emits it: slashes escaped as `\/`, non-ASCII left as raw UTF-8
 * (https://opendocs.alipay.com/common/02mse7). A `/` can only occur inside a string of JSON.stringify's output, so
 * escaping every one is safe.
 */
export function alipayJson(value: unknown): string {
  return JSON.stringify(value).replaceAll('/', '\\/');
}

/**
 * The gateway's side: `{"<key>":<content>,["alipay_cert_sn":"…",]"sign":"…"}` signed over the exact
 * emitted content (https://opendocs.alipay.com/common/02mse7, https://opendocs.alipay.com/common/02km9f).
 * `signOver: 'unescaped'` signs the content with `\/` turned into `/` while still emitting the escapes: the form the
 * SDKs' retry exists for, so tests can exercise it.
 */
export async function signResponse(input: {
  key: string;
  body: Record<string, unknown>;
  privateKeyPem: string;
  certSn?: string;
  signOver?: 'emitted' | 'unescaped';
}): Promise<string> {
  const content = alipayJson(input.body);
  const signed = input.signOver === 'unescaped' ? content.replaceAll('\\/', '/') : content;
  const sign = await rsaSign(await importRsaPrivateKey(input.privateKeyPem), signed);
  const sn = input.certSn !== undefined ? `,"alipay_cert_sn":${JSON.stringify(input.certSn)}` : '';
  return `{${JSON.stringify(input.key)}:${content}${sn},"sign":${JSON.stringify(sign)}}`;
}

// ------------------------------------------------------------------------------- notifies

/**
 * The notify string-to-verify (rsaCheckV1, https://opendocs.alipay.com/common/02mse7): every received field except
 * `sign` AND `sign_type`, with its value exactly as the form parser produced it (no second URL-decode, no trimming),
 * keys in ASCII order. Empty values stay in (`k=`), as the official Java and Node SDKs build it.
 */
export function notifySignContent(params: Params): string {
  return sortedPairs(params, (k) => k === 'sign' || k === 'sign_type');
}

/** The sandbox's side: the notify fields plus `sign_type=RSA2` and `sign` over notifySignContent. */
export async function signNotify(params: Params, alipayPrivateKeyPem: string): Promise<Params> {
  const { sign: _s, sign_type: _t, ...rest } = params;
  const sign = await rsaSign(await importRsaPrivateKey(alipayPrivateKeyPem), notifySignContent(rest));
  return { ...rest, sign_type: SIGN_TYPE, sign };
}

export function verifyNotifySignature(params: Params, sign: string, alipayPublicKey: CryptoKey): Promise<boolean> {
  return rsaVerify(alipayPublicKey, notifySignContent(params), sign);
}

// ---------------------------------------------------------------------------------- forms

/**
 * Parses `application/x-www-form-urlencoded` once: `+` is a space, `%XX` are UTF-8 bytes. A key that
 * appears twice, a pair without `=`, or a malformed escape throws: a notify is never guessed at.
 */
export function parseFormStrict(body: string): Params {
  const out: Params = {};
  if (body === '') return out;
  for (const part of body.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    if (eq < 0) throw new VerificationError('malformed_notify', 'A form field has no "=".');
    let k: string;
    let v: string;
    try {
      k = decodeURIComponent(part.slice(0, eq).replaceAll('+', ' '));
      v = decodeURIComponent(part.slice(eq + 1).replaceAll('+', ' '));
    } catch {
      throw new VerificationError('malformed_notify', 'A form field is not valid percent-encoded UTF-8.');
    }
    if (Object.hasOwn(out, k)) throw new VerificationError('duplicate_field', `The form field ${JSON.stringify(k)} appears twice.`);
    out[k] = v;
  }
  return out;
}

/** `k=v&…` with every value percent-encoded (encodeURIComponent), in the given key order. */
export function encodeForm(params: Params): string {
  return Object.keys(params)
    .map((k) => `${encodeURIComponent(k)}=${encodeURIComponent(params[k] as string)}`)
    .join('&');
}
