// JSAPI inside WeChat, end to end inside workerd (APIv3 and APIv2): the attempt's redirect to
// Shouyin's JSAPI page → the official account's snsapi_base OAuth (the sandbox's copy) → code →
// openid → the JSAPI prepay → WeixinJSBridge parameters → the sandbox bridge pays → paid. Plus every
// way the hop can be abused: altered links and states, reused codes, a wrong appsecret's merchant,
// an attempt that was replaced. A hosted-page shopper's way back (`/return/<id>/en.hosted`) survives
// the hop; a `how` that Shouyin did not write is dropped, never reflected. The pages speak the language
// `how` names (English, Traditional Chinese), and Chinese with English beside it when it names none.

import { SELF, runDurableObjectAlarm } from 'cloudflare:test';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { publicKeyFromPrivate, rsaVerify } from '../src/crypto/rsa';
import { sign } from '../src/providers/wechat-v2/sign';
import { MERCHANT_PRIVATE_KEY, WECHAT_TEST } from './fixtures/config';
import { BASE, sessionStub, type SessionJson } from './helpers';
import { type AttemptJson, captureWebhooks, controlAs, createSessionAs, startAttemptAs } from './wechat-v2';

beforeEach(() => void captureWebhooks());
afterEach(() => vi.restoreAllMocks());

const WECHAT_UA =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.47(0x18002f2c) NetType/WIFI Language/zh_CN';
const SAFARI_UA = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1';

const MERCHANTS = {
  v3: { key: WECHAT_TEST.v3oauth_secret_key, identityAppid: WECHAT_TEST.v3oauth_appid },
  v2: { key: WECHAT_TEST.v2_secret_key, identityAppid: WECHAT_TEST.v2_appid },
} as const;

/** A browser inside WeChat: follows nothing by itself, keeps the sandbox user's cookie. */
function wechatBrowser(ua = WECHAT_UA) {
  let cookie = '';
  return async (url: string, init: RequestInit = {}): Promise<Response> => {
    const res = await SELF.fetch(url.split('#')[0]!, {
      ...init,
      redirect: 'manual',
      headers: { 'user-agent': ua, ...(cookie ? { cookie } : {}), ...(init.headers as Record<string, string>) },
    });
    const set = res.headers.get('set-cookie');
    if (set) cookie = set.split(';')[0]!;
    return res;
  };
}

interface JsapiData {
  params: Record<string, string>;
  back: string;
  /** The script's status texts, in the page's language. */
  text: Record<'opening' | 'confirming' | 'canceled' | 'failed' | 'openInWechat', string>;
}

function jsapiData(html: string): JsapiData {
  const m = /<script type="application\/json" id="data">([\s\S]*?)<\/script>/.exec(html);
  if (!m) throw new Error(`no JSAPI data in the page: ${html.slice(0, 300)}`);
  return JSON.parse(m[1]!) as JsapiData;
}

