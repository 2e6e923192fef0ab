// The Alipay adapter against the built-in sandbox, inside workerd: every flow, query / close /
// cancel / refund / refund query, certificate mode, and answers that must not be trusted.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ProviderError } from '../../lib/errors';
import { ALIPAY_TEST } from '../../../test/fixtures/config';
import { alipayConfig, control, ledgerOf, providerCtx, recordNotifies, sandboxFetch, SANDBOX, tradeNo } from '../../../../sandbox/src/alipay/testing';
import type { CreateAttemptInput } from '../types';
import { AlipayApiError } from './client';
import { alipay, cancelTrade } from './index';
import { SANDBOX_ALIPAY_PRIVATE_KEY } from './fixtures/test-keys';
import { parseFormStrict, signResponse } from './sign';

let rec: ReturnType<typeof recordNotifies>;
beforeEach(() => (rec = recordNotifies()));
afterEach(() => rec.restore());

const cfg = alipayConfig('demo');
const certCfg = alipayConfig('certshop');
const ctx = providerCtx();

function input(flow: CreateAttemptInput['flow'], over: Partial<CreateAttemptInput> = {}): CreateAttemptInput {
  return {
    attemptId: tradeNo(),
    flow,
    amount: 8888,
    currency: 'CNY',
    description: '测试商品 Test item',
    expiresAt: Date.now() + 15 * 60_000,
    notifyUrl: 'https://merchant.test/notify/alipay/demo',
    returnUrl: 'https://merchant.test/return/cs_test',
    client: {},
    ...over,
  };
}

/** Submits a form_post next_action as the widget's form would, returning the cashier HTML. */
async function submit(action: { url: string; fields: Record<string, string> }): Promise<Response> {
  return sandboxFetch(action.url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(action.fields).toString(),
  });
}

describe('qr (alipay.trade.precreate)', () => {
  it('shows the qr_code, with the sandbox cashier in test mode; pending until paid, then the payment facts', async () => {
    const i = input('qr');
    const r = await alipay.createAttempt(ctx, cfg, i);
    expect(r.nextAction).toMatchObject({ type: 'display_qr', expires_at: new Date(i.expiresAt).toISOString() });
    if (r.nextAction.type !== 'display_qr') throw new Error('not a QR');
    expect(r.nextAction.data).toMatch(/^https:\/\/qr\.alipay\.com\/bax0/);
    expect(r.nextAction.sandbox_wallet_url).toBe(`${SANDBOX}/alipay/cashier?qr_code=${encodeURIComponent(r.nextAction.data)}`);
    expect(r.providerData).toEqual({ flow: 'qr', qr_code: r.nextAction.data });
    // What Alipay was asked for: yuan amount, Beijing time_expire, notify_url.
    const v = await ledgerOf(i.attemptId);
    expect(v.trade).toMatchObject({ total: 8888, subject: '测试商品 Test item', notify_url: i.notifyUrl, method: 'alipay.trade.precreate' });
    expect(Date.parse(v.trade.time_expire as string)).toBe(Math.floor(i.expiresAt / 1000) * 1000);

    // Not scanned: ACQ.TRADE_NOT_EXIST is pending, never a failure.
    expect(await alipay.query(ctx, cfg, i.attemptId)).toEqual({ state: 'pending', raw: { sub_code: 'ACQ.TRADE_NOT_EXIST' } });
    await sandboxFetch(r.nextAction.sandbox_wallet_url as string);
    expect((await alipay.query(ctx, cfg, i.attemptId)).state).toBe('pending');
    await control(`/orders/${i.attemptId}/pay`, { notify: 'drop' });
    const q = await alipay.query(ctx, cfg, i.attemptId);
    expect(q).toMatchObject({
      state: 'paid',
      payment: { attemptId: i.attemptId, amount: 8888, currency: 'CNY', appId: ALIPAY_TEST.app_id, providerMerchantId: ALIPAY_TEST.seller_id },
    });
    if (q.state !== 'paid') throw new Error('not paid');
    expect(q.payment.providerTransactionId).toMatch(/^\d{28}$/);
    expect(Math.abs(q.payment.paidAt - Date.now())).toBeLessThan(5000);
    expect(q.payment.payer).toMatch(/^2088/);
  });

  it('close: not_found before the scan, closed after it, already_paid once paid', async () => {
    const a = input('qr');
    const ra = await alipay.createAttempt(ctx, cfg, a);
    expect(await alipay.close(ctx, cfg, a.attemptId)).toEqual({ state: 'not_found' });
    if (ra.nextAction.type === 'display_qr') await sandboxFetch(ra.nextAction.sandbox_wallet_url as string);
    expect(await alipay.close(ctx, cfg, a.attemptId)).toEqual({ state: 'closed' });
    expect(await alipay.close(ctx, cfg, a.attemptId)).toEqual({ state: 'closed' });
    expect((await alipay.query(ctx, cfg, a.attemptId)).state).toBe('closed');
    const b = input('qr');
    await alipay.createAttempt(ctx, cfg, b);
    await control(`/orders/${b.attemptId}/pay`, { notify: 'drop' });
    expect(await alipay.close(ctx, cfg, b.attemptId)).toEqual({ state: 'already_paid' });
  });

  it('cancel (not in the interface): closes an unpaid trade, refunds a paid one', async () => {
    const a = input('qr');
    await alipay.createAttempt(ctx, cfg, a);
    expect(await cancelTrade(ctx, cfg, a.attemptId)).toMatchObject({ action: 'close', retry: false });
    const b = input('qr');
    await alipay.createAttempt(ctx, cfg, b);
    await control(`/orders/${b.attemptId}/pay`, { notify: 'drop' });
    expect(await cancelTrade(ctx, cfg, b.attemptId)).toMatchObject({ action: 'refund' });
    // Fully refunded and closed, yet it was paid: query still reports the payment.
    expect((await alipay.query(ctx, cfg, b.attemptId)).state).toBe('paid');
  });
});

