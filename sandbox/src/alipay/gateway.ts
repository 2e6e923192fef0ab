// The simulated Alipay gateway, `/gateway.do` (https://opendocs.alipay.com/common/02kf5q): GET or POST, parameters in
// the query and/or the form body. Thin: merge the parameters → authenticate (auth.ts) → validate
// biz_content (model.ts) → ledger RPC → a signed JSON answer, or, for page.pay / wap.pay, the
// cashier page itself.

import { Hono, type Context } from 'hono';
import { loadConfig, type SandboxedConfig } from '../config';
import { fromUtf8 } from '../../../worker/src/crypto/encoding';
import { fenToYuan } from '../../../worker/src/providers/alipay/amount';
import { beijingDateTime } from '../../../worker/src/providers/alipay/time';
import type { SandboxEnv } from '../types';
import { authenticate, errorBody, mergeParams, signedAnswer, successBody } from './auth';
import { cashierPathOf, errorPage, pageFor } from './cashier';
import {
  TRADE_NOT_EXIST,
  amountField,
  bizError,
  invalidArg,
  isAlipayPaymentCode,
  isGatewayError,
  orderNo,
  parseBiz,
  queryJson,
  tradePayJson,
  validateTrade,
  type GatewayError,
  type TradeMethod,
} from './model';
import { hangUp } from '../payment-codes';
import { foreignNotifyUrl } from '../common/notify-target';
import { alipayLedger, alipayLedgerSettings, type AlipayLedgerSettings, type AlipayTestMerchant } from './settings';

export const alipayGateway = new Hono<SandboxEnv>();

/** Methods answered as a page (the shopper's browser is sent here), not as JSON. */
const PAGE_METHODS = new Set(['alipay.trade.page.pay', 'alipay.trade.wap.pay']);

type Biz = Record<string, unknown>;
type Outcome =
  | { ok: true; body: Record<string, unknown> }
  | { ok: false; error: GatewayError }
  /** The gateway never answers (a `hang` payment code, ../payment-codes.ts). */
  | { hang: true };

const ok = (fields: Record<string, unknown>): Outcome => ({ ok: true, body: successBody(fields) });
const no = (error: GatewayError): Outcome => ({ ok: false, error });

async function readParams(c: Context<SandboxEnv>): Promise<ReturnType<typeof mergeParams>> {
  const url = new URL(c.req.url);
  let body = '';
  if (c.req.method === 'POST') {
    const type = c.req.header('content-type') ?? '';
    try {
      // Bytes, then strict UTF-8: a form body is not "text" to workerd, and bad UTF-8 is refused.
      body = fromUtf8(await c.req.arrayBuffer());
    } catch {
      return { ok: false, error: invalidArg('isv.invalid-charset', '请求不是合法的 UTF-8') };
    }
    if (body !== '' && type !== '' && !type.toLowerCase().startsWith('application/x-www-form-urlencoded')) {
      return { ok: false, error: invalidArg('isv.invalid-parameter', '请求须为 application/x-www-form-urlencoded 表单') };
    }
  }
  return mergeParams(url.search, body);
}

/**
 * The trade-level methods the gateway answers in JSON
 * (https://opendocs.alipay.com/open/6f534d7f_alipay.trade.query?pathHash=98c03720).
 */
