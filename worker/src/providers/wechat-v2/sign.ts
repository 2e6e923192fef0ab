// WeChat Pay APIv2 signatures, both sides (the provider verifies, the sandbox and the tests sign with
// the same functions). Rule, https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=4_3: every parameter except
// `sign` whose value is not empty, keys sorted by byte order, `k=v` joined with `&` (raw values, no URL-encoding,
// UTF-8), `&key=<APIv2 key>` appended; MD5 → upper hex, HMAC-SHA256 (keyed with the APIv2 key) → upper hex.
// Client invocation (JSAPI paySign, APP sign) and the Native mode-1 product link re-sign a fixed
// parameter set with the same rule (https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=7_7&index=6,
// https://pay.weixin.qq.com/wiki/doc/api/app/app.php?chapter=9_12&index=2,
// https://pay.weixin.qq.com/wiki/doc/api/native.php?chapter=6_4). Refund notifies carry no sign: their `req_info` is
// AES-256-ECB with the MD5 of the key (https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=9_16&index=10).

import { aesEcbDecrypt, aesEcbEncrypt } from '../../crypto/aes-ecb';
import { md5Hex } from '../../crypto/digest';
import { fromBase64, fromUtf8, toBase64, toHex, utf8 } from '../../crypto/encoding';
import { hmacSha256 } from '../../crypto/hmac';
import { timingSafeEqual } from '../../crypto/timing-safe';

export type SignType = 'MD5' | 'HMAC-SHA256';
export const SIGN_TYPES: readonly SignType[] = ['MD5', 'HMAC-SHA256'];

/** The string before hashing: sorted non-empty `k=v`, `&`-joined, then `&key=…` (stringSignTemp). */
export function signingString(params: Record<string, string | undefined>, key: string): string {
  const pairs = Object.keys(params)
    .filter((k) => k !== 'sign' && params[k] !== undefined && params[k] !== '')
    // Byte order of the (ASCII) keys, case-sensitive: appId < nonceStr < package < signType < timeStamp.
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((k) => `${k}=${params[k]}`);
  return `${pairs.join('&')}&key=${key}`;
}

export async function sign(params: Record<string, string | undefined>, key: string, type: SignType): Promise<string> {
  const s = signingString(params, key);
  const digest = type === 'MD5' ? await md5Hex(s) : toHex(await hmacSha256(key, s));
  return digest.toUpperCase();
}

/**
 * Constant-time check of `params.sign` with `type`, the merchant's configured `sign_type`, and with no
 * other algorithm. WeChat Pay's v2 signature rule (https://pay.weixin.qq.com/wiki/doc/api/native.php?chapter=4_3)
 * lets the merchant choose MD5 or HMAC-SHA256; Shouyin sends that choice as `sign_type` on every call it
 * signs, and WeChat Pay signs its answers, and the notifies of the orders placed that way, with the same
 * algorithm. Notifies carry no `sign_type` (https://pay.weixin.qq.com/wiki/doc/api/native.php?chapter=9_7),
 * so the algorithm used to be inferred from the sign's length, which let an MD5 sign through for a
 * merchant that chose HMAC-SHA256. A `sign_type` declared in the message that is not `type` is refused
 * too (it is itself a signed field).
 */
export async function verify(params: Record<string, string>, key: string, type: SignType): Promise<boolean> {
  const declared = params.sign_type;
  if (declared !== undefined && declared !== '' && declared !== type) return false;
  const given = params.sign;
  if (!given) return false;
  return timingSafeEqual(await sign(params, key, type), given.toUpperCase());
}

/**
 * The algorithm of a received `sign` when no merchant setting governs it: `sign_type` when present,
 * else by length (64 hex → HMAC-SHA256, 32 → MD5). `null` when neither says anything usable. In the
 * Worker only the Native mode-1 product callback uses it: it answers a product link Shouyin signs with
 * MD5 whatever the merchant's sign_type (see bizPayUrl), so the merchant's choice says nothing about it.
 * The sandbox, playing WeChat Pay, reads the algorithm a request declares the same way.
 */
export function signTypeOf(params: Record<string, string>): SignType | null {
  const declared = params.sign_type;
  if (declared !== undefined && declared !== '') return (SIGN_TYPES as readonly string[]).includes(declared) ? (declared as SignType) : null;
  const n = params.sign?.length ?? 0;
  return n === 64 ? 'HMAC-SHA256' : n === 32 ? 'MD5' : null;
}

