// UnionPay online payments, 全渠道 ACP 5.1.0 (https://open.unionpay.com/tjweb/acproduct/list?apiSvcId=448): bank cards
// through UnionPay's gateway.
//
//   page / h5  front consumption: a signed form the widget posts to frontTransReq.do in the top
//              window (channelType 07 PC / 08 mobile); the shopper pays on UnionPay's cashier.
//   app        appTransReq.do → `tn`, which the merchant's app hands to the UnionPay SDK.
//   qr         申请二维码 (txnType 01 / txnSubType 07 on backTransReq.do) → `qrCode` for 云闪付 or a
//              bank app. Chosen over the 条码前置 (qra) platform: same protocol, certificates,
//              notifies and queries as the other flows (docs/unionpay.md explains).
//
// The original txnTime is what identifies an order in a query (with orderId), so it is returned in
// providerData and handed back to query/close; the page flow's form fields carry it too.

import type { UnionpayConfig } from './config';
import { ProviderError } from '../../lib/errors';
import type { CloseResult, CreateAttemptResult, PaymentProvider, ProviderContext, QueryResult, RefundResult } from '../types';
import { Endpoint, UnionpayApiError, commonFields, gatewayBase, signRequest, unionpayRequest, usesBuiltInSandbox } from './client';
import { ShapeError, answerNotDocumented } from '../errors';
import {
  CURRENCY_CNY,
  IN_PROGRESS_CODES,
  NOT_FOUND_CODE,
  ORDER_ID,
  SUCCESS_CODES,
  TxnType,
  field,
  orderDescription,
  paymentFacts,
  refundStateOf,
} from './mapping';
import { parseUnionpayNotify, unionpayAck } from './notify';
import { beijingCompact } from './time';
import type { Fields } from './wire';
import { downloadStatement } from './bill';

export const BizType = { gateway: '000201', generic: '000000' } as const;
export const ChannelType = { pc: '07', mobile: '08' } as const;

// Retryable: the order may exist at UnionPay all the same, so it is queried before anything is decided.
const invalid = (what: string, e: unknown): ProviderError => answerNotDocumented('UnionPay', 'ACP', what, e, true);

function orderId(id: string, what: string): string {
  if (!ORDER_ID.test(id)) throw new ProviderError('order_id_invalid', `${what} ${JSON.stringify(id)} is not a UnionPay orderId (8–40 letters and digits).`);
  return id;
}

function txnAmt(amount: number): string {
  if (!Number.isSafeInteger(amount) || amount <= 0)
    throw new ProviderError('amount_invalid', `UnionPay txnAmt must be a positive integer in fen (got ${amount}).`);
  return String(amount);
}

/**
 * The original txnTime of an order: without it UnionPay cannot find the order
 * (https://open.unionpay.com/tjweb/acproduct/APIList?acpAPIId=757&apiservId=448&version=V2.2).
 */
function originalTxnTime(data: Record<string, string> | undefined, what: string): string {
  const t = data?.txnTime;
  if (!t || !/^\d{14}$/.test(t)) {
    throw new ProviderError('txn_time_missing', `UnionPay finds ${what} by orderId and its original txnTime, and none was stored (providerData.txnTime).`);
  }
  return t;
}

async function queryOrder(ctx: ProviderContext, cfg: UnionpayConfig, id: string, txnTime: string): Promise<Fields> {
  return unionpayRequest(ctx, cfg, Endpoint.query, {
    ...commonFields(cfg, txnTime),
    txnType: TxnType.query,
    txnSubType: '00',
    bizType: BizType.generic,
    orderId: id,
  });
}

async function queryAttempt(ctx: ProviderContext, cfg: UnionpayConfig, attemptId: string, data?: Record<string, string>): Promise<QueryResult> {
  const r = await queryOrder(ctx, cfg, orderId(attemptId, 'The attempt id'), originalTxnTime(data, `attempt ${attemptId}`));
  const respCode = r.respCode ?? '';
  // respCode is about the query itself; the order's state is origRespCode
  // (https://open.unionpay.com/tjweb/acproduct/APIList?acpAPIId=757&apiservId=448&version=V2.2).
  if (respCode === NOT_FOUND_CODE) return { state: 'not_found', raw: r };
  if (respCode !== '00') throw new UnionpayApiError(respCode, r.respMsg ?? '');
  try {
    if (r.orderId !== undefined && r.orderId !== attemptId) throw new ShapeError(`orderId ${r.orderId} is not ${attemptId}`);
    const orig = field(r, 'origRespCode', 'query');
    if (SUCCESS_CODES.has(orig)) return { state: 'paid', payment: paymentFacts({ ...r, orderId: attemptId }, ctx.now()), raw: r };
    if (IN_PROGRESS_CODES.has(orig)) return { state: 'pending', raw: r };
    // Any other origRespCode is a failed consume: nothing can be paid on this order any more.
    return { state: 'closed', raw: r };
  } catch (e) {
    if (e instanceof ShapeError) throw invalid('query', e);
    throw e;
  }
}