async function trade(
  env: SandboxEnv['Bindings'],
  settings: AlipayLedgerSettings,
  tm: AlipayTestMerchant,
  method: string,
  biz: Biz,
  params: Record<string, string>,
): Promise<Outcome> {
  const appId = tm.alipay.app_id;
  const ledger = alipayLedger(env, appId);
  switch (method) {
    case 'alipay.trade.precreate': {
      const input = validateTrade(method, biz, { app_id: appId, notify_url: params.notify_url, seller_id: tm.sellerId });
      if (isGatewayError(input)) return no(input);
      const r = await ledger.createTrade(input);
      return r.ok ? ok({ out_trade_no: r.value.out_trade_no, qr_code: r.value.qr_code }) : no(r.error);
    }
    case 'alipay.trade.pay': {
      // 条码支付: scene bar_code with the shopper's payment code
      // (https://opendocs.alipay.com/open/1f1fe18c_alipay.trade.pay?pathHash=29c9a9ba). The code's third digit tells
      // the simulated shopper what to do (../payment-codes.ts).
      if (biz.scene !== 'bar_code') return no(bizError('ACQ.INVALID_PARAMETER', 'scene 须为 bar_code（条码支付）'));
      const code = typeof biz.auth_code === 'string' ? biz.auth_code : '';
      const input = validateTrade('alipay.trade.pay', biz, { app_id: appId, notify_url: params.notify_url, seller_id: tm.sellerId });
      if (isGatewayError(input)) return no(input);
      if (!isAlipayPaymentCode(code)) {
        return no(bizError('ACQ.PAYMENT_AUTH_CODE_INVALID', '支付失败，获取顾客账户信息失败，请顾客刷新付款码后重新收款'));
      }
      const r = await ledger.payWithCode(settings, input, code);
      if (!r.ok) return no(r.error);
      const { trade: t, behavior } = r.value;
      if (behavior === 'hang') return { hang: true };
      if (behavior === 'decline') return no(bizError('ACQ.BUYER_BALANCE_NOT_ENOUGH', '买家余额不足'));
      // 10003: the trade is made and waits for the shopper's password ("poll the query, then cancel").
      if (t.state === 'WAIT_BUYER_PAY') return { ok: true, body: { code: '10003', msg: 'order success pay inprocess', ...tradePayJson(t) } };
      return ok(tradePayJson(t));
    }
    case 'alipay.trade.query': {
      const n = orderNo(biz);
      if (typeof n !== 'string') return no(n);
      const t = await ledger.query(appId, n);
      return t ? ok(queryJson(t)) : no(TRADE_NOT_EXIST);
    }
    case 'alipay.trade.close': {
      const n = orderNo(biz);
      if (typeof n !== 'string') return no(n);
      const r = await ledger.close(appId, n);
      return r.ok ? ok({ trade_no: r.value.trade_no, out_trade_no: r.value.out_trade_no }) : no(r.error);
    }
    case 'alipay.trade.cancel': {
      const n = orderNo(biz);
      if (typeof n !== 'string') return no(n);
      const r = await ledger.cancel(settings, appId, n);
      if (!r.ok) return no(r.error);
      return ok({ trade_no: r.value.trade.trade_no, out_trade_no: n, retry_flag: 'N', action: r.value.action });
    }
    case 'alipay.trade.refund': {
      const n = orderNo(biz);
      if (typeof n !== 'string') return no(n);
      const amount = amountField(biz, 'refund_amount');
      if (typeof amount !== 'number') return no(amount);
      // Without out_request_no the refund is the trade's own (a single full or partial refund,
      // https://opendocs.alipay.com/open/f60979b3_alipay.trade.refund?pathHash=e4c921a7).
      const req = biz.out_request_no === undefined ? n : orderNo(biz, 'out_request_no');
      if (typeof req !== 'string') return no(req);
      const reason = typeof biz.refund_reason === 'string' ? biz.refund_reason : null;
      const r = await ledger.refund(settings, appId, { out_trade_no: n, out_request_no: req, amount, reason });
      if (!r.ok) return no(r.error);
      const t = r.value.trade;
      return ok({
        trade_no: t.trade_no,
        out_trade_no: n,
        buyer_logon_id: t.buyer_logon_id,
        // Y only when money moved on this very call; refund_fee is the trade's cumulative refund
        // (https://opendocs.alipay.com/open/f60979b3_alipay.trade.refund?pathHash=e4c921a7).
        fund_change: r.value.fund_change,
        refund_fee: fenToYuan(t.refunded),
        gmt_refund_pay: beijingDateTime(r.value.refund.created_at),
        buyer_user_id: t.buyer_id,
      });
    }
    case 'alipay.trade.fastpay.refund.query': {
      const n = orderNo(biz);
      if (typeof n !== 'string') return no(n);
      const req = biz.out_request_no === undefined ? n : orderNo(biz, 'out_request_no');
      if (typeof req !== 'string') return no(req);
      const r = await ledger.refundQuery(appId, n, req);
      if (!r) return no(TRADE_NOT_EXIST);
      // An unknown out_request_no answers 10000 without refund fields: "not received"
      // (https://opendocs.alipay.com/open/357441a2_alipay.trade.fastpay.refund.query?pathHash=01981dca).
      if (!r.refund) return ok({ trade_no: r.trade.trade_no, out_trade_no: n, out_request_no: req });
      return ok({
        trade_no: r.trade.trade_no,
        out_trade_no: n,
        out_request_no: req,
        total_amount: fenToYuan(r.trade.total),
        refund_amount: fenToYuan(r.refund.amount),
        refund_status: 'REFUND_SUCCESS',
        gmt_refund_pay: beijingDateTime(r.refund.created_at),
      });
    }
    case 'alipay.trade.app.pay':
      // The server only signs an app order; the Alipay app SDK submits it
      // (https://opendocs.alipay.com/open/cd12c885_alipay.trade.app.pay?pathHash=c0e35284).
      return no(invalidArg('isv.invalid-method', 'alipay.trade.app.pay 由支付宝 App SDK 提交，不经网关；沙箱中请用 POST _control/app/pay 模拟 App 付款'));
    default:
      return no(invalidArg('isv.invalid-method', '不存在的方法名'));
  }
}

