// The simulated gateway speaks Alipay's wire format (https://opendocs.alipay.com/common/02mse7,
// https://opendocs.alipay.com/common/02km9f): signed answers over the exact emitted text, Alipay's error codes, the
// trade state machine, test merchants only.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SANDBOX_ALIPAY_PRIVATE_KEY, CERT_SNS } from '../../../worker/src/providers/alipay/fixtures/test-keys';
import { requestSignContent } from '../../../worker/src/providers/alipay/sign';
import { ALIPAY_TEST } from '../../../worker/test/fixtures/config';
import {
  control,
  gatewayCall,
  ledgerOf,
  precreateBiz,
  recordNotifies,
  sandboxFetch,
  sendToGateway,
  signedCall,
  tradeNo,
  verifiedAnswer,
  GATEWAY,
} from './testing';

// Refunds notify merchant.test: answer them here instead of the network.
let rec: ReturnType<typeof recordNotifies>;
beforeEach(() => (rec = recordNotifies()));
afterEach(() => rec.restore());

const call = async (method: string, biz: Record<string, unknown>, o: Parameters<typeof gatewayCall>[2] = {}) =>
  (await verifiedAnswer(await gatewayCall(method, biz, o), method, o.which)).data;

async function precreated(over: Record<string, unknown> = {}, which: 'demo' | 'certshop' = 'demo'): Promise<{ no: string; qr: string }> {
  const no = tradeNo();
  const r = await call('alipay.trade.precreate', precreateBiz(no, over), { which, extra: { notify_url: 'https://merchant.test/alipay/notify' } });
  expect(r).toMatchObject({ code: '10000', msg: 'Success', out_trade_no: no });
  return { no, qr: r.qr_code as string };
}

const scan = (qr: string) => sandboxFetch(`${GATEWAY.replace('gateway.do', 'cashier')}?qr_code=${encodeURIComponent(qr)}`);

describe('alipay.trade.precreate', () => {
  it('answers a qr_code, signed over the raw text with \\/ escapes; an identical retry gets the same one', async () => {
    const no = tradeNo();
    const res = await gatewayCall('alipay.trade.precreate', precreateBiz(no), { extra: { notify_url: 'https://merchant.test/n' } });
    expect(res.headers.get('content-type')).toContain('application/json');
    const { data, raw } = await verifiedAnswer(res, 'alipay.trade.precreate');
    expect(raw).toMatch(/"qr_code":"https:\\\/\\\/qr\.alipay\.com\\\/bax0[0-9a-z]{22}"/);
    expect(data.qr_code).toMatch(/^https:\/\/qr\.alipay\.com\/bax0[0-9a-z]{22}$/);
    const again = await call('alipay.trade.precreate', precreateBiz(no), { extra: { notify_url: 'https://merchant.test/n' } });
    expect(again.qr_code).toBe(data.qr_code);
  });

  it('works as a GET with every parameter in the query', async () => {
    const no = tradeNo();
    expect(await call('alipay.trade.precreate', precreateBiz(no), { via: 'get' })).toMatchObject({ code: '10000', out_trade_no: no });
  });

  it('refuses the same out_trade_no with other terms, and once paid or closed', async () => {
    const { no } = await precreated();
    expect(
      await call('alipay.trade.precreate', precreateBiz(no, { total_amount: '1.00' }), { extra: { notify_url: 'https://merchant.test/alipay/notify' } }),
    ).toMatchObject({ code: '40004', msg: 'Business Failed', sub_code: 'ACQ.CONTEXT_INCONSISTENT' });
    await control(`/orders/${no}/pay`, { notify: 'drop' });
    expect(await call('alipay.trade.precreate', precreateBiz(no), { extra: { notify_url: 'https://merchant.test/alipay/notify' } })).toMatchObject({
      sub_code: 'ACQ.TRADE_HAS_SUCCESS',
    });
  });

  it.each([
    [{ total_amount: '0.001' }, 'ACQ.INVALID_PARAMETER'],
    [{ total_amount: '-1.00' }, 'ACQ.INVALID_PARAMETER'],
    [{ total_amount: '100000000.01' }, 'ACQ.INVALID_PARAMETER'],
    [{ subject: '' }, 'ACQ.INVALID_PARAMETER'],
    [{ out_trade_no: 'bad-no!' }, 'ACQ.INVALID_PARAMETER'],
    [{ product_code: 'QUICK_WAP_WAY' }, 'ACQ.PRODUCT_CODE_ERROR'],
    [{ time_expire: '2024-01-01T00:00:00+08:00' }, 'ACQ.INVALID_PARAMETER'],
    [{ seller_id: '2088999999999999' }, 'ACQ.SELLER_NOT_MATCH'],
    [{ passback_params: 'order 1&x=2' }, 'ACQ.INVALID_PARAMETER'],
    [{ passback_params: '订单' }, 'ACQ.INVALID_PARAMETER'],
    [{ passback_params: 'a'.repeat(513) }, 'ACQ.INVALID_PARAMETER'],
  ])('refuses biz_content %j with %s', async (over, sub) => {
    expect(await call('alipay.trade.precreate', precreateBiz(tradeNo(), over))).toMatchObject({ code: '40004', sub_code: sub });
  });
});

