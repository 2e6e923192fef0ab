// wechat-v2 against the built-in sandbox (through the Worker's fetch handler): each flow's next action,
// query / close / refund / refund query, and how the client treats answers it must not believe.

import { SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../config';
import { ProviderError } from '../../lib/errors';
import { WECHAT_TEST, testConfig } from '../../../test/fixtures/config';
import type { CreateAttemptInput, ProviderContext } from '../types';
import type { WechatPayV2Config } from './config';
import { wechatV2, wechatV2Flows } from './index';
import { sign, verify } from './sign';
import { buildXml, parseFlatXml } from './xml';

const config = parseConfig(testConfig());
const cfgOf = (id: string) => config.merchants.find((m) => m.id === id)!.providers.wechat_pay as WechatPayV2Config;
const cfg = cfgOf(WECHAT_TEST.v2_merchant_id);
const BASE = config.public_base_url;

function ctxWith(fetch: (r: Request) => Promise<Response> = (r) => SELF.fetch(r)): ProviderContext {
  return { fetch, now: () => Date.now(), testMode: true, sandboxBaseUrl: `${BASE}/sandbox` };
}
const ctx = ctxWith();

let n = 0;
const attemptId = () => `${`V2T${Date.now().toString(36)}${(n++).toString(36)}`.padEnd(24, 'x').slice(0, 24)}A1`;
const input = (over: Partial<CreateAttemptInput> = {}): CreateAttemptInput => ({
  attemptId: attemptId(),
  flow: 'qr',
  amount: 8888,
  currency: 'CNY',
  description: '测试商品 Test item',
  expiresAt: Date.now() + 900_000,
  notifyUrl: `${BASE}/notify/wechat_pay/${WECHAT_TEST.v2_merchant_id}`,
  returnUrl: `${BASE}/return/cs_x`,
  client: { ip: '203.0.113.7' },
  ...over,
});

const control = (path: string, body?: unknown) =>
  SELF.fetch(`${BASE}/sandbox/wechatpay/_control${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${WECHAT_TEST.v2_secret_key}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

async function providerError(p: Promise<unknown>): Promise<ProviderError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ProviderError) return e;
    throw e;
  }
  throw new Error('expected a ProviderError');
}

describe('wechat-v2 flows', () => {
  it('offers JSAPI only with the official account configured', () => {
    expect(wechatV2Flows(cfg)).toEqual(['qr', 'jsapi', 'h5', 'app']);
    expect(wechatV2Flows(cfgOf(WECHAT_TEST.v2hmac_merchant_id))).toEqual(['qr', 'h5', 'app']);
  });

  it("JSAPI with an openid: signed WeixinJSBridge parameters (signType = the merchant's, paySign over the five)", async () => {
    const openid = ((await (await control('/openid', {})).json()) as { openid: string }).openid;
    const r = await wechatV2.createAttempt(ctx, cfg, input({ flow: 'jsapi', client: { openid } }));
    expect(r.nextAction.type).toBe('wechat_jsapi');
    const p = (r.nextAction as { params: Record<string, string> }).params;
    expect(Object.keys(p).sort()).toEqual(['appId', 'nonceStr', 'package', 'paySign', 'signType', 'timeStamp']);
    expect(p).toMatchObject({ appId: WECHAT_TEST.mp_appid, signType: 'MD5' });
    expect(p.package).toMatch(/^prepay_id=wx\d{14}[0-9a-z]{20}$/);
    const { paySign, ...five } = p;
    expect(paySign).toBe(await sign(five, cfg.apiv2_key, 'MD5'));
    expect(r.providerData).toMatchObject({ trade_type: 'JSAPI', appid: WECHAT_TEST.mp_appid });
  });

  it("JSAPI without an openid: a signed link to Shouyin's JSAPI page, no order yet", async () => {
    const i = input({ flow: 'jsapi', client: {} });
    const r = await wechatV2.createAttempt(ctx, cfg, i);
    expect(r.nextAction).toMatchObject({ type: 'redirect' });
    expect((r.nextAction as { url: string }).url).toMatch(new RegExp(`^${BASE}/wechat/jsapi/${i.attemptId}\\?exp=\\d+&sig=[0-9a-f]{32}$`));
    expect(r.providerData).toMatchObject({ stage: 'oauth' });
    expect(await wechatV2.query(ctx, cfg, i.attemptId, r.providerData)).toMatchObject({ state: 'not_found' });
    // The link carries the way back of returnUrl (/return/<id>/<how>), so the page sends the shopper there too.
    const hosted = await wechatV2.createAttempt(ctx, cfg, { ...i, returnUrl: `${BASE}/return/cs_x/zh-TW.hosted` });
    expect((hosted.nextAction as { url: string }).url).toMatch(/&sig=[0-9a-f]{32}&how=zh-TW\.hosted$/);
  });

  it('JSAPI refuses an openid of another AppID (the sandbox checks, like WeChat)', async () => {
    const foreign = ((await (await control('/openid', { appid: WECHAT_TEST.v2_appid })).json()) as { openid: string }).openid;
    const e = await providerError(wechatV2.createAttempt(ctx, cfg, input({ flow: 'jsapi', client: { openid: foreign } })));
    expect(e.code).toBe('PARAM_ERROR');
  });

  it("H5 (MWEB): redirect to mweb_url with redirect_url appended; needs the shopper's IP", async () => {
    const i = input({ flow: 'h5' });
    const r = await wechatV2.createAttempt(ctx, cfg, i);
    const url = new URL((r.nextAction as { url: string }).url);
    expect(url.pathname).toBe('/sandbox/wechatpay/h5');
    expect(url.searchParams.get('prepay_id')).toMatch(/^wx/);
    expect(url.searchParams.get('redirect_url')).toBe(i.returnUrl);
    expect((await providerError(wechatV2.createAttempt(ctx, cfg, input({ flow: 'h5', client: {} })))).code).toBe('client_ip_missing');
  });

  it("APP: the PayReq a merchant app hands to the WeChat SDK, under the app's AppID", async () => {
    const r = await wechatV2.createAttempt(ctx, cfg, input({ flow: 'app' }));
    expect(r.nextAction.type).toBe('app_payload');
    const p = (r.nextAction as { payload: Record<string, string> }).payload;
    expect(p).toMatchObject({ appid: WECHAT_TEST.app_appid, partnerid: cfg.mch_id, package: 'Sign=WXPay' });
    expect(await verify(p, cfg.apiv2_key, cfg.sign_type)).toBe(true);
    // The WeChat SDK's side accepts it and pays.
    const paid = await SELF.fetch(`${BASE}/sandbox/wechatpay/app/pay`, { method: 'POST', body: JSON.stringify(p) });
    expect(await paid.json()).toEqual({ errCode: 0, errStr: '' });
    const tampered = await SELF.fetch(`${BASE}/sandbox/wechatpay/app/pay`, { method: 'POST', body: JSON.stringify({ ...p, timestamp: '1' }) });
    expect(((await tampered.json()) as { errCode: number }).errCode).toBe(-1);
  });

  it('an identical unifiedorder gives the same prepay back; a changed one is OUT_TRADE_NO_USED', async () => {
    const i = input({ flow: 'app' });
    const a = await wechatV2.createAttempt(ctx, cfg, i);
    const b = await wechatV2.createAttempt(ctx, cfg, { ...i, client: { ip: '198.51.100.1' } });
    expect(b.providerData?.prepay_id).toBe(a.providerData?.prepay_id);
    expect((await providerError(wechatV2.createAttempt(ctx, cfg, { ...i, amount: 1 }))).code).toBe('OUT_TRADE_NO_USED');
  });
});

describe('wechat-v2 query, close, refund', () => {
  it('orderquery: not_found, pending, then paid with the payment facts', async () => {
    const i = input();
    expect(await wechatV2.query(ctx, cfg, i.attemptId)).toMatchObject({ state: 'not_found' });
    const r = await wechatV2.createAttempt(ctx, cfg, i);
    expect(await wechatV2.query(ctx, cfg, i.attemptId, r.providerData)).toMatchObject({ state: 'pending' });
    await control(`/orders/${i.attemptId}/pay`, { notify: 'drop' });
    const q = await wechatV2.query(ctx, cfg, i.attemptId, r.providerData);
    expect(q).toMatchObject({
      state: 'paid',
      payment: { attemptId: i.attemptId, amount: 8888, currency: 'CNY', appId: cfg.appid, providerMerchantId: cfg.mch_id },
    });
  });

  it("reports a JSAPI or APP payment under the merchant's main AppID (its own AppIDs are its own)", async () => {
    const i = input({ flow: 'app' });
    const r = await wechatV2.createAttempt(ctx, cfg, i);
    await control(`/orders/${i.attemptId}/pay`, { notify: 'drop' });
    expect(await wechatV2.query(ctx, cfg, i.attemptId, r.providerData)).toMatchObject({ state: 'paid', payment: { appId: cfg.appid } });
  });

  it('closeorder: closed, then ORDERCLOSED → closed; ORDERPAID → already_paid; ORDERNOTEXIST → not_found', async () => {
    const i = input();
    const r = await wechatV2.createAttempt(ctx, cfg, i);
    expect(await wechatV2.close(ctx, cfg, i.attemptId, r.providerData)).toEqual({ state: 'closed' });
    expect(await wechatV2.close(ctx, cfg, i.attemptId, r.providerData)).toEqual({ state: 'closed' });
    expect(await wechatV2.query(ctx, cfg, i.attemptId, r.providerData)).toMatchObject({ state: 'closed' });
    const j = input();
    const rj = await wechatV2.createAttempt(ctx, cfg, j);
    await control(`/orders/${j.attemptId}/pay`, { notify: 'drop' });
    expect(await wechatV2.close(ctx, cfg, j.attemptId, rj.providerData)).toEqual({ state: 'already_paid' });
    expect(await wechatV2.close(ctx, cfg, input().attemptId)).toEqual({ state: 'not_found' });
  });

  it('refund is accepted as pending; refundquery reads it settled; the same out_refund_no never refunds twice', async () => {
    const i = input();
    const r = await wechatV2.createAttempt(ctx, cfg, i);
    await control(`/orders/${i.attemptId}/pay`, { notify: 'drop' });
    const refund = {
      attemptId: i.attemptId,
      providerData: r.providerData ?? {},
      refundId: `${i.attemptId}R1`,
      amount: 1000,
      total: 8888,
      currency: 'CNY' as const,
      reason: '退货',
      notifyUrl: i.notifyUrl,
    };
    const a = await wechatV2.refund(ctx, cfg, refund);
    expect(a).toMatchObject({ state: 'pending', providerData: { appid: cfg.appid } });
    expect(a.providerRefundId).toMatch(/^\d{29}$/);
    const again = await wechatV2.refund(ctx, cfg, refund);
    expect(again.providerRefundId).toBe(a.providerRefundId);
    // The sandbox settles refunds 5 s × time_scale after accepting them (flush: now).
    await control('/flush', {});
    expect(await wechatV2.refundQuery(ctx, cfg, refund.refundId, a.providerData)).toMatchObject({ state: 'succeeded', providerRefundId: a.providerRefundId });
    const over = await providerError(wechatV2.refund(ctx, cfg, { ...refund, refundId: `${i.attemptId}R2`, amount: 8000 }));
    expect(over.code).toBe('INVALID_REQUEST');
    expect(over.retryable).toBe(false);
  });
});

describe('wechat-v2 client: answers it must not believe', () => {
  const answering = (body: string, status = 200) => ctxWith(async () => new Response(body, { status, headers: { 'content-type': 'text/xml' } }));

  it('return_code=FAIL (e.g. 签名错误) → provider_rejected', async () => {
    const e = await providerError(wechatV2.query(answering(buildXml({ return_code: 'FAIL', return_msg: '签名错误' })), cfg, 'X'));
    expect(e.code).toBe('provider_rejected');
    expect(e.message).toContain('签名错误');
  });

  it('a SUCCESS answer with a bad or missing sign → response_unverified (retryable)', async () => {
    const fields = { return_code: 'SUCCESS', appid: cfg.appid, mch_id: cfg.mch_id, nonce_str: 'n', result_code: 'SUCCESS', trade_state: 'SUCCESS' };
    for (const body of [buildXml(fields), buildXml({ ...fields, sign: await sign(fields, 'ffffffffffffffffffffffffffffffff', 'MD5') })]) {
      const e = await providerError(wechatV2.query(answering(body), cfg, 'X'));
      expect(e.code).toBe('response_unverified');
      expect(e.retryable).toBe(true);
    }
  });

  it('hostile or non-XML answers → invalid_response; no answer → provider_unreachable', async () => {
    expect((await providerError(wechatV2.query(answering('<!DOCTYPE x [<!ENTITY a "b">]><xml><a>&a;</a></xml>'), cfg, 'X'))).code).toBe('invalid_response');
    expect((await providerError(wechatV2.query(answering('<html>502 Bad Gateway</html>', 502), cfg, 'X'))).retryable).toBe(true);
    const down = ctxWith(async () => {
      throw new Error('connect ETIMEDOUT');
    });
    expect((await providerError(wechatV2.query(down, cfg, 'X'))).code).toBe('provider_unreachable');
  });

  it("an answer signed with MD5 for an HMAC-SHA256 merchant → response_unverified (only the merchant's sign_type)", async () => {
    const hmac = cfgOf(WECHAT_TEST.v2hmac_merchant_id);
    const fields = { return_code: 'SUCCESS', appid: hmac.appid, mch_id: hmac.mch_id, nonce_str: 'n', result_code: 'SUCCESS', trade_state: 'NOTPAY' };
    const body = buildXml({ ...fields, sign: await sign(fields, hmac.apiv2_key, 'MD5') });
    expect((await providerError(wechatV2.query(answering(body), hmac, 'X'))).code).toBe('response_unverified');
  });

  it('a signed answer for another mch_id is not believed', async () => {
    const fields = { return_code: 'SUCCESS', appid: cfg.appid, mch_id: '10009999', nonce_str: 'n', result_code: 'SUCCESS', trade_state: 'NOTPAY' };
    const body = buildXml({ ...fields, sign: await sign(fields, cfg.apiv2_key, 'MD5') });
    expect((await providerError(wechatV2.query(answering(body), cfg, 'X'))).code).toBe('invalid_response');
  });

  it('sends UTF-8 XML with the sign (and sign_type for HMAC-SHA256 merchants)', async () => {
    const seen: string[] = [];
    const hmac = cfgOf(WECHAT_TEST.v2hmac_merchant_id);
    const spy = ctxWith(async (r) => {
      seen.push(`${r.headers.get('content-type')}|${await r.text()}`);
      return new Response(buildXml({ return_code: 'FAIL', return_msg: 'x' }));
    });
    await providerError(wechatV2.query(spy, hmac, 'X'));
    const [ct, body] = seen[0]!.split('|') as [string, string];
    expect(ct).toBe('text/xml; charset=utf-8');
    const m = parseFlatXml(body);
    expect(m).toMatchObject({ appid: hmac.appid, mch_id: hmac.mch_id, out_trade_no: 'X', sign_type: 'HMAC-SHA256' });
    expect(m.sign).toHaveLength(64);
    expect(await verify(m, hmac.apiv2_key, 'HMAC-SHA256')).toBe(true);
  });

  it('a live merchant refunds only through its mTLS certificate binding', async () => {
    let called = false;
    const live = ctxWith(async () => {
      called = true;
      return new Response('');
    });
    const liveCtx = { ...live, testMode: false };
    const refund = { attemptId: 'X', refundId: 'XR1', amount: 1, total: 1, currency: 'CNY' as const, notifyUrl: `${BASE}/notify/wechat_pay/x` };
    const missing = await providerError(wechatV2.refund(liveCtx, { ...cfg, mtls_certificate: 'NO_SUCH_CERT' }, refund));
    expect(missing.code).toBe('mtls_certificate_missing');
    expect(missing.retryable).toBe(true);
    expect(missing.message).toContain('[[mtls_certificates]]');
    expect(called).toBe(false);
  });
});
