// H5 in a phone browser and APP for a merchant's own app, APIv3 and APIv2, end to end inside workerd:
// H5 → the sandbox cashier → back through redirect_url to /return, which re-checks → paid;
// APP → the merchant API's app_payload → the WeChat SDK's side (the sandbox) → paid.

import { SELF } from 'cloudflare:test';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { publicKeyFromPrivate, rsaVerify } from '../src/crypto/rsa';
import { verify } from '../src/providers/wechat-v2/sign';
import { MERCHANT_PRIVATE_KEY, TEST, WECHAT_TEST } from './fixtures/config';
import { BASE, api, type SessionJson } from './helpers';
import { captureWebhooks, clientAttempt, controlAs, createSessionAs, startAttemptAs } from './wechat-v2';

beforeEach(() => void captureWebhooks());
afterEach(() => vi.restoreAllMocks());

const SAFARI_UA = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1';
const WECHAT_UA =
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36 MicroMessenger/8.0.47.2560(0x28002F35) NetType/WIFI';
const PHONE = { 'user-agent': SAFARI_UA, 'cf-connecting-ip': '203.0.113.9' };

/** API version, secret key, and the merchant's own origin (its allowed_origins) for a return_url. */
const MERCHANTS = [
  ['APIv3', TEST.secret_key, 'https://shop.test'],
  ['APIv2', WECHAT_TEST.v2_secret_key, 'https://v2.shop.test'],
] as const;

const status = async (s: SessionJson) =>
  (
    (await (await SELF.fetch(`${BASE}/v1/client/sessions/${s.id}/status`, { headers: { authorization: `Bearer ${s.client_secret}` } })).json()) as {
      status: string;
    }
  ).status;

function formOf(html: string, action: RegExp): URLSearchParams {
  const form = /<form method="post" action="([^"]*)">([\s\S]*?)<\/form>/g;
  for (const m of html.matchAll(form)) {
    if (!action.test(m[1]!)) continue;
    const fields = new URLSearchParams();
    for (const i of m[2]!.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g))
      fields.set(
        i[1]!,
        i[2]!
          .replace(/&amp;/g, '&')
          .replace(/&quot;/g, '"')
          .replace(/&#39;/g, "'")
          .replace(/&lt;/g, '<')
          .replace(/&gt;/g, '>'),
      );
    return fields;
  }
  throw new Error(`no form for ${action}`);
}

describe.each(MERCHANTS)('H5 on %s', (_api, key, origin) => {
  it('is offered first in a phone browser, redirects to the cashier, returns through redirect_url and re-checks', async () => {
    const s = await createSessionAs(key);
    const view = (await (
      await SELF.fetch(`${BASE}/v1/client/sessions/${s.id}`, { headers: { authorization: `Bearer ${s.client_secret}`, 'user-agent': SAFARI_UA } })
    ).json()) as { channels: { flows: string[] }[] };
    expect(view.channels[0]?.flows).toEqual(['h5', 'qr']);
    const { next_action } = await startAttemptAs(s, 'h5', PHONE);
    expect(next_action.type).toBe('redirect');
    const h5 = new URL(next_action.url!);
    expect(h5.pathname).toBe('/sandbox/wechatpay/h5');
    expect(h5.searchParams.get('redirect_url')).toBe(`${BASE}/return/${s.id}`);

    const page = await SELF.fetch(h5, { headers: { 'user-agent': SAFARI_UA } });
    const html = await page.text();
    expect(html).toContain('确认支付');
    expect(html).toContain('¥</small>88.88');
    const paid = await SELF.fetch(`${BASE}/sandbox/wechatpay/h5/pay`, { method: 'POST', body: formOf(html, /\/h5\/pay$/), redirect: 'manual' });
    expect(paid.status).toBe(303);
    expect(paid.headers.get('location')).toBe(`${BASE}/return/${s.id}`);
    // Back at /return: the session asks WeChat Pay (the notify may still be on its way) and says paid.
    const back = await SELF.fetch(paid.headers.get('location')!, { redirect: 'manual' });
    expect(await back.text()).toContain('支付成功');
    expect(await status(s)).toBe('paid');
  });

  it('cancel returns through redirect_url too, and the session stays open', async () => {
    const s = await createSessionAs(key, { return_url: `${origin}/order?s={CHECKOUT_SESSION_ID}` });
    const { next_action } = await startAttemptAs(s, 'h5', PHONE);
    const html = await (await SELF.fetch(next_action.url!, { headers: { 'user-agent': SAFARI_UA } })).text();
    const canceled = await SELF.fetch(`${BASE}/sandbox/wechatpay/h5/cancel`, { method: 'POST', body: formOf(html, /\/h5\/cancel$/), redirect: 'manual' });
    expect(canceled.headers.get('location')).toBe(`${BASE}/return/${s.id}`);
    const back = await SELF.fetch(canceled.headers.get('location')!, { redirect: 'manual' });
    expect(back.status).toBe(303);
    expect(back.headers.get('location')).toBe(`${origin}/order?s=${s.id}`);
    expect(await status(s)).toBe('open');
  });

  it("the cashier refuses to open inside WeChat (JSAPI is for that), and H5 needs the shopper's IP", async () => {
    const s = await createSessionAs(key);
    const { next_action } = await startAttemptAs(s, 'h5', PHONE);
    expect(await (await SELF.fetch(next_action.url!, { headers: { 'user-agent': WECHAT_UA } })).text()).toContain('请在微信外打开订单');
    const noIp = await clientAttempt(await createSessionAs(key), 'h5', { 'user-agent': SAFARI_UA });
    expect(noIp.status).toBe(502);
  });
});

