// Alipay OpenAPI (gateway.do, RSA2): https://opendocs.alipay.com/common/02kf5q. Flows:
//   qr   alipay.trade.precreate → qr_code, shown as a QR (当面付 scan)
//   page alipay.trade.page.pay  → form_post to the gateway in the top window (PC cashier)
//   h5   alipay.trade.wap.pay   → form_post, with quit_url (mobile browser cashier)
//   app  alipay.trade.app.pay   → the signed order string the merchant's app hands to the Alipay SDK
// Page, wap and app trades do not exist at Alipay until the shopper submits them; a precreate trade
// not until it is scanned. Until then query and close answer ACQ.TRADE_NOT_EXIST
// (https://opendocs.alipay.com/open/6f534d7f_alipay.trade.query?pathHash=98c03720).

import { ProviderError } from '../../lib/errors';
import type { CloseResult, CreateAttemptInput, CreateAttemptResult, PaymentProvider, ProviderContext, QueryResult, RefundResult } from '../types';
import { fenToYuan } from './amount';
import type { AlipayConfig } from './config';
import { AlipayApiError, alipayCall, gatewayRequestUrl, gatewayUrl, signedParams, splitForGateway, usesBuiltInSandbox } from './client';
import { cancelCodepay, tradePay } from './codepay';
import { ShapeError, answerNotDocumented } from '../errors';
import { TRADE_STATUS, field, optField, paymentFactsFromQuery, truncateSubject } from './mapping';
import { alipayAck, parseAlipayNotify } from './notify';
import type { Params } from './sign';
import { beijingDateTime } from './time';
import { downloadStatement } from './bill';

export const TRADE_NOT_EXIST = 'ACQ.TRADE_NOT_EXIST';

const PRODUCT_CODE = {
  qr: 'FACE_TO_FACE_PAYMENT',
  page: 'FAST_INSTANT_TRADE_PAY',
  h5: 'QUICK_WAP_WAY',
  app: 'QUICK_MSECURITY_PAY',
} as const;

const METHOD = {
  qr: 'alipay.trade.precreate',
  page: 'alipay.trade.page.pay',
  h5: 'alipay.trade.wap.pay',
  app: 'alipay.trade.app.pay',
} as const;

type AlipayFlow = keyof typeof METHOD;
const isAlipayFlow = (f: string): f is AlipayFlow => Object.hasOwn(METHOD, f);

const invalid = (what: string, e: unknown): ProviderError => answerNotDocumented('Alipay', 'the OpenAPI', what, e);

const notExist = (e: unknown): boolean => e instanceof AlipayApiError && e.subCode === TRADE_NOT_EXIST;

/** biz_content of a payment: the order as Alipay must charge it. Amount in yuan, expiry in Beijing time. */
function tradeBiz(flow: AlipayFlow, input: CreateAttemptInput): Record<string, unknown> {
  return {
    out_trade_no: input.attemptId,
    total_amount: fenToYuan(input.amount),
    subject: truncateSubject(input.description),
    product_code: PRODUCT_CODE[flow],
    // Absolute expiry: the trade stops being payable when the session does.
    time_expire: beijingDateTime(input.expiresAt),
    // wap.pay: where the cashier's "back" leads when the shopper gives up
    // (https://opendocs.alipay.com/open/29ae8cb6_alipay.trade.wap.pay?pathHash=0a6313c7).
    // `quit=1` tells /return the shopper left without paying (docs/widget.md, "Back from a wallet").
    ...(flow === 'h5' && input.returnUrl ? { quit_url: withQuery(input.returnUrl, 'quit', '1') } : {}),
    // passback_params (≤ 512, URL-encoded before sending) comes back as is in the async notify: the merchant's
    // order number (https://opendocs.alipay.com/open/59da99d0_alipay.trade.page.pay).
    ...(input.merchantOrderId ? { passback_params: encodeURIComponent(input.merchantOrderId) } : {}),
  };
}

function withQuery(url: string, k: string, v: string): string {
  const u = new URL(url);
  u.searchParams.set(k, v);
  return u.href;
}

/**
 * Query by out_trade_no. ACQ.TRADE_NOT_EXIST is the normal answer for a QR nobody has scanned yet
 * and for a page/wap/app trade the shopper has not submitted: nothing is paid, the order may still
 * be, so it reads as pending — never as a failure.
 */
