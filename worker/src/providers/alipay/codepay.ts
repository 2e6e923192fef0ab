// Alipay payment codes (当面付 条码支付, https://opendocs.alipay.com/open/1f1fe18c_alipay.trade.pay?pathHash=29c9a9ba):
// `alipay.trade.pay` with scene=bar_code charges the code the till scanned; 10000 = paid, 10003 = the shopper must
// confirm (WAIT_BUYER_PAY: "poll the query, then cancel"; gopay's bizErrCheckTradePay accepts both codes);
// `alipay.trade.cancel` undoes a trade the till gave up on (closes it unpaid, refunds it paid; retry_flag=Y: call
// again).

import { ProviderError } from '../../lib/errors';
import type { CodePayInput, CodePayResult, ProviderContext, ReverseResult } from '../types';
import { fenToYuan } from './amount';
import { AlipayApiError, alipayCall } from './client';
import type { AlipayConfig } from './config';
import { ShapeError } from '../errors';
import { paymentFactsFromPay, truncateSubject } from './mapping';

/** 40004 sub_codes that leave the outcome open (the trade may exist, even paid): a query decides. */
const UNKNOWN_SUB_CODES: ReadonlySet<string> = new Set(['ACQ.SYSTEM_ERROR', 'ACQ.TRADE_HAS_SUCCESS', 'ACQ.TRADE_STATUS_ERROR', 'ACQ.TRADE_NOT_EXIST']);

export async function tradePay(ctx: ProviderContext, cfg: AlipayConfig, input: CodePayInput): Promise<CodePayResult> {
  let r: Record<string, unknown>;
  try {
    r = await alipayCall(
      ctx,
      cfg,
      'alipay.trade.pay',
      {
        out_trade_no: input.attemptId,
        scene: 'bar_code',
        auth_code: input.authCode,
        product_code: 'FACE_TO_FACE_PAYMENT',
        subject: truncateSubject(input.description),
        total_amount: fenToYuan(input.amount),
      },
      { notify_url: input.notifyUrl },
    );
  } catch (e) {
    if (e instanceof AlipayApiError) {
      // 10003 ORDER_SUCCESS_PAY_INPROCESS: waiting for the shopper's password.
      if (e.alipayCode === '10003') return { state: 'user_paying', raw: { code: e.alipayCode, sub_code: e.subCode } };
      if (e.retryable || UNKNOWN_SUB_CODES.has(e.subCode)) return { state: 'unknown', reason: e.message, raw: { code: e.alipayCode, sub_code: e.subCode } };
      // 40004 ACQ.PAYMENT_AUTH_CODE_INVALID, ACQ.BUYER_BALANCE_NOT_ENOUGH…, 40001/40002 (the request
      // itself was refused): nothing was charged.
      return { state: 'failed', code: e.subCode || `alipay_${e.alipayCode}`, message: e.subMsg || e.message, raw: { code: e.alipayCode, sub_code: e.subCode } };
    }
    return { state: 'unknown', reason: e instanceof ProviderError || e instanceof Error ? e.message : String(e) };
  }
  try {
    const identity = { appId: cfg.app_id, ...(cfg.seller_id !== undefined ? { sellerId: cfg.seller_id } : {}) };
    return { state: 'paid', payment: paymentFactsFromPay(r, identity, ctx.now()), raw: r };
  } catch (e) {
    return { state: 'unknown', reason: `trade.pay answered 10000 without a complete payment: ${e instanceof ShapeError ? e.message : String(e)}`, raw: r };
  }
}

export async function cancelCodepay(ctx: ProviderContext, cfg: AlipayConfig, attemptId: string): Promise<ReverseResult> {
  try {
    const r = await alipayCall(ctx, cfg, 'alipay.trade.cancel', { out_trade_no: attemptId });
    return r.retry_flag === 'Y' ? { state: 'retry', reason: 'Alipay answered retry_flag=Y', raw: r } : { state: 'done', raw: r };
  } catch (e) {
    // Nothing to cancel: the trade was never made.
    if (e instanceof AlipayApiError && e.subCode === 'ACQ.TRADE_NOT_EXIST') return { state: 'done', raw: { sub_code: e.subCode } };
    // Alipay will never cancel this trade: past its cancel window (ACQ.TRADE_CANCEL_TIME_OUT, 超过撤销时间范围;
    // a refund is the way then) or not cancellable at all (ACQ.CANCEL_NOT_ALLOWED, 交易不允许撤销): error codes of
    // alipay.trade.cancel, https://opendocs.alipay.com/open/13399511_alipay.trade.cancel?pathHash=b0a8222c.
    if (e instanceof AlipayApiError && (e.subCode === 'ACQ.TRADE_CANCEL_TIME_OUT' || e.subCode === 'ACQ.CANCEL_NOT_ALLOWED')) {
      return { state: 'refused', code: e.subCode, reason: e.subMsg || e.message, raw: { code: e.alipayCode, sub_code: e.subCode } };
    }
    return {
      state: 'retry',
      reason: e instanceof Error ? e.message : String(e),
      raw: e instanceof AlipayApiError ? { code: e.alipayCode, sub_code: e.subCode } : null,
    };
  }
}