describe('APP through the merchant API', () => {
  async function appAttempt(key: string) {
    const s = await createSessionAs(key);
    const res = await api(`/v1/checkout/sessions/${s.id}/attempts`, { method: 'POST', key, body: JSON.stringify({ channel: 'wechat_pay', flow: 'app' }) });
    expect(res.status).toBe(201);
    const body = (await res.json()) as { attempt: { flow: string }; next_action: { type: string; payload: Record<string, string> } };
    expect(body.attempt.flow).toBe('app');
    expect(body.next_action.type).toBe('app_payload');
    return { s, payload: body.next_action.payload };
  }

  const sdkPay = async (payload: Record<string, string>) =>
    (await (await SELF.fetch(`${BASE}/sandbox/wechatpay/app/pay`, { method: 'POST', body: JSON.stringify(payload) })).json()) as { errCode: number };

  // https://pay.weixin.qq.com/doc/v3/merchant/4013070351
  it("APIv3: the RSA-signed PayReq under the app's AppID; the SDK pays it", async () => {
    const { s, payload } = await appAttempt(WECHAT_TEST.v3oauth_secret_key);
    expect(Object.keys(payload).sort()).toEqual(['appid', 'noncestr', 'package', 'partnerid', 'prepayid', 'sign', 'timestamp']);
    expect(payload).toMatchObject({ appid: WECHAT_TEST.app_appid, partnerid: WECHAT_TEST.v3oauth_mchid, package: 'Sign=WXPay' });
    const key = await publicKeyFromPrivate(MERCHANT_PRIVATE_KEY);
    expect(await rsaVerify(key, `${payload.appid}\n${payload.timestamp}\n${payload.noncestr}\n${payload.prepayid}\n`, payload.sign!)).toBe(true);
    expect((await sdkPay({ ...payload, noncestr: 'x' })).errCode).toBe(-1);
    expect((await sdkPay(payload)).errCode).toBe(0);
    await controlAs(WECHAT_TEST.v3oauth_secret_key, '/flush', {});
    expect(await status(s)).toBe('paid');
  });

  // https://pay.weixin.qq.com/wiki/doc/api/app/app.php?chapter=9_12&index=2
  it('APIv2: the v2-signed PayReq; the SDK pays it', async () => {
    const { s, payload } = await appAttempt(WECHAT_TEST.v2_secret_key);
    expect(payload).toMatchObject({ appid: WECHAT_TEST.app_appid, partnerid: WECHAT_TEST.v2_mch_id, package: 'Sign=WXPay' });
    expect(await verify(payload, WECHAT_TEST.apiv2_key, 'MD5')).toBe(true);
    expect((await sdkPay(payload)).errCode).toBe(0);
    await controlAs(WECHAT_TEST.v2_secret_key, '/flush', {});
    expect(await status(s)).toBe('paid');
  });

  it('a merchant without an app AppID uses its main AppID', async () => {
    const { payload } = await appAttempt(TEST.secret_key);
    expect(payload.appid).toBe(TEST.appid);
  });
});
