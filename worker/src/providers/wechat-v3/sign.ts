// WeChat Pay APIv3 signatures, both sides (stripe's test-twin pattern): the provider verifies with
// these, and the sandbox and the tests sign with them. Nobody hand-assembles a signature.
// Rules: https://pay.weixin.qq.com/doc/v3/merchant/4012365342 (request Authorization),
// https://pay.weixin.qq.com/doc/v3/merchant/4013053420 (response/notify Wechatpay-* headers),
// https://pay.weixin.qq.com/doc/v3/merchant/4012791861.

import { aesGcmEncrypt } from '../../crypto/aes-gcm';
import { randomAlnum } from '../../crypto/encoding';
import { importRsaPrivateKey, rsaSign, rsaVerify } from '../../crypto/rsa';
import { VerificationError } from '../../lib/errors';

export const AUTH_SCHEME = 'WECHATPAY2-SHA256-RSA2048';
/**
 * WeChat deliberately sends notifies signed with this prefix; they must be rejected
 * (https://pay.weixin.qq.com/doc/v3/merchant/4013053420).
 */
export const SIGNTEST_PREFIX = 'WECHATPAY/SIGNTEST/';
/**
 * wechatpay-go rejects |now − Wechatpay-Timestamp| >= 300 s; wechatpay-java uses 5 min
 * (https://pay.weixin.qq.com/doc/v3/merchant/4013053420).
 */
export const MAX_CLOCK_SKEW_SECONDS = 300;
export const RESOURCE_ALGORITHM = 'AEAD_AES_256_GCM';

/** Finds the verifying key for a `Wechatpay-Serial` (a `PUB_KEY_ID_…` or a platform cert serial). */
export type KeyResolver = (serial: string) => Promise<CryptoKey | undefined>;

function seconds(ms: number): number {
  return Math.floor(ms / 1000);
}

function withinWindow(timestamp: string, now: number): boolean {
  if (!/^\d{1,12}$/.test(timestamp)) return false;
  return Math.abs(seconds(now) - Number(timestamp)) < MAX_CLOCK_SKEW_SECONDS;
}

// ---------------------------------------------------------------- requests (merchant → WeChat Pay)

export interface AuthorizationInput {
  mchid: string;
  /** Merchant API certificate serial (not the platform one: https://pay.weixin.qq.com/doc/v3/merchant/4012365342). */
  serialNo: string;
  /** Merchant API private key PEM (apiclient_key.pem). */
  privateKey: string;
  method: string;
  /** Path + query exactly as sent, e.g. `/v3/pay/transactions/out-trade-no/1?mchid=2`. */
  url: string;
  /** The exact body bytes sent; '' for GET. */
  body: string;
  /** Unix seconds. Default: now. */
  timestamp?: number | string;
  /** Default: 32 random [0-9A-Za-z], as the SDKs do. */
  nonce?: string;
}

/**
 * `METHOD\nURL\nTS\nNONCE\nBODY\n`: five lines, each ending in \n, the last too
 * (https://pay.weixin.qq.com/doc/v3/merchant/4012365342).
 */
export function requestMessage(method: string, url: string, timestamp: string, nonce: string, body: string): string {
  return `${method.toUpperCase()}\n${url}\n${timestamp}\n${nonce}\n${body}\n`;
}

export async function buildAuthorization(input: AuthorizationInput): Promise<string> {
  const timestamp = String(input.timestamp ?? seconds(Date.now()));
  const nonce = input.nonce ?? randomAlnum(32);
  const key = await importRsaPrivateKey(input.privateKey);
  const signature = await rsaSign(key, requestMessage(input.method, input.url, timestamp, nonce, input.body));
  return `${AUTH_SCHEME} mchid="${input.mchid}",nonce_str="${nonce}",timestamp="${timestamp}",serial_no="${input.serialNo}",signature="${signature}"`;
}

export interface ParsedAuthorization {
  mchid: string;
  nonce_str: string;
  timestamp: string;
  serial_no: string;
  signature: string;
}

