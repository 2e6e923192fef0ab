// The simulated WeChat Pay APIv3 endpoints (https://pay.weixin.qq.com/doc/v3/merchant/4012791877) in their exact wire
// format. Thin: authenticate (auth.ts) → validate (model.ts) → ledger RPC → answer; auth.ts signs every answer.
// The APIv2 XML API, the official account OAuth, the H5 cashier and the JSAPI / APP payment
// surfaces are sub-apps mounted at the end.

import { Hono, type Context } from 'hono';
import { wechatLedger, type SandboxEnv } from '../types';
import { authenticate, type WechatVars } from './auth';
import { boundAppids, testWechatMerchant } from './merchants';
import { isSandboxOpenid } from './openid';
import {
  isWechatPaymentCode,
  paramError,
  refundJson,
  transactionJson,
  validateCodepay,
  validatePrepay,
  validateRefund,
  validateV3Extras,
  type ApiError,
  type TradeType,
} from './model';
import { hangUp } from '../payment-codes';
import { foreignNotifyUrl } from '../common/notify-target';
import type { OrderError, RefundError } from '../ledger';
import { v2Api } from './v2api';
import { wechatOauth } from './oauth';
import { wechatH5 } from './h5';
import { wechatClientPay } from './client-pay';

type Ctx = Context<SandboxEnv & { Variables: WechatVars }>;

export const wechatApi = new Hono<SandboxEnv & { Variables: WechatVars }>();

function error(c: Ctx, e: ApiError): Response {
  const { status, ...body } = e;
  return c.json(body, status as 400);
}

function jsonBody(c: Ctx): unknown {
  try {
    return JSON.parse(c.var.rawBody);
  } catch {
    return undefined;
  }
}

/** The merchant in the body / query must be the one that signed the request. */
function sameMerchant(c: Ctx, mchid: unknown, location: 'body' | 'query'): ApiError | null {
  if (mchid === undefined || mchid === '') return paramError('mchid', `${location === 'query' ? '查询参数' : '请求体'}缺少 mchid`, location);
  if (mchid !== c.var.wechat.mchid) return paramError('mchid', 'mchid 与请求签名的商户号不一致', location);
  return null;
}

const orderNotFound = (c: Ctx) => c.json({ code: 'ORDER_NOT_EXIST', message: '订单不存在' }, 404);

const ORDER_ERRORS: Record<OrderError, ApiError> = {
  OUT_TRADE_NO_USED: { status: 400, code: 'OUT_TRADE_NO_USED', message: '商户订单号重复' },
  ORDERPAID: { status: 400, code: 'ORDERPAID', message: '订单已支付' },
  ORDERCLOSED: { status: 400, code: 'ORDER_CLOSED', message: '订单已关闭' },
};

/** The sandbox's own base (`…/sandbox/wechatpay`), wherever it is mounted. */
const baseOf = (url: string): string => {
  const u = new URL(url);
  return u.origin + u.pathname.replace(/\/v3\/.*$/, '');
};

wechatApi.use('/v3/*', authenticate);

/**
 * One handler for the four prepay endpoints: they differ in trade type, extras and answer
 * (https://pay.weixin.qq.com/doc/v3/merchant/4012791877).
 */
function prepayRoute(tradeType: TradeType) {
  return async (c: Ctx) => {
    const body = jsonBody(c);
    const input = validatePrepay(body);
    if ('code' in input) return error(c, input);
    const extras = validateV3Extras(body, tradeType);
    if ('code' in extras) return error(c, extras);
    const wrong = sameMerchant(c, input.mchid, 'body');
    if (wrong) return error(c, wrong);
    const m = testWechatMerchant(c.var.config, c.var.wechat.mchid);
    // Every AppID bound to the merchant may place orders; the payer's openid must be the appid's
    // (https://pay.weixin.qq.com/doc/v3/merchant/4012791856).
    if (!m || !boundAppids(m).includes(input.appid)) return c.json({ code: 'APPID_MCHID_NOT_MATCH', message: 'appid和mch_id不匹配' }, 400);
    if (extras.openid !== null && !(await isSandboxOpenid(input.appid, extras.openid))) {
      return error(c, paramError('payer.openid', 'openid与appid不匹配：该用户不是此 appid 下的用户'));
    }
    const foreign = foreignNotifyUrl(c.var.config, m.merchant.id, input.notify_url);
    if (foreign) return error(c, paramError('notify_url', foreign));
    const r = await wechatLedger(c.env, c.var.wechat.mchid).createOrder({
      ...input,
      api: 'v3',
      trade_type: tradeType,
      openid: extras.openid,
      client_ip: extras.client_ip,
      sign_type: null,
      product_id: null,
    });
    if (!r.ok) return error(c, ORDER_ERRORS[r.error]);
    const o = r.order;
    if (tradeType === 'NATIVE') return c.json({ code_url: o.code_url });
    // Real h5_url: https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id=…&package=… (valid 5 minutes).
    if (tradeType === 'MWEB') return c.json({ h5_url: `${baseOf(c.req.url)}/h5?prepay_id=${o.prepay_id}&package=${o.created_at % 10_000_000_000}` });
    return c.json({ prepay_id: o.prepay_id });
  };
}