describe('page and h5: a POST form to the gateway, submitted in the top window', () => {
  it('page: common parameters and sign on the action URL with charset=utf-8, biz_content in the body', async () => {
    const i = input('page');
    const r = await alipay.createAttempt(ctx, cfg, i);
    if (r.nextAction.type !== 'form_post') throw new Error('not a form');
    const url = new URL(r.nextAction.url);
    expect(`${url.origin}${url.pathname}`).toBe(`${SANDBOX}/alipay/gateway.do`);
    const q = parseFormStrict(url.search.slice(1));
    expect(q).toMatchObject({
      app_id: ALIPAY_TEST.app_id,
      method: 'alipay.trade.page.pay',
      charset: 'utf-8',
      format: 'JSON',
      sign_type: 'RSA2',
      version: '1.0',
      notify_url: i.notifyUrl,
      return_url: i.returnUrl,
    });
    expect(q.sign).toBeTruthy();
    expect(Object.keys(r.nextAction.fields)).toEqual(['biz_content']);
    expect(JSON.parse(r.nextAction.fields.biz_content as string)).toMatchObject({
      out_trade_no: i.attemptId,
      total_amount: '88.88',
      product_code: 'FAST_INSTANT_TRADE_PAY',
    });
    // No network call yet: the trade exists once the shopper reaches the cashier.
    expect((await control(`/orders/${i.attemptId}`)).status).toBe(404);
    const html = await (await submit(r.nextAction)).text();
    expect(html).toContain('确认付款 Pay');
    expect((await alipay.query(ctx, cfg, i.attemptId)).state).toBe('pending');
  });

  it('h5: wap.pay with quit_url = return_url marked quit=1 (the shopper left without paying)', async () => {
    const i = input('h5');
    const r = await alipay.createAttempt(ctx, cfg, i);
    if (r.nextAction.type !== 'form_post') throw new Error('not a form');
    expect(new URL(r.nextAction.url).searchParams.get('method')).toBe('alipay.trade.wap.pay');
    expect(JSON.parse(r.nextAction.fields.biz_content as string)).toMatchObject({ product_code: 'QUICK_WAP_WAY', quit_url: `${i.returnUrl}?quit=1` });
    expect(await (await submit(r.nextAction)).text()).toContain('手机网站支付');
  });
});

