// WeChat JSAPI's openid hop (mounted at `/wechat`). A JSAPI prepay needs the payer's openid under the
// official account, which only WeChat's web OAuth gives (snsapi_base: a silent redirect inside WeChat).
// When a JSAPI attempt starts without one, the provider (wechat-v2 or wechat-v3) answers with a signed
// link to this page, which:
//   1. GET /wechat/jsapi/:attempt?exp&sig[&how] — checks the link, and without an openid for the session
//      redirects to the official account's authorize URL (the sandbox's copy in test mode);
//   2. GET /wechat/oauth/callback[?how]&code&state — checks the signed state, trades the code for the
//      openid (sns/oauth2/access_token), stores it in the session, and goes back to 1;
//   3. with the openid, asks the provider for the JSAPI parameters (the same createAttempt call the
//      session makes, same out_trade_no, so the same prepay), and invokes WeixinJSBridge on the page.
// The bridge's "ok" only sends the shopper to /return/:session[/:how], which re-checks with the provider.
// `how` is the provider's returnUrl's last segment (e.g. `en.hosted`: back to the hosted page, in
// English; session/links.ts). It rides in the entry link and in the OAuth redirect_uri's query (the
// `state` is WeChat's [a-zA-Z0-9] only), and every back link of these pages uses it; anything but the
// exact forms Shouyin writes is dropped (lib/wechat-jsapi-entry.ts returnHow). The pages speak the
// language `how` names (TEXT below, one table per language, the script's status texts included), and
// Chinese with English beside it when it names none, as /return does (routes/return.ts).
// The provider is reached through the registry: whichever configured provider has the PayerOauth
// capability (either WeChat Pay provider) names the official account. Native mode 1's callback is
// mounted beside it (product-qr.ts).

import { Hono, type Context } from 'hono';
import type { MerchantConfig } from '../config';
import { merchantById, publicBaseUrl } from '../merchants';
import { randomAlnum } from '../crypto/encoding';
import { outboundFetch, providerContext } from '../lib/outbound';
import {
  attemptOfState,
  authorizeUrl,
  jsapiEntryUrl,
  oauthEndpoints,
  oauthState,
  returnHow,
  returnPath,
  verifyEntry,
  verifyState,
} from '../lib/wechat-jsapi-entry';
import { configuredProviders, type ResolvedProvider } from '../providers/registry';
import type { PayerOauth } from '../providers/types';
import type { Locale, NextAction } from '../contract';
import type { CheckoutSession } from '../session/durable-object';
import { issuedSessionStub, sessionIdOfAttempt } from '../session/ids';
import { parseReturnHow } from '../session/links';
import type { AppEnv } from './http';
import { productQrRoutes } from './product-qr';

export const wechatRoutes = new Hono<AppEnv>();

const esc = (s: string): string => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
const yuan = (fen: number): string => `${Math.floor(fen / 100)}.${String(fen % 100).padStart(2, '0')}`;

const STYLE = `body{margin:0;background:#ededed;font:16px -apple-system,"PingFang SC","Noto Sans CJK SC",sans-serif;color:#191919;display:flex;justify-content:center}
main{width:100%;max-width:420px;padding:32px 16px}.card{background:#fff;border-radius:12px;padding:28px 20px;text-align:center}
h1{font-size:20px;margin:0 0 8px}.amount{font-size:36px;font-weight:600;margin:8px 0}.muted{color:#888;margin:4px 0}
button,a.btn{display:block;width:100%;box-sizing:border-box;border:0;border-radius:8px;padding:13px;font:inherit;font-weight:600;margin-top:12px;cursor:pointer;text-decoration:none}
.pay{background:#07c160;color:#fff}.back{background:#f2f2f2;color:#191919}[hidden]{display:none}`;

/** A problem page's heading and the sentence beneath it. */
type Problem = readonly [title: string, detail: string];

/** Every text of these pages, in one language (a key missing from a table fails the type check). */
interface Texts {
  /** `<html lang>`. */
  lang: string;
  /** The JSAPI page's title. */
  title: string;
  /** The JSAPI page's status line, set by its script. */
  opening: string;
  confirming: string;
  canceled: string;
  failed: string;
  openInWechat: string;
  payAgain: string;
  /** The link back through /return, on every page. */
  back: string;
  invalidLink: Problem;
  expiredLink: Problem;
  noCheckout: Problem;
  closed: (status: 'expired' | 'canceled') => Problem;
  replaced: Problem;
  unavailable: Problem;
  unexpected: Problem;
  badState: Problem;
  expiredState: Problem;
  noCode: Problem;
  unreachable: Problem;
  refused: (errcode: string) => Problem;
}