async function queryTrade(ctx: ProviderContext, cfg: AlipayConfig, attemptId: string): Promise<QueryResult> {
  let t: Record<string, unknown>;
  try {
    t = await alipayCall(ctx, cfg, 'alipay.trade.query', { out_trade_no: attemptId });
  } catch (e) {
    if (notExist(e)) return { state: 'pending', raw: { sub_code: TRADE_NOT_EXIST } };
    throw e;
  }
  try {
    const status = field(t, 'trade_status', 'alipay_trade_query_response');
    const cls = TRADE_STATUS[status];
    if (!cls) throw new ShapeError(`unknown trade_status ${JSON.stringify(status)}`);
    const identity = { appId: cfg.app_id, ...(cfg.seller_id !== undefined ? { sellerId: cfg.seller_id } : {}) };
    // A fully refunded trade is TRADE_CLOSED too; one that was ever paid has a send_pay_date, and
    // must not be mistaken for an order nobody paid.
    if (cls === 'paid' || (cls === 'closed' && optField(t, 'send_pay_date') !== undefined)) {
      return { state: 'paid', payment: paymentFactsFromQuery(t, identity, ctx.now()), raw: t };
    }
    return { state: cls, raw: t };
  } catch (e) {
    throw invalid('alipay.trade.query', e);
  }
}

/**
 * What alipay.trade.cancel did (https://opendocs.alipay.com/open/13399511_alipay.trade.cancel?pathHash=b0a8222c):
 * `close` (unpaid, now closed) or `refund` (paid, money returned).
 */
export interface CancelResult {
  action: 'close' | 'refund' | 'none';
  /** `retry_flag` = Y: Alipay asks for the cancel to be sent again. */
  retry: boolean;
  raw: unknown;
}

/**
 * alipay.trade.cancel: reverses a face-to-face trade whatever its state — it closes an unpaid one
 * and REFUNDS a paid one. Never used to close an abandoned QR or cashier attempt: that must not give
 * back a payment the session is about to learn of (close does that job). Only a payment code the till
 * gave up on is cancelled, through the provider's `reverse` (codepay.ts).
 */
export async function cancelTrade(ctx: ProviderContext, cfg: AlipayConfig, attemptId: string): Promise<CancelResult> {
  const r = await alipayCall(ctx, cfg, 'alipay.trade.cancel', { out_trade_no: attemptId });
  const action = optField(r, 'action');
  return { action: action === 'close' || action === 'refund' ? action : 'none', retry: optField(r, 'retry_flag') === 'Y', raw: r };
}

async function refundStatus(ctx: ProviderContext, cfg: AlipayConfig, outTradeNo: string, refundId: string): Promise<RefundResult> {
  const r = await alipayCall(ctx, cfg, 'alipay.trade.fastpay.refund.query', { out_trade_no: outTradeNo, out_request_no: refundId });
  // REFUND_SUCCESS = done. No refund_status = not received (yet) or failed: the caller asks again
  // later, and a refund that never arrived can be re-sent with the same out_request_no
  // (https://opendocs.alipay.com/open/f60979b3_alipay.trade.refund?pathHash=e4c921a7).
  return {
    state: optField(r, 'refund_status') === 'REFUND_SUCCESS' ? 'succeeded' : 'pending',
    providerData: { out_trade_no: outTradeNo },
    raw: r,
  };
}

