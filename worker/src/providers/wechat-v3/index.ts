// WeChat Pay APIv3 (JSON, RSA-SHA256 + AES-256-GCM): providers.md §2. Native (QR) for now.

import type { WechatPayV3Config } from '../../config';
import { ProviderError } from '../../lib/errors';
import type { CloseResult, PaymentProvider, ProviderContext, QueryResult, RefundResult } from '../types';
import { WechatApiError, usesBuiltInSandbox, wechatRequest } from './client';
import { REFUND_STATES, ShapeError, TRADE_STATES, asObj, beijingRfc3339, optStr, paymentFacts, str, truncateDescription } from './mapping';
import { parseWechatNotify, wechatAck } from './notify';

/** Path params are PathEscape'd by the SDKs (§2.1). */
const seg = encodeURIComponent;

function invalid(what: string, e: unknown): ProviderError {
  const detail = e instanceof ShapeError ? e.message : String(e);
  return new ProviderError('invalid_response', `WeChat Pay's ${what} answer is not what APIv3 documents: ${detail}`);
}

/** Query by out_trade_no: 404 ORDER_NOT_EXIST for an unknown order (§2.3, §7 v3 #6). */
async function queryOrder(ctx: ProviderContext, cfg: WechatPayV3Config, attemptId: string): Promise<QueryResult> {
  let data: unknown;
  try {
    ({ data } = await wechatRequest(ctx, cfg, 'GET', `/v3/pay/transactions/out-trade-no/${seg(attemptId)}?mchid=${seg(cfg.mchid)}`));
  } catch (e) {
    if (e instanceof WechatApiError && (e.httpStatus === 404 || e.code === 'ORDER_NOT_EXIST' || e.code === 'ORDERNOTEXIST')) {
      return { state: 'not_found', raw: { code: e.code } };
    }
    throw e;
  }
  try {
    const tx = asObj(data, 'transaction');
    const tradeState = str(tx, 'trade_state', 'transaction');
    const cls = TRADE_STATES[tradeState];
    if (!cls) throw new ShapeError(`unknown trade_state ${JSON.stringify(tradeState)}`);
    if (cls === 'paid') return { state: 'paid', payment: paymentFacts(tx, tradeState === 'REFUND' ? ctx.now() : undefined), raw: tx };
    return { state: cls, raw: tx };
  } catch (e) {
    throw invalid('query', e);
  }
}

function refundResult(data: unknown): RefundResult {
  try {
    const r = asObj(data, 'refund');
    const status = str(r, 'status', 'refund');
    const state = REFUND_STATES[status];
    if (!state) throw new ShapeError(`unknown refund status ${JSON.stringify(status)}`);
    const out: RefundResult = { state, raw: r };
    const id = optStr(r, 'refund_id');
    if (id !== undefined) out.providerRefundId = id;
    return out;
  } catch (e) {
    throw invalid('refund', e);
  }
}

export const wechatV3: PaymentProvider<WechatPayV3Config> = {
  id: 'wechat-v3',
  channel: 'wechat_pay',
  flows: ['qr'],

  async createAttempt(ctx, cfg, input) {
    if (input.flow !== 'qr') {
      throw new ProviderError('flow_unsupported', `wechat-v3 supports the qr (Native) flow only, not ${JSON.stringify(input.flow)}.`);
    }
    const { data } = await wechatRequest(ctx, cfg, 'POST', '/v3/pay/transactions/native', {
      appid: cfg.appid,
      mchid: cfg.mchid,
      description: truncateDescription(input.description),
      out_trade_no: input.attemptId,
      time_expire: beijingRfc3339(input.expiresAt),
      notify_url: input.notifyUrl,
      amount: { total: input.amount, currency: input.currency },
    });
    let codeUrl: string;
    try {
      codeUrl = str(asObj(data, 'prepay'), 'code_url', 'prepay');
    } catch (e) {
      throw invalid('Native prepay', e);
    }
    return {
      nextAction: {
        type: 'display_qr',
        data: codeUrl,
        expires_at: new Date(input.expiresAt).toISOString(),
        ...(usesBuiltInSandbox(ctx, cfg)
          ? { sandbox_wallet_url: `${ctx.sandboxBaseUrl}/wechatpay/wallet?code_url=${encodeURIComponent(codeUrl)}` }
          : {}),
      },
      providerData: { code_url: codeUrl },
    };
  },

  query: queryOrder,

  async close(ctx, cfg, attemptId): Promise<CloseResult> {
    try {
      // 204 No Content on success (§2.1). Note: WeChat has been seen answering 204 even for an
      // unknown out_trade_no, so a caller that must know should query afterwards.
      await wechatRequest(ctx, cfg, 'POST', `/v3/pay/transactions/out-trade-no/${seg(attemptId)}/close`, { mchid: cfg.mchid });
      return { state: 'closed' };
    } catch (e) {
      if (!(e instanceof WechatApiError) || e.httpStatus >= 500) throw e;
      if (e.httpStatus === 404 || e.code === 'ORDER_NOT_EXIST' || e.code === 'ORDERNOTEXIST') return { state: 'not_found' };
      if (e.code === 'ORDER_CLOSED' || e.code === 'ORDERCLOSED') return { state: 'closed' };
      // ORDERPAID / ORDER_PAID / TRADE_ERROR …: the code set is not settled upstream (§9), so the
      // order's own state decides.
      const q = await queryOrder(ctx, cfg, attemptId);
      if (q.state === 'paid') return { state: 'already_paid' };
      if (q.state === 'closed') return { state: 'closed' };
      if (q.state === 'not_found') return { state: 'not_found' };
      throw e;
    }
  },

  async refund(ctx, cfg, input) {
    const { data } = await wechatRequest(ctx, cfg, 'POST', '/v3/refund/domestic/refunds', {
      out_trade_no: input.attemptId,
      out_refund_no: input.refundId,
      ...(input.reason ? { reason: input.reason } : {}),
      notify_url: input.notifyUrl,
      amount: { refund: input.amount, total: input.total, currency: input.currency },
    });
    return refundResult(data);
  },

  async refundQuery(ctx, cfg, refundId) {
    const { data } = await wechatRequest(ctx, cfg, 'GET', `/v3/refund/domestic/refunds/${seg(refundId)}`);
    return refundResult(data);
  },

  parseNotify: parseWechatNotify,

  ack: wechatAck,
};
