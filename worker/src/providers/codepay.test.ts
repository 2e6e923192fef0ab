// How each provider reads the answers to a payment-code charge and to a reversal, against answers
// signed with the providers' own signing twins (never hand-made signatures): only a definite refusal
// is `failed`; no answer, an unbelievable answer, a system error or an unknown code is `unknown`
// (the session queries); a reversal is `done` only when the provider says so or there is nothing to reverse.

import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config';
import type { WechatPayV3Config } from './wechat-v3/config';
import { ALIPAY_TEST, SANDBOX_WECHAT_PRIVATE_KEY, TEST, WECHAT_TEST, testConfig } from '../../test/fixtures/config';
import type { AlipayConfig } from './alipay/config';
import { SANDBOX_ALIPAY_PRIVATE_KEY } from './alipay/fixtures/test-keys';
import { alipay } from './alipay';
import { responseKey, signResponse as signAlipay } from './alipay/sign';
import type { CodePayInput, ProviderContext } from './types';
import { wechatV2 } from './wechat-v2';
import type { WechatPayV2Config } from './wechat-v2/config';
import { sign as signV2 } from './wechat-v2/sign';
import { buildXml } from './wechat-v2/xml';
import { wechatV3 } from './wechat-v3';
import { signResponse as signV3 } from './wechat-v3/sign';

const config = parseConfig(testConfig());
const merchant = (id: string) => config.merchants.find((m) => m.id === id)!;
const v2cfg = merchant(WECHAT_TEST.v2_merchant_id).providers.wechat_pay as WechatPayV2Config;
const v3cfg = merchant(TEST.merchant_id).providers.wechat_pay as WechatPayV3Config;
const alicfg = merchant(TEST.merchant_id).providers.alipay as AlipayConfig;

const ctxAnswering = (answer: (req: Request) => Promise<Response> | Response): ProviderContext => ({
  fetch: async (r) => answer(r),
  now: () => Date.now(),
  testMode: true,
  sandboxBaseUrl: `${config.public_base_url}/sandbox`,
});
const input: CodePayInput = {
  attemptId: 'ABCDEFGHIJKLMNOPQRSTUVWXA1',
  authCode: '134595229789828537',
  amount: 8888,
  currency: 'CNY',
  description: '测试商品',
  notifyUrl: `${config.public_base_url}/notify/alipay/demo`,
  client: { ip: '203.0.113.9' },
};
const timeout = () => {
  throw new DOMException('The operation timed out.', 'TimeoutError');
};

// ── WeChat Pay APIv2 ──────────────────────────────────────────────────────────────────────────────

async function v2Answer(fields: Record<string, string>): Promise<Response> {
  const f = { return_code: 'SUCCESS', return_msg: 'OK', appid: v2cfg.appid, mch_id: v2cfg.mch_id, nonce_str: 'n0nce', ...fields };
  return new Response(buildXml({ ...f, sign: await signV2(f, v2cfg.apiv2_key, 'MD5') }), { headers: { 'content-type': 'text/xml' } });
}
const v2Fail = (err_code: string, more: Record<string, string> = {}) => v2Answer({ result_code: 'FAIL', err_code, err_code_des: `${err_code} 描述`, ...more });

