// WeChat Pay APIv3 (JSON, RSA-SHA256 + AES-256-GCM): https://pay.weixin.qq.com/doc/v3/merchant/4012365342. Native (QR),
// JSAPI inside WeChat (the openid comes from the official account's OAuth, through Shouyin's JSAPI page), H5 in a
// phone browser, and APP for a merchant's own app (https://pay.weixin.qq.com/doc/v3/merchant/4012791877,
// https://pay.weixin.qq.com/doc/v3/merchant/4012791857).

import type { WechatPayV3Config } from './config';
import type { Flow } from '../../contract';
import { randomAlnum } from '../../crypto/encoding';
import { ProviderError } from '../../lib/errors';
import { jsapiEntryUrl, publicBaseOf, returnHowOf } from '../../lib/wechat-jsapi-entry';
import type { CloseResult, CreateAttemptInput, CreateAttemptResult, PaymentProvider, ProviderContext, QueryResult, RefundResult } from '../types';
import { WechatApiError, usesBuiltInSandbox, wechatRequest } from './client';
import { codepay, reverseCodepay } from './codepay';
import { WECHAT_REVERSE_WINDOW_MS } from '../wechat-pay/channel';
import { ShapeError, answerNotDocumented } from '../errors';
import { REFUND_STATES, TRADE_STATES, asObj, beijingRfc3339, optStr, ownAppid, paymentFacts, str, truncateDescription } from './mapping';
import { parseWechatNotify, wechatAck } from './notify';
import { appSign, jsapiPaySign } from './sign';
import { downloadStatement } from './bill';

/** Path params are PathEscape'd by the SDKs (https://github.com/wechatpay-apiv3/wechatpay-go). */
const seg = encodeURIComponent;

const invalid = (what: string, e: unknown): ProviderError => answerNotDocumented('WeChat Pay', 'APIv3', what, e);

/** JSAPI needs the official account the openid comes from; without `oauth` it is not offered. */
export function wechatV3Flows(cfg: WechatPayV3Config): Flow[] {
  return cfg.oauth ? ['qr', 'jsapi', 'h5', 'app'] : ['qr', 'h5', 'app'];
}

/** The AppID an order of this flow is placed under: the payer's openid belongs to it (JSAPI), the app's SDK checks it (APP). */
function appidFor(cfg: WechatPayV3Config, flow: Flow): string {
  if (flow === 'jsapi') return cfg.oauth?.appid ?? cfg.appid;
  if (flow === 'app') return cfg.app_appid ?? cfg.appid;
  return cfg.appid;
}

const PREPAY_PATH: Partial<Record<Flow, string>> = {
  qr: '/v3/pay/transactions/native',
  jsapi: '/v3/pay/transactions/jsapi',
  h5: '/v3/pay/transactions/h5',
  app: '/v3/pay/transactions/app',
};

/**
 * One PrepayRequest (https://pay.weixin.qq.com/doc/v3/merchant/4012791877) per flow; the same fields for the same
 * out_trade_no give the same answer back.
 */
async function prepay(ctx: ProviderContext, cfg: WechatPayV3Config, input: CreateAttemptInput): Promise<Record<string, unknown>> {
  const path = PREPAY_PATH[input.flow];
  if (!path) throw new ProviderError('flow_unsupported', `wechat-v3 has no ${JSON.stringify(input.flow)} flow.`);
  const body: Record<string, unknown> = {
    appid: appidFor(cfg, input.flow),
    mchid: cfg.mchid,
    description: truncateDescription(input.description),
    out_trade_no: input.attemptId,
    time_expire: beijingRfc3339(input.expiresAt),
    notify_url: input.notifyUrl,
    amount: { total: input.amount, currency: input.currency },
    // attach (string[1,128]) comes back as is in the query and the notify: the merchant's order number
    // (https://pay.weixin.qq.com/doc/v3/merchant/4012791877).
    ...(input.merchantOrderId ? { attach: input.merchantOrderId } : {}),
  };
  if (input.flow === 'jsapi') body.payer = { openid: input.client.openid };
  if (input.flow === 'h5') {
    // H5 checks that the payer's IP is the one that opens h5_url ("网络环境未能通过安全验证").
    if (!input.client.ip) throw new ProviderError('client_ip_missing', "WeChat H5 needs the shopper's IP (CF-Connecting-IP) as scene_info.payer_client_ip.");
    body.scene_info = { payer_client_ip: input.client.ip, h5_info: { type: 'Wap' } };
  }
  const { data } = await wechatRequest(ctx, cfg, 'POST', path, body);
  try {
    return asObj(data, 'prepay');
  } catch (e) {
    throw invalid('prepay', e);
  }
}

const seconds = (ms: number): string => String(Math.floor(ms / 1000));

