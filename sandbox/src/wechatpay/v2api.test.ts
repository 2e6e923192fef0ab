// The simulated APIv2 on the wire: XML in, XML out, WeChat's order of checks and its error shapes
// (https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=9_1), and v2 notifies acknowledged only by the SUCCESS XML
// (https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=9_7).

import { afterEach, describe, expect, it, vi } from 'vitest';
import { WECHAT_TEST } from '../../../worker/test/fixtures/config';
import { sign, signed, verify, type SignType } from '../../../worker/src/providers/wechat-v2/sign';
import { buildXml, parseFlatXml } from '../../../worker/src/providers/wechat-v2/xml';
import { WECHAT, control, sandboxFetch, tradeNo, waitFor } from '../testing';

const V2 = { mch_id: WECHAT_TEST.v2_mch_id, appid: WECHAT_TEST.v2_appid };
const KEY = WECHAT_TEST.apiv2_key;

async function v2(path: string, fields: Record<string, string>, o: { type?: SignType; key?: string; raw?: string } = {}): Promise<Record<string, string>> {
  const body = o.raw ?? buildXml(await signed({ ...V2, nonce_str: 'n0nce', ...fields }, o.key ?? KEY, o.type ?? 'MD5'));
  const res = await sandboxFetch(`${WECHAT}${path}`, { method: 'POST', headers: { 'content-type': 'text/xml' }, body });
  expect(res.headers.get('content-type')).toContain('text/xml');
  return parseFlatXml(await res.text());
}

const order = (no: string, over: Record<string, string> = {}) => ({
  body: '可乐 Cola',
  out_trade_no: no,
  total_fee: '350',
  spbill_create_ip: '203.0.113.1',
  notify_url: 'https://merchant.test/v2/notify',
  trade_type: 'NATIVE',
  product_id: 'cola',
  ...over,
});

const v2Control = (path: string, body?: unknown) => control(path, body, WECHAT_TEST.v2_secret_key);

describe('communication-level failures: return_code FAIL, unsigned', () => {
  it.each([
    ['签名错误 for a wrong sign', () => v2('/pay/orderquery', { out_trade_no: 'x' }, { key: 'ffffffffffffffffffffffffffffffff' }), '签名错误'],
    ['an unknown mch_id', () => v2('/pay/orderquery', { out_trade_no: 'x', mch_id: '99999999' }), '商户号不存在'],
    ["a live merchant's mch_id", () => v2('/pay/orderquery', { out_trade_no: 'x', mch_id: '1230000109' }), '商户号不存在'],
    [
      'a DOCTYPE',
      () => v2('/pay/orderquery', {}, { raw: '<!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]><xml><mch_id>&x;</mch_id></xml>' }),
      'XML格式错误',
    ],
    ['not XML', () => v2('/pay/orderquery', {}, { raw: 'mch_id=10000100' }), 'XML格式错误'],
    ['an unknown sign_type', () => v2('/pay/orderquery', { out_trade_no: 'x', sign_type: 'SHA1' }), 'sign_type'],
    ['an API the sandbox does not have', () => v2('/pay/facepay', {}), '沙箱未实现'],
  ])('%s', async (_n, call, msg) => {
    const a = await call();
    expect(a.return_code).toBe('FAIL');
    expect(a.return_msg).toContain(msg);
    expect(a.sign).toBeUndefined();
  });
});