describe('wechat-v2 micropay', () => {
  it('reads a paid answer as the payment (appid, mch_id, amount, time_end)', async () => {
    let sent = '';
    const r = await wechatV2.payWithCode!(
      ctxAnswering(async (req) => {
        sent = await req.text();
        return v2Answer({
          result_code: 'SUCCESS',
          trade_type: 'MICROPAY',
          out_trade_no: input.attemptId,
          transaction_id: '4200000001202401011234567890',
          total_fee: '8888',
          fee_type: 'CNY',
          time_end: '20240101120000',
          openid: 'oUser',
        });
      }),
      v2cfg,
      input,
    );
    expect(r).toMatchObject({ state: 'paid', payment: { attemptId: input.attemptId, amount: 8888, appId: v2cfg.appid, providerMerchantId: v2cfg.mch_id } });
    expect(sent).toContain('<auth_code>134595229789828537</auth_code>');
    expect(sent).toContain('<spbill_create_ip>203.0.113.9</spbill_create_ip>');
    expect(sent).not.toContain('notify_url');
  });

  it.each([
    ['USERPAYING', 'user_paying'],
    ['SYSTEMERROR', 'unknown'],
    ['BANKERROR', 'unknown'],
    ['ORDERPAID', 'unknown'],
    ['SOMETHING_NEW', 'unknown'],
    ['AUTHCODEEXPIRE', 'failed'],
    ['AUTH_CODE_INVALID', 'failed'],
    ['NOTENOUGH', 'failed'],
  ])('err_code %s → %s', async (code, state) => {
    expect(
      (
        await wechatV2.payWithCode!(
          ctxAnswering(() => v2Fail(code)),
          v2cfg,
          input,
        )
      ).state,
    ).toBe(state);
  });

  it('no answer, a 5xx page or a forged answer is unknown; return_code=FAIL is a refusal', async () => {
    expect((await wechatV2.payWithCode!(ctxAnswering(timeout), v2cfg, input)).state).toBe('unknown');
    expect(
      (
        await wechatV2.payWithCode!(
          ctxAnswering(() => new Response('<html>502</html>', { status: 502 })),
          v2cfg,
          input,
        )
      ).state,
    ).toBe('unknown');
    const forged = ctxAnswering(async () => new Response((await (await v2Answer({ result_code: 'SUCCESS' })).text()).replace(/<sign>[^<]+/, '<sign>00')));
    expect((await wechatV2.payWithCode!(forged, v2cfg, input)).state).toBe('unknown');
    const refused = ctxAnswering(() => new Response(buildXml({ return_code: 'FAIL', return_msg: '签名错误' })));
    expect(await wechatV2.payWithCode!(refused, v2cfg, input)).toMatchObject({ state: 'failed', code: 'provider_rejected' });
  });

  it('reverse: recall=N done, recall=Y again, ORDERNOTEXIST done, errors again', async () => {
    const rev = (a: () => Promise<Response> | Response) => wechatV2.reverse!(ctxAnswering(a), v2cfg, input.attemptId);
    expect((await rev(() => v2Answer({ result_code: 'SUCCESS', recall: 'N' }))).state).toBe('done');
    expect((await rev(() => v2Answer({ result_code: 'SUCCESS', recall: 'Y' }))).state).toBe('retry');
    expect((await rev(() => v2Fail('ORDERNOTEXIST'))).state).toBe('done');
    expect((await rev(() => v2Fail('SYSTEMERROR', { recall: 'Y' }))).state).toBe('retry');
    expect((await rev(() => v2Fail('REVERSE_EXPIRE', { recall: 'N' }))).state).toBe('retry');
    expect((await rev(timeout)).state).toBe('retry');
  });

  it('reverse goes through the mTLS path (/secapi/…)', async () => {
    let url = '';
    await wechatV2.reverse!(
      ctxAnswering(async (req) => ((url = req.url), v2Answer({ result_code: 'SUCCESS', recall: 'N' }))),
      v2cfg,
      input.attemptId,
    );
    expect(url).toMatch(/\/secapi\/pay\/reverse$/);
  });
});

// ── WeChat Pay APIv3 ──────────────────────────────────────────────────────────────────────────────

async function v3Answer(status: number, body: unknown): Promise<Response> {
  const text = body === undefined ? '' : JSON.stringify(body);
  const headers = await signV3({ serial: TEST.wechatpay_public_key_id, privateKey: SANDBOX_WECHAT_PRIVATE_KEY, body: text });
  return new Response(status === 204 ? null : text, { status, headers: { ...headers, 'content-type': 'application/json' } });
}
const tx = (trade_state: string) => ({
  appid: v3cfg.appid,
  mchid: v3cfg.mchid,
  out_trade_no: input.attemptId,
  transaction_id: '4200000002202401011234567890',
  trade_type: 'MICROPAY',
  trade_state,
  trade_state_desc: trade_state,
  success_time: '2024-01-01T12:00:00+08:00',
  amount: { total: 8888, currency: 'CNY' },
});