describe('app: the signed order string', () => {
  it('is every signed parameter, URL-encoded, that the app hands to the Alipay SDK', async () => {
    const i = input('app');
    const r = await alipay.createAttempt(ctx, cfg, i);
    if (r.nextAction.type !== 'app_payload' || typeof r.nextAction.payload !== 'string') throw new Error('not an app payload');
    const p = parseFormStrict(r.nextAction.payload);
    expect(p).toMatchObject({ app_id: ALIPAY_TEST.app_id, method: 'alipay.trade.app.pay', notify_url: i.notifyUrl, sign_type: 'RSA2' });
    expect(JSON.parse(p.biz_content as string)).toMatchObject({ product_code: 'QUICK_MSECURITY_PAY', total_amount: '88.88' });
    const paid = await control<{ result: string; sdk_result: string }>('/app/pay', { order_string: r.nextAction.payload, notify: 'drop' });
    expect(paid.json.result).toBe('paid');
    expect(JSON.parse(paid.json.sdk_result).alipay_trade_app_pay_response).toMatchObject({ code: '10000', out_trade_no: i.attemptId, total_amount: '88.88' });
    expect((await alipay.query(ctx, cfg, i.attemptId)).state).toBe('paid');
    // A tampered order string is refused as the gateway would.
    const bad = await control<{ result: string; error: { sub_code: string } }>('/app/pay', { order_string: r.nextAction.payload.replace('88.88', '0.01') });
    expect(bad.json).toMatchObject({ result: 'refused', error: { sub_code: 'isv.invalid-signature' } });
  });

  it('refuses a flow it does not have', async () => {
    await expect(alipay.createAttempt(ctx, cfg, input('jsapi'))).rejects.toMatchObject({ code: 'flow_unsupported' });
  });
});

describe('refunds', () => {
  async function paid(): Promise<string> {
    const i = input('qr');
    await alipay.createAttempt(ctx, cfg, i);
    await control(`/orders/${i.attemptId}/pay`, { notify: 'drop' });
    return i.attemptId;
  }
  const refund = (attemptId: string, refundId: string, amount: number) =>
    alipay.refund(ctx, cfg, { attemptId, refundId, amount, total: 8888, currency: 'CNY', reason: '退货', notifyUrl: 'https://merchant.test/n' });

  it('partial refunds by out_request_no; a retry is idempotent; refund query confirms', async () => {
    const id = await paid();
    expect(await refund(id, 'R1', 888)).toMatchObject({ state: 'succeeded', providerData: { out_trade_no: id } });
    // The same out_request_no again: fund_change N, and the refund query says it succeeded.
    expect(await refund(id, 'R1', 888)).toMatchObject({ state: 'succeeded' });
    expect(await refund(id, 'R2', 8000)).toMatchObject({ state: 'succeeded' });
    expect(await alipay.refundQuery(ctx, cfg, 'R2', { out_trade_no: id })).toMatchObject({ state: 'succeeded' });
    expect(await alipay.refundQuery(ctx, cfg, 'R9', { out_trade_no: id })).toMatchObject({ state: 'pending' });
    expect((await ledgerOf(id)).trade).toMatchObject({ refunded: 8888, state: 'TRADE_CLOSED' });
    await expect(alipay.refundQuery(ctx, cfg, 'R2')).rejects.toMatchObject({ code: 'refund_data_missing' });
  });

  it('more than remains is Alipay’s refusal, not retryable', async () => {
    const id = await paid();
    const e = await refund(id, 'R1', 9999).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(AlipayApiError);
    expect(e).toMatchObject({ subCode: 'ACQ.REFUND_AMT_NOT_EQUAL_TOTAL', retryable: false });
  });
});

describe('certificate mode', () => {
  it('sends app_cert_sn and alipay_root_cert_sn, verifies with the certificate the answer names', async () => {
    const i = input('qr');
    const seen: string[] = [];
    const r = await alipay.createAttempt(
      providerCtx(async (req, send) => {
        seen.push(req.url);
        return send(req);
      }),
      certCfg,
      i,
    );
    expect(r.nextAction.type).toBe('display_qr');
    const q = new URL(seen[0] as string).searchParams;
    expect(q.get('app_cert_sn')).toMatch(/^[0-9a-f]{32}$/);
    expect(q.get('alipay_root_cert_sn')).toMatch(/^[0-9a-f]{32}$/);
    await control(`/orders/${i.attemptId}/pay`, { notify: 'drop' }, ALIPAY_TEST.cert_secret_key);
    const paid = await alipay.query(ctx, certCfg, i.attemptId);
    // No seller_id configured: none is claimed.
    expect(paid).toMatchObject({ state: 'paid', payment: { appId: ALIPAY_TEST.cert_app_id } });
    if (paid.state === 'paid') expect(paid.payment.providerMerchantId).toBeUndefined();
  });

  it('an answer naming a certificate that is not configured is not trusted', async () => {
    const wrongSn = providerCtx(async (req, send) => {
      const res = await send(req);
      return new Response((await res.text()).replace(/"alipay_cert_sn":"[0-9a-f]+"/, '"alipay_cert_sn":"00000000000000000000000000000000"'), res);
    });
    await expect(alipay.query(wrongSn, certCfg, tradeNo())).rejects.toMatchObject({
      code: 'response_unverified',
      retryable: true,
      message: expect.stringContaining('unknown_cert_sn'),
    });
  });
});