/** page.pay / wap.pay: the browser arrives with the signed order; the cashier shows at once. */
async function cashier(c: Context<SandboxEnv>, tm: AlipayTestMerchant, method: TradeMethod, biz: Biz, params: Record<string, string>): Promise<Response> {
  const input = validateTrade(method, biz, {
    app_id: tm.alipay.app_id,
    notify_url: params.notify_url,
    return_url: params.return_url,
    seller_id: tm.sellerId,
  });
  if (isGatewayError(input)) return errorPage(input.sub_code, input.sub_msg);
  const ledger = alipayLedger(c.env, tm.alipay.app_id);
  const r = await ledger.createTrade(input);
  if (!r.ok) return errorPage(r.error.sub_code, r.error.sub_msg);
  // Reaching the cashier is the shopper "logging in": the trade exists from here on
  // (https://opendocs.alipay.com/open/6f534d7f_alipay.trade.query?pathHash=98c03720).
  const v = await ledger.openCashier({ token: r.value.cashier_token });
  if (!v) return errorPage(TRADE_NOT_EXIST.sub_code, TRADE_NOT_EXIST.sub_msg);
  return pageFor(v.trade, tm.merchant.name, cashierPathOf(c.req.url), v.expired);
}

alipayGateway.on(['GET', 'POST'], '/gateway.do', async (c) => {
  let config: SandboxedConfig;
  try {
    config = loadConfig(c.env);
  } catch {
    return c.json(
      { error_response: { code: '20000', msg: 'Service Currently Unavailable', sub_code: 'isp.unknow-error', sub_msg: '系统繁忙：SHOUYIN_CONFIG 无效' } },
      200,
    );
  }
  const settings = alipayLedgerSettings(config);
  // Without its signing key the simulator cannot sign anything, so it answers unsigned: the
  // adapter refuses unsigned answers, and says so.
  if (!settings) {
    return c.json(
      { error_response: { code: '40002', msg: 'Invalid Arguments', sub_code: 'isv.invalid-app-id', sub_msg: '沙箱未配置签名密钥（sandbox.alipay）' } },
      200,
    );
  }
  const read = await readParams(c);
  const method = read.ok ? read.params.method : undefined;
  const isPage = method !== undefined && PAGE_METHODS.has(method);
  const fail = (e: GatewayError, certSn?: string): Promise<Response> | Response =>
    isPage ? errorPage(e.sub_code, e.sub_msg) : signedAnswer(settings.signer_private_key, method, errorBody(e), certSn);
  if (!read.ok) return fail(read.error);
  const params = read.params;

  const auth = await authenticate(config, params);
  if (!auth.ok) return fail(auth.error, auth.certSn);
  const parsed = parseBiz(params.biz_content);
  if (!parsed.ok) return fail(parsed.error, auth.certSn);
  const foreign = foreignNotifyUrl(config, auth.tm.merchant.id, params.notify_url);
  if (foreign) return fail(invalidArg('isv.invalid-notify-url', foreign), auth.certSn);
  const m = method as string;
  if (isPage) return cashier(c, auth.tm, m as TradeMethod, parsed.biz, params);
  const out = await trade(c.env, settings, auth.tm, m, parsed.biz, params);
  if ('hang' in out) return hangUp(config.sandbox.time_scale);
  return signedAnswer(settings.signer_private_key, m, out.ok ? out.body : errorBody(out.error), auth.certSn);
});

alipayGateway.onError((e, c) => {
  console.error('sandbox alipay', e);
  return c.json({ error_response: { code: '20000', msg: 'Service Currently Unavailable', sub_code: 'isp.unknow-error', sub_msg: '服务暂不可用' } }, 200);
});