wechatApi.post('/v3/pay/transactions/native', prepayRoute('NATIVE'));
wechatApi.post('/v3/pay/transactions/jsapi', prepayRoute('JSAPI'));
wechatApi.post('/v3/pay/transactions/h5', prepayRoute('MWEB'));
wechatApi.post('/v3/pay/transactions/app', prepayRoute('APP'));

wechatApi.get('/v3/pay/transactions/out-trade-no/:no', async (c) => {
  const wrong = sameMerchant(c, c.req.query('mchid'), 'query');
  if (wrong) return error(c, wrong);
  const t = await wechatLedger(c.env, c.var.wechat.mchid).query(c.var.wechat.mchid, { out_trade_no: c.req.param('no') });
  return t ? c.json(t) : orderNotFound(c);
});

wechatApi.get('/v3/pay/transactions/id/:id', async (c) => {
  const wrong = sameMerchant(c, c.req.query('mchid'), 'query');
  if (wrong) return error(c, wrong);
  const t = await wechatLedger(c.env, c.var.wechat.mchid).query(c.var.wechat.mchid, { transaction_id: c.req.param('id') });
  return t ? c.json(t) : orderNotFound(c);
});

// 204 with an empty body on success; the response signature is then over `ts\nnonce\n\n`
// (https://pay.weixin.qq.com/doc/v3/merchant/4012791881, https://pay.weixin.qq.com/doc/v3/merchant/4013053420).
wechatApi.post('/v3/pay/transactions/out-trade-no/:no/close', async (c) => {
  const body = jsonBody(c);
  const wrong = sameMerchant(c, typeof body === 'object' && body !== null ? (body as { mchid?: unknown }).mchid : undefined, 'body');
  if (wrong) return error(c, wrong);
  const r = await wechatLedger(c.env, c.var.wechat.mchid).close(c.var.wechat.mchid, c.req.param('no'));
  if (r === 'not_found') return orderNotFound(c);
  if (r === 'paid') return c.json({ code: 'ORDERPAID', message: '订单已支付' }, 400);
  return c.body(null, 204);
});

// 付款码支付 (APIv3): what the simulated shopper does is the code's third digit (../payment-codes.ts).
// A password is answered 202 USERPAYING (the status WeChat uses for it is UNVERIFIED; the adapter
// also reads a Transaction in USERPAYING as waiting).
wechatApi.post('/v3/pay/transactions/codepay', async (c) => {
  const v = validateCodepay(jsonBody(c));
  if ('code' in v) return error(c, v);
  const wrong = sameMerchant(c, v.input.mchid, 'body');
  if (wrong) return error(c, wrong);
  const m = testWechatMerchant(c.var.config, c.var.wechat.mchid);
  if (!m || !boundAppids(m).includes(v.input.appid)) return c.json({ code: 'APPID_MCHID_NOT_MATCH', message: 'appid和mch_id不匹配' }, 400);
  if (!isWechatPaymentCode(v.auth_code)) return c.json({ code: 'AUTH_CODE_INVALID', message: '付款码无效，请重新扫码' }, 403);
  const r = await wechatLedger(c.env, c.var.wechat.mchid).micropay(
    c.var.settings,
    {
      ...v.input,
      api: 'v3',
      trade_type: 'MICROPAY',
      notify_url: '',
      time_expire: null,
      attach: null,
      openid: null,
      client_ip: null,
      sign_type: null,
      product_id: null,
    },
    v.auth_code,
  );
  if (!r.ok) {
    return r.error === 'AUTH_CODE_USED'
      ? c.json({ code: 'AUTH_CODE_INVALID', message: '付款码已使用，请用户刷新付款码后重新扫码' }, 403)
      : error(c, ORDER_ERRORS.OUT_TRADE_NO_USED);
  }
  if (r.behavior === 'hang') return hangUp(c.var.settings.time_scale);
  if (r.behavior === 'decline') return c.json({ code: 'NOT_ENOUGH', message: '用户余额不足，请用户换卡支付' }, 403);
  if (r.order.state !== 'SUCCESS' && r.order.state !== 'REFUND') return c.json({ code: 'USERPAYING', message: '用户支付中，需要输入密码' }, 202);
  return c.json(transactionJson(r.order));
});