export const alipay: PaymentProvider<AlipayConfig> = {
  id: 'alipay',
  channel: 'alipay',
  flows: ['qr', 'page', 'h5', 'app'],
  // The day's statement (对账单) for reconciliation: ./bill.ts.
  downloadStatement,

  async createAttempt(ctx, cfg, input): Promise<CreateAttemptResult> {
    const flow = input.flow;
    if (!isAlipayFlow(flow)) throw new ProviderError('flow_unsupported', `alipay supports the qr, page, h5 and app flows, not ${JSON.stringify(flow)}.`);
    const biz = tradeBiz(flow, input);
    const method = METHOD[flow];
    const notify: Params = { notify_url: input.notifyUrl };

    if (flow === 'qr') {
      const r = await alipayCall(ctx, cfg, method, biz, notify);
      let qrCode: string;
      try {
        qrCode = field(r, 'qr_code', 'alipay_trade_precreate_response');
      } catch (e) {
        throw invalid(method, e);
      }
      return {
        nextAction: {
          type: 'display_qr',
          data: qrCode,
          expires_at: new Date(input.expiresAt).toISOString(),
          ...(usesBuiltInSandbox(ctx, cfg) ? { sandbox_wallet_url: `${ctx.sandboxBaseUrl}/alipay/cashier?qr_code=${encodeURIComponent(qrCode)}` } : {}),
        },
        providerData: { flow, qr_code: qrCode },
      };
    }

    if (flow === 'app') {
      // The order string is every signed parameter as k=encodeURIComponent(v), joined with & (the
      // SDKs' sdkExecute); the app hands it to the Alipay SDK untouched. No notify_url in biz.
      const params = await signedParams(ctx, cfg, method, biz, notify);
      const payload = Object.keys(params)
        .sort()
        .map((k) => `${k}=${encodeURIComponent(params[k] as string)}`)
        .join('&');
      return { nextAction: { type: 'app_payload', payload }, providerData: { flow } };
    }

    // page / h5: a POST form to the gateway, submitted by the widget in the top window. The common
    // parameters (and sign) ride on the action URL with charset=utf-8, biz_content in the body, as the
    // SDKs' pageExec builds it. A form rather than a GET URL keeps the order out of history and logs.
    const extra: Params = { ...notify, ...(input.returnUrl ? { return_url: input.returnUrl } : {}) };
    const { query, body } = splitForGateway(await signedParams(ctx, cfg, method, biz, extra));
    return {
      nextAction: { type: 'form_post', url: gatewayRequestUrl(gatewayUrl(ctx, cfg), query), fields: body },
      providerData: { flow },
    };
  },

  query: queryTrade,

  async close(ctx, cfg, attemptId): Promise<CloseResult> {
    try {
      await alipayCall(ctx, cfg, 'alipay.trade.close', { out_trade_no: attemptId });
      return { state: 'closed' };
    } catch (e) {
      // Not scanned / not submitted yet: there is nothing to close, but the QR or cashier can still
      // create the trade and be paid until its time_expire. `not_found` is not `closed`: the session
      // closes it again until then (session/order-engine.ts, docs/reliability.md#expiry-and-close).
      if (notExist(e)) return { state: 'not_found' };
      if (!(e instanceof AlipayApiError) || e.retryable) throw e;
      // ACQ.TRADE_STATUS_ERROR & co.: paid, or closed already. The trade's own state decides.
      const q = await queryTrade(ctx, cfg, attemptId);
      if (q.state === 'paid') return { state: 'already_paid' };
      if (q.state === 'closed') return { state: 'closed' };
      throw e;
    }
  },

  async refund(ctx, cfg, input) {
    // out_request_no makes partial and repeated refunds possible, and a retry with the same one is
    // idempotent (https://opendocs.alipay.com/open/f60979b3_alipay.trade.refund?pathHash=e4c921a7).
    const r = await alipayCall(ctx, cfg, 'alipay.trade.refund', {
      out_trade_no: input.attemptId,
      refund_amount: fenToYuan(input.amount),
      out_request_no: input.refundId,
      ...(input.reason ? { refund_reason: input.reason } : {}),
    });
    // fund_change = Y: money moved on this very call. N: this out_request_no was refunded before, or
    // is still in progress; refund.query says which.
    if (optField(r, 'fund_change') === 'Y') return { state: 'succeeded', providerData: { out_trade_no: input.attemptId }, raw: r };
    return refundStatus(ctx, cfg, input.attemptId, input.refundId);
  },

  async refundQuery(ctx, cfg, refundId, refundData) {
    const outTradeNo = refundData?.out_trade_no;
    if (!outTradeNo) {
      throw new ProviderError(
        'refund_data_missing',
        `alipay.trade.fastpay.refund.query needs the refund's out_trade_no, which was not kept with refund ${refundId}.`,
      );
    }
    return refundStatus(ctx, cfg, outTradeNo, refundId);
  },

  // In store: the till scans the shopper's payment code (codepay.ts).
  payWithCode: tradePay,
  reverse: cancelCodepay,

  parseNotify: parseAlipayNotify,

  ack: alipayAck,
};