function refundResult(r: Fields, state: RefundResult['state'], refundNo: string, txnTime: string): RefundResult {
  const out: RefundResult = { state, raw: r, providerData: { orderId: refundNo, txnTime } };
  if (r.queryId) out.providerRefundId = r.queryId;
  return out;
}

export const unionpay: PaymentProvider<UnionpayConfig> = {
  id: 'unionpay-acp',
  channel: 'unionpay',
  flows: ['page', 'h5', 'app', 'qr'],
  // The day's statement (对账单) for reconciliation: ./bill.ts.
  downloadStatement,

  async createAttempt(ctx, cfg, input): Promise<CreateAttemptResult> {
    const id = orderId(input.attemptId, 'The attempt id');
    if (input.currency !== 'CNY') throw new ProviderError('currency_unsupported', 'UnionPay online payments are in CNY (currencyCode 156).');
    // txnTime must be "now" in Beijing, or the gateway answers txnTime无效
    // (https://open.unionpay.com/tjweb/acproduct/APIList?acpAPIId=754&apiservId=448&version=V2.2).
    const txnTime = beijingCompact(ctx.now());
    const base = {
      ...commonFields(cfg, txnTime),
      txnType: TxnType.consume,
      orderId: id,
      currencyCode: CURRENCY_CNY,
      txnAmt: txnAmt(input.amount),
      backUrl: input.notifyUrl,
      // reqReserved (ANS1..1024) comes back as is in the query, the notify and the statement: the merchant's order
      // number, letters, digits, _ and - only, so none of the characters (& = { } [ ] " ') that need encoding there
      // (https://open.unionpay.com/tjweb/acproduct/APIList?acpAPIId=754&apiservId=448&version=V2.2).
      ...(input.merchantOrderId ? { reqReserved: input.merchantOrderId } : {}),
    };
    const gateway = gatewayBase(ctx, cfg);
    switch (input.flow) {
      case 'page':
      case 'h5': {
        if (!input.returnUrl) throw new ProviderError('return_url_missing', 'UnionPay front consumption needs a frontUrl to send the shopper back to.');
        const channelType = input.flow === 'page' ? ChannelType.pc : ChannelType.mobile;
        const fields = await signRequest(cfg, {
          ...base,
          txnSubType: '01',
          bizType: BizType.gateway,
          channelType,
          frontUrl: input.returnUrl,
          // After payTimeout the gateway refuses the order
          // (https://open.unionpay.com/tjweb/acproduct/APIList?acpAPIId=754&apiservId=448&version=V2.2): it ends with
          // the session.
          payTimeout: beijingCompact(input.expiresAt),
          orderDesc: orderDescription(input.description),
        });
        // Nothing is sent from here: the shopper's browser posts the form, and the order exists at
        // UnionPay only from then on (a query before that answers 34, not found).
        return {
          nextAction: { type: 'form_post', url: gateway + Endpoint.front, fields },
          providerData: { txnTime, orderId: id, bizType: BizType.gateway, channelType },
        };
      }
      case 'app': {
        const r = await unionpayRequest(ctx, cfg, Endpoint.app, {
          ...base,
          txnSubType: '01',
          bizType: BizType.gateway,
          channelType: ChannelType.mobile,
          payTimeout: beijingCompact(input.expiresAt),
          orderDesc: orderDescription(input.description),
        });
        if (r.respCode !== '00') throw new UnionpayApiError(r.respCode ?? '', r.respMsg ?? '');
        let tn: string;
        try {
          tn = field(r, 'tn', 'appTransReq');
        } catch (e) {
          throw invalid('appTransReq', e);
        }
        return {
          nextAction: { type: 'app_payload', payload: { tn } },
          providerData: { txnTime, orderId: id, tn, bizType: BizType.gateway, channelType: ChannelType.mobile },
        };
      }
      case 'qr': {
        const r = await unionpayRequest(ctx, cfg, Endpoint.back, {
          ...base,
          txnSubType: '07',
          bizType: BizType.generic,
          channelType: ChannelType.mobile,
          // As for the other flows: past payTimeout the QR can no longer be paid
          // (https://open.unionpay.com/tjweb/acproduct/list?apiSvcId=448, ACP 5.1.0: yyyyMMddHHmmss,
          // Beijing time), so it ends with the session instead of staying payable after it.
          payTimeout: beijingCompact(input.expiresAt),
        });
        if (r.respCode !== '00') throw new UnionpayApiError(r.respCode ?? '', r.respMsg ?? '');
        let qrCode: string;
        try {
          qrCode = field(r, 'qrCode', 'apply QR code');
        } catch (e) {
          throw invalid('apply QR code', e);
        }
        return {
          nextAction: {
            type: 'display_qr',
            data: qrCode,
            expires_at: new Date(input.expiresAt).toISOString(),
            ...(usesBuiltInSandbox(ctx, cfg) ? { sandbox_wallet_url: `${ctx.sandboxBaseUrl}/unionpay/qr?code=${encodeURIComponent(qrCode)}` } : {}),
          },
          providerData: { txnTime, orderId: id, qrCode, bizType: BizType.generic, channelType: ChannelType.mobile },
        };
      }
      default:
        throw new ProviderError('flow_unsupported', `UnionPay supports the page, h5, app and qr flows, not ${JSON.stringify(input.flow)}.`);
    }
  },

  query: queryAttempt,

  /**
   * UnionPay has no "close" for an unpaid consume: payTimeout (= the session's expiry) ends it at the
   * gateway. So close asks: a paid order is `already_paid` (the session applies the payment), anything
   * else is reported closed. Undo (txnType 31) is never used to close: it reverses a payment, which
   * Shouyin only does as a refund the merchant (or the anomaly rules) asked for.
   */
  async close(ctx, cfg, attemptId, data): Promise<CloseResult> {
    const q = await queryAttempt(ctx, cfg, attemptId, data);
    if (q.state === 'paid') return { state: 'already_paid' };
    if (q.state === 'not_found') return { state: 'not_found' };
    return { state: 'closed' };
  },

  async refund(ctx, cfg, input) {
    const refundNo = orderId(input.refundId, 'The refund id');
    const origQryId = input.providerTransactionId;
    if (!origQryId)
      throw new ProviderError('orig_qry_id_missing', `A UnionPay refund needs the payment's queryId (origQryId); attempt ${input.attemptId} has none.`);
    const txnTime = beijingCompact(ctx.now());
    const r = await unionpayRequest(ctx, cfg, Endpoint.back, {
      ...commonFields(cfg, txnTime),
      txnType: TxnType.refund,
      txnSubType: '00',
      bizType: input.providerData?.bizType ?? BizType.gateway,
      channelType: input.providerData?.channelType ?? ChannelType.pc,
      // A refund is its own transaction with a new orderId
      // (https://open.unionpay.com/tjweb/acproduct/APIList?acpAPIId=756&apiservId=448&version=V2.2); partial refunds
      // repeat until the total.
      orderId: refundNo,
      currencyCode: CURRENCY_CNY,
      txnAmt: txnAmt(input.amount),
      backUrl: input.notifyUrl,
      origQryId,
      // Echoed in the refund's notify
      // (https://open.unionpay.com/tjweb/acproduct/APIList?acpAPIId=754&apiservId=448&version=V2.2), which otherwise
      // names only the refund's own orderId.
      reqReserved: input.attemptId,
    });
    const code = r.respCode ?? '';
    // 00 = accepted, not done: the result comes by notify or query
    // (https://open.unionpay.com/tjweb/acproduct/APIList?acpAPIId=756&apiservId=448&version=V2.2). 12 = this orderId
    // was already used, i.e. an earlier try of this very refund got through: find out by query.
    if (code === '00' || code === '12' || IN_PROGRESS_CODES.has(code)) return refundResult(r, 'pending', refundNo, txnTime);
    if (code === '06') throw new UnionpayApiError(code, r.respMsg ?? '');
    return refundResult(r, 'failed', refundNo, txnTime);
  },

  async refundQuery(ctx, cfg, refundId, refundData) {
    const txnTime = originalTxnTime(refundData, `refund ${refundId}`);
    const r = await queryOrder(ctx, cfg, orderId(refundId, 'The refund id'), txnTime);
    const code = r.respCode ?? '';
    // An accepted refund that the query cannot find yet stays pending: calling it failed could
    // lead to refunding twice.
    if (code === NOT_FOUND_CODE) return refundResult(r, 'pending', refundId, txnTime);
    if (code !== '00') throw new UnionpayApiError(code, r.respMsg ?? '');
    try {
      return refundResult(r, refundStateOf(field(r, 'origRespCode', 'refund query')), refundId, txnTime);
    } catch (e) {
      throw invalid('refund query', e);
    }
  },

  parseNotify: parseUnionpayNotify,

  ack: unionpayAck,
};
