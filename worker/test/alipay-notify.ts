// Builds Alipay trade_status_sync notifies the way Alipay (and our sandbox) signs them, with the
// provider module's own signing twin (signNotify), so forged variants differ from a valid one by
// one thing, and posts them to a merchant's notify URL.

import { SELF } from 'cloudflare:test';
import { SANDBOX_ALIPAY_PRIVATE_KEY } from '../src/providers/alipay/fixtures/test-keys';
import { encodeForm, signNotify, type Params } from '../src/providers/alipay/sign';
import { beijingDateTime } from '../src/providers/alipay/time';
import { ALIPAY_TEST, TEST } from './fixtures/config';
import { BASE } from './helpers';

/** The fields of a trade_status_sync notify for `attemptId`, as the Alipay sandbox would send them. */
export function alipayNotifyFields(attemptId: string, over: Params = {}): Params {
  const now = Date.now();
  return {
    notify_time: beijingDateTime(now),
    notify_type: 'trade_status_sync',
    notify_id: `${now}`,
    app_id: ALIPAY_TEST.app_id,
    auth_app_id: ALIPAY_TEST.app_id,
    charset: 'utf-8',
    version: '1.0',
    trade_no: `20261128220014${String(now).slice(-14)}`,
    out_trade_no: attemptId,
    buyer_id: '2088102534368455',
    buyer_logon_id: 'sbx***@shouyin.test',
    seller_id: ALIPAY_TEST.seller_id,
    trade_status: 'TRADE_SUCCESS',
    total_amount: '88.88',
    receipt_amount: '88.88',
    subject: '测试商品 Test item',
    gmt_create: beijingDateTime(now - 5000),
    gmt_payment: beijingDateTime(now),
    fund_bill_list: '[{"amount":"88.88","fundChannel":"ALIPAYACCOUNT"}]',
    ...over,
  };
}

/** The form body of a notify signed by `key` (by default the sandbox's Alipay key, as Alipay signs). */
export const signedAlipayBody = async (fields: Params, key: string = SANDBOX_ALIPAY_PRIVATE_KEY): Promise<string> => encodeForm(await signNotify(fields, key));

export function postAlipayNotify(body: string, merchant: string = TEST.merchant_id): Promise<Response> {
  return SELF.fetch(`${BASE}/notify/alipay/${merchant}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
    body,
  });
}