describe("business failures: result_code FAIL + err_code, signed with the request's algorithm", () => {
  it.each([
    ['LACK_PARAMS: body', order('X1', { body: '' }), 'LACK_PARAMS'],
    ['LACK_PARAMS: NATIVE without product_id', order('X2', { product_id: '' }), 'LACK_PARAMS'],
    ['LACK_PARAMS: JSAPI without openid', order('X3', { trade_type: 'JSAPI' }), 'LACK_PARAMS'],
    ['PARAM_ERROR: total_fee in yuan', order('X4', { total_fee: '3.50' }), 'PARAM_ERROR'],
    ['PARAM_ERROR: notify_url with a query', order('X5', { notify_url: 'https://m.test/n?a=1' }), 'PARAM_ERROR'],
    ['PARAM_ERROR: time_expire not yyyyMMddHHmmss', order('X6', { time_expire: '2024-01-01' }), 'PARAM_ERROR'],
    ['APPID_MCHID_NOT_MATCH', { ...order('X7'), appid: 'wx0000000000000000' }, 'APPID_MCHID_NOT_MATCH'],
  ])('%s', async (_n, fields, code) => {
    const a = await v2('/pay/unifiedorder', fields);
    expect(a).toMatchObject({ return_code: 'SUCCESS', result_code: 'FAIL', err_code: code });
    expect(await verify(a, KEY, 'MD5')).toBe(true);
  });

  it('signs answers with HMAC-SHA256 for an HMAC request (no sign_type echoed)', async () => {
    const a = await v2('/pay/unifiedorder', order(tradeNo()), { type: 'HMAC-SHA256' });
    expect(a.result_code).toBe('SUCCESS');
    expect(a.sign).toHaveLength(64);
    expect(a.sign_type).toBeUndefined();
    expect(await verify(a, KEY, 'HMAC-SHA256')).toBe(true);
  });
});

describe('orders', () => {
  it('unifiedorder NATIVE: prepay_id and code_url; identical repeat → same; changed → OUT_TRADE_NO_USED', async () => {
    const no = tradeNo();
    const a = await v2('/pay/unifiedorder', order(no));
    expect(a).toMatchObject({ return_code: 'SUCCESS', result_code: 'SUCCESS', trade_type: 'NATIVE', appid: V2.appid, mch_id: V2.mch_id });
    expect(a.prepay_id).toMatch(/^wx\d{14}[0-9a-z]{20}$/);
    expect(a.code_url).toMatch(/^weixin:\/\/wxpay\/bizpayurl\?pr=[0-9A-Za-z]{10}$/);
    const again = await v2('/pay/unifiedorder', { ...order(no), spbill_create_ip: '198.51.100.1' });
    expect(again.prepay_id).toBe(a.prepay_id);
    expect(await v2('/pay/unifiedorder', order(no, { total_fee: '351' }))).toMatchObject({ result_code: 'FAIL', err_code: 'OUT_TRADE_NO_USED' });
    expect(await v2('/pay/unifiedorder', order(no, { trade_type: 'APP', product_id: '' }))).toMatchObject({ err_code: 'OUT_TRADE_NO_USED' });
  });

  it('MWEB: mweb_url to the sandbox cashier', async () => {
    const a = await v2(
      '/pay/unifiedorder',
      order(tradeNo(), { trade_type: 'MWEB', product_id: '', scene_info: '{"h5_info":{"type":"Wap","wap_url":"https://m.test","wap_name":"x"}}' }),
    );
    expect(a.mweb_url).toMatch(new RegExp(`^${WECHAT.replace(/\./g, '\\.')}/h5\\?prepay_id=wx[0-9a-z]+&package=\\d+$`));
  });

  it('orderquery / closeorder / refundquery errors: ORDERNOTEXIST, ORDERCLOSED, ORDERPAID, REFUNDNOTEXIST', async () => {
    expect(await v2('/pay/orderquery', { out_trade_no: 'NOPE' })).toMatchObject({ result_code: 'FAIL', err_code: 'ORDERNOTEXIST' });
    expect(await v2('/pay/refundquery', { out_refund_no: 'NOPE' })).toMatchObject({ result_code: 'FAIL', err_code: 'REFUNDNOTEXIST' });
    const no = tradeNo();
    await v2('/pay/unifiedorder', order(no));
    expect(await v2('/pay/orderquery', { out_trade_no: no })).toMatchObject({ result_code: 'SUCCESS', trade_state: 'NOTPAY', out_trade_no: no });
    expect(await v2('/pay/closeorder', { out_trade_no: no })).toMatchObject({ result_code: 'SUCCESS' });
    expect(await v2('/pay/closeorder', { out_trade_no: no })).toMatchObject({ result_code: 'FAIL', err_code: 'ORDERCLOSED' });
    const paid = tradeNo();
    await v2('/pay/unifiedorder', order(paid));
    await v2Control(`/orders/${paid}/pay`, { notify: 'drop' });
    expect(await v2('/pay/closeorder', { out_trade_no: paid })).toMatchObject({ err_code: 'ORDERPAID' });
    const q = await v2('/pay/orderquery', { out_trade_no: paid });
    expect(q).toMatchObject({ trade_state: 'SUCCESS', total_fee: '350', trade_type: 'NATIVE' });
    expect(q.time_end).toMatch(/^\d{14}$/);
    expect(q.transaction_id).toMatch(/^\d{28}$/);
  });

  it('refund then refundquery, indexed fields (_0)', async () => {
    const no = tradeNo();
    await v2('/pay/unifiedorder', order(no));
    await v2Control(`/orders/${no}/pay`, { notify: 'drop' });
    const r = await v2('/secapi/pay/refund', { out_trade_no: no, out_refund_no: `${no}R1`, total_fee: '350', refund_fee: '100' });
    expect(r).toMatchObject({ result_code: 'SUCCESS', out_refund_no: `${no}R1`, refund_fee: '100', total_fee: '350' });
    expect(await v2('/secapi/pay/refund', { out_trade_no: no, out_refund_no: `${no}R2`, total_fee: '350', refund_fee: '300' })).toMatchObject({
      err_code: 'INVALID_REQUEST',
    });
    await v2Control('/flush', {});
    const q = await v2('/pay/refundquery', { out_trade_no: no });
    expect(q).toMatchObject({ refund_count: '1', out_refund_no_0: `${no}R1`, refund_id_0: r.refund_id, refund_fee_0: '100', refund_status_0: 'SUCCESS' });
    expect(q.refund_success_time_0).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
  });
});

