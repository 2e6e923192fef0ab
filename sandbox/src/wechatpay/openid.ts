// The sandbox's WeChat users. An openid is a user's id under one AppID (the same person has another
// openid under another AppID), and JSAPI refuses an openid that is not the prepay appid's
// (https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=9_1, https://pay.weixin.qq.com/doc/v3/merchant/4012791856).
// A sandbox openid carries a check tag over its AppID, so any part of the simulator can tell whether an openid belongs
// to an AppID without storing anything: `o` + 19 characters of the user + 8 of tag.

import { sha256 } from '../../../worker/src/crypto/digest';
import { toHex } from '../../../worker/src/crypto/encoding';

const alnum = async (s: string, n: number): Promise<string> => toHex(await sha256(s)).slice(0, n);

async function tag(appid: string, user19: string): Promise<string> {
  return alnum(`shouyin-sandbox-openid\n${appid}\n${user19}`, 8);
}

/** The openid of sandbox user `user` (any string, e.g. a browser cookie) under `appid`. Stable. */
export async function sandboxOpenid(appid: string, user: string): Promise<string> {
  const u = await alnum(`shouyin-sandbox-user\n${user}\n${appid}`, 19);
  return `o${u}${await tag(appid, u)}`;
}

/** True when `openid` was issued by the sandbox under `appid`. */
export async function isSandboxOpenid(appid: string, openid: string): Promise<boolean> {
  const m = /^o([0-9A-Za-z]{19})([0-9A-Za-z]{8})$/.exec(openid);
  return m !== null && (await tag(appid, m[1]!)) === m[2];
}

/** The cookie that makes one browser one sandbox WeChat user. */
export const USER_COOKIE = 'shouyin_sbx_wx_user';

export function userFromCookie(header: string | undefined): string | null {
  const m = new RegExp(`(?:^|;\\s*)${USER_COOKIE}=([0-9A-Za-z]{16,64})`).exec(header ?? '');
  return m ? m[1]! : null;
}