async function createAttempt(ctx: ProviderContext, cfg: WechatPayV3Config, input: CreateAttemptInput): Promise<CreateAttemptResult> {
  const appid = appidFor(cfg, input.flow);
  if (input.flow === 'jsapi' && !input.client.openid) {
    // No openid yet: Shouyin's JSAPI page runs the OAuth hop, then comes back through this same call,
    // and sends the shopper back to the same /return/<id>/<how> as returnUrl.
    if (!cfg.oauth) throw new ProviderError('flow_unavailable', "wechat-v3 JSAPI needs wechat_pay.oauth (the official account) to learn the payer's openid.");
    return {
      nextAction: {
        type: 'redirect',
        url: await jsapiEntryUrl(publicBaseOf(input.notifyUrl), input.attemptId, cfg.oauth.appsecret, input.expiresAt, returnHowOf(input.returnUrl)),
      },
      providerData: { stage: 'oauth', trade_type: 'JSAPI', appid },
    };
  }
  const answer = await prepay(ctx, cfg, input);
  const field = (k: string): string => {
    try {
      return str(answer, k, 'prepay');
    } catch (e) {
      throw invalid('prepay', e);
    }
  };
  switch (input.flow) {
    case 'qr': {
      const codeUrl = field('code_url');
      return {
        nextAction: {
          type: 'display_qr',
          data: codeUrl,
          expires_at: new Date(input.expiresAt).toISOString(),
          ...(usesBuiltInSandbox(ctx, cfg) ? { sandbox_wallet_url: `${ctx.sandboxBaseUrl}/wechatpay/wallet?code_url=${encodeURIComponent(codeUrl)}` } : {}),
        },
        providerData: { code_url: codeUrl, trade_type: 'NATIVE', appid },
      };
    }
    case 'jsapi': {
      const prepayId = field('prepay_id');
      const p = { appId: appid, timeStamp: seconds(ctx.now()), nonceStr: randomAlnum(32), package: `prepay_id=${prepayId}` };
      // https://pay.weixin.qq.com/doc/v3/merchant/4012791857: signType "RSA", paySign over
      // appId\ntimeStamp\nnonceStr\npackage\n with the merchant key.
      const paySign = await jsapiPaySign({ ...p, privateKey: cfg.private_key });
      return {
        nextAction: { type: 'wechat_jsapi', params: { ...p, signType: 'RSA', paySign } },
        providerData: { prepay_id: prepayId, trade_type: 'JSAPI', appid },
      };
    }
    case 'h5': {
      const h5Url = field('h5_url');
      // The cashier sends the shopper back to redirect_url, where Shouyin re-checks
      // (https://pay.weixin.qq.com/doc/v3/merchant/4012791835).
      const url = input.returnUrl ? `${h5Url}${h5Url.includes('?') ? '&' : '?'}redirect_url=${encodeURIComponent(input.returnUrl)}` : h5Url;
      return { nextAction: { type: 'redirect', url }, providerData: { h5_url: h5Url, trade_type: 'MWEB', appid } };
    }
    case 'app': {
      const prepayId = field('prepay_id');
      const p = { appid, partnerid: cfg.mchid, prepayid: prepayId, package: 'Sign=WXPay', noncestr: randomAlnum(32), timestamp: seconds(ctx.now()) };
      const sign = await appSign({ appid, timestamp: p.timestamp, noncestr: p.noncestr, prepayid: prepayId, privateKey: cfg.private_key });
      return { nextAction: { type: 'app_payload', payload: { ...p, sign } }, providerData: { prepay_id: prepayId, trade_type: 'APP', appid } };
    }
    default:
      throw new ProviderError('flow_unsupported', `wechat-v3 has no ${JSON.stringify(input.flow)} flow.`);
  }
}

/**
 * Query by out_trade_no: 404 ORDER_NOT_EXIST for an unknown order
 * (https://pay.weixin.qq.com/doc/v3/merchant/4012791880).
 */
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
    if (cls === 'paid') {
      const payment = paymentFacts(tx, tradeState === 'REFUND' ? ctx.now() : undefined);
      if (payment.appId !== undefined) payment.appId = ownAppid(cfg, payment.appId);
      return { state: 'paid', payment, raw: tx };
    }
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
  flows: ['qr', 'jsapi', 'h5', 'app'],
  // The day's statement (对账单) for reconciliation: ./bill.ts.
  downloadStatement,

  createAttempt,

  query: queryOrder,

  async close(ctx, cfg, attemptId): Promise<CloseResult> {
    try {
      // 204 No Content on success (https://pay.weixin.qq.com/doc/v3/merchant/4012791881). Note: WeChat has been seen
      // answering 204 even for an unknown out_trade_no, so a caller that must know should query afterwards.
      await wechatRequest(ctx, cfg, 'POST', `/v3/pay/transactions/out-trade-no/${seg(attemptId)}/close`, { mchid: cfg.mchid });
      return { state: 'closed' };
    } catch (e) {
      if (!(e instanceof WechatApiError) || e.httpStatus >= 500) throw e;
      if (e.httpStatus === 404 || e.code === 'ORDER_NOT_EXIST' || e.code === 'ORDERNOTEXIST') return { state: 'not_found' };
      if (e.code === 'ORDER_CLOSED' || e.code === 'ORDERCLOSED') return { state: 'closed' };
      // ORDERPAID / ORDER_PAID / TRADE_ERROR …: the code set is not settled upstream, so the
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

  // In store: the till scans the shopper's payment code (codepay.ts).
  payWithCode: codepay,
  reverse: reverseCodepay,
  reverseWindowMs: WECHAT_REVERSE_WINDOW_MS,

  parseNotify: parseWechatNotify,

  ack: wechatAck,
};
