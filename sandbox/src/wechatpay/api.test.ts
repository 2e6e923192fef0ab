// The simulated WeChat Pay APIv3, called as the adapter calls it, answers in the provider's wire
// format and signs every answer (https://pay.weixin.qq.com/doc/v3/merchant/4012365342,
// https://pay.weixin.qq.com/doc/v3/merchant/4012791877). Runs inside workerd.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST } from '../../../worker/test/fixtures/config';
import { control, prepay, recordNotifies, tradeNo, verifiedBody, verifiedJson, wechatCall } from '../testing';

let restore: () => void;
beforeAll(() => {
  // Notifies of paid orders go to merchant.test: answer them so nothing is retried in the background.
  restore = recordNotifies().restore;
});
afterAll(() => restore());

async function newOrder(over: Record<string, unknown> = {}): Promise<{ no: string; codeUrl: string }> {
  const no = tradeNo();
  const res = await wechatCall('POST', '/v3/pay/transactions/native', prepay(no, over));
  expect(res.status).toBe(200);
  return { no, codeUrl: (await verifiedJson<{ code_url: string }>(res)).code_url };
}

const query = (no: string, mchid: string = TEST.mchid) => wechatCall('GET', `/v3/pay/transactions/out-trade-no/${no}?mchid=${mchid}`);

describe('Native prepay', () => {
  it('answers a signed request with a signed code_url', async () => {
    const no = tradeNo();
    const res = await wechatCall('POST', '/v3/pay/transactions/native', prepay(no));
    expect(res.status).toBe(200);
    expect(res.headers.get('Wechatpay-Serial')).toBe(TEST.wechatpay_public_key_id);
    expect(res.headers.get('Request-ID')).toBeTruthy();
    const body = await verifiedJson(res);
    expect(Object.keys(body)).toEqual(['code_url']);
    expect(body.code_url).toMatch(/^weixin:\/\/wxpay\/bizpayurl\?pr=[0-9A-Za-z]{10}$/);
  });

  it('gives the same code_url to an identical retry and OUT_TRADE_NO_USED to a different order', async () => {
    const { no, codeUrl } = await newOrder();
    const again = await wechatCall('POST', '/v3/pay/transactions/native', prepay(no));
    expect((await verifiedJson(again)).code_url).toBe(codeUrl);
    const other = await wechatCall('POST', '/v3/pay/transactions/native', prepay(no, { amount: { total: 1 } }));
    expect(other.status).toBe(400);
    expect(await verifiedJson(other)).toMatchObject({ code: 'OUT_TRADE_NO_USED' });
  });

  it.each([
    ['description missing', { description: undefined }, 'description'],
    ['out_trade_no too short', { out_trade_no: 'ab12' }, 'out_trade_no'],
    ['out_trade_no too long', { out_trade_no: 'x'.repeat(33) }, 'out_trade_no'],
    ['amount in yuan', { amount: { total: 88.88 } }, 'amount.total'],
    ['amount zero', { amount: { total: 0 } }, 'amount.total'],
    ['amount missing', { amount: undefined }, 'amount'],
    ['notify_url not http(s)', { notify_url: 'ftp://merchant.test/n' }, 'notify_url'],
    ['notify_url with a query', { notify_url: 'https://merchant.test/n?a=1' }, 'notify_url'],
    ['time_expire not RFC 3339', { time_expire: '2026-01-01 12:00:00' }, 'time_expire'],
    ['currency not CNY', { amount: { total: 1, currency: 'USD' } }, 'amount.currency'],
  ])('400 PARAM_ERROR: %s', async (_, over, field) => {
    const body = prepay(tradeNo(), over);
    const res = await wechatCall('POST', '/v3/pay/transactions/native', body);
    expect(res.status).toBe(400);
    expect(await verifiedJson(res)).toMatchObject({ code: 'PARAM_ERROR', detail: { field } });
  });

  it('400 PARAM_ERROR for a body that is not JSON, APPID_MCHID_NOT_MATCH for a foreign appid', async () => {
    const bad = await wechatCall('POST', '/v3/pay/transactions/native', '{"appid":');
    expect(bad.status).toBe(400);
    expect(await verifiedJson(bad)).toMatchObject({ code: 'PARAM_ERROR' });
    const appid = await wechatCall('POST', '/v3/pay/transactions/native', prepay(tradeNo(), { appid: 'wx0000000000000000' }));
    expect(appid.status).toBe(400);
    expect(await verifiedJson(appid)).toMatchObject({ code: 'APPID_MCHID_NOT_MATCH' });
  });
});