/** Per language `how` can name (session/links.ts parseReturnHow), and `both` when it names none. */
const TEXT: Record<Locale | 'both', Texts> = {
  'zh-CN': {
    lang: 'zh-CN',
    title: '微信支付',
    opening: '正在打开微信支付…',
    confirming: '正在确认支付结果…',
    canceled: '支付已取消',
    failed: '支付失败，请重试',
    openInWechat: '请在微信中打开此页面',
    payAgain: '重新支付',
    back: '返回商户',
    invalidLink: ['链接无效', '此支付链接无效。'],
    expiredLink: ['链接已失效', '此支付链接已过期或被修改，请返回商户重新发起支付。'],
    noCheckout: ['订单不存在', '找不到这笔订单。'],
    closed: (status) => ['订单已失效', status === 'expired' ? '这笔订单已过期。' : '这笔订单已取消。'],
    replaced: ['这笔支付已失效', '这笔支付已被替换或关闭，请返回商户重新支付。'],
    unavailable: ['暂时无法发起支付', '微信支付暂时无法发起这笔支付，请重试。'],
    unexpected: ['暂时无法发起支付', '支付服务返回了意外的结果。'],
    badState: ['授权失败', '授权信息缺失或格式不正确。'],
    expiredState: ['授权已失效', '授权已过期或被修改，请返回商户重新发起支付。'],
    noCode: ['授权失败', '微信没有返回授权码。'],
    unreachable: ['授权失败', '暂时无法连接微信完成授权，请重试。'],
    refused: (errcode) => ['授权失败', `微信拒绝了授权（错误码 ${errcode}）。`],
  },
  'zh-TW': {
    lang: 'zh-TW',
    title: '微信支付',
    opening: '正在開啟微信支付…',
    confirming: '正在確認付款結果…',
    canceled: '付款已取消',
    failed: '付款失敗，請重試',
    openInWechat: '請在微信中開啟此頁面',
    payAgain: '重新付款',
    back: '返回商店',
    invalidLink: ['連結無效', '此付款連結無效。'],
    expiredLink: ['連結已失效', '此付款連結已過期或遭到修改，請返回商店重新發起付款。'],
    noCheckout: ['訂單不存在', '找不到這筆訂單。'],
    closed: (status) => ['訂單已失效', status === 'expired' ? '這筆訂單已過期。' : '這筆訂單已取消。'],
    replaced: ['這筆付款已失效', '這筆付款已被取代或關閉，請返回商店重新付款。'],
    unavailable: ['暫時無法發起付款', '微信支付暫時無法發起這筆付款，請重試。'],
    unexpected: ['暫時無法發起付款', '付款服務傳回了非預期的結果。'],
    badState: ['授權失敗', '授權資訊缺少或格式不正確。'],
    expiredState: ['授權已失效', '授權已過期或遭到修改，請返回商店重新發起付款。'],
    noCode: ['授權失敗', '微信沒有傳回授權碼。'],
    unreachable: ['授權失敗', '暫時無法連線至微信完成授權，請重試。'],
    refused: (errcode) => ['授權失敗', `微信拒絕了授權（錯誤碼 ${errcode}）。`],
  },
  en: {
    lang: 'en',
    title: 'WeChat Pay',
    opening: 'Opening WeChat Pay…',
    confirming: 'Confirming your payment…',
    canceled: 'Payment canceled',
    failed: 'Payment failed. Please try again.',
    openInWechat: 'Open this page in WeChat',
    payAgain: 'Pay again',
    back: 'Back to the shop',
    invalidLink: ['Invalid link', 'This payment link is not valid.'],
    expiredLink: ['Link expired', 'This payment link has expired or was altered. Go back to the shop and start again.'],
    noCheckout: ['Checkout not found', 'No such checkout.'],
    closed: (status) => ['Checkout closed', `This checkout is ${status}.`],
    replaced: ['Payment replaced', 'This payment was replaced or closed. Go back to the shop to pay.'],
    unavailable: ['Cannot start the payment', 'WeChat Pay could not start the payment. Please try again.'],
    unexpected: ['Cannot start the payment', 'Unexpected answer from the provider.'],
    badState: ['Sign-in failed', 'The OAuth state is missing or malformed.'],
    expiredState: ['Sign-in expired', 'The OAuth state has expired or was altered. Go back to the shop and start again.'],
    noCode: ['Sign-in failed', 'WeChat did not return an authorization code.'],
    unreachable: ['Sign-in failed', 'Could not reach WeChat to finish the sign-in. Please try again.'],
    refused: (errcode) => ['Sign-in failed', `WeChat refused the sign-in (errcode ${errcode}).`],
  },
  // No language named: Chinese first with English beside it (problem pages: the Chinese heading, the
  // English sentence).
  both: {
    lang: 'zh-CN',
    title: '微信支付',
    opening: '正在打开微信支付… Opening WeChat Pay…',
    confirming: '正在确认支付结果… Confirming…',
    canceled: '支付已取消 Payment canceled',
    failed: '支付失败，请重试 Payment failed',
    openInWechat: '请在微信中打开此页面 Open this page in WeChat',
    payAgain: '重新支付 Pay again',
    back: '返回商户 Back to the shop',
    invalidLink: ['链接无效', 'This payment link is not valid.'],
    expiredLink: ['链接已失效', 'This payment link has expired or was altered. Go back to the shop and start again.'],
    noCheckout: ['订单不存在', 'No such checkout.'],
    closed: (status) => ['订单已失效', `This checkout is ${status}.`],
    replaced: ['这笔支付已失效', 'This payment was replaced or closed. Go back to the shop to pay.'],
    unavailable: ['暂时无法发起支付', 'WeChat Pay could not start the payment. Please try again.'],
    unexpected: ['暂时无法发起支付', 'Unexpected answer from the provider.'],
    badState: ['授权失败', 'The OAuth state is missing or malformed.'],
    expiredState: ['授权已失效', 'The OAuth state has expired or was altered. Go back to the shop and start again.'],
    noCode: ['授权失败', 'WeChat did not return an authorization code.'],
    unreachable: ['授权失败', 'Could not reach WeChat to finish the sign-in. Please try again.'],
    refused: (errcode) => ['授权失败', `WeChat refused the sign-in (errcode ${errcode}).`],
  },
};