describe('wechat-v3 codepay', () => {
  it('posts payer.auth_code and reads a SUCCESS Transaction as the payment', async () => {
    let body: Record<string, unknown> = {};
    const r = await wechatV3.payWithCode!(
      ctxAnswering(async (req) => ((body = (await req.json()) as Record<string, unknown>), v3Answer(200, tx('SUCCESS')))),
      v3cfg,
      input,
    );
    expect(body).toMatchObject({
      appid: v3cfg.appid,
      mchid: v3cfg.mchid,
      out_trade_no: input.attemptId,
      payer: { auth_code: input.authCode },
      amount: { total: 8888, currency: 'CNY' },
      scene_info: { device_ip: '203.0.113.9' },
    });
    expect(r).toMatchObject({ state: 'paid', payment: { amount: 8888, appId: v3cfg.appid, providerMerchantId: v3cfg.mchid } });
  });

  it.each([
    [202, { code: 'USERPAYING', message: '用户支付中' }, 'user_paying'],
    [403, { code: 'USERPAYING', message: '用户支付中' }, 'user_paying'],
    [200, tx('USERPAYING'), 'user_paying'],
    [200, tx('PAYERROR'), 'failed'],
    [403, { code: 'NOT_ENOUGH', message: '余额不足' }, 'failed'],
    [400, { code: 'PARAM_ERROR', message: '参数错误' }, 'failed'],
    [400, { code: 'ORDERPAID', message: '订单已支付' }, 'unknown'],
    [429, { code: 'FREQUENCY_LIMITED', message: '频率超限' }, 'unknown'],
    [500, { code: 'SYSTEM_ERROR', message: '系统错误' }, 'unknown'],
    [503, { code: 'BANK_ERROR', message: '银行系统异常' }, 'unknown'],
  ])('HTTP %s %j → %s', async (status, body, state) => {
    expect(
      (
        await wechatV3.payWithCode!(
          ctxAnswering(() => v3Answer(status, body)),
          v3cfg,
          input,
        )
      ).state,
    ).toBe(state);
  });

  it('no answer or an unsigned one is unknown', async () => {
    expect((await wechatV3.payWithCode!(ctxAnswering(timeout), v3cfg, input)).state).toBe('unknown');
    expect(
      (
        await wechatV3.payWithCode!(
          ctxAnswering(() => Response.json(tx('SUCCESS'))),
          v3cfg,
          input,
        )
      ).state,
    ).toBe('unknown');
  });

  it('reverse: 200 done, 404 done, 5xx and no answer again', async () => {
    const rev = (a: () => Promise<Response> | Response) => wechatV3.reverse!(ctxAnswering(a), v3cfg, input.attemptId);
    expect((await rev(() => v3Answer(200, { appid: v3cfg.appid, mchid: v3cfg.mchid, out_trade_no: input.attemptId }))).state).toBe('done');
    expect((await rev(() => v3Answer(404, { code: 'ORDER_NOT_EXIST', message: '订单不存在' }))).state).toBe('done');
    expect((await rev(() => v3Answer(500, { code: 'SYSTEM_ERROR', message: '系统错误' }))).state).toBe('retry');
    expect((await rev(timeout)).state).toBe('retry');
  });
});

// ── Alipay ────────────────────────────────────────────────────────────────────────────────────────

async function aliAnswer(method: string, body: Record<string, unknown>): Promise<Response> {
  return new Response(await signAlipay({ key: responseKey(method), body, privateKeyPem: SANDBOX_ALIPAY_PRIVATE_KEY }), {
    headers: { 'content-type': 'application/json' },
  });
}
const aliInput = { ...input, authCode: '286248566432274952' };