describe('authentication', () => {
  const path = '/v3/pay/transactions/native';

  it('401 SIGN_ERROR (signed) when the body differs from what was signed', async () => {
    const body = JSON.stringify(prepay(tradeNo()));
    const res = await wechatCall('POST', path, body, { signedBody: body.replace('8888', '1') });
    expect(res.status).toBe(401);
    expect(await verifiedJson(res)).toEqual({ code: 'SIGN_ERROR', message: '签名错误' });
  });

  it('401 SIGN_ERROR for another key, a wrong serial_no, a stale timestamp or no Authorization', async () => {
    const { SANDBOX_WECHAT_PRIVATE_KEY } = await import('../../../worker/test/fixtures/config');
    const cases = [
      await wechatCall('POST', path, prepay(tradeNo()), { privateKey: SANDBOX_WECHAT_PRIVATE_KEY }),
      await wechatCall('POST', path, prepay(tradeNo()), { serial: '0123456789ABCDEF' }),
      await wechatCall('POST', path, prepay(tradeNo()), { timestamp: Math.floor(Date.now() / 1000) - 301 }),
    ];
    for (const res of cases) {
      expect(res.status).toBe(401);
      expect(await verifiedJson(res)).toMatchObject({ code: 'SIGN_ERROR' });
    }
    const { sandboxFetch, WECHAT } = await import('../testing');
    const none = await sandboxFetch(`${WECHAT}${path}`, { method: 'POST', headers: { 'User-Agent': 'x' }, body: '{}' });
    expect(none.status).toBe(401);
    expect(await verifiedJson(none)).toMatchObject({ code: 'SIGN_ERROR' });
  });

  it('accepts a timestamp within the ±5 minute window', async () => {
    const res = await wechatCall('POST', path, prepay(tradeNo()), { timestamp: Math.floor(Date.now() / 1000) - 240 });
    expect(res.status).toBe(200);
  });

  it('404 for a live merchant, even with valid credentials, and for an unknown mchid', async () => {
    const live = await wechatCall('POST', path, prepay(tradeNo(), { mchid: TEST.live_mchid }), { mchid: TEST.live_mchid });
    expect(live.status).toBe(404);
    expect(await verifiedJson(live)).toMatchObject({ code: 'MCH_NOT_EXISTS' });
    const unknown = await wechatCall('GET', `/v3/pay/transactions/out-trade-no/x123456?mchid=1999999999`, undefined, { mchid: '1999999999' });
    expect(unknown.status).toBe(404);
  });

  it('400 without a User-Agent, as the real API', async () => {
    const res = await wechatCall('POST', path, prepay(tradeNo()), { userAgent: null });
    expect(res.status).toBe(400);
    expect(await verifiedJson(res)).toMatchObject({ code: 'PARAM_ERROR' });
  });
});

