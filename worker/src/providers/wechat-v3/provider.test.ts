// Round trips through a fake WeChat Pay that checks each request's Authorization with the signer's
// twin and answers with signed JSON, the way the real API (and the sandbox) do.

import { describe, expect, it } from 'vitest';
import vectors from '../../crypto/fixtures/vectors.json';
import type { WechatPayV3Config } from './config';
import { exportPublicKeyPem, publicKeyFromPrivate, rsaVerify } from '../../crypto/rsa';
import { ProviderError } from '../../lib/errors';
import type { CreateAttemptInput, ProviderContext } from '../types';
import { WechatApiError } from './client';
import { wechatV3, wechatV3Flows } from './index';
import { signResponse, verifyAuthorization } from './sign';

const PLATFORM_KEY = vectors.wechat_v3_rsa_keypair.private_key_pkcs8_pem;
// The merchant signs with a PKCS#1 key, so the PKCS#1 import path is exercised end to end.
const MERCHANT_KEY = vectors.pkcs1_test_key.private_key_pkcs1_pem;
const PUB_KEY_ID = 'PUB_KEY_ID_0114232134912410000000000000';
const NOW = Date.UTC(2024, 0, 1, 16, 0, 0);

const cfg: WechatPayV3Config = {
  api_version: 'v3',
  appid: 'wxd678efh567hg6787',
  mchid: '1230000109',
  merchant_serial: 'F5765756002FDD77',
  private_key: MERCHANT_KEY,
  apiv3_key: '0123456789abcdefghijklmnopqrstuv',
  wechatpay_public_key_id: PUB_KEY_ID,
  wechatpay_public_key: await exportPublicKeyPem(await publicKeyFromPrivate(PLATFORM_KEY)),
};

interface Seen {
  method: string;
  url: URL;
  headers: Headers;
  body: string;
}

type Answer = { status: number; body?: unknown; sign?: 'ok' | 'none' | 'tamper' | 'unknown_serial' | 'stale' };
type Route = (req: Seen) => Answer;

/** A fake WeChat Pay. Rejects any request whose Authorization does not verify (401 SIGN_ERROR, signed). */
function fakeWechat(route: Route): { ctx: ProviderContext; seen: Seen[] } {
  const seen: Seen[] = [];
  const merchantPublic = publicKeyFromPrivate(MERCHANT_KEY);
  const fetch = async (request: Request): Promise<Response> => {
    const req: Seen = { method: request.method, url: new URL(request.url), headers: request.headers, body: await request.text() };
    seen.push(req);
    const auth = await verifyAuthorization(request.headers.get('Authorization') ?? '', {
      method: req.method,
      url: req.url.pathname + req.url.search,
      body: req.body,
      publicKey: await merchantPublic,
      now: NOW,
    });
    const ans: Answer =
      auth.ok && auth.mchid === cfg.mchid && auth.serial_no === cfg.merchant_serial
        ? route(req)
        : { status: 401, body: { code: 'SIGN_ERROR', message: `签名错误 (${auth.ok ? 'mchid/serial' : auth.reason})` } };
    const text = ans.body === undefined ? '' : JSON.stringify(ans.body);
    const sign = ans.sign ?? 'ok';
    const headers: Record<string, string> =
      sign === 'none'
        ? {}
        : await signResponse({
            serial: sign === 'unknown_serial' ? 'PUB_KEY_ID_SOMEONE_ELSE' : PUB_KEY_ID,
            privateKey: PLATFORM_KEY,
            body: text,
            timestamp: Math.floor(NOW / 1000) - (sign === 'stale' ? 301 : 0),
          });
    const sent = sign === 'tamper' ? text.replace('SUCCESS', 'SUCCES5') : text;
    return new Response(ans.status === 204 ? null : sent, { status: ans.status, headers: { ...headers, 'Request-ID': 'req-1' } });
  };
  return { ctx: { fetch, now: () => NOW, testMode: true, sandboxBaseUrl: 'https://shouyin.test/sandbox' }, seen };
}

const input: CreateAttemptInput = {
  attemptId: 'att0123456789abcdef',
  flow: 'qr',
  amount: 1999,
  currency: 'CNY',
  description: `${'商品'.repeat(70)}🙂`,
  expiresAt: Date.UTC(2024, 0, 1, 16, 30, 0),
  notifyUrl: 'https://shouyin.test/notify/wechat_pay/shop',
  client: {},
};