const AUTH_KEYS = ['mchid', 'nonce_str', 'timestamp', 'serial_no', 'signature'] as const;

/**
 * The scheme, a space, then `key="value"` pairs in any order (https://pay.weixin.qq.com/doc/v3/merchant/4012365342).
 * `null` when anything is off.
 */
export function parseAuthorization(header: string): ParsedAuthorization | null {
  const prefix = `${AUTH_SCHEME} `;
  if (!header.startsWith(prefix)) return null;
  const fields = new Map<string, string>();
  for (const part of header.slice(prefix.length).split(',')) {
    const m = /^\s*([a-z_]+)="([^"]*)"\s*$/.exec(part);
    if (!m || m[1] === undefined || m[2] === undefined || fields.has(m[1])) return null;
    fields.set(m[1], m[2]);
  }
  const out: Partial<Record<(typeof AUTH_KEYS)[number], string>> = {};
  for (const k of AUTH_KEYS) {
    const v = fields.get(k);
    if (!v) return null;
    out[k] = v;
  }
  return out as ParsedAuthorization;
}

export type AuthorizationCheck = { ok: true; mchid: string; serial_no: string } | { ok: false; reason: 'malformed' | 'stale_timestamp' | 'bad_signature' };

/**
 * Checks a merchant request (the sandbox's side). `now` is ms since the epoch; ±300 s window.
 * Matching mchid / serial_no against the merchant is the caller's job: both are returned.
 */
export async function verifyAuthorization(
  header: string,
  opts: { method: string; url: string; body: string; publicKey: CryptoKey; now: number },
): Promise<AuthorizationCheck> {
  const a = parseAuthorization(header);
  if (!a) return { ok: false, reason: 'malformed' };
  if (!withinWindow(a.timestamp, opts.now)) return { ok: false, reason: 'stale_timestamp' };
  const message = requestMessage(opts.method, opts.url, a.timestamp, a.nonce_str, opts.body);
  if (!(await rsaVerify(opts.publicKey, message, a.signature))) return { ok: false, reason: 'bad_signature' };
  return { ok: true, mchid: a.mchid, serial_no: a.serial_no };
}

// ------------------------------------------------- responses and notifies (WeChat Pay → merchant)

/** `TS\nNONCE\nBODY\n`; BODY is the raw text, '' for a 204 (https://pay.weixin.qq.com/doc/v3/merchant/4013053420). */
export function responseMessage(timestamp: string, nonce: string, body: string): string {
  return `${timestamp}\n${nonce}\n${body}\n`;
}

export async function signResponse(input: {
  /** `PUB_KEY_ID_…` or a platform certificate serial. */
  serial: string;
  privateKey: string;
  body: string;
  timestamp?: number | string;
  nonce?: string;
}): Promise<Record<string, string>> {
  const timestamp = String(input.timestamp ?? seconds(Date.now()));
  const nonce = input.nonce ?? randomAlnum(32);
  const key = await importRsaPrivateKey(input.privateKey);
  return {
    'Wechatpay-Timestamp': timestamp,
    'Wechatpay-Nonce': nonce,
    'Wechatpay-Signature': await rsaSign(key, responseMessage(timestamp, nonce, input.body)),
    'Wechatpay-Serial': input.serial,
    'Wechatpay-Signature-Type': AUTH_SCHEME,
  };
}

/**
 * Verifies an API response or a notify on its raw body. Throws VerificationError:
 * `signtest_probe`, `missing_header`, `stale_timestamp`, `unknown_serial`, `bad_signature`.
 * `headers` has lowercased names; `now` is ms since the epoch.
 */