describe('answers that are not trusted', () => {
  const rewrite = (fn: (raw: string) => string) =>
    providerCtx(async (req, send) => {
      const res = await send(req);
      return new Response(fn(await res.text()), res);
    });

  it.each([
    ['one byte of the signed content changed', (raw: string) => raw.replace('"trade_status":"TRADE_SUCCESS"', '"trade_status":"TRADE_SUCCES5"')],
    ['the JSON re-serialised (slashes unescaped, spaces added)', (raw: string) => JSON.stringify(JSON.parse(raw), null, 1)],
    ['the sign dropped', (raw: string) => raw.replace(/,"sign":"[^"]+"/, '')],
    ['not JSON at all', () => '<html>502 Bad Gateway</html>'],
  ])('%s → response_unverified (retryable: the outcome is unknown)', async (_n, fn) => {
    const i = input('qr');
    await alipay.createAttempt(ctx, cfg, i);
    await control(`/orders/${i.attemptId}/pay`, { notify: 'drop' });
    const e = await alipay.query(rewrite(fn), cfg, i.attemptId).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ProviderError);
    expect(e).toMatchObject({ code: 'response_unverified', retryable: true });
  });

  it('an unsigned error claiming TRADE_NOT_EXIST is not believed', async () => {
    const unsigned = providerCtx(
      async () =>
        new Response('{"alipay_trade_query_response":{"code":"40004","msg":"Business Failed","sub_code":"ACQ.TRADE_NOT_EXIST","sub_msg":"交易不存在"}}'),
    );
    await expect(alipay.query(unsigned, cfg, tradeNo())).rejects.toMatchObject({
      code: 'response_unverified',
      message: expect.stringContaining('40004 ACQ.TRADE_NOT_EXIST'),
    });
  });

  it('an answer signed by another key (the app’s own) is not believed', async () => {
    const forged = providerCtx(
      async () =>
        new Response(
          await signResponse({ key: 'alipay_trade_query_response', body: { code: '10000', trade_status: 'TRADE_SUCCESS' }, privateKeyPem: cfg.private_key }),
        ),
    );
    await expect(alipay.query(forged, cfg, tradeNo())).rejects.toMatchObject({
      code: 'response_unverified',
      message: expect.stringContaining('bad_signature'),
    });
  });

  it('an answer signed over the unescaped text still verifies (the \\/ retry)', async () => {
    const unescaped = providerCtx(
      async () =>
        new Response(
          await signResponse({
            key: 'alipay_trade_query_response',
            body: { code: '10000', msg: 'Success', trade_status: 'WAIT_BUYER_PAY', out_trade_no: 'A1', note: 'https://x/y' },
            privateKeyPem: SANDBOX_ALIPAY_PRIVATE_KEY,
            signOver: 'unescaped',
          }),
        ),
    );
    expect((await alipay.query(unescaped, cfg, 'A1')).state).toBe('pending');
  });

  it('a gateway that is down or answers 5xx: retryable', async () => {
    const down = providerCtx(async () => {
      throw new Error('connect ETIMEDOUT');
    });
    await expect(alipay.query(down, cfg, 'x')).rejects.toMatchObject({ code: 'provider_unreachable', retryable: true });
    const bad = providerCtx(async () => new Response('oops', { status: 502 }));
    await expect(alipay.query(bad, cfg, 'x')).rejects.toMatchObject({ code: 'provider_unavailable', retryable: true });
  });

  it('a live merchant never reaches the sandbox: its app_id does not exist there', async () => {
    // A test context pointed at the sandbox, but the live app_id: refused as Alipay refuses an unknown app.
    const live = { ...cfg, app_id: '2021000000000009' };
    await expect(alipay.query(ctx, live, 'x')).rejects.toMatchObject({ subCode: 'isv.invalid-app-id' });
  });
});