describe('query and close', () => {
  it('404 ORDER_NOT_EXIST for an unknown order', async () => {
    const res = await query(`NOPE${tradeNo()}`);
    expect(res.status).toBe(404);
    expect(await verifiedJson(res)).toEqual({ code: 'ORDER_NOT_EXIST', message: '订单不存在' });
  });

  it('an unpaid order is NOTPAY with no payer; the query must name the signing merchant', async () => {
    const { no } = await newOrder({ attach: 'cart=42' });
    const t = await verifiedJson(await query(no));
    expect(t).toMatchObject({
      appid: TEST.appid,
      mchid: TEST.mchid,
      out_trade_no: no,
      trade_type: 'NATIVE',
      trade_state: 'NOTPAY',
      trade_state_desc: '订单未支付',
      attach: 'cart=42',
    });
    expect(t).not.toHaveProperty('transaction_id');
    expect(t).not.toHaveProperty('payer');
    expect(t.amount).toEqual({ total: 8888, currency: 'CNY', payer_currency: 'CNY' });
    const missing = await wechatCall('GET', `/v3/pay/transactions/out-trade-no/${no}`);
    expect(missing.status).toBe(400);
    const other = await query(no, TEST.live_mchid);
    expect(other.status).toBe(400);
  });

  it('close → 204 with an empty, signed body; then CLOSED; closing again is still 204', async () => {
    const { no } = await newOrder();
    const res = await wechatCall('POST', `/v3/pay/transactions/out-trade-no/${no}/close`, { mchid: TEST.mchid });
    expect(res.status).toBe(204);
    // The signature covers `ts\nnonce\n\n` (https://pay.weixin.qq.com/doc/v3/merchant/4012791881,
    // https://pay.weixin.qq.com/doc/v3/merchant/4013053420).
    expect(await verifiedBody(res)).toBe('');
    expect(await verifiedJson(await query(no))).toMatchObject({ trade_state: 'CLOSED', trade_state_desc: '订单已关闭' });
    expect((await wechatCall('POST', `/v3/pay/transactions/out-trade-no/${no}/close`, { mchid: TEST.mchid })).status).toBe(204);
    const reorder = await wechatCall('POST', '/v3/pay/transactions/native', prepay(no));
    expect(await verifiedJson(reorder)).toMatchObject({ code: 'ORDER_CLOSED' });
    const unknown = await wechatCall('POST', `/v3/pay/transactions/out-trade-no/${tradeNo()}/close`, { mchid: TEST.mchid });
    expect(unknown.status).toBe(404);
  });

  it('a paid order answers SUCCESS with the payment, and close → 400 ORDERPAID', async () => {
    const { no } = await newOrder();
    expect((await control(`/orders/${no}/pay`, { notify: 'drop' })).status).toBe(200);
    const t = await verifiedJson<Record<string, unknown> & { transaction_id: string }>(await query(no));
    expect(t).toMatchObject({
      trade_state: 'SUCCESS',
      trade_state_desc: '支付成功',
      amount: { total: 8888, payer_total: 8888, currency: 'CNY', payer_currency: 'CNY' },
    });
    expect(t.transaction_id).toMatch(/^4200\d{24}$/);
    expect(t.success_time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$/);
    expect((t.payer as { openid: string }).openid).toMatch(/^o[0-9A-Za-z]{27}$/);
    const byId = await wechatCall('GET', `/v3/pay/transactions/id/${t.transaction_id}?mchid=${TEST.mchid}`);
    expect(await verifiedJson(byId)).toEqual(t);
    const close = await wechatCall('POST', `/v3/pay/transactions/out-trade-no/${no}/close`, { mchid: TEST.mchid });
    expect(close.status).toBe(400);
    expect(await verifiedJson(close)).toEqual({ code: 'ORDERPAID', message: '订单已支付' });
    const reorder = await wechatCall('POST', '/v3/pay/transactions/native', prepay(no));
    expect(reorder.status).toBe(400);
    expect(await verifiedJson(reorder)).toMatchObject({ code: 'ORDERPAID' });
  });

  it('an order past time_expire cannot be paid: it is CLOSED', async () => {
    const { no } = await newOrder({ time_expire: new Date(Date.now() + 60_000).toISOString().replace(/\.\d+Z$/, '+00:00') });
    expect((await control(`/orders/${no}/expire`, {})).json).toEqual({ trade_state: 'CLOSED' });
    const pay = await control(`/orders/${no}/pay`, {});
    expect(pay.json).toMatchObject({ result: 'closed' });
    expect(await verifiedJson(await query(no))).toMatchObject({ trade_state: 'CLOSED' });
  });

  it('answers a signed 404 RESOURCE_NOT_EXISTS for APIs it does not simulate', async () => {
    const res = await wechatCall('GET', '/v3/bill/fundflowbill?bill_date=2024-01-01');
    expect(res.status).toBe(404);
    expect(await verifiedJson(res)).toMatchObject({ code: 'RESOURCE_NOT_EXISTS' });
  });
});

