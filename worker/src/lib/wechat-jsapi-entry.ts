// Shouyin's own WeChat web hop (not WeChat Pay protocol, so shared by wechat-v2 and wechat-v3):
// JSAPI needs the payer's openid, which only WeChat's web OAuth (snsapi_base) gives. When a JSAPI
// attempt starts without one, the provider answers with a redirect to Shouyin's JSAPI page
// (`/wechat/jsapi/:attempt`, routes/wechat-oauth.ts), which runs the OAuth hop, makes the prepay
// with the openid and invokes WeixinJSBridge there. Links and OAuth `state`s are HMAC-signed with the
// official account's appsecret, so nobody can point another shopper's session at their own openid.
// The links also carry, unsigned, the `<how>` of the `/return/<id>/<how>` the provider was given (the
// shopper's language, and `hosted` for the hosted page, docs/hosted-checkout.md), so the JSAPI page
// sends the shopper back the same way. It is not signed because it only picks among Shouyin's own
// /return forms, which anyone may open (the hosted page's mark is as public, session/links.ts); it is
// accepted only in exactly the forms Shouyin writes, and dropped otherwise.

import { toHex } from '../crypto/encoding';
import { hmacSha256 } from '../crypto/hmac';
import { timingSafeEqual } from '../crypto/timing-safe';

const SIG_HEX = 32;

async function mac(secret: string, purpose: 'entry' | 'state', attemptId: string, exp: number): Promise<string> {
  return toHex(await hmacSha256(secret, `shouyin-wechat-${purpose}\n${attemptId}\n${exp}`)).slice(0, SIG_HEX);
}

/** `{public_base_url}` from the notify URL the session hands every provider (`…/notify/{channel}/{merchant}`). */
export function publicBaseOf(notifyUrl: string): string {
  const i = notifyUrl.lastIndexOf('/notify/');
  if (i < 0) throw new TypeError(`Not a Shouyin notify URL: ${notifyUrl}`);
  return notifyUrl.slice(0, i);
}

/**
 * The `<how>` of `/return/:id/:how` exactly as session/links.ts providerReturnUrl writes it (a locale,
 * `hosted`, or `<locale>.hosted`; parseReturnHow reads each back), else undefined: nothing else is
 * ever put in a link.
 */
export function returnHow(how: string | null | undefined): string | undefined {
  return how && /^(?:(?:zh-CN|zh-TW|en)(?:\.hosted)?|hosted)$/.test(how) ? how : undefined;
}

/** The `<how>` of a provider's returnUrl `…/return/<id>/<how>`, if it has a valid one. */
export function returnHowOf(returnUrl: string | undefined): string | undefined {
  return returnHow(returnUrl ? /\/return\/[^/?#]+\/([^/?#]+)$/.exec(returnUrl)?.[1] : undefined);
}

/** `/return/<id>` or `/return/<id>/<how>`: where the JSAPI page sends the shopper back. */
export function returnPath(sessionId: string, how: string | undefined): string {
  const h = returnHow(how);
  return `/return/${sessionId}${h ? `/${h}` : ''}`;
}

/** The signed link to Shouyin's JSAPI page for one attempt, valid until `expiresAt` (ms); `how` as above. */
export async function jsapiEntryUrl(base: string, attemptId: string, appsecret: string, expiresAt: number, how?: string): Promise<string> {
  const exp = Math.ceil(expiresAt / 1000);
  const h = returnHow(how);
  return `${base}/wechat/jsapi/${encodeURIComponent(attemptId)}?exp=${exp}&sig=${await mac(appsecret, 'entry', attemptId, exp)}${h ? `&how=${h}` : ''}`;
}

export async function verifyEntry(attemptId: string, exp: string | undefined, sig: string | undefined, appsecret: string, now: number): Promise<boolean> {
  if (!exp || !sig || !/^\d{1,12}$/.test(exp) || Number(exp) * 1000 <= now) return false;
  return timingSafeEqual(await mac(appsecret, 'entry', attemptId, Number(exp)), sig);
}

/**
 * The OAuth `state`: WeChat allows only [a-zA-Z0-9], at most 128 bytes. Fixed layout: 32 hex of MAC,
 * 10 digits of expiry, then the attempt id (≤ 32 letters and digits).
 */
export async function oauthState(attemptId: string, appsecret: string, expiresAt: number): Promise<string> {
  const exp = Math.ceil(expiresAt / 1000);
  return `${await mac(appsecret, 'state', attemptId, exp)}${String(exp).padStart(10, '0')}${attemptId}`;
}

/** The attempt id a state names (before its signature is checked), or null. */
export function attemptOfState(state: string): { attemptId: string; exp: number; sig: string } | null {
  const m = /^([0-9a-f]{32})([0-9]{10})([0-9A-Za-z]{1,32})$/.exec(state);
  return m ? { sig: m[1]!, exp: Number(m[2]), attemptId: m[3]! } : null;
}

export async function verifyState(state: string, appsecret: string, now: number): Promise<string | null> {
  const s = attemptOfState(state);
  if (!s || s.exp * 1000 <= now) return null;
  return timingSafeEqual(await mac(appsecret, 'state', s.attemptId, s.exp), s.sig) ? s.attemptId : null;
}

/** The official account OAuth endpoints: WeChat's own, or the built-in sandbox's copies. */
export function oauthEndpoints(sandboxWechatBase: string | null): { authorize: string; accessToken: string } {
  return sandboxWechatBase
    ? { authorize: `${sandboxWechatBase}/connect/oauth2/authorize`, accessToken: `${sandboxWechatBase}/sns/oauth2/access_token` }
    : { authorize: 'https://open.weixin.qq.com/connect/oauth2/authorize', accessToken: 'https://api.weixin.qq.com/sns/oauth2/access_token' };
}

/** `…/authorize?appid=…&redirect_uri=…&response_type=code&scope=snsapi_base&state=…#wechat_redirect` (the fragment is required). */
export function authorizeUrl(authorize: string, appid: string, redirectUri: string, state: string): string {
  const q = new URLSearchParams({ appid, redirect_uri: redirectUri, response_type: 'code', scope: 'snsapi_base', state });
  return `${authorize}?${q.toString()}#wechat_redirect`;
}
