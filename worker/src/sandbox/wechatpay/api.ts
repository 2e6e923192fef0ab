// The simulated WeChat Pay APIv3 endpoints (providers.md §2.1) in their exact wire format. Thin:
// authenticate (auth.ts) → validate (model.ts) → ledger RPC → answer; auth.ts signs every answer.

import { Hono, type Context } from 'hono';
import { wechatLedger, type SandboxEnv } from '../types';
import { authenticate, type WechatVars } from './auth';
import { paramError, validatePrepay, validateRefund, type ApiError } from './model';

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

wechatApi.use('/v3/*', authenticate);

wechatApi.post('/v3/pay/transactions/native', async (c) => {
  const input = validatePrepay(jsonBody(c));
  if ('code' in input) return error(c, input);
  const wrong = sameMerchant(c, input.mchid, 'body');
  if (wrong) return error(c, wrong);
  if (input.appid !== c.var.wechat.appid) return c.json({ code: 'APPID_MCHID_NOT_MATCH', message: 'appid和mch_id不匹配' }, 400);
  const r = await wechatLedger(c.env).createNative(input);
  return r.ok ? c.json({ code_url: r.code_url }) : error(c, r.error);
});

wechatApi.get('/v3/pay/transactions/out-trade-no/:no', async (c) => {
  const wrong = sameMerchant(c, c.req.query('mchid'), 'query');
  if (wrong) return error(c, wrong);
  const t = await wechatLedger(c.env).query(c.var.wechat.mchid, { out_trade_no: c.req.param('no') });
  return t ? c.json(t) : orderNotFound(c);
});

wechatApi.get('/v3/pay/transactions/id/:id', async (c) => {
  const wrong = sameMerchant(c, c.req.query('mchid'), 'query');
  if (wrong) return error(c, wrong);
  const t = await wechatLedger(c.env).query(c.var.wechat.mchid, { transaction_id: c.req.param('id') });
  return t ? c.json(t) : orderNotFound(c);
});

// 204 with an empty body on success; the response signature is then over `ts\nnonce\n\n` (§7 v3 #6).
wechatApi.post('/v3/pay/transactions/out-trade-no/:no/close', async (c) => {
  const body = jsonBody(c);
  const wrong = sameMerchant(c, typeof body === 'object' && body !== null ? (body as { mchid?: unknown }).mchid : undefined, 'body');
  if (wrong) return error(c, wrong);
  const r = await wechatLedger(c.env).close(c.var.wechat.mchid, c.req.param('no'));
  if (r === 'not_found') return orderNotFound(c);
  if (r === 'paid') return c.json({ code: 'ORDERPAID', message: '订单已支付' }, 400);
  return c.body(null, 204);
});

wechatApi.post('/v3/refund/domestic/refunds', async (c) => {
  const input = validateRefund(jsonBody(c));
  if ('code' in input) return error(c, input);
  const r = await wechatLedger(c.env).refund(c.var.settings, c.var.wechat.mchid, input);
  return r.ok ? c.json(r.refund) : error(c, r.error);
});

wechatApi.get('/v3/refund/domestic/refunds/:no', async (c) => {
  const r = await wechatLedger(c.env).refundQuery(c.var.wechat.mchid, c.req.param('no'));
  return r ? c.json(r) : c.json({ code: 'RESOURCE_NOT_EXISTS', message: '退款单不存在' }, 404);
});

// Anything else under /v3 (JSAPI, H5, bills…) is not simulated: a signed 404 in WeChat's shape.
wechatApi.all('/v3/*', (c) => c.json({ code: 'RESOURCE_NOT_EXISTS', message: `沙箱未实现 ${c.req.method} ${new URL(c.req.url).pathname}` }, 404));

wechatApi.onError((e, c) => {
  console.error('sandbox wechatpay', e);
  return c.json({ code: 'SYSTEM_ERROR', message: '系统错误' }, 500);
});