describe('refunds', () => {
  it('refunds a paid order: PROCESSING, then SUCCESS; the order is REFUND; never more than was paid', async () => {
    const { no } = await newOrder();
    await control(`/orders/${no}/pay`, { notify: 'drop' });
    const refund = { out_trade_no: no, out_refund_no: `R${no}`, reason: '测试退款', amount: { refund: 888, total: 8888, currency: 'CNY' } };
    const res = await wechatCall('POST', '/v3/refund/domestic/refunds', refund);
    expect(res.status).toBe(200);
    const r = await verifiedJson(res);
    expect(r).toMatchObject({ out_refund_no: `R${no}`, out_trade_no: no, status: 'PROCESSING', amount: { refund: 888, total: 8888, currency: 'CNY' } });
    expect(r.refund_id).toMatch(/^50\d{27}$/);
    // A retry with the same out_refund_no is the same refund.
    expect((await verifiedJson(await wechatCall('POST', '/v3/refund/domestic/refunds', refund))).refund_id).toBe(r.refund_id);
    expect(await verifiedJson(await query(no))).toMatchObject({ trade_state: 'REFUND', trade_state_desc: '转入退款' });

    const over = await wechatCall('POST', '/v3/refund/domestic/refunds', {
      ...refund,
      out_refund_no: `S${no}`,
      amount: { refund: 8001, total: 8888, currency: 'CNY' },
    });
    expect(over.status).toBe(400);
    expect(await verifiedJson(over)).toMatchObject({ code: 'INVALID_REQUEST' });
    const rest = await wechatCall('POST', '/v3/refund/domestic/refunds', {
      ...refund,
      out_refund_no: `S${no}`,
      amount: { refund: 8000, total: 8888, currency: 'CNY' },
    });
    expect(rest.status).toBe(200);

    await control('/flush', {});
    const q = await wechatCall('GET', `/v3/refund/domestic/refunds/R${no}`);
    const settled = await verifiedJson(q);
    expect(settled).toMatchObject({ status: 'SUCCESS', refund_id: r.refund_id });
    expect(settled.success_time).toMatch(/\+08:00$/);
  });

  it('refuses an unpaid order, a wrong total and an unknown order', async () => {
    const { no } = await newOrder();
    const base = { out_trade_no: no, out_refund_no: `R${no}`, amount: { refund: 1, total: 8888, currency: 'CNY' } };
    const unpaid = await wechatCall('POST', '/v3/refund/domestic/refunds', base);
    expect(unpaid.status).toBe(400);
    await control(`/orders/${no}/pay`, { notify: 'drop' });
    const total = await wechatCall('POST', '/v3/refund/domestic/refunds', { ...base, amount: { refund: 1, total: 9999, currency: 'CNY' } });
    expect(await verifiedJson(total)).toMatchObject({ code: 'INVALID_REQUEST' });
    const unknown = await wechatCall('POST', '/v3/refund/domestic/refunds', { ...base, out_trade_no: tradeNo() });
    expect(unknown.status).toBe(404);
    const q = await wechatCall('GET', `/v3/refund/domestic/refunds/NOPE${no}`);
    expect(q.status).toBe(404);
    expect(await verifiedJson(q)).toMatchObject({ code: 'RESOURCE_NOT_EXISTS' });
  });
});