/** `verify` with the algorithm `signTypeOf` infers: for the Native mode-1 product callback only. */
export async function verifyInferred(params: Record<string, string>, key: string): Promise<boolean> {
  const type = signTypeOf(params);
  return type !== null && verify(params, key, type);
}

/** `params` plus its `sign` (and `sign_type` for HMAC-SHA256, itself a signed field). */
export async function signed(params: Record<string, string>, key: string, type: SignType): Promise<Record<string, string>> {
  const withType = type === 'HMAC-SHA256' ? { ...params, sign_type: type } : { ...params };
  return { ...withType, sign: await sign(withType, key, type) };
}

// ---------------------------- client invocation (https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=7_7&index=6)

export interface JsapiParams {
  appId: string;
  timeStamp: string;
  nonceStr: string;
  package: string;
  signType: SignType;
  paySign: string;
}

/** WeixinJSBridge `getBrandWCPayRequest` parameters: the five keys re-signed as `paySign`. */
export async function jsapiParams(input: {
  appId: string;
  prepayId: string;
  timeStamp: string;
  nonceStr: string;
  key: string;
  signType: SignType;
}): Promise<JsapiParams> {
  const p = { appId: input.appId, timeStamp: input.timeStamp, nonceStr: input.nonceStr, package: `prepay_id=${input.prepayId}`, signType: input.signType };
  return { ...p, paySign: await sign(p, input.key, input.signType) };
}

export interface AppParams {
  appid: string;
  partnerid: string;
  prepayid: string;
  package: 'Sign=WXPay';
  noncestr: string;
  timestamp: string;
  sign: string;
}

/** What a merchant's app hands to the WeChat SDK (PayReq): lowercase keys, package `Sign=WXPay`. */
export async function appParams(input: {
  appid: string;
  mchId: string;
  prepayId: string;
  timestamp: string;
  noncestr: string;
  key: string;
  signType: SignType;
}): Promise<AppParams> {
  const p = {
    appid: input.appid,
    partnerid: input.mchId,
    prepayid: input.prepayId,
    package: 'Sign=WXPay' as const,
    noncestr: input.noncestr,
    timestamp: input.timestamp,
  };
  return { ...p, sign: await sign(p, input.key, input.signType) };
}

/**
 * The Native mode-1 product link: `weixin://wxpay/bizpayurl?sign=…&appid=…&mch_id=…&product_id=…&time_stamp=…&nonce_str=…`,
 * signed over those five fields with MD5 (the choice every SDK makes;
 * https://pay.weixin.qq.com/wiki/doc/api/native.php?chapter=6_4).
 */
export async function bizPayUrl(input: { appid: string; mchId: string; productId: string; timeStamp: string; nonceStr: string; key: string }): Promise<string> {
  const p = { appid: input.appid, mch_id: input.mchId, product_id: input.productId, time_stamp: input.timeStamp, nonce_str: input.nonceStr };
  const s = await sign(p, input.key, 'MD5');
  const q = new URLSearchParams({ sign: s, ...p });
  return `weixin://wxpay/bizpayurl?${q.toString()}`;
}

// ------------------------------------------------------------------------ refund notify req_info

async function reqInfoKey(apiKey: string): Promise<Uint8Array> {
  // "key = lowercase hex MD5 of the APIv2 key, used as 32 ASCII bytes"
  // (https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=9_16&index=10, gopay DecryptRefundNotifyReqInfo).
  return utf8(await md5Hex(apiKey));
}

/** base64 → AES-256-ECB → the `<root>…</root>` XML text. Throws on bad base64, key or padding. */
export async function decryptReqInfo(reqInfo: string, apiKey: string): Promise<string> {
  return fromUtf8(await aesEcbDecrypt(await reqInfoKey(apiKey), fromBase64(reqInfo)));
}

/** The sandbox's side: the XML text → AES-256-ECB → base64. */
export async function encryptReqInfo(xml: string, apiKey: string): Promise<string> {
  return toBase64(await aesEcbEncrypt(await reqInfoKey(apiKey), utf8(xml)));
}