/** The texts for a checked `how` (lib/wechat-jsapi-entry.ts returnHow). */
const textsFor = (how: string | undefined): Texts => TEXT[parseReturnHow(how).locale ?? 'both'];

function html(t: Texts, title: string, inner: string, status = 200, extra: { nonce?: string; scripts?: string } = {}): Response {
  const csp = `default-src 'none'; style-src 'unsafe-inline'; connect-src 'self'; script-src 'self'${extra.nonce ? ` 'nonce-${extra.nonce}'` : ''}; base-uri 'none'`;
  return new Response(
    `<!doctype html><html lang="${esc(t.lang)}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${esc(title)}</title><style>${STYLE}</style></head>` +
      `<body><main><div class="card">${inner}</div></main>${extra.scripts ?? ''}</body></html>`,
    {
      status,
      headers: { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer', 'Content-Security-Policy': csp },
    },
  );
}

const problem = (t: Texts, [title, detail]: Problem, status = 400, back?: string): Response =>
  html(
    t,
    title,
    `<h1>${esc(title)}</h1><p class="muted" data-error>${esc(detail)}</p>${back ? `<a class="btn back" href="${esc(back)}">${esc(t.back)}</a>` : ''}`,
    status,
  );

interface Hop {
  /** This Worker's public base URL (merchants.ts publicBaseUrl). */
  base: string;
  merchant: MerchantConfig;
  resolved: ResolvedProvider;
  capability: PayerOauth<unknown>;
  oauth: { appid: string; appsecret: string };
  /** The key the session keeps the openid under (the identity AppID the session itself reads). */
  identityAppid: string;
  stub: DurableObjectStub<CheckoutSession>;
  sessionId: string;
}

/** The session, merchant and official account behind an attempt id; a Response when there is none. */
async function hopFor(c: Context<AppEnv>, attemptId: string, t: Texts): Promise<Hop | Response> {
  const sessionId = sessionIdOfAttempt(attemptId);
  const stub = sessionId ? await issuedSessionStub(c.env, sessionId) : null;
  if (!sessionId || !stub) return problem(t, t.invalidLink, 404);
  const merchantId = await stub.merchantIdForCors();
  const merchant = merchantId ? await merchantById(c.env, merchantId) : undefined;
  const resolved = merchant ? configuredProviders(merchant).find((r) => r.entry.payerOauth) : undefined;
  const capability = resolved?.entry.payerOauth;
  const oauth = resolved && capability?.account(resolved.config);
  if (!merchant || !resolved || !capability || !oauth) return problem(t, t.invalidLink, 404);
  return { base: publicBaseUrl(c.env), merchant, resolved, capability, oauth, identityAppid: resolved.identity.appId ?? '', stub, sessionId };
}

/** The sandbox's copies of WeChat's OAuth endpoints for a test merchant on the built-in sandbox. */
function endpoints(h: Hop): { authorize: string; accessToken: string } {
  const sandbox = h.capability.sandboxed(h.resolved.config, h.merchant.livemode);
  return oauthEndpoints(sandbox ? `${h.base}/sandbox/wechatpay` : null);
}

wechatRoutes.get('/jsapi/:attempt', async (c) => {
  const attemptId = c.req.param('attempt');
  const how = returnHow(c.req.query('how'));
  const t = textsFor(how);
  const h = await hopFor(c, attemptId, t);
  if (h instanceof Response) return h;
  const now = Date.now();
  const exp = c.req.query('exp');
  const back = returnPath(h.sessionId, how);
  if (!(await verifyEntry(attemptId, exp, c.req.query('sig'), h.oauth.appsecret, now))) {
    return problem(t, t.expiredLink, 403, back);
  }
  const openid = await h.stub.wechatOpenid(h.identityAppid);
  if (!openid) {
    // snsapi_base: inside WeChat the authorize page redirects straight back with a code (no prompt).
    const state = await oauthState(attemptId, h.oauth.appsecret, Number(exp) * 1000);
    const { authorize } = endpoints(h);
    // WeChat adds code and state to redirect_uri's own query, where `how` comes back (redirect_uri may
    // carry a query: https://developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/Wechat_webpage_authorization.html).
    const callback = `${h.base}/wechat/oauth/callback${how ? `?how=${how}` : ''}`;
    return c.redirect(authorizeUrl(authorize, h.oauth.appid, callback, state), 302);
  }

  const session = await h.stub.retrieve(h.merchant.id);
  if (!session) return problem(t, t.noCheckout, 404);
  if (session.status === 'paid') return c.redirect(back, 303);
  if (session.status !== 'open') return problem(t, t.closed(session.status), 410, back);
  const view = await h.stub.clientView(session.client_secret, c.req.header('user-agent'));
  const active = view.ok ? view.value.active_attempt : null;
  if (!active || active.id !== attemptId || active.status !== 'pending') {
    return problem(t, t.replaced, 410, back);
  }
  let action: NextAction;
  try {
    const ip = c.req.header('cf-connecting-ip');
    const r = await h.resolved.provider.createAttempt(
      providerContext(h.base, h.merchant.livemode, () => Date.now()),
      h.resolved.config,
      {
        attemptId,
        flow: 'jsapi',
        amount: session.amount,
        currency: 'CNY',
        description: session.description,
        // The same fields the session sent, so WeChat answers with the same prepay (out_trade_no = attempt id).
        expiresAt: session.expires_at * 1000,
        notifyUrl: `${h.base}/notify/${h.resolved.provider.channel}/${h.merchant.id}`,
        returnUrl: `${h.base}${back}`,
        client: { openid, ...(ip ? { ip } : {}) },
        merchantOrderId: session.merchant_order_id,
        metadata: session.metadata,
      },
    );
    action = r.nextAction;
  } catch (e) {
    console.warn(`jsapi page ${attemptId}: ${e instanceof Error ? e.message : String(e)}`);
    return problem(t, t.unavailable, 502, back);
  }
  if (action.type !== 'wechat_jsapi') return problem(t, t.unexpected, 502, back);
  return jsapiPage(h, t, session.amount, session.description, action.params, back);
});

/** The page that invokes WeixinJSBridge with the signed parameters, then re-checks through /return. */
function jsapiPage(h: Hop, t: Texts, amount: number, description: string, params: Record<string, string>, back: string): Response {
  const nonce = randomAlnum(24);
  // Test mode on the built-in sandbox: the sandbox's WeixinJSBridge stands in for WeChat's.
  const sandbox = h.capability.sandboxed(h.resolved.config, h.merchant.livemode);
  const bridge = sandbox ? `<script src="/sandbox/wechatpay/jsbridge.js"></script>` : '';
  const text = { opening: t.opening, confirming: t.confirming, canceled: t.canceled, failed: t.failed, openInWechat: t.openInWechat };
  const data = JSON.stringify({ params, back, text }).replace(/</g, '\\u003c');
  const script = `${bridge}<script type="application/json" id="data">${data}</script><script nonce="${nonce}">(() => {
  const d = JSON.parse(document.getElementById('data').textContent);
  const status = document.getElementById('status'), retry = document.getElementById('retry');
  let tries = 0;
  const pay = () => {
    retry.hidden = true;
    status.textContent = d.text.opening;
    WeixinJSBridge.invoke('getBrandWCPayRequest', d.params, (r) => {
      const m = /:(ok|cancel)$/.exec((r && r.err_msg) || '');
      if (m && m[1] === 'ok') { status.textContent = d.text.confirming; location.replace(d.back); return; }
      status.textContent = m ? d.text.canceled : d.text.failed;
      retry.hidden = false;
    });
  };
  retry.addEventListener('click', pay);
  if (typeof WeixinJSBridge !== 'undefined') pay();
  else {
    document.addEventListener('WeixinJSBridgeReady', pay, { once: true });
    setTimeout(() => { if (!tries++ && typeof WeixinJSBridge === 'undefined') status.textContent = d.text.openInWechat; }, 5000);
  }
})();</script>`;
  return html(
    t,
    t.title,
    `<p class="muted">${esc(h.merchant.name)}</p><p class="amount">¥${yuan(amount)}</p><p class="muted">${esc(description)}</p>` +
      `<p id="status" role="status" aria-live="polite"></p><button id="retry" class="pay" type="button" hidden>${esc(t.payAgain)}</button>` +
      `<a class="btn back" href="${esc(back)}">${esc(t.back)}</a>`,
    200,
    { nonce, scripts: script },
  );
}

wechatRoutes.get('/oauth/callback', async (c) => {
  const state = c.req.query('state') ?? '';
  const how = returnHow(c.req.query('how'));
  const t = textsFor(how);
  const named = attemptOfState(state);
  if (!named) return problem(t, t.badState, 400);
  const h = await hopFor(c, named.attemptId, t);
  if (h instanceof Response) return h;
  const back = returnPath(h.sessionId, how);
  const attemptId = await verifyState(state, h.oauth.appsecret, Date.now());
  if (!attemptId) return problem(t, t.expiredState, 403, back);
  const code = c.req.query('code');
  if (!code) return problem(t, t.noCode, 400, back);

  const { accessToken } = endpoints(h);
  const q = new URLSearchParams({ appid: h.oauth.appid, secret: h.oauth.appsecret, code, grant_type: 'authorization_code' });
  let answer: { openid?: unknown; errcode?: unknown; errmsg?: unknown };
  try {
    const res = await outboundFetch(h.base)(new Request(`${accessToken}?${q.toString()}`, { headers: { Accept: 'application/json' } }));
    answer = (await res.json()) as typeof answer;
  } catch (e) {
    console.warn(`oauth code exchange failed: ${e instanceof Error ? e.message : String(e)}`);
    return problem(t, t.unreachable, 502, back);
  }
  if (typeof answer.openid !== 'string' || !(await h.stub.rememberWechatOpenid(h.identityAppid, answer.openid))) {
    // 40029 invalid code, 40163 code used, 40125 wrong appsecret… (never echo the secret).
    console.warn(`oauth code exchange refused: errcode ${String(answer.errcode)} ${String(answer.errmsg ?? '')}`);
    return problem(t, t.refused(String(answer.errcode ?? 'none')), 502, back);
  }
  return c.redirect(await jsapiEntryUrl(h.base, attemptId, h.oauth.appsecret, named.exp * 1000, how), 302);
});

wechatRoutes.route('/native', productQrRoutes('wechat_pay', '/wechat/native'));
