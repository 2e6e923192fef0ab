// WeChat Pay v2 Native mode 1 end to end inside workerd: the merchant fetches the signed product link
// once; a shopper "scans" it in the sandbox wallet; WeChat (the sandbox) calls Shouyin's callback with
// product_id + openid; Shouyin creates a checkout session from the product config and answers with the
// prepay_id; the shopper pays; the session is paid like any other.

import { SELF } from 'cloudflare:test';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HOSTILE_XML } from '../src/providers/wechat-v2/fixtures/hostile-xml';
import { sign, verify } from '../src/providers/wechat-v2/sign';
import { buildXml, parseFlatXml } from '../src/providers/wechat-v2/xml';
import { TEST, WECHAT_TEST } from './fixtures/config';
import { BASE, api } from './helpers';
import { captureWebhooks, controlAs } from './wechat-v2';

beforeEach(() => void captureWebhooks());
afterEach(() => vi.restoreAllMocks());

const KEY = WECHAT_TEST.v2_secret_key;
const link = (productId: string, key: string = KEY, merchant: string = WECHAT_TEST.v2_merchant_id) =>
  SELF.fetch(`${BASE}/wechat/native/${merchant}/link?product_id=${productId}`, { headers: { authorization: `Bearer ${key}` } });

async function callback(fields: Record<string, string>, key: string = WECHAT_TEST.apiv2_key): Promise<Record<string, string>> {
  const res = await SELF.fetch(`${BASE}/wechat/native/${WECHAT_TEST.v2_merchant_id}`, {
    method: 'POST',
    headers: { 'content-type': 'text/xml' },
    body: buildXml({ ...fields, sign: await sign(fields, key, 'MD5') }),
  });
  return parseFlatXml(await res.text());
}

/** A sandbox WeChat user's openid under the v2 merchant's AppID: the order placed after a scan names this payer. */
let payer = '';
beforeEach(async () => {
  if (payer) return;
  const res = await controlAs(KEY, '/openid', { appid: WECHAT_TEST.v2_appid, user: 'mode1-shopper' });
  payer = ((await res.json()) as { openid: string }).openid;
});

const scan = (productId: string, nonce = `n${Date.now()}${Math.random().toString(36).slice(2, 8)}`) => ({
  appid: WECHAT_TEST.v2_appid,
  openid: payer,
  mch_id: WECHAT_TEST.v2_mch_id,
  is_subscribe: 'N',
  nonce_str: nonce,
  product_id: productId,
});

describe('the product link', () => {
  it("is the signed bizpayurl of a configured product, for the merchant's own secret key only", async () => {
    const res = await link('cola');
    expect(res.status).toBe(200);
    const body = (await res.json()) as { url: string; callback_url: string; product_id: string };
    expect(body.callback_url).toBe(`${BASE}/wechat/native/${WECHAT_TEST.v2_merchant_id}`);
    expect(body.url).toMatch(
      /^weixin:\/\/wxpay\/bizpayurl\?sign=[0-9A-F]{32}&appid=wxd930ea5d5a258f4f&mch_id=10000100&product_id=cola&time_stamp=\d+&nonce_str=[0-9A-Za-z]{32}$/,
    );
    expect(await verify(Object.fromEntries(new URLSearchParams(body.url.split('?')[1])), WECHAT_TEST.apiv2_key, 'MD5')).toBe(true);
    expect((await link('nope')).status).toBe(400);
    expect((await link('cola', TEST.secret_key)).status).toBe(404);
    expect((await link('cola', TEST.secret_key, TEST.merchant_id)).status).toBe(404);
    expect((await SELF.fetch(`${BASE}/wechat/native/${WECHAT_TEST.v2_merchant_id}/link?product_id=cola`)).status).toBe(401);
  });
});

