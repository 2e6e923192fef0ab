// WeChat Pay APIv3 payment codes (付款码支付): `POST /v3/pay/transactions/codepay` with `payer.auth_code`
// answers a Transaction, and `POST /v3/pay/transactions/out-trade-no/{no}/reverse` {appid, mchid}
// undoes an order (closed if unpaid, refunded if paid). Shapes from go-pay/gopay wechat/v3
// (V3TransactionCodePay, V3TransactionCodePayReverse, CodePay / CodePayReverse), yansongda/pay
// Plugin/Wechat/V3/Pay/Pos and wechatpay.js.org's codepay page. Official pages:
// https://pay.weixin.qq.com/doc/v3/merchant/4012382150 (pay), https://pay.weixin.qq.com/doc/v3/merchant/4012382161
// (reverse).
//
// How v3 signals "the shopper is entering a password" is not settled in anything read here: a
// Transaction with trade_state USERPAYING, or an error body with code USERPAYING (WxJava treats any
// non-200/204 as an error; the status WeChat uses for it is UNVERIFIED). Both read as user_paying, and
// anything that is not a definite 4xx refusal is unknown, which the 5 s queries settle.

import type { WechatPayV3Config } from './config';
import type { CodePayInput, CodePayResult, ProviderContext, ReverseResult } from '../types';
import { WechatApiError, wechatRequest } from './client';
import { ShapeError } from '../errors';
import { asObj, ownAppid, paymentFacts, str, truncateDescription } from './mapping';

/** 4xx codes that still leave the outcome open: the order may exist and be paid (a query tells). */
const UNKNOWN_4XX: ReadonlySet<string> = new Set(['ORDERPAID', 'ORDER_PAID', 'FREQUENCY_LIMITED', 'BANK_ERROR', 'BANKERROR', 'SYSTEM_ERROR', 'SYSTEMERROR']);

const seg = encodeURIComponent;

export async function codepay(ctx: ProviderContext, cfg: WechatPayV3Config, input: CodePayInput): Promise<CodePayResult> {
  let data: unknown;
  let status: number;
  try {
    ({ data, status } = await wechatRequest(ctx, cfg, 'POST', '/v3/pay/transactions/codepay', {
      appid: cfg.appid,
      mchid: cfg.mchid,
      description: truncateDescription(input.description),
      out_trade_no: input.attemptId,
      payer: { auth_code: input.authCode },
      amount: { total: input.amount, currency: input.currency },
      ...(input.client.ip ? { scene_info: { device_ip: input.client.ip } } : {}),
    }));
  } catch (e) {
    if (e instanceof WechatApiError) {
      if (e.code === 'USERPAYING') return { state: 'user_paying', raw: { code: e.code, status: e.httpStatus } };
      const definite = e.httpStatus >= 400 && e.httpStatus < 500 && e.httpStatus !== 408 && !e.retryable && !UNKNOWN_4XX.has(e.code);
      if (definite) return { state: 'failed', code: e.code, message: e.message, raw: { code: e.code, status: e.httpStatus } };
      return { state: 'unknown', reason: e.message, raw: { code: e.code, status: e.httpStatus } };
    }
    return { state: 'unknown', reason: e instanceof Error ? e.message : String(e) };
  }
  try {
    const o = asObj(data, 'codepay');
    if (o.code === 'USERPAYING' || status === 202) return { state: 'user_paying', raw: o };
    const tradeState = str(o, 'trade_state', 'codepay');
    if (tradeState === 'SUCCESS') {
      const payment = paymentFacts(o);
      if (payment.appId !== undefined) payment.appId = ownAppid(cfg, payment.appId);
      return { state: 'paid', payment, raw: o };
    }
    if (tradeState === 'USERPAYING' || tradeState === 'NOTPAY' || tradeState === 'ACCEPT') return { state: 'user_paying', raw: o };
    if (tradeState === 'PAYERROR')
      return { state: 'failed', code: 'PAYERROR', message: typeof o.trade_state_desc === 'string' ? o.trade_state_desc : 'PAYERROR', raw: o };
    return { state: 'unknown', reason: `codepay answered trade_state ${tradeState}`, raw: o };
  } catch (e) {
    return { state: 'unknown', reason: `codepay's answer is not a Transaction: ${e instanceof ShapeError ? e.message : String(e)}`, raw: data };
  }
}

export async function reverseCodepay(ctx: ProviderContext, cfg: WechatPayV3Config, attemptId: string): Promise<ReverseResult> {
  try {
    const { data } = await wechatRequest(ctx, cfg, 'POST', `/v3/pay/transactions/out-trade-no/${seg(attemptId)}/reverse`, {
      appid: cfg.appid,
      mchid: cfg.mchid,
    });
    return { state: 'done', raw: data ?? null };
  } catch (e) {
    if (e instanceof WechatApiError && (e.httpStatus === 404 || e.code === 'ORDER_NOT_EXIST' || e.code === 'ORDERNOTEXIST')) {
      return { state: 'done', raw: { code: e.code } };
    }
    return {
      state: 'retry',
      reason: e instanceof Error ? e.message : String(e),
      raw: e instanceof WechatApiError ? { code: e.code, status: e.httpStatus } : null,
    };
  }
}
