// The official account's web OAuth, as the JSAPI flow needs it (snsapi_base: silent, openid only):
//   GET /connect/oauth2/authorize?appid&redirect_uri&response_type=code&scope=snsapi_base&state#wechat_redirect
//     → 302 redirect_uri?code=CODE&state=STATE (only inside WeChat; elsewhere WeChat shows
//       "请在微信客户端打开链接")
//   GET /sns/oauth2/access_token?appid&secret&code&grant_type=authorization_code
//     → 200 {access_token, expires_in, refresh_token, openid, scope} or 200 {errcode, errmsg}
// A code lives 5 minutes and is good once (40029 invalid, 40163 used); a wrong appsecret is 40125.
// One browser is one sandbox WeChat user (a cookie), whose openid differs per AppID.

import { Hono, type Context } from 'hono';
import { loadConfig } from '../config';
import { randomAlnum } from '../../../worker/src/crypto/encoding';
import { timingSafeEqual } from '../../../worker/src/crypto/timing-safe';
import { oauthLedger, type SandboxEnv } from '../types';
import { testOfficialAccount } from './merchants';
import { USER_COOKIE, sandboxOpenid, userFromCookie } from './openid';

export const wechatOauth = new Hono<SandboxEnv>();

const esc = (s: string): string => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

/** WeChat's own error pages are a short message on a grey page; so are these. */
function page(title: string, detail: string, status = 200): Response {
  return new Response(
    `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${esc(title)}</title>` +
      `<style>body{margin:0;background:#ededed;font:16px -apple-system,"PingFang SC","Noto Sans CJK SC",sans-serif;color:#191919;display:grid;place-items:center;min-height:90vh}main{text-align:center;padding:24px}h1{font-size:20px;margin:0 0 8px}p{color:#888;margin:0}</style>` +
      `</head><body><main data-oauth-error><h1>${esc(title)}</h1><p>${esc(detail)}</p><p>Shouyin 沙箱 · Sandbox</p></main></body></html>`,
    { status, headers: { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' } },
  );
}

wechatOauth.get('/connect/oauth2/authorize', async (c: Context<SandboxEnv>) => {
  const config = loadConfig(c.env);
  if (!/MicroMessenger/i.test(c.req.header('User-Agent') ?? '')) return page('请在微信客户端打开链接', 'Open this link in WeChat.');
  const q = (k: string) => c.req.query(k) ?? '';
  const account = testOfficialAccount(config, q('appid'));
  if (!account) return page('Oops! Something went wrong:(', 'appid 参数错误（不是沙箱测试商户配置的公众号）');
  if (q('response_type') !== 'code') return page('Oops! Something went wrong:(', 'response_type 参数错误');
  if (q('scope') !== 'snsapi_base' && q('scope') !== 'snsapi_userinfo') return page('Oops! Something went wrong:(', 'scope 参数错误');
  let redirect: URL;
  try {
    redirect = new URL(q('redirect_uri'));
  } catch {
    return page('Oops! Something went wrong:(', 'redirect_uri 参数错误');
  }
  // The redirect must be on the account's 网页授权域名; the sandbox's is public_base_url's host.
  if (redirect.host !== new URL(config.public_base_url).host || (redirect.protocol !== 'https:' && redirect.protocol !== 'http:')) {
    return page('redirect_uri 域名与后台配置不一致', '错误码：10003');
  }
  if (q('state').length > 128 || !/^[0-9A-Za-z]*$/.test(q('state'))) return page('Oops! Something went wrong:(', 'state 参数错误（a-zA-Z0-9，最多128字节）');

  let user = userFromCookie(c.req.header('Cookie'));
  const headers = new Headers({ 'Cache-Control': 'no-store' });
  if (!user) {
    user = randomAlnum(24);
    const path = new URL(c.req.url).pathname.replace(/\/connect\/oauth2\/authorize$/, '') || '/';
    headers.append('Set-Cookie', `${USER_COOKIE}=${user}; Path=${path}; HttpOnly; SameSite=Lax; Max-Age=31536000`);
  }
  const code = await oauthLedger(c.env, account.appid).issueOauthCode(account.appid, await sandboxOpenid(account.appid, user));
  redirect.searchParams.set('code', code);
  redirect.searchParams.set('state', q('state'));
  headers.set('Location', redirect.toString());
  return new Response(null, { status: 302, headers });
});

const ERRMSG: Record<number, string> = {
  40002: 'invalid grant_type',
  40013: 'invalid appid',
  40029: 'invalid code',
  40125: 'invalid appsecret',
  40163: 'code been used',
};
const err = (c: Context<SandboxEnv>, errcode: number) => c.json({ errcode, errmsg: `${ERRMSG[errcode]}, rid: ${randomAlnum(8).toLowerCase()}` });

wechatOauth.get('/sns/oauth2/access_token', async (c: Context<SandboxEnv>) => {
  const q = (k: string) => c.req.query(k) ?? '';
  if (q('grant_type') !== 'authorization_code') return err(c, 40002);
  const account = testOfficialAccount(loadConfig(c.env), q('appid'));
  if (!account) return err(c, 40013);
  if (!timingSafeEqual(q('secret'), account.appsecret)) return err(c, 40125);
  const r = await oauthLedger(c.env, account.appid).redeemOauthCode(account.appid, q('code'));
  if ('errcode' in r) return err(c, r.errcode);
  return c.json({ access_token: randomAlnum(64), expires_in: 7200, refresh_token: randomAlnum(64), openid: r.openid, scope: 'snsapi_base' });
});