const tx = (trade_state: string): Record<string, unknown> => ({
  appid: cfg.appid,
  mchid: cfg.mchid,
  out_trade_no: input.attemptId,
  transaction_id: '4200000000202401020000000001',
  trade_type: 'NATIVE',
  trade_state,
  trade_state_desc: '',
  success_time: '2024-01-02T00:05:00+08:00',
  payer: { openid: 'oUpF8uMu' },
  amount: { total: 1999, payer_total: 1999, currency: 'CNY', payer_currency: 'CNY' },
});

async function providerError(p: Promise<unknown>): Promise<ProviderError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(ProviderError);
  return e as ProviderError;
}

describe('wechat-v3 createAttempt (Native)', () => {
  it('posts the PrepayRequest to the sandbox base with a signature over the full sandbox path', async () => {
    const { ctx, seen } = fakeWechat(() => ({ status: 200, body: { code_url: 'weixin://wxpay/bizpayurl?pr=abc1234' } }));
    const res = await wechatV3.createAttempt(ctx, cfg, input);
    expect(res.nextAction).toEqual({
      type: 'display_qr',
      data: 'weixin://wxpay/bizpayurl?pr=abc1234',
      expires_at: '2024-01-01T16:30:00.000Z',
      sandbox_wallet_url: 'https://shouyin.test/sandbox/wechatpay/wallet?code_url=weixin%3A%2F%2Fwxpay%2Fbizpayurl%3Fpr%3Dabc1234',
    });
    const req = seen[0] as Seen;
    expect(req.method).toBe('POST');
    expect(req.url.href).toBe('https://shouyin.test/sandbox/wechatpay/v3/pay/transactions/native');
    expect(req.headers.get('Content-Type')).toBe('application/json');
    expect(req.headers.get('Accept')).toBe('application/json');
    expect(req.headers.get('User-Agent')).toBe('Shouyin/0.1');
    expect(req.headers.get('Wechatpay-Serial')).toBe(PUB_KEY_ID);
    const body = JSON.parse(req.body) as Record<string, unknown>;
    expect(body).toEqual({
      appid: cfg.appid,
      mchid: cfg.mchid,
      description: `${'商品'.repeat(63)}商`,
      out_trade_no: input.attemptId,
      time_expire: '2024-01-02T00:30:00+08:00',
      notify_url: input.notifyUrl,
      amount: { total: 1999, currency: 'CNY' },
    });
  });

  it('live base when not in test mode; api_base overrides; no sandbox wallet link', async () => {
    const { ctx, seen } = fakeWechat(() => ({ status: 200, body: { code_url: 'weixin://wxpay/bizpayurl?pr=x' } }));
    const live = await wechatV3.createAttempt({ ...ctx, testMode: false }, cfg, input);
    expect(seen[0]?.url.origin).toBe('https://api.mch.weixin.qq.com');
    expect(live.nextAction).not.toHaveProperty('sandbox_wallet_url');
    await wechatV3.createAttempt(ctx, { ...cfg, api_base: 'https://wx.example.test/prefix' }, input);
    expect(seen[1]?.url.href).toBe('https://wx.example.test/prefix/v3/pay/transactions/native');
  });

  it('refuses flows it does not have, and JSAPI without the official account', async () => {
    const { ctx, seen } = fakeWechat(() => ({ status: 500 }));
    expect((await providerError(wechatV3.createAttempt(ctx, cfg, { ...input, flow: 'page' }))).code).toBe('flow_unsupported');
    expect((await providerError(wechatV3.createAttempt(ctx, cfg, { ...input, flow: 'jsapi' }))).code).toBe('flow_unavailable');
    expect(seen).toHaveLength(0);
  });
});

const withOauth: WechatPayV3Config = {
  ...cfg,
  oauth: { appid: 'wx8888888888888888', appsecret: '7813490da6f1265e4901ffb80afaa36f' },
  app_appid: 'wx9999999999999999',
};
const PREPAY_ID = 'wx201410272009395522657a690389285100';