describe('alipay trade.pay', () => {
  it('sends scene=bar_code with the code and reads 10000 as the payment', async () => {
    let biz: Record<string, unknown> = {};
    const r = await alipay.payWithCode!(
      ctxAnswering(async (req) => {
        // The request is a form: read its bytes (.text() on a form body makes workerd warn).
        biz = JSON.parse(new URLSearchParams(new TextDecoder().decode(await req.arrayBuffer())).get('biz_content') ?? '{}') as Record<string, unknown>;
        return aliAnswer('alipay.trade.pay', {
          code: '10000',
          msg: 'Success',
          trade_no: '2024010122001400000000000001',
          out_trade_no: input.attemptId,
          total_amount: '88.88',
          gmt_payment: '2024-01-01 12:00:00',
          buyer_user_id: '2088000000000009',
        });
      }),
      alicfg,
      aliInput,
    );
    expect(biz).toMatchObject({
      scene: 'bar_code',
      auth_code: aliInput.authCode,
      product_code: 'FACE_TO_FACE_PAYMENT',
      total_amount: '88.88',
      out_trade_no: input.attemptId,
    });
    expect(r).toMatchObject({
      state: 'paid',
      payment: { amount: 8888, appId: ALIPAY_TEST.app_id, providerMerchantId: ALIPAY_TEST.seller_id, payer: '2088000000000009' },
    });
  });

  it.each([
    [{ code: '10003', msg: 'order success pay inprocess', trade_no: 't', out_trade_no: input.attemptId }, 'user_paying'],
    [{ code: '20000', msg: 'Service Currently Unavailable', sub_code: 'isp.unknow-error', sub_msg: '系统繁忙' }, 'unknown'],
    [{ code: '40004', msg: 'Business Failed', sub_code: 'ACQ.SYSTEM_ERROR', sub_msg: '系统错误' }, 'unknown'],
    [{ code: '40004', msg: 'Business Failed', sub_code: 'ACQ.TRADE_HAS_SUCCESS', sub_msg: '交易已被支付' }, 'unknown'],
    [{ code: '40004', msg: 'Business Failed', sub_code: 'ACQ.PAYMENT_AUTH_CODE_INVALID', sub_msg: '付款码无效' }, 'failed'],
    [{ code: '40004', msg: 'Business Failed', sub_code: 'ACQ.BUYER_BALANCE_NOT_ENOUGH', sub_msg: '买家余额不足' }, 'failed'],
  ])('%j → %s', async (body, state) => {
    expect(
      (
        await alipay.payWithCode!(
          ctxAnswering(() => aliAnswer('alipay.trade.pay', body)),
          alicfg,
          aliInput,
        )
      ).state,
    ).toBe(state);
  });

  it('no answer, a 502 and an unsigned answer are unknown', async () => {
    expect((await alipay.payWithCode!(ctxAnswering(timeout), alicfg, aliInput)).state).toBe('unknown');
    expect(
      (
        await alipay.payWithCode!(
          ctxAnswering(() => new Response('bad gateway', { status: 502 })),
          alicfg,
          aliInput,
        )
      ).state,
    ).toBe('unknown');
    expect(
      (
        await alipay.payWithCode!(
          ctxAnswering(() => Response.json({ alipay_trade_pay_response: { code: '10000' } })),
          alicfg,
          aliInput,
        )
      ).state,
    ).toBe('unknown');
  });

  it('cancel: retry_flag=N done, retry_flag=Y again, TRADE_NOT_EXIST done, system errors again', async () => {
    const rev = (body: Record<string, unknown>) =>
      alipay.reverse!(
        ctxAnswering(() => aliAnswer('alipay.trade.cancel', body)),
        alicfg,
        input.attemptId,
      );
    expect((await rev({ code: '10000', msg: 'Success', retry_flag: 'N', action: 'close' })).state).toBe('done');
    expect((await rev({ code: '10000', msg: 'Success', retry_flag: 'N', action: 'refund' })).state).toBe('done');
    expect((await rev({ code: '10000', msg: 'Success', retry_flag: 'Y' })).state).toBe('retry');
    expect((await rev({ code: '40004', msg: 'Business Failed', sub_code: 'ACQ.TRADE_NOT_EXIST', sub_msg: '交易不存在' })).state).toBe('done');
    expect((await rev({ code: '40004', msg: 'Business Failed', sub_code: 'ACQ.SYSTEM_ERROR', sub_msg: '系统错误', retry_flag: 'Y' })).state).toBe('retry');
    expect((await alipay.reverse!(ctxAnswering(timeout), alicfg, input.attemptId)).state).toBe('retry');
  });

  it('cancel: a trade past its cancel window, or not cancellable, is refused for good (asking again cannot help)', async () => {
    const rev = (sub_code: string, sub_msg: string) =>
      alipay.reverse!(
        ctxAnswering(() => aliAnswer('alipay.trade.cancel', { code: '40004', msg: 'Business Failed', sub_code, sub_msg })),
        alicfg,
        input.attemptId,
      );
    expect(await rev('ACQ.TRADE_CANCEL_TIME_OUT', '超过撤销时间范围')).toMatchObject({ state: 'refused', code: 'ACQ.TRADE_CANCEL_TIME_OUT' });
    expect(await rev('ACQ.CANCEL_NOT_ALLOWED', '交易不允许撤销')).toMatchObject({ state: 'refused', code: 'ACQ.CANCEL_NOT_ALLOWED' });
    // Alipay states no cancel window in time: it says when one has passed.
    expect(alipay.reverseWindowMs).toBeUndefined();
  });
});

describe('reversal windows', () => {
  it('WeChat Pay takes a reversal for 7 days after the order, on both APIs', () => {
    expect(wechatV3.reverseWindowMs).toBe(7 * 24 * 3_600_000);
    expect(wechatV2.reverseWindowMs).toBe(7 * 24 * 3_600_000);
  });
});