describe('v2 notifies', () => {
  afterEach(() => vi.restoreAllMocks());

  it('are signed without sign_type, and only the SUCCESS XML ends the retries', async () => {
    const got: { body: string; status: number }[] = [];
    // Built inside the mock: a body made in the test's context cannot be read from the ledger's Durable Object.
    const answers = [
      () => new Response(null, { status: 204 }),
      () => new Response('success'),
      () => new Response('<xml><return_code>SUCCESS</return_code></xml>'),
    ];
    vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
      const req = new Request(input as RequestInfo, init);
      const res = (answers[got.length] ?? answers[2]!)();
      got.push({ body: await req.text(), status: res.status });
      return res;
    });
    const no = tradeNo();
    await v2('/pay/unifiedorder', order(no, { notify_url: `https://merchant.test/v2/${no}` }));
    await v2Control(`/orders/${no}/pay`, {});
    const v = await waitFor(
      async () => (await v2Control(`/orders/${no}`)).json as { notifies: { state: string; api: string; deliveries: unknown[] }[] },
      (x) => x.notifies[0]?.state === 'delivered',
    );
    expect(v.notifies[0]).toMatchObject({ api: 'v2', state: 'delivered' });
    expect(v.notifies[0]!.deliveries).toMatchObject([
      { status: 204 },
      { status: 200, error: expect.stringContaining('not the SUCCESS ack') },
      { status: 200, error: null },
    ]);
    const m = parseFlatXml(got[0]!.body);
    expect(m.sign_type).toBeUndefined();
    expect(m).toMatchObject({ return_code: 'SUCCESS', result_code: 'SUCCESS', out_trade_no: no, total_fee: '350', trade_type: 'NATIVE' });
    expect(m.sign).toBe(await sign(m, KEY, 'MD5'));
    expect(got.map((g) => g.body)).toEqual(Array(3).fill(got[0]!.body));
  });
});