describe('the gateway’s checks', () => {
  it('a bad signature: isv.invalid-signature with the gateway’s string-to-sign, & as &amp;, itself signed', async () => {
    const params = await signedCall('alipay.trade.precreate', precreateBiz(tradeNo()), {
      tamper: (p) => (p.biz_content = p.biz_content!.replace('88.88', '0.01')),
    });
    const { data } = await verifiedAnswer(await sendToGateway(params), 'alipay.trade.precreate');
    expect(data).toMatchObject({ code: '40002', msg: 'Invalid Arguments', sub_code: 'isv.invalid-signature' });
    const { sign: _s, ...unsigned } = params;
    expect(data.sub_msg).toBe(
      `验签出错，建议检查签名字符串或签名私钥与应用公钥是否匹配，网关生成的验签字符串为：${requestSignContent(unsigned).replaceAll('&', '&amp;')}`,
    );
  });

  it('signed with another key (the sandbox’s own, not the app’s)', async () => {
    expect(await call('alipay.trade.query', { out_trade_no: 'x' }, { privateKey: SANDBOX_ALIPAY_PRIVATE_KEY })).toMatchObject({
      sub_code: 'isv.invalid-signature',
    });
  });

  it.each([
    ['an unknown app_id', { app_id: '2021999999999999' }, 'isv.invalid-app-id'],
    ['a live merchant’s app_id', { app_id: '2021000000000009' }, 'isv.invalid-app-id'],
    ['sign_type RSA', { sign_type: 'RSA' }, 'isv.invalid-signature-type'],
    ['a timestamp that is not Beijing yyyy-MM-dd HH:mm:ss', { timestamp: '2024-01-01T12:00:00Z' }, 'isv.invalid-timestamp'],
    ['charset GBK', { charset: 'GBK' }, 'isv.invalid-charset'],
  ])('%s', async (_n, extra, sub) => {
    expect(await call('alipay.trade.query', { out_trade_no: 'x' }, { extra })).toMatchObject({ code: '40002', sub_code: sub });
  });

  it.each([
    ['sign', 'isv.missing-signature'],
    ['sign_type', 'isv.missing-signature-type'],
    ['timestamp', 'isv.missing-timestamp'],
    ['method', 'isv.missing-method'],
  ])('a missing %s → 40001 %s', async (k, sub) => {
    const params = await signedCall('alipay.trade.query', { out_trade_no: 'x' }, { tamper: (p) => delete p[k] });
    const { data, key } = await verifiedAnswer(await sendToGateway(params), 'alipay.trade.query');
    expect(data).toMatchObject({ code: '40001', msg: 'Missing Required Arguments', sub_code: sub });
    expect(key).toBe(k === 'method' ? 'error_response' : 'alipay_trade_query_response');
  });

  it('a parameter given twice (query and body) is refused', async () => {
    const params = await signedCall('alipay.trade.query', { out_trade_no: 'x' });
    const res = await sandboxFetch(`${GATEWAY}?${new URLSearchParams(params).toString()}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: `biz_content=${encodeURIComponent(params.biz_content!)}`,
    });
    expect((await verifiedAnswer(res, 'alipay.trade.query')).data).toMatchObject({ code: '40002', sub_code: 'isv.invalid-parameter' });
  });

  it('an unknown method, and app.pay (which only the Alipay app submits)', async () => {
    expect(await call('alipay.trade.nonsense', {})).toMatchObject({ code: '40002', sub_code: 'isv.invalid-method' });
    expect(await call('alipay.trade.app.pay', precreateBiz(tradeNo(), { product_code: 'QUICK_MSECURITY_PAY' }))).toMatchObject({
      sub_code: 'isv.invalid-method',
    });
  });
});

describe('the trade state machine', () => {
  it('does not exist until scanned; then WAIT_BUYER_PAY; close → TRADE_CLOSED; close again → TRADE_STATUS_ERROR', async () => {
    const { no, qr } = await precreated();
    expect(await call('alipay.trade.query', { out_trade_no: no })).toMatchObject({ code: '40004', sub_code: 'ACQ.TRADE_NOT_EXIST', sub_msg: '交易不存在' });
    expect((await scan(qr)).status).toBe(200);
    const q = await call('alipay.trade.query', { out_trade_no: no });
    expect(q).toMatchObject({ code: '10000', out_trade_no: no, trade_status: 'WAIT_BUYER_PAY', total_amount: '88.88' });
    expect(q.trade_no).toMatch(/^\d{8}22001\d{15}$/);
    expect(q.send_pay_date).toBeUndefined();
    expect(await call('alipay.trade.close', { out_trade_no: no })).toMatchObject({ code: '10000', out_trade_no: no, trade_no: q.trade_no });
    expect(await call('alipay.trade.query', { out_trade_no: no })).toMatchObject({ trade_status: 'TRADE_CLOSED' });
    expect(await call('alipay.trade.close', { out_trade_no: no })).toMatchObject({ code: '40004', sub_code: 'ACQ.TRADE_STATUS_ERROR' });
  });

  it('closing before the scan is ACQ.TRADE_NOT_EXIST, and the QR stays payable until time_expire', async () => {
    const { no, qr } = await precreated();
    expect(await call('alipay.trade.close', { out_trade_no: no })).toMatchObject({ sub_code: 'ACQ.TRADE_NOT_EXIST' });
    const page = await (await scan(qr)).text();
    expect(page).toContain('确认付款 Pay');
  });

  it('an expired unscanned QR cannot be paid; an expired scanned trade reads TRADE_CLOSED', async () => {
    const a = await precreated();
    await control(`/orders/${a.no}/expire`, {});
    expect(await (await scan(a.qr)).text()).toContain('二维码已过期');
    expect((await control(`/orders/${a.no}/pay`, {})).json).toMatchObject({ result: 'expired' });
    const b = await precreated();
    await scan(b.qr);
    expect((await control(`/orders/${b.no}/expire`, {})).json).toEqual({ trade_status: 'TRADE_CLOSED' });
    expect(await call('alipay.trade.query', { out_trade_no: b.no })).toMatchObject({ trade_status: 'TRADE_CLOSED' });
  });

  it('paid: TRADE_SUCCESS with the payment facts; closing it is refused', async () => {
    const { no } = await precreated();
    await control(`/orders/${no}/pay`, { notify: 'drop' });
    const q = await call('alipay.trade.query', { out_trade_no: no });
    expect(q).toMatchObject({ trade_status: 'TRADE_SUCCESS', total_amount: '88.88', buyer_pay_amount: '88.88', receipt_amount: '88.88' });
    expect(q.send_pay_date).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    expect(q.buyer_user_id).toMatch(/^2088\d{12}$/);
    expect(q.fund_bill_list).toEqual([{ amount: '88.88', fund_channel: 'ALIPAYACCOUNT' }]);
    expect(await call('alipay.trade.close', { out_trade_no: no })).toMatchObject({ sub_code: 'ACQ.TRADE_STATUS_ERROR' });
  });

  it('refunds: partial with out_request_no, idempotent, capped; the full refund closes the trade', async () => {
    const { no } = await precreated();
    await control(`/orders/${no}/pay`, { notify: 'drop' });
    const r1 = await call('alipay.trade.refund', { out_trade_no: no, refund_amount: '8.88', out_request_no: 'R1' });
    expect(r1).toMatchObject({ code: '10000', fund_change: 'Y', refund_fee: '8.88', out_trade_no: no });
    expect(await call('alipay.trade.refund', { out_trade_no: no, refund_amount: '8.88', out_request_no: 'R1' })).toMatchObject({
      fund_change: 'N',
      refund_fee: '8.88',
    });
    expect(await call('alipay.trade.refund', { out_trade_no: no, refund_amount: '1.00', out_request_no: 'R1' })).toMatchObject({
      sub_code: 'ACQ.INVALID_PARAMETER',
    });
    expect(await call('alipay.trade.refund', { out_trade_no: no, refund_amount: '80.01', out_request_no: 'R2' })).toMatchObject({
      sub_code: 'ACQ.REFUND_AMT_NOT_EQUAL_TOTAL',
    });
    expect(await call('alipay.trade.fastpay.refund.query', { out_trade_no: no, out_request_no: 'R1' })).toMatchObject({
      code: '10000',
      out_request_no: 'R1',
      refund_amount: '8.88',
      total_amount: '88.88',
      refund_status: 'REFUND_SUCCESS',
    });
    const unknown = await call('alipay.trade.fastpay.refund.query', { out_trade_no: no, out_request_no: 'R9' });
    expect(unknown).toMatchObject({ code: '10000', out_request_no: 'R9' });
    expect(unknown.refund_status).toBeUndefined();
    expect(await call('alipay.trade.refund', { out_trade_no: no, refund_amount: '80.00', out_request_no: 'R2' })).toMatchObject({
      fund_change: 'Y',
      refund_fee: '88.88',
    });
    const q = await call('alipay.trade.query', { out_trade_no: no });
    // Fully refunded reads TRADE_CLOSED but keeps its payment date: it was paid.
    expect(q).toMatchObject({ trade_status: 'TRADE_CLOSED' });
    expect(q.send_pay_date).toBeDefined();
    expect(await call('alipay.trade.refund', { out_trade_no: tradeNo(), refund_amount: '1.00' })).toMatchObject({ sub_code: 'ACQ.TRADE_NOT_EXIST' });
  });

  it('refunding an unpaid trade is refused', async () => {
    const { no, qr } = await precreated();
    await scan(qr);
    expect(await call('alipay.trade.refund', { out_trade_no: no, refund_amount: '1.00', out_request_no: 'R1' })).toMatchObject({
      sub_code: 'ACQ.TRADE_STATUS_ERROR',
    });
  });

  it('cancel closes an unpaid trade (even unscanned) and refunds a paid one', async () => {
    const a = await precreated();
    expect(await call('alipay.trade.cancel', { out_trade_no: a.no })).toMatchObject({ code: '10000', action: 'close', retry_flag: 'N' });
    expect(await call('alipay.trade.query', { out_trade_no: a.no })).toMatchObject({ trade_status: 'TRADE_CLOSED' });
    const b = await precreated();
    await control(`/orders/${b.no}/pay`, { notify: 'drop' });
    expect(await call('alipay.trade.cancel', { out_trade_no: b.no })).toMatchObject({ action: 'refund' });
    expect((await ledgerOf(b.no)).trade).toMatchObject({ state: 'TRADE_CLOSED', refunded: 8888 });
  });
});

describe('certificate mode', () => {
  it('answers carry alipay_cert_sn; the request must name the app and root certificates by SN', async () => {
    const no = tradeNo();
    const res = await gatewayCall('alipay.trade.precreate', precreateBiz(no), { which: 'certshop' });
    const { raw, data } = await verifiedAnswer(res, 'alipay.trade.precreate', 'certshop');
    expect(data).toMatchObject({ code: '10000' });
    expect(raw).toMatch(/\},"alipay_cert_sn":"[0-9a-f]{32}","sign":"/);
    expect(await call('alipay.trade.query', { out_trade_no: no }, { which: 'certshop', extra: { app_cert_sn: 'f'.repeat(32) } })).toMatchObject({
      code: '40002',
      sub_code: 'isv.app-cert-not-exist',
    });
    expect(await call('alipay.trade.query', { out_trade_no: no }, { which: 'certshop', extra: { alipay_root_cert_sn: CERT_SNS.app_cert_sn } })).toMatchObject({
      code: '40002',
      sub_code: 'isv.invalid-alipay-root-cert-sn',
    });
    expect(ALIPAY_TEST.cert_app_id).toBe((await ledgerOf(no, ALIPAY_TEST.cert_secret_key)).trade.app_id);
  });
});

describe('page.pay / wap.pay', () => {
  it('the signed form posted to the gateway renders the cashier; a bad one an error page', async () => {
    const no = tradeNo();
    const biz = { out_trade_no: no, total_amount: '1.00', subject: '页面', product_code: 'FAST_INSTANT_TRADE_PAY' };
    const ok = await gatewayCall('alipay.trade.page.pay', biz, { extra: { return_url: 'https://merchant.test/back', notify_url: 'https://merchant.test/n' } });
    expect(ok.headers.get('content-type')).toContain('text/html');
    const html = await ok.text();
    expect(html).toContain('确认付款 Pay');
    expect(html).toContain('电脑网站支付');
    // Reaching the cashier brings the trade into existence.
    expect((await ledgerOf(no)).trade.state).toBe('WAIT_BUYER_PAY');
    const bad = await gatewayCall('alipay.trade.page.pay', biz, { tamper: (p) => (p.biz_content = p.biz_content!.replace('1.00', '0.01')) });
    expect(await bad.text()).toContain('invalid-signature');
    const wrongProduct = await gatewayCall('alipay.trade.wap.pay', biz);
    expect(await wrongProduct.text()).toContain('ACQ.PRODUCT_CODE_ERROR');
  });
});
