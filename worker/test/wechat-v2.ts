// Helpers for the WeChat Pay APIv2 workerd tests: the merchant and client APIs as an APIv2 test
// merchant, the sandbox control surface with its key, and v2 notifies signed with the provider's
// signing twin (never a hand-assembled signature), so a forged variant differs by one thing.

import { SELF } from 'cloudflare:test';
import { sign, type SignType } from '../src/providers/wechat-v2/sign';
import { buildXml } from '../src/providers/wechat-v2/xml';
import { WECHAT_TEST } from './fixtures/config';
import { BASE, api, orderId, type SessionJson } from './helpers';

export const V2 = {
  key: WECHAT_TEST.v2_secret_key,
  merchant: WECHAT_TEST.v2_merchant_id,
  mchId: WECHAT_TEST.v2_mch_id,
  appid: WECHAT_TEST.v2_appid,
  apiKey: WECHAT_TEST.apiv2_key,
} as const;

export async function createSessionAs(key: string, over: Record<string, unknown> = {}): Promise<SessionJson> {
  const res = await api('/v1/checkout/sessions', {
    method: 'POST',
    key,
    body: JSON.stringify({ amount: 8888, currency: 'CNY', description: '测试商品 Test item', merchant_order_id: orderId(), ...over }),
  });
  if (res.status !== 201) throw new Error(`create session: ${res.status} ${await res.text()}`);
  return (await res.json()) as SessionJson;
}

export interface AttemptJson {
  attempt: { id: string; flow: string; status: string };
  next_action: { type: string; data?: string; url?: string; sandbox_wallet_url?: string; params?: Record<string, string>; payload?: Record<string, string> };
}

/** `POST /v1/client/sessions/:id/attempts` with the shopper's headers (User-Agent, CF-Connecting-IP). */
export async function clientAttempt(s: SessionJson, flow: string, headers: Record<string, string> = {}): Promise<Response> {
  return SELF.fetch(`${BASE}/v1/client/sessions/${s.id}/attempts`, {
    method: 'POST',
    headers: { authorization: `Bearer ${s.client_secret}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ channel: 'wechat_pay', flow }),
  });
}

export async function startAttemptAs(s: SessionJson, flow: string, headers: Record<string, string> = {}): Promise<AttemptJson> {
  const res = await clientAttempt(s, flow, headers);
  if (res.status !== 201) throw new Error(`start ${flow} attempt: ${res.status} ${await res.text()}`);
  return (await res.json()) as AttemptJson;
}

/** The WeChat Pay sandbox control surface, as the merchant whose secret key is given. */
export function controlAs(key: string, path: string, body?: unknown): Promise<Response> {
  return SELF.fetch(`${BASE}/sandbox/wechatpay/_control${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

export interface V2PaymentOver {
  total_fee?: string;
  appid?: string;
  mch_id?: string;
  fee_type?: string;
  transaction_id?: string;
  result_code?: string;
}

/**
 * The fields of a v2 payment notify (https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=9_7) for one of our
 * attempts.
 */
export function v2Payment(outTradeNo: string, over: V2PaymentOver = {}, merchant: { appid: string; mchId: string } = V2): Record<string, string> {
  return {
    return_code: 'SUCCESS',
    appid: over.appid ?? merchant.appid,
    mch_id: over.mch_id ?? merchant.mchId,
    nonce_str: `n${Date.now()}`,
    result_code: over.result_code ?? 'SUCCESS',
    openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o',
    is_subscribe: 'N',
    trade_type: 'NATIVE',
    bank_type: 'CMC',
    total_fee: over.total_fee ?? '8888',
    fee_type: over.fee_type ?? 'CNY',
    cash_fee: over.total_fee ?? '8888',
    transaction_id: over.transaction_id ?? `4200000${Date.now()}`,
    out_trade_no: outTradeNo,
    time_end: '20261128180000',
  };
}

/**
 * Signed as WeChat signs notifies: no sign_type field, whatever the algorithm
 * (https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=9_7).
 */
export async function v2NotifyXml(fields: Record<string, string>, type: SignType = 'MD5', key: string = V2.apiKey): Promise<string> {
  return buildXml({ ...fields, sign: await sign(fields, key, type) });
}

export function postV2Notify(xml: string, merchant: string = V2.merchant): Promise<Response> {
  return SELF.fetch(`${BASE}/notify/wechat_pay/${merchant}`, { method: 'POST', headers: { 'content-type': 'text/xml' }, body: xml });
}

export const SUCCESS_ACK = '<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg></xml>';

/** Merchant webhooks are captured the same way for every test merchant (./helpers). */
export { captureWebhooks } from './helpers';
