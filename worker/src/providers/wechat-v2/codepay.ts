// WeChat Pay APIv2 payment codes (付款码, https://pay.weixin.qq.com/wiki/doc/api/micropay.php?chapter=9_10&index=1):
// `/pay/micropay` charges the code the till scanned; `/secapi/pay/reverse` (client certificate, like refunds) undoes an
// order the till gave up on. WxJava's WxPayService documents the protocol: "当返回结果为“系统错误”时，商户系统等待5秒后调用【查询订单API】
// … 当返回结果为“USERPAYING”时 … 重新查询支付结果，直到支付成功或超时(建议30秒)", then "如果交易状况不明晰，请调用
// 【撤销订单API】 … 如果交易成功，则将扣款退回到用户账户。当撤销无返回或错误时，请再次调用". Micropay has no notify.

import { ProviderError } from '../../lib/errors';
import type { CodePayInput, CodePayResult, ProviderContext, ReverseResult } from '../types';
import { WechatV2BusinessError, v2Request } from './client';
import type { WechatPayV2Config } from './config';
import { ShapeError } from '../errors';
import { paymentFacts, truncateBody } from './mapping';
import { ownAppid } from './notify';

/**
 * err_codes that refuse the charge outright (the code is expired, invalid or another user's, the
 * balance is short, the request is wrong): nothing was taken. USERPAYING waits for a password;
 * SYSTEMERROR, BANKERROR and anything not listed here are unknown outcomes, decided by query.
 */
export const MICROPAY_DECLINED: ReadonlySet<string> = new Set([
  'AUTHCODEEXPIRE',
  'AUTH_CODE_ERROR',
  'AUTH_CODE_INVALID',
  'NOTENOUGH',
  'NOTSUPORTCARD',
  'BUYER_MISMATCH',
  'ORDERCLOSED',
  'ORDERREVERSED',
  'PARAM_ERROR',
  'LACK_PARAMS',
  'NOAUTH',
  'APPID_NOT_EXIST',
  'MCHID_NOT_EXIST',
  'APPID_MCHID_NOT_MATCH',
  'OUT_TRADE_NO_USED',
  'INVALID_REQUEST',
  'TRADE_ERROR',
  'XML_FORMAT_ERROR',
  'SIGNERROR',
  'NOT_UTF8',
  'REQUIRE_POST_METHOD',
  'POST_DATA_EMPTY',
]);

export async function micropay(ctx: ProviderContext, cfg: WechatPayV2Config, input: CodePayInput): Promise<CodePayResult> {
  let r: Record<string, string>;
  try {
    r = await v2Request(
      ctx,
      cfg,
      '/pay/micropay',
      {
        body: truncateBody(input.description),
        out_trade_no: input.attemptId,
        total_fee: String(input.amount),
        fee_type: input.currency,
        // The till's IP (the docs: "调用微信支付API的机器IP"); Shouyin's when the till sent none.
        spbill_create_ip: input.client.ip ?? '127.0.0.1',
        auth_code: input.authCode,
        // No time_expire: micropay wants it at least 5 minutes out (WxJava), and the 30 s deadline plus
        // the reversal already end the order. No notify_url: payment-code orders are not notified.
      },
      { appid: cfg.appid },
    );
  } catch (e) {
    if (e instanceof WechatV2BusinessError) {
      if (e.errCode === 'USERPAYING') return { state: 'user_paying', raw: e.fields };
      if (MICROPAY_DECLINED.has(e.errCode)) {
        return { state: 'failed', code: e.errCode, message: e.fields.err_code_des || e.errCode, raw: e.fields };
      }
      return { state: 'unknown', reason: e.message, raw: e.fields };
    }
    // return_code=FAIL at HTTP 200 (签名错误, 商户号不存在): refused before any order was made.
    if (e instanceof ProviderError && e.code === 'provider_rejected' && !e.retryable)
      return { state: 'failed', code: 'provider_rejected', message: e.message, raw: null };
    return { state: 'unknown', reason: e instanceof Error ? e.message : String(e) };
  }
  try {
    const payment = paymentFacts(r, 'micropay');
    if (payment.appId !== undefined) payment.appId = ownAppid(cfg, payment.appId);
    return { state: 'paid', payment, raw: r };
  } catch (e) {
    // result_code=SUCCESS but not the fields a paid order has: believe only a query.
    return { state: 'unknown', reason: `micropay answered SUCCESS without a complete payment: ${e instanceof ShapeError ? e.message : String(e)}`, raw: r };
  }
}

/**
 * `/secapi/pay/reverse`: closes an unpaid order, refunds a paid one. `recall=Y` asks for another
 * call; ORDERNOTEXIST means there is nothing to reverse. Everything else is tried again later.
 */
export async function reverse(ctx: ProviderContext, cfg: WechatPayV2Config, attemptId: string, providerData?: Record<string, string>): Promise<ReverseResult> {
  try {
    const r = await v2Request(ctx, cfg, '/secapi/pay/reverse', { out_trade_no: attemptId }, { cert: true, appid: providerData?.appid ?? cfg.appid });
    return r.recall === 'Y' ? { state: 'retry', reason: 'WeChat Pay answered recall=Y', raw: r } : { state: 'done', raw: r };
  } catch (e) {
    if (e instanceof WechatV2BusinessError && e.errCode === 'ORDERNOTEXIST') return { state: 'done', raw: e.fields };
    const raw = e instanceof WechatV2BusinessError ? e.fields : null;
    return { state: 'retry', reason: e instanceof Error ? e.message : String(e), raw };
  }
}