describe('wechat-v3 createAttempt (JSAPI, H5, APP)', () => {
  it('offers JSAPI only with the official account configured', () => {
    expect(wechatV3Flows(cfg)).toEqual(['qr', 'h5', 'app']);
    expect(wechatV3Flows(withOauth)).toEqual(['qr', 'jsapi', 'h5', 'app']);
  });

  // https://pay.weixin.qq.com/doc/v3/merchant/4012791857
  it('JSAPI with an openid: prepay under the official account, RSA bridge parameters signed', async () => {
    const { ctx, seen } = fakeWechat(() => ({ status: 200, body: { prepay_id: PREPAY_ID } }));
    const res = await wechatV3.createAttempt(ctx, withOauth, { ...input, flow: 'jsapi', client: { openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' } });
    expect(seen[0]?.url.pathname).toBe('/sandbox/wechatpay/v3/pay/transactions/jsapi');
    expect(JSON.parse(seen[0]!.body)).toMatchObject({ appid: 'wx8888888888888888', payer: { openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' } });
    expect(res.nextAction.type).toBe('wechat_jsapi');
    const p = (res.nextAction as { params: Record<string, string> }).params;
    expect(p).toMatchObject({ appId: 'wx8888888888888888', timeStamp: String(Math.floor(NOW / 1000)), package: `prepay_id=${PREPAY_ID}`, signType: 'RSA' });
    expect(p.nonceStr).toMatch(/^[0-9A-Za-z]{32}$/);
    const key = await publicKeyFromPrivate(MERCHANT_KEY);
    expect(await rsaVerify(key, `${p.appId}\n${p.timeStamp}\n${p.nonceStr}\n${p.package}\n`, p.paySign!)).toBe(true);
    expect(res.providerData).toEqual({ prepay_id: PREPAY_ID, trade_type: 'JSAPI', appid: 'wx8888888888888888' });
  });

  it("JSAPI without an openid: a signed link to Shouyin's JSAPI page (the OAuth hop), no prepay yet", async () => {
    const { ctx, seen } = fakeWechat(() => ({ status: 500 }));
    const res = await wechatV3.createAttempt(ctx, withOauth, { ...input, flow: 'jsapi' });
    expect(seen).toHaveLength(0);
    expect((res.nextAction as { url: string }).url).toMatch(/^https:\/\/shouyin\.test\/wechat\/jsapi\/att0123456789abcdef\?exp=1704126600&sig=[0-9a-f]{32}$/);
    expect(res.providerData).toMatchObject({ stage: 'oauth' });
    // The link carries the way back of returnUrl (/return/<id>/<how>), so the page sends the shopper there too.
    const hosted = await wechatV3.createAttempt(ctx, withOauth, { ...input, flow: 'jsapi', returnUrl: 'https://shouyin.test/return/cs_1/en.hosted' });
    expect((hosted.nextAction as { url: string }).url).toMatch(/\?exp=1704126600&sig=[0-9a-f]{32}&how=en\.hosted$/);
  });

  it("H5: scene_info with the payer's IP and h5_info.type, then a redirect to h5_url with redirect_url", async () => {
    const h5 = 'https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id=wx1&package=123';
    const { ctx, seen } = fakeWechat(() => ({ status: 200, body: { h5_url: h5 } }));
    const res = await wechatV3.createAttempt(ctx, cfg, { ...input, flow: 'h5', returnUrl: 'https://shouyin.test/return/cs_1', client: { ip: '203.0.113.7' } });
    expect(JSON.parse(seen[0]!.body)).toMatchObject({ scene_info: { payer_client_ip: '203.0.113.7', h5_info: { type: 'Wap' } } });
    expect(res.nextAction).toEqual({ type: 'redirect', url: `${h5}&redirect_url=${encodeURIComponent('https://shouyin.test/return/cs_1')}` });
    expect((await providerError(wechatV3.createAttempt(ctx, cfg, { ...input, flow: 'h5' }))).code).toBe('client_ip_missing');
  });

  it("APP: prepay under the app's AppID, the PayReq signed RSA over appid\\ntimestamp\\nnoncestr\\nprepayid\\n", async () => {
    const { ctx, seen } = fakeWechat(() => ({ status: 200, body: { prepay_id: PREPAY_ID } }));
    const res = await wechatV3.createAttempt(ctx, withOauth, { ...input, flow: 'app' });
    expect(seen[0]?.url.pathname).toBe('/sandbox/wechatpay/v3/pay/transactions/app');
    expect(JSON.parse(seen[0]!.body).appid).toBe('wx9999999999999999');
    const p = (res.nextAction as { payload: Record<string, string> }).payload;
    expect(p).toMatchObject({
      appid: 'wx9999999999999999',
      partnerid: cfg.mchid,
      prepayid: PREPAY_ID,
      package: 'Sign=WXPay',
      timestamp: String(Math.floor(NOW / 1000)),
    });
    const key = await publicKeyFromPrivate(MERCHANT_KEY);
    expect(await rsaVerify(key, `${p.appid}\n${p.timestamp}\n${p.noncestr}\n${p.prepayid}\n`, p.sign!)).toBe(true);
  });

  it("a payment under the official account's or the app's AppID is reported under the main AppID", async () => {
    const { ctx } = fakeWechat(() => ({ status: 200, body: { ...tx('SUCCESS'), appid: 'wx9999999999999999' } }));
    expect(await wechatV3.query(ctx, withOauth, input.attemptId)).toMatchObject({ state: 'paid', payment: { appId: cfg.appid } });
    expect(await wechatV3.query(ctx, cfg, input.attemptId)).toMatchObject({ state: 'paid', payment: { appId: 'wx9999999999999999' } });
  });
});

describe('wechat-v3 query', () => {
  it('GETs by out_trade_no with ?mchid and maps trade_state', async () => {
    let state = 'SUCCESS';
    const { ctx, seen } = fakeWechat(() => ({ status: 200, body: tx(state) }));
    const paid = await wechatV3.query(ctx, cfg, input.attemptId);
    expect(seen[0]?.method).toBe('GET');
    expect(seen[0]?.body).toBe('');
    expect(seen[0]?.url.pathname + (seen[0]?.url.search ?? '')).toBe(`/sandbox/wechatpay/v3/pay/transactions/out-trade-no/${input.attemptId}?mchid=1230000109`);
    expect(paid).toMatchObject({
      state: 'paid',
      payment: {
        attemptId: input.attemptId,
        providerTransactionId: '4200000000202401020000000001',
        amount: 1999,
        currency: 'CNY',
        appId: cfg.appid,
        providerMerchantId: cfg.mchid,
        paidAt: Date.UTC(2024, 0, 1, 16, 5, 0),
      },
    });
    const expect_ = {
      NOTPAY: 'pending',
      USERPAYING: 'pending',
      ACCEPT: 'pending',
      CLOSED: 'closed',
      REVOKED: 'closed',
      PAYERROR: 'closed',
      REFUND: 'paid',
    } as const;
    for (const [s, want] of Object.entries(expect_)) {
      state = s;
      expect((await wechatV3.query(ctx, cfg, input.attemptId)).state).toBe(want);
    }
    state = 'WHATEVER';
    expect((await providerError(wechatV3.query(ctx, cfg, input.attemptId))).code).toBe('invalid_response');
  });

  it('404 ORDER_NOT_EXIST → not_found', async () => {
    const { ctx } = fakeWechat(() => ({ status: 404, body: { code: 'ORDER_NOT_EXIST', message: '订单不存在' } }));
    expect((await wechatV3.query(ctx, cfg, input.attemptId)).state).toBe('not_found');
  });
});

describe('wechat-v3 close', () => {
  it('204 (empty, signed) → closed', async () => {
    const { ctx, seen } = fakeWechat(() => ({ status: 204 }));
    expect(await wechatV3.close(ctx, cfg, input.attemptId)).toEqual({ state: 'closed' });
    expect(seen[0]?.url.pathname).toBe(`/sandbox/wechatpay/v3/pay/transactions/out-trade-no/${input.attemptId}/close`);
    expect(JSON.parse(seen[0]?.body ?? '')).toEqual({ mchid: cfg.mchid });
  });

  it('ORDERPAID → confirmed by a query → already_paid', async () => {
    const { ctx, seen } = fakeWechat((req) =>
      req.method === 'POST' ? { status: 400, body: { code: 'ORDERPAID', message: '订单已支付' } } : { status: 200, body: tx('SUCCESS') },
    );
    expect(await wechatV3.close(ctx, cfg, input.attemptId)).toEqual({ state: 'already_paid' });
    expect(seen.map((s) => s.method)).toEqual(['POST', 'GET']);
  });

  it('404 → not_found; ORDER_CLOSED → closed; 5xx → retryable', async () => {
    expect(await wechatV3.close(fakeWechat(() => ({ status: 404, body: { code: 'ORDER_NOT_EXIST', message: '' } })).ctx, cfg, 'x')).toEqual({
      state: 'not_found',
    });
    expect(await wechatV3.close(fakeWechat(() => ({ status: 400, body: { code: 'ORDER_CLOSED', message: '' } })).ctx, cfg, 'x')).toEqual({ state: 'closed' });
    const e = await providerError(wechatV3.close(fakeWechat(() => ({ status: 500, body: { code: 'SYSTEM_ERROR', message: '系统异常' } })).ctx, cfg, 'x'));
    expect(e.code).toBe('SYSTEM_ERROR');
    expect(e.retryable).toBe(true);
  });
});

describe('wechat-v3 refund', () => {
  const refundBody = (status: string): Record<string, unknown> => ({
    refund_id: '50000000382019052709732678859',
    out_refund_no: 're_1',
    transaction_id: '4200000000202401020000000001',
    out_trade_no: input.attemptId,
    channel: 'ORIGINAL',
    user_received_account: '支付用户零钱',
    create_time: '2024-01-02T01:00:00+08:00',
    status,
    funds_account: 'AVAILABLE',
    amount: { total: 1999, refund: 500, payer_total: 1999, payer_refund: 500, currency: 'CNY' },
  });

  it('POSTs the CreateRequest and maps status', async () => {
    let status = 'PROCESSING';
    const { ctx, seen } = fakeWechat(() => ({ status: 200, body: refundBody(status) }));
    const r = await wechatV3.refund(ctx, cfg, {
      attemptId: input.attemptId,
      refundId: 're_1',
      amount: 500,
      total: 1999,
      currency: 'CNY',
      reason: '退货',
      notifyUrl: 'https://shouyin.test/notify/wechat_pay/shop',
    });
    expect(r).toMatchObject({ state: 'pending', providerRefundId: '50000000382019052709732678859' });
    expect(seen[0]?.url.pathname).toBe('/sandbox/wechatpay/v3/refund/domestic/refunds');
    expect(JSON.parse(seen[0]?.body ?? '')).toEqual({
      out_trade_no: input.attemptId,
      out_refund_no: 're_1',
      reason: '退货',
      notify_url: 'https://shouyin.test/notify/wechat_pay/shop',
      amount: { refund: 500, total: 1999, currency: 'CNY' },
    });
    for (const [s, want] of [
      ['SUCCESS', 'succeeded'],
      ['CLOSED', 'failed'],
      ['ABNORMAL', 'failed'],
    ] as const) {
      status = s;
      expect((await wechatV3.refundQuery(ctx, cfg, 're_1')).state).toBe(want);
    }
    expect(seen.at(-1)?.method).toBe('GET');
    expect(seen.at(-1)?.url.pathname).toBe('/sandbox/wechatpay/v3/refund/domestic/refunds/re_1');
  });
});

describe('wechat-v3 client: every response is verified', () => {
  it('unsigned, tampered, unknown serial or stale responses → response_unverified (retryable), even for errors and 204', async () => {
    for (const sign of ['none', 'tamper', 'unknown_serial', 'stale'] as const) {
      const { ctx } = fakeWechat(() => ({ status: 200, body: tx('SUCCESS'), sign }));
      const e = await providerError(wechatV3.query(ctx, cfg, input.attemptId));
      expect([sign, e.code, e.retryable]).toEqual([sign, 'response_unverified', true]);
    }
    const e404 = await providerError(
      wechatV3.query(fakeWechat(() => ({ status: 404, body: { code: 'ORDER_NOT_EXIST', message: '' }, sign: 'none' })).ctx, cfg, 'x'),
    );
    expect(e404.code).toBe('response_unverified');
    const e204 = await providerError(wechatV3.close(fakeWechat(() => ({ status: 204, sign: 'none' })).ctx, cfg, 'x'));
    expect(e204.code).toBe('response_unverified');
  });

  it('a verified 4xx {code,message} → ProviderError(code), not retryable', async () => {
    const e = await providerError(
      wechatV3.createAttempt(fakeWechat(() => ({ status: 400, body: { code: 'PARAM_ERROR', message: '参数错误' } })).ctx, cfg, input),
    );
    expect(e).toBeInstanceOf(WechatApiError);
    expect([e.code, e.retryable, (e as WechatApiError).httpStatus]).toEqual(['PARAM_ERROR', false, 400]);
    expect(e.message).toContain('参数错误');
  });

  it('the fake rejects a request signed with the wrong merchant key (SIGN_ERROR 401)', async () => {
    const e = await providerError(wechatV3.query(fakeWechat(() => ({ status: 200, body: tx('SUCCESS') })).ctx, { ...cfg, private_key: PLATFORM_KEY }, 'x'));
    expect([e.code, (e as WechatApiError).httpStatus]).toEqual(['SIGN_ERROR', 401]);
  });

  it('network failure → provider_unreachable (retryable)', async () => {
    const ctx: ProviderContext = {
      fetch: () => Promise.reject(new TypeError('connection reset')),
      now: () => NOW,
      testMode: true,
      sandboxBaseUrl: 'https://shouyin.test/sandbox',
    };
    const e = await providerError(wechatV3.query(ctx, cfg, 'x'));
    expect([e.code, e.retryable]).toEqual(['provider_unreachable', true]);
  });

  it('a 2xx whose JSON lacks code_url → invalid_response', async () => {
    const e = await providerError(wechatV3.createAttempt(fakeWechat(() => ({ status: 200, body: { prepay_id: 'wx1' } })).ctx, cfg, input));
    expect(e.code).toBe('invalid_response');
  });
});