/** A hosted-page shopper: the hosted page's widget calls the client API under /pay (worker/src/index.ts). */
async function startHostedAttempt(s: SessionJson, headers: Record<string, string>): Promise<AttemptJson> {
  const res = await SELF.fetch(`${BASE}/pay/v1/client/sessions/${s.id}/attempts`, {
    method: 'POST',
    headers: { authorization: `Bearer ${s.client_secret}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ channel: 'wechat_pay', flow: 'jsapi' }),
  });
  expect(res.status).toBe(201);
  return (await res.json()) as AttemptJson;
}

/** The shopper's Accept-Language for each `how` a test uses (the widget sends its language so). */
const ACCEPT_LANGUAGE = { 'en.hosted': 'en-GB,en;q=0.9', 'zh-TW': 'zh-TW,zh;q=0.9' } as const;

/**
 * Attempt → JSAPI page → OAuth → callback → JSAPI page with parameters. `how`: a hosted-page shopper
 * in English, whose every link must lead back to `/return/<id>/en.hosted`, or an embedded widget's
 * shopper in Traditional Chinese (`/return/<id>/zh-TW`).
 */
async function hop(
  key: string,
  how?: keyof typeof ACCEPT_LANGUAGE,
  over: Record<string, unknown> = {},
): Promise<{
  s: SessionJson;
  attemptId: string;
  entry: string;
  html: string;
  data: ReturnType<typeof jsapiData>;
  browse: ReturnType<typeof wechatBrowser>;
  merchantName: string;
}> {
  const s = await createSessionAs(key, over);
  const view = (await (
    await SELF.fetch(`${BASE}/v1/client/sessions/${s.id}`, { headers: { authorization: `Bearer ${s.client_secret}`, 'user-agent': WECHAT_UA } })
  ).json()) as { merchant_name: string; channels: { channel: string; flows: string[] }[] };
  expect(view.channels.find((c) => c.channel === 'wechat_pay')?.flows).toEqual(['jsapi', 'qr']);
  const { attempt, next_action } =
    how === 'en.hosted'
      ? await startHostedAttempt(s, { 'user-agent': WECHAT_UA, 'accept-language': ACCEPT_LANGUAGE[how] })
      : await startAttemptAs(s, 'jsapi', { 'user-agent': WECHAT_UA, ...(how ? { 'accept-language': ACCEPT_LANGUAGE[how] } : {}) });
  expect(next_action.type).toBe('redirect');
  const entry = next_action.url!;
  expect(entry).toMatch(new RegExp(`^${BASE}/wechat/jsapi/${attempt.id}\\?exp=\\d+&sig=[0-9a-f]{32}${how ? `&how=${how.replace('.', '\\.')}` : ''}$`));
  const browse = wechatBrowser();
  const toOauth = await browse(entry);
  expect(toOauth.status).toBe(302);
  const authorize = toOauth.headers.get('location')!;
  const a = new URL(authorize);
  expect(`${a.origin}${a.pathname}`).toBe(`${BASE}/sandbox/wechatpay/connect/oauth2/authorize`);
  expect(a.hash).toBe('#wechat_redirect');
  expect(Object.fromEntries(a.searchParams)).toMatchObject({
    appid: WECHAT_TEST.mp_appid,
    redirect_uri: `${BASE}/wechat/oauth/callback${how ? `?how=${how}` : ''}`,
    response_type: 'code',
    scope: 'snsapi_base',
  });
  expect(a.searchParams.get('state')).toMatch(/^[0-9a-f]{32}\d{10}[0-9A-Za-z]+$/);
  const toCallback = await browse(authorize);
  expect(toCallback.status).toBe(302);
  const cb = new URL(toCallback.headers.get('location')!);
  expect(cb.searchParams.get('code')).toMatch(/^[0-9A-Za-z]{32}$/);
  expect(cb.searchParams.get('state')).toBe(a.searchParams.get('state'));
  expect(cb.searchParams.get('how')).toBe(how ?? null);
  const back = await browse(cb.toString());
  expect(back.status).toBe(302);
  expect(back.headers.get('location')).toBe(entry);
  const page = await browse(entry);
  expect(page.status).toBe(200);
  const html = await page.text();
  expect(html).toContain('/sandbox/wechatpay/jsbridge.js');
  return { s, attemptId: attempt.id, entry, html, data: jsapiData(html), browse, merchantName: view.merchant_name };
}

const bridgePay = async (params: Record<string, string>) =>
  (await (await SELF.fetch(`${BASE}/sandbox/wechatpay/jsbridge/pay`, { method: 'POST', body: JSON.stringify(params) })).json()) as {
    err_msg: string;
    err_desc?: string;
  };

const status = async (s: SessionJson) =>
  (
    (await (await SELF.fetch(`${BASE}/v1/client/sessions/${s.id}/status`, { headers: { authorization: `Bearer ${s.client_secret}` } })).json()) as {
      status: string;
    }
  ).status;

describe('JSAPI with the OAuth hop, APIv3', () => {
  // https://pay.weixin.qq.com/doc/v3/merchant/4012791857
  it('hops for the openid, signs RSA bridge parameters, and the bridge pays the order', async () => {
    const { s, attemptId, data } = await hop(MERCHANTS.v3.key);
    const p = data.params;
    expect(Object.keys(p).sort()).toEqual(['appId', 'nonceStr', 'package', 'paySign', 'signType', 'timeStamp']);
    expect(p).toMatchObject({ appId: WECHAT_TEST.mp_appid, signType: 'RSA' });
    const key = await publicKeyFromPrivate(MERCHANT_PRIVATE_KEY);
    expect(await rsaVerify(key, `${p.appId}\n${p.timeStamp}\n${p.nonceStr}\n${p.package}\n`, p.paySign!)).toBe(true);
    expect(data.back).toBe(`/return/${s.id}`);
    // The openid is the session's now: the session asks for it under its identity AppID.
    expect(await sessionStub(s.id).wechatOpenid(MERCHANTS.v3.identityAppid)).toMatch(/^o[0-9a-f]{27}$/);

    expect(await bridgePay({ ...p, paySign: `${p.paySign!.slice(0, -4)}AAA=` })).toMatchObject({
      err_msg: 'get_brand_wcpay_request:fail',
      err_desc: '支付验证签名失败',
    });
    expect(await bridgePay(p)).toEqual({ err_msg: 'get_brand_wcpay_request:ok' });
    // The bridge's ok is a hint: the shopper lands on /return, which asks WeChat Pay before saying paid.
    const ret = await SELF.fetch(`${BASE}${data.back}`, { redirect: 'manual' });
    expect(await ret.text()).toContain('支付成功');
    expect(await status(s)).toBe('paid');
    const ledger = (await (await controlAs(MERCHANTS.v3.key, `/orders/${attemptId}`)).json()) as {
      order: { trade_type: string; appid: string; openid: string; payer_openid: string };
    };
    expect(ledger.order).toMatchObject({ trade_type: 'JSAPI', appid: WECHAT_TEST.mp_appid });
    expect(ledger.order.payer_openid).toBe(ledger.order.openid);
  });

  it('the same page again gives the same prepay (identical fields), and the widget path gets wechat_jsapi directly once the openid is known', async () => {
    const { s, entry, data, browse } = await hop(MERCHANTS.v3.key);
    const again = jsapiData(await (await browse(entry)).text());
    expect(again.params.package).toBe(data.params.package);
    // Switching away (the session closes the JSAPI order from its alarm) and back makes a new attempt,
    // which now knows the openid: no hop.
    await startAttemptAs(s, 'qr');
    await runDurableObjectAlarm(sessionStub(s.id));
    const direct = await startAttemptAs(s, 'jsapi', { 'user-agent': WECHAT_UA });
    expect(direct.next_action.type).toBe('wechat_jsapi');
    expect(direct.next_action.params).toMatchObject({ appId: WECHAT_TEST.mp_appid, signType: 'RSA' });
    expect(await bridgePay(direct.next_action.params!)).toEqual({ err_msg: 'get_brand_wcpay_request:ok' });
    await controlAs(MERCHANTS.v3.key, '/flush', {});
    expect(await status(s)).toBe('paid');
  });

  it('a JSAPI page whose attempt was replaced says so instead of taking a payment', async () => {
    const s = await createSessionAs(MERCHANTS.v3.key);
    const { next_action } = await startAttemptAs(s, 'jsapi', { 'user-agent': WECHAT_UA });
    await sessionStub(s.id).rememberWechatOpenid(
      MERCHANTS.v3.identityAppid,
      ((await (await controlAs(MERCHANTS.v3.key, '/openid', {})).json()) as { openid: string }).openid,
    );
    await startAttemptAs(s, 'qr');
    const res = await wechatBrowser()(next_action.url!);
    expect(res.status).toBe(410);
    expect(await res.text()).toContain('这笔支付已失效');
  });
});

describe('JSAPI with the OAuth hop, APIv2', () => {
  it("signs the bridge parameters with the merchant's v2 algorithm (MD5) and pays", async () => {
    const { s, data } = await hop(MERCHANTS.v2.key);
    const { paySign, ...five } = data.params;
    expect(five).toMatchObject({ appId: WECHAT_TEST.mp_appid, signType: 'MD5' });
    expect(paySign).toBe(await sign(five, WECHAT_TEST.apiv2_key, 'MD5'));
    expect(await bridgePay({ ...data.params, signType: 'HMAC-SHA256' })).toMatchObject({ err_msg: 'get_brand_wcpay_request:fail' });
    expect(await bridgePay(data.params)).toEqual({ err_msg: 'get_brand_wcpay_request:ok' });
    await controlAs(MERCHANTS.v2.key, '/flush', {});
    expect(await status(s)).toBe('paid');
  });

  it("keeps a hosted-page shopper's way back through the hop as APIv3 does", async () => {
    const { s, data } = await hop(MERCHANTS.v2.key, 'en.hosted');
    expect(data.back).toBe(`/return/${s.id}/en.hosted`);
  });
});

/** Every link on a page of the hop (back links; the script's post-ok target is `data.back`). */
const hrefs = (html: string): string[] => [...html.matchAll(/href="([^"]*)"/g)].map((m) => m[1]!);

describe("a hosted-page shopper's way back", () => {
  it('a hosted, English attempt: the OAuth hop keeps /return/<id>/en.hosted, and every link and the bridge ok lead there, then to the hosted page', async () => {
    const { s, attemptId, entry, html, data, browse } = await hop(MERCHANTS.v3.key, 'en.hosted');
    const back = `/return/${s.id}/en.hosted`;
    expect(data.back).toBe(back);
    expect(hrefs(html)).toEqual([back]);
    // Unpaid, /return sends the shopper back to the hosted page, in English (not to a merchant page).
    const unpaid = await SELF.fetch(`${BASE}${back}`, { redirect: 'manual' });
    expect(unpaid.status).toBe(303);
    expect(unpaid.headers.get('location')).toBe(`${BASE}/pay/${s.id}?locale=en`);
    // The bridge's ok: the page's script goes to data.back. Paid (the notify delivered) and with no
    // return_url, the shopper lands on the hosted page, in English, which shows paid.
    expect(await bridgePay(data.params)).toEqual({ err_msg: 'get_brand_wcpay_request:ok' });
    await controlAs(MERCHANTS.v3.key, '/flush', {});
    expect(await status(s)).toBe('paid');
    const paid = await SELF.fetch(`${BASE}${data.back}`, { redirect: 'manual' });
    expect(paid.status).toBe(303);
    expect(paid.headers.get('location')).toBe(`${BASE}/pay/${s.id}?locale=en`);
    // The page again, now paid, goes straight the same way.
    const again = await browse(entry);
    expect(again.status).toBe(303);
    expect(again.headers.get('location')).toBe(back);
    // The problem pages: an altered link, a forged state on the callback.
    const altered = new URL(entry);
    altered.searchParams.set('sig', '0'.repeat(32));
    const refused = await browse(altered.toString());
    expect(refused.status).toBe(403);
    expect(hrefs(await refused.text())).toEqual([back]);
    const forged = await browse(`${BASE}/wechat/oauth/callback?how=en.hosted&code=x&state=${'0'.repeat(32)}${'9'.repeat(10)}${attemptId}`);
    expect(forged.status).toBe(403);
    expect(hrefs(await forged.text())).toEqual([back]);
  });

  it('a how Shouyin did not write is dropped on the link, the hop and the page, never reflected', async () => {
    const s = await createSessionAs(MERCHANTS.v3.key);
    const { next_action } = await startAttemptAs(s, 'jsapi', { 'user-agent': WECHAT_UA });
    const entry = next_action.url!;
    const plain = `/return/${s.id}`;
    const browse = wechatBrowser();
    const bad = ['"><script>alert(1)</script>', 'en.hosted/../../evil', 'https://evil.test/x', 'EN.HOSTED', 'en.hosted.hosted', 'hosted?x=1'];
    const withHow = (url: string, how: string): string => {
      const u = new URL(url);
      u.searchParams.set('how', how);
      return u.toString();
    };
    for (const how of bad) {
      const toOauth = await browse(withHow(entry, how));
      expect(toOauth.status).toBe(302);
      expect(new URL(toOauth.headers.get('location')!).searchParams.get('redirect_uri')).toBe(`${BASE}/wechat/oauth/callback`);
      const altered = new URL(withHow(entry, how));
      altered.searchParams.set('sig', '0'.repeat(32));
      const refused = await browse(altered.toString());
      expect(refused.status).toBe(403);
      const text = await refused.text();
      expect(hrefs(text)).toEqual([plain]);
      expect(text).not.toMatch(/evil|alert|HOSTED|hosted/);
    }
    // The callback, reached with a foreign how: back to the link without one.
    const authorize = (await browse(entry)).headers.get('location')!;
    const cb = new URL((await browse(authorize)).headers.get('location')!);
    cb.searchParams.set('how', bad[0]!);
    const toEntry = await browse(cb.toString());
    expect(toEntry.status).toBe(302);
    expect(toEntry.headers.get('location')).toBe(entry);
    // The page itself, with the openid known.
    for (const how of bad) {
      const page = await browse(withHow(entry, how));
      expect(page.status).toBe(200);
      const html = await page.text();
      expect(jsapiData(html).back).toBe(plain);
      expect(hrefs(html)).toEqual([plain]);
      expect(html).not.toMatch(/evil|alert|HOSTED|\.hosted/);
    }
  });
});

/**
 * What a page of the hop says in its own words: its title and visible text, and its script's status
 * texts, without the merchant's name and the session's description (the merchant's words, as written).
 */
function pageWords(html: string, merchantWords: string[] = []): string {
  const script = html.includes('id="data"') ? Object.values(jsapiData(html).text) : [];
  let visible = html.replace(/<(script|style)\b[\s\S]*?<\/\1>/g, ' ').replace(/<[^>]+>/g, ' ');
  for (const w of merchantWords) visible = visible.replaceAll(w, ' ');
  return [visible, ...script].join(' ');
}
const htmlLang = (html: string): string | undefined => /<html lang="([^"]*)">/.exec(html)?.[1];
const CJK = /[\u3000-\u30ff\u3400-\u9fff\uff00-\uffef]/;
/** Simplified forms of characters the Traditional texts use (户 戶, 确 確, 认 認, 链 鏈, 连 連, 请 請, 开 開, 结 結, 这 這, 笔 筆, 无 無, 过 過, 发 發, 订 訂, 单 單, 权 權). */
const SIMPLIFIED = /[户确认链连请开结这笔无过发订单权]/;

/** The same entry link with its signature altered: the 403 problem page. */
async function alteredPage(entry: string, browse: ReturnType<typeof wechatBrowser>): Promise<string> {
  const u = new URL(entry);
  u.searchParams.set('sig', '0'.repeat(32));
  const res = await browse(u.toString());
  expect(res.status).toBe(403);
  return res.text();
}

describe("the pages speak the shopper's language (how)", () => {
  it('an English hosted attempt: lang="en", English only, on the page, in its script and on its problem pages', async () => {
    const { s, attemptId, entry, html, data, browse, merchantName } = await hop(MERCHANTS.v3.key, 'en.hosted', { description: 'Longjing tea' });
    expect(htmlLang(html)).toBe('en');
    const words = pageWords(html, [merchantName, 'Longjing tea']);
    expect(words).not.toMatch(CJK);
    expect(html).toContain('<title>WeChat Pay</title>');
    expect(words).toContain('¥88.88');
    expect(html).toContain(`<a class="btn back" href="/return/${s.id}/en.hosted">Back to the shop</a>`);
    expect(html).toContain('>Pay again</button>');
    expect(data.text).toEqual({
      opening: 'Opening WeChat Pay…',
      confirming: 'Confirming your payment…',
      canceled: 'Payment canceled',
      failed: 'Payment failed. Please try again.',
      openInWechat: 'Open this page in WeChat',
    });
    // The problem pages: an altered link, a forged state on the callback.
    const refused = await alteredPage(entry, browse);
    expect(htmlLang(refused)).toBe('en');
    expect(pageWords(refused)).not.toMatch(CJK);
    expect(refused).toContain('<h1>Link expired</h1>');
    expect(refused).toContain('This payment link has expired or was altered.');
    expect(refused).toContain('>Back to the shop</a>');
    const forged = await browse(`${BASE}/wechat/oauth/callback?how=en.hosted&code=x&state=${'0'.repeat(32)}${'9'.repeat(10)}${attemptId}`);
    const forgedHtml = await forged.text();
    expect(htmlLang(forgedHtml)).toBe('en');
    expect(pageWords(forgedHtml)).not.toMatch(CJK);
    expect(forgedHtml).toContain('<h1>Sign-in expired</h1>');
    const unknown = await browse(`${BASE}/wechat/jsapi/notanattempt?exp=1&sig=x&how=en`);
    expect(unknown.status).toBe(404);
    const unknownHtml = await unknown.text();
    expect(htmlLang(unknownHtml)).toBe('en');
    expect(pageWords(unknownHtml)).not.toMatch(CJK);
  });

  it('a Traditional Chinese attempt: lang="zh-TW", Traditional texts only, the problem page too', async () => {
    const { s, entry, html, data, browse, merchantName } = await hop(MERCHANTS.v3.key, 'zh-TW', { description: '龍井茶' });
    expect(htmlLang(html)).toBe('zh-TW');
    const words = pageWords(html, [merchantName, '龍井茶']);
    expect(words).not.toMatch(/[A-Za-z]/);
    expect(words).not.toMatch(SIMPLIFIED);
    expect(html).toContain(`<a class="btn back" href="/return/${s.id}/zh-TW">返回商店</a>`);
    expect(html).toContain('>重新付款</button>');
    expect(data.back).toBe(`/return/${s.id}/zh-TW`);
    expect(data.text).toEqual({
      opening: '正在開啟微信支付…',
      confirming: '正在確認付款結果…',
      canceled: '付款已取消',
      failed: '付款失敗，請重試',
      openInWechat: '請在微信中開啟此頁面',
    });
    const refused = await alteredPage(entry, browse);
    expect(htmlLang(refused)).toBe('zh-TW');
    expect(refused).toContain('<h1>連結已失效</h1>');
    expect(pageWords(refused)).not.toMatch(/[A-Za-z]/);
    expect(pageWords(refused)).not.toMatch(SIMPLIFIED);
  });

  it('no language named: Chinese first with English beside it, as before, the problem page too', async () => {
    const { s, entry, html, data, browse } = await hop(MERCHANTS.v3.key);
    expect(htmlLang(html)).toBe('zh-CN');
    expect(html).toContain('<title>微信支付</title>');
    expect(html).toContain(`<a class="btn back" href="/return/${s.id}">返回商户 Back to the shop</a>`);
    expect(html).toContain('>重新支付 Pay again</button>');
    expect(data.text.opening).toBe('正在打开微信支付… Opening WeChat Pay…');
    expect(data.text.openInWechat).toBe('请在微信中打开此页面 Open this page in WeChat');
    const refused = await alteredPage(entry, browse);
    expect(htmlLang(refused)).toBe('zh-CN');
    expect(refused).toContain('<h1>链接已失效</h1>');
    expect(refused).toContain('This payment link has expired or was altered.');
    expect(refused).toContain('>返回商户 Back to the shop</a>');
  });
});

describe('the hop refuses what it must', () => {
  it('an altered or expired JSAPI link', async () => {
    const s = await createSessionAs(MERCHANTS.v3.key);
    const { next_action } = await startAttemptAs(s, 'jsapi', { 'user-agent': WECHAT_UA });
    const u = new URL(next_action.url!);
    const browse = wechatBrowser();
    u.searchParams.set('sig', '0'.repeat(32));
    expect((await browse(u.toString())).status).toBe(403);
    u.searchParams.set('exp', '1000');
    expect((await browse(u.toString())).status).toBe(403);
    expect((await browse(`${BASE}/wechat/jsapi/notanattempt?exp=1&sig=x`)).status).toBe(404);
  });

  it('a forged state, a reused code and a code of another sign-in', async () => {
    const s = await createSessionAs(MERCHANTS.v3.key);
    const { next_action } = await startAttemptAs(s, 'jsapi', { 'user-agent': WECHAT_UA });
    const browse = wechatBrowser();
    const authorize = (await browse(next_action.url!)).headers.get('location')!;
    const cb = new URL((await browse(authorize)).headers.get('location')!);
    const state = cb.searchParams.get('state')!;
    const forged = `${'0'.repeat(32)}${state.slice(32)}`;
    expect((await browse(`${BASE}/wechat/oauth/callback?code=${cb.searchParams.get('code')}&state=${forged}`)).status).toBe(403);
    expect((await browse(`${BASE}/wechat/oauth/callback?code=nope&state=${state}`)).status).toBe(502);
    expect((await browse(cb.toString())).status).toBe(302);
    const reused = await browse(cb.toString());
    expect(reused.status).toBe(502);
    expect(await reused.text()).toContain('40163');
  });

  it('the sandbox authorize page works only inside WeChat and only for the configured domain', async () => {
    const q = new URLSearchParams({
      appid: WECHAT_TEST.mp_appid,
      redirect_uri: `${BASE}/wechat/oauth/callback`,
      response_type: 'code',
      scope: 'snsapi_base',
      state: 'x',
    });
    const outside = await wechatBrowser(SAFARI_UA)(`${BASE}/sandbox/wechatpay/connect/oauth2/authorize?${q}`);
    expect(outside.status).toBe(200);
    expect(await outside.text()).toContain('请在微信客户端打开链接');
    q.set('redirect_uri', 'https://evil.test/steal');
    const foreign = await wechatBrowser()(`${BASE}/sandbox/wechatpay/connect/oauth2/authorize?${q}`);
    expect(await foreign.text()).toContain('10003');
  });

  it('the sandbox token endpoint: wrong appsecret 40125, unknown appid 40013, bad grant 40002', async () => {
    const get = async (p: Record<string, string>) =>
      (await (await SELF.fetch(`${BASE}/sandbox/wechatpay/sns/oauth2/access_token?${new URLSearchParams(p)}`)).json()) as { errcode?: number };
    expect((await get({ appid: WECHAT_TEST.mp_appid, secret: 'x'.repeat(32), code: 'c', grant_type: 'authorization_code' })).errcode).toBe(40125);
    expect((await get({ appid: 'wx0000000000000000', secret: WECHAT_TEST.mp_appsecret, code: 'c', grant_type: 'authorization_code' })).errcode).toBe(40013);
    expect((await get({ appid: WECHAT_TEST.mp_appid, secret: WECHAT_TEST.mp_appsecret, code: 'c', grant_type: 'password' })).errcode).toBe(40002);
    expect((await get({ appid: WECHAT_TEST.mp_appid, secret: WECHAT_TEST.mp_appsecret, code: 'c', grant_type: 'authorization_code' })).errcode).toBe(40029);
  });

  it('merchants without the official account are not offered JSAPI', async () => {
    const s = await createSessionAs(WECHAT_TEST.v2hmac_secret_key);
    const view = (await (
      await SELF.fetch(`${BASE}/v1/client/sessions/${s.id}`, { headers: { authorization: `Bearer ${s.client_secret}`, 'user-agent': WECHAT_UA } })
    ).json()) as { channels: { flows: string[] }[] };
    expect(view.channels[0]?.flows).toEqual(['qr']);
    const res = await SELF.fetch(`${BASE}/v1/client/sessions/${s.id}/attempts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${s.client_secret}`, 'content-type': 'application/json' },
      body: JSON.stringify({ channel: 'wechat_pay', flow: 'jsapi' }),
    });
    expect(res.status).toBe(400);
  });
});