export async function verifySignedMessage(input: { headers: Record<string, string>; body: string; keys: KeyResolver; now: number }): Promise<void> {
  const h = input.headers;
  const signature = h['wechatpay-signature'];
  // Probes first: WeChat checks that merchants reject these (https://pay.weixin.qq.com/doc/v3/merchant/4013053420),
  // whatever else they carry.
  if (signature?.startsWith(SIGNTEST_PREFIX)) {
    throw new VerificationError('signtest_probe', 'Wechatpay-Signature is a WECHATPAY/SIGNTEST/ probe; it must be rejected.');
  }
  const timestamp = h['wechatpay-timestamp'];
  const nonce = h['wechatpay-nonce'];
  const serial = h['wechatpay-serial'];
  const missing = [
    ['Wechatpay-Signature', signature],
    ['Wechatpay-Timestamp', timestamp],
    ['Wechatpay-Nonce', nonce],
    ['Wechatpay-Serial', serial],
  ].find(([, v]) => !v);
  if (missing || !signature || !timestamp || !nonce || !serial) {
    throw new VerificationError(
      'missing_header',
      `${missing?.[0] ?? 'A Wechatpay-* header'} is missing: not a signed WeChat Pay message (was it proxied or stripped?).`,
    );
  }
  const type = h['wechatpay-signature-type'];
  if (type !== undefined && type !== AUTH_SCHEME) {
    throw new VerificationError('bad_signature', `Unsupported Wechatpay-Signature-Type ${JSON.stringify(type)}.`);
  }
  if (!withinWindow(timestamp, input.now)) {
    throw new VerificationError(
      'stale_timestamp',
      `Wechatpay-Timestamp ${JSON.stringify(timestamp)} is not within ${MAX_CLOCK_SKEW_SECONDS} s of now (replay, or a wrong clock).`,
    );
  }
  const key = await input.keys(serial);
  if (!key) {
    throw new VerificationError(
      'unknown_serial',
      `Wechatpay-Serial ${JSON.stringify(serial)} matches neither wechatpay_public_key_id nor any platform_certificates serial; check the WeChat Pay public key / certificates in the config.`,
    );
  }
  if (!(await rsaVerify(key, responseMessage(timestamp, nonce, input.body), signature))) {
    throw new VerificationError(
      'bad_signature',
      'Wechatpay-Signature does not verify over the raw body (was the body re-serialized, or is the key for another merchant?).',
    );
  }
}

// ------------------------------------------------------------------------ notify resources

export interface EncryptedResource {
  algorithm: string;
  ciphertext: string;
  associated_data: string;
  nonce: string;
  original_type?: string;
}

/**
 * The `resource` of a notify, encrypted with the APIv3 key (the sandbox's side of
 * https://pay.weixin.qq.com/doc/v3/merchant/4012071382).
 */
export async function encryptResource(
  apiv3Key: string,
  plaintext: string,
  associatedData: string,
  nonce: string = randomAlnum(12),
): Promise<EncryptedResource> {
  return {
    algorithm: RESOURCE_ALGORITHM,
    ciphertext: await aesGcmEncrypt(apiv3Key, nonce, associatedData, plaintext),
    associated_data: associatedData,
    nonce,
  };
}

// ------------------------------------------------------------------------ client invocation

/**
 * JSAPI / mini-program `paySign` = base64(RSA-SHA256(appId\ntimeStamp\nnonceStr\npackage\n))
 * (https://pay.weixin.qq.com/doc/v3/merchant/4012791857).
 */
export async function jsapiPaySign(input: { appId: string; timeStamp: string; nonceStr: string; package: string; privateKey: string }): Promise<string> {
  const key = await importRsaPrivateKey(input.privateKey);
  return rsaSign(key, `${input.appId}\n${input.timeStamp}\n${input.nonceStr}\n${input.package}\n`);
}

/**
 * APP `sign` = base64(RSA-SHA256(appid\ntimestamp\nnoncestr\nprepayid\n))
 * (https://pay.weixin.qq.com/doc/v3/merchant/4013070351, wechatpay-go app PrepayWithRequestPayment).
 */
export async function appSign(input: { appid: string; timestamp: string; noncestr: string; prepayid: string; privateKey: string }): Promise<string> {
  const key = await importRsaPrivateKey(input.privateKey);
  return rsaSign(key, `${input.appid}\n${input.timestamp}\n${input.noncestr}\n${input.prepayid}\n`);
}