describe('scan → callback → session → prepay_id → paid', () => {
  it('runs the whole mode-1 loop through the sandbox wallet', async () => {
    const { url } = (await (await link('cola')).json()) as { url: string };
    const scanned = await SELF.fetch(`${BASE}/sandbox/wechatpay/wallet?code_url=${encodeURIComponent(url)}`, { redirect: 'manual' });
    expect(scanned.status).toBe(303);
    const wallet = new URL(scanned.headers.get('location')!, BASE);
    const codeUrl = wallet.searchParams.get('code_url')!;
    expect(codeUrl).toMatch(/^weixin:\/\/wxpay\/bizpayurl\?pr=/);
    const page = await (await SELF.fetch(wallet)).text();
    expect(page).toContain('可乐 Cola');
    expect(page).toContain('3.50');
    const paid = await SELF.fetch(`${BASE}/sandbox/wechatpay/wallet/pay`, { method: 'POST', body: new URLSearchParams({ code_url: codeUrl }) });
    expect(await paid.text()).toContain('支付成功');
    await controlAs(KEY, '/flush', {});

    // The order is an attempt of a fresh session: its id starts with the session key.
    const attemptId = /订单号 Order<\/dt><dd>([0-9A-Za-z]+)<\/dd>/.exec(page)?.[1] ?? '';
    const res = await api(`/v1/checkout/sessions/cs_${attemptId.slice(0, 24)}`, { key: KEY });
    expect(res.status).toBe(200);
    const session = (await res.json()) as { merchant_order_id: string; metadata: Record<string, string> };
    expect(session).toMatchObject({
      amount: 350,
      status: 'paid',
      description: '可乐 Cola',
      channels: ['wechat_pay'],
      metadata: { source: 'wechat_native_mode1', product_id: 'cola' },
      payment: { attempt: attemptId, provider: 'wechat-v2' },
    });
    // The order placed after the scan names what WeChat Pay's callback named: the printed QR's product_id and the
    // payer's openid (native.php chapter 6_4), and carries the merchant's order number in attach.
    const order = (await (await controlAs(KEY, `/orders/${attemptId}`)).json()) as { order: Record<string, unknown> };
    expect(session.metadata.openid).toMatch(/^o/);
    expect(order.order).toMatchObject({ product_id: 'cola', openid: session.metadata.openid, attach: session.merchant_order_id });
  });

  it('answers a signed prepay_id; a retried callback (same nonce) sells the product once', async () => {
    const fields = scan('tea');
    const a = await callback(fields);
    expect(a).toMatchObject({ return_code: 'SUCCESS', result_code: 'SUCCESS', appid: WECHAT_TEST.v2_appid, mch_id: WECHAT_TEST.v2_mch_id });
    expect(a.prepay_id).toMatch(/^wx\d{14}/);
    expect(await verify(a, WECHAT_TEST.apiv2_key, 'MD5')).toBe(true);
    const b = await callback(fields);
    expect(b.prepay_id).toBe(a.prepay_id);
  });

  it('an unknown product is result_code FAIL with a reason WeChat shows', async () => {
    const a = await callback(scan('caviar'));
    expect(a).toMatchObject({ return_code: 'SUCCESS', result_code: 'FAIL', err_code_des: '商品不存在或已下架' });
    expect(await verify(a, WECHAT_TEST.apiv2_key, 'MD5')).toBe(true);
  });

  it("a forged callback, another merchant's, or hostile XML is refused", async () => {
    expect((await callback(scan('cola'), 'ffffffffffffffffffffffffffffffff')).return_code).toBe('FAIL');
    expect((await callback({ ...scan('cola'), mch_id: '10009999' })).result_code).toBe('FAIL');
    for (const [, payload] of HOSTILE_XML.slice(0, 3)) {
      const res = await SELF.fetch(`${BASE}/wechat/native/${WECHAT_TEST.v2_merchant_id}`, { method: 'POST', body: payload });
      expect(res.status).toBe(400);
      expect(parseFlatXml(await res.text()).return_code).toBe('FAIL');
    }
    expect((await SELF.fetch(`${BASE}/wechat/native/${TEST.merchant_id}`, { method: 'POST', body: '<xml/>' })).status).toBe(404);
  });
});