// 撤销: closes an unpaid payment-code order, refunds a paid one. 200 {appid, mchid, out_trade_no}.
wechatApi.post('/v3/pay/transactions/out-trade-no/:no/reverse', async (c) => {
  const body = jsonBody(c);
  const b = typeof body === 'object' && body !== null ? (body as { mchid?: unknown; appid?: unknown }) : {};
  const wrong = sameMerchant(c, b.mchid, 'body');
  if (wrong) return error(c, wrong);
  const no = c.req.param('no');
  const r = await wechatLedger(c.env, c.var.wechat.mchid).reverse(c.var.wechat.mchid, no);
  if (r.ok) return c.json({ appid: typeof b.appid === 'string' ? b.appid : c.var.wechat.appid, mchid: c.var.wechat.mchid, out_trade_no: no });
  switch (r.error) {
    case 'ORDER_NOT_FOUND':
      return orderNotFound(c);
    case 'SYSTEMERROR':
      return c.json({ code: 'SYSTEM_ERROR', message: '系统超时，请稍后重试撤销' }, 500);
    case 'REVERSE_EXPIRE':
      return c.json({ code: 'REVERSE_EXPIRE', message: '订单已过撤销期限，请使用申请退款API' }, 400);
    case 'NOT_MICROPAY':
      return c.json({ code: 'INVALID_REQUEST', message: '只有付款码支付的订单可以撤销' }, 400);
  }
});

const REFUND_ERRORS: Record<RefundError, (remaining?: number) => ApiError> = {
  ORDER_NOT_FOUND: () => ({ status: 404, code: 'RESOURCE_NOT_EXISTS', message: '订单不存在' }),
  REFUND_NO_REUSED: () => ({ status: 400, code: 'INVALID_REQUEST', message: 'out_refund_no 已用于另一笔退款' }),
  NOT_PAID: () => ({ status: 400, code: 'INVALID_REQUEST', message: '订单未支付，不能退款' }),
  TOTAL_MISMATCH: () => ({ status: 400, code: 'INVALID_REQUEST', message: '订单金额 amount.total 与原订单不一致' }),
  EXCEEDS_REMAINING: (n) => ({ status: 400, code: 'INVALID_REQUEST', message: `申请退款金额超过订单可退金额（可退 ${n ?? 0} 分）` }),
};

wechatApi.post('/v3/refund/domestic/refunds', async (c) => {
  const input = validateRefund(jsonBody(c));
  if ('code' in input) return error(c, input);
  const m = testWechatMerchant(c.var.config, c.var.wechat.mchid);
  const foreign = m ? foreignNotifyUrl(c.var.config, m.merchant.id, input.notify_url) : null;
  if (foreign) return error(c, paramError('notify_url', foreign));
  const r = await wechatLedger(c.env, c.var.wechat.mchid).refund(c.var.settings, c.var.wechat.mchid, { ...input, api: 'v3' });
  return r.ok ? c.json(refundJson(r.refund)) : error(c, REFUND_ERRORS[r.error](r.remaining));
});

wechatApi.get('/v3/refund/domestic/refunds/:no', async (c) => {
  const r = await wechatLedger(c.env, c.var.wechat.mchid).refundQuery(c.var.wechat.mchid, c.req.param('no'));
  return r ? c.json(r) : c.json({ code: 'RESOURCE_NOT_EXISTS', message: '退款单不存在' }, 404);
});

// Anything else under /v3 (bills, combine orders…) is not simulated: a signed 404 in WeChat's shape.
wechatApi.all('/v3/*', (c) => c.json({ code: 'RESOURCE_NOT_EXISTS', message: `沙箱未实现 ${c.req.method} ${new URL(c.req.url).pathname}` }, 404));

wechatApi.onError((e, c) => {
  console.error('sandbox wechatpay', e);
  return c.json({ code: 'SYSTEM_ERROR', message: '系统错误' }, 500);
});

// APIv2 (XML): /pay/unifiedorder, /pay/orderquery, /pay/closeorder, /pay/refundquery, /secapi/pay/refund.
wechatApi.route('/', v2Api);
// The official account's web OAuth: /connect/oauth2/authorize (the page), /sns/oauth2/access_token (the API).
wechatApi.route('/', wechatOauth);
// The H5 cashier behind h5_url / mweb_url.
wechatApi.route('/h5', wechatH5);
// What WeChat's client does with JSAPI parameters (the test WeixinJSBridge) and an app's PayReq.
wechatApi.route('/', wechatClientPay);
