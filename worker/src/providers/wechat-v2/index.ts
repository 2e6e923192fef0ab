// WeChat Pay APIv2 (XML, MD5 / HMAC-SHA256): https://pay.weixin.qq.com/wiki/doc/api/index.html. A provider of its own;
// it shares nothing with wechat-v3 but the channel name. Flows: Native QR (mode 2; mode 1 is native-mode1.ts), JSAPI
// inside WeChat, H5 (MWEB) in a phone browser, and APP for a merchant's own app.

import type { Flow } from '../../contract';
import { randomAlnum } from '../../crypto/encoding';
import { jsapiEntryUrl, publicBaseOf, returnHowOf } from '../../lib/wechat-jsapi-entry';
import { ProviderError } from '../../lib/errors';
import type { CloseResult, CreateAttemptInput, CreateAttemptResult, PaymentProvider, ProviderContext, QueryResult, RefundResult } from '../types';
import { WechatV2BusinessError, usesBuiltInSandbox, v2Request } from './client';
import { micropay, reverse } from './codepay';
import { WECHAT_REVERSE_WINDOW_MS } from '../wechat-pay/channel';
import type { WechatPayV2Config } from './config';
import { ShapeError, answerNotDocumented } from '../errors';
import { REFUND_STATES, TRADE_STATES, compactBeijing, field, paymentFacts, truncateBody } from './mapping';
import { ownAppid, parseV2Notify, wechatV2Ack } from './notify';
import { appParams, jsapiParams } from './sign';
import { downloadStatement } from './bill';

const invalid = (what: string, e: unknown): ProviderError => answerNotDocumented('WeChat Pay', 'APIv2', what, e);

/** JSAPI needs the official account the openid comes from; without `oauth` it is not offered. */
export function wechatV2Flows(cfg: WechatPayV2Config): Flow[] {
  return cfg.oauth ? ['qr', 'jsapi', 'h5', 'app'] : ['qr', 'h5', 'app'];
}

const TRADE_TYPE: Partial<Record<Flow, string>> = { qr: 'NATIVE', jsapi: 'JSAPI', h5: 'MWEB', app: 'APP' };

/**
 * The AppID an order of this flow is placed under (the prepay appid must be the one the payer uses,
 * https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=9_1).
 */
function appidFor(cfg: WechatPayV2Config, flow: Flow): string {
  if (flow === 'jsapi') return cfg.oauth?.appid ?? cfg.appid;
  if (flow === 'app') return cfg.app_appid ?? cfg.appid;
  return cfg.appid;
}

const seconds = (ms: number): string => String(Math.floor(ms / 1000));

/** `metadata.source` of a Native mode 1 session (native-mode1.ts), whose metadata also names the scan's product_id and openid. */
export const MODE1_SOURCE = 'wechat_native_mode1';

/**
 * The scan a Native mode 1 order answers: WeChat Pay's callback gives the product_id of the printed QR and
 * the payer's openid, and the order placed for it names both — product_id "二维码中包含的商品ID", openid the
 * user the callback named (https://pay.weixin.qq.com/wiki/doc/api/native.php?chapter=6_4,
 * https://pay.weixin.qq.com/wiki/doc/api/native.php?chapter=9_1).
 */
function mode1Scan(input: CreateAttemptInput): { productId: string; openid?: string } | undefined {
  const m = input.metadata;
  if (input.flow !== 'qr' || m?.source !== MODE1_SOURCE || !m.product_id) return undefined;
  return { productId: m.product_id, ...(m.openid ? { openid: m.openid } : {}) };
}

/**
 * unifiedorder (https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=9_1). Identical fields for the same
 * out_trade_no give back the same prepay_id.
 */
export async function unifiedOrder(ctx: ProviderContext, cfg: WechatPayV2Config, input: CreateAttemptInput, openid?: string): Promise<Record<string, string>> {
  const tradeType = TRADE_TYPE[input.flow];
  if (!tradeType) throw new ProviderError('flow_unsupported', `wechat-v2 has no ${JSON.stringify(input.flow)} flow.`);
  const ip = input.client.ip;
  // H5 is refused unless the IP is the shopper's own ("网络环境未能通过安全验证"); the others accept the caller's.
  if (input.flow === 'h5' && !ip)
    throw new ProviderError('client_ip_missing', "WeChat H5 (MWEB) needs the shopper's IP (CF-Connecting-IP) as spbill_create_ip.");
  const base = publicBaseOf(input.notifyUrl);
  const scan = mode1Scan(input);
  return v2Request(
    ctx,
    cfg,
    '/pay/unifiedorder',
    {
      body: truncateBody(input.description),
      out_trade_no: input.attemptId,
      total_fee: String(input.amount),
      fee_type: input.currency,
      spbill_create_ip: ip ?? '127.0.0.1',
      time_expire: compactBeijing(input.expiresAt),
      notify_url: input.notifyUrl,
      trade_type: tradeType,
      // NATIVE requires a product_id: the merchant's own id for what the QR sells
      // (https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=9_1). A dynamic QR (mode 2) is one attempt;
      // a printed mode-1 QR names its product, and the order placed after a scan names it and its payer.
      product_id: input.flow === 'qr' ? (scan?.productId ?? input.attemptId) : undefined,
      openid: input.flow === 'jsapi' ? openid : scan?.openid,
      // attach (String(127)) comes back as is in the query and the notify: the merchant's order number.
      attach: input.merchantOrderId,
      scene_info:
        input.flow === 'h5'
          ? JSON.stringify({ h5_info: { type: 'Wap', wap_url: base, wap_name: Array.from(input.description).slice(0, 32).join('') } })
          : undefined,
    },
    { appid: appidFor(cfg, input.flow) },
  );
}

async function createAttempt(ctx: ProviderContext, cfg: WechatPayV2Config, input: CreateAttemptInput): Promise<CreateAttemptResult> {
  const appid = appidFor(cfg, input.flow);
  if (input.flow === 'jsapi' && !input.client.openid) {
    // No openid yet: Shouyin's JSAPI page runs the OAuth hop, then comes back through this same call,
    // and sends the shopper back to the same /return/<id>/<how> as returnUrl.
    if (!cfg.oauth) throw new ProviderError('flow_unavailable', "wechat-v2 JSAPI needs wechat_pay.oauth (the official account) to learn the payer's openid.");
    return {
      nextAction: {
        type: 'redirect',
        url: await jsapiEntryUrl(publicBaseOf(input.notifyUrl), input.attemptId, cfg.oauth.appsecret, input.expiresAt, returnHowOf(input.returnUrl)),
      },
      providerData: { stage: 'oauth', trade_type: 'JSAPI', appid },
    };
  }
  const r = await unifiedOrder(ctx, cfg, input, input.client.openid);
  let prepayId: string;
  try {
    prepayId = field(r, 'prepay_id', 'unifiedorder');
  } catch (e) {
    throw invalid('unifiedorder', e);
  }
  const data = { prepay_id: prepayId, trade_type: TRADE_TYPE[input.flow] as string, appid };
  switch (input.flow) {
    case 'qr': {
      if (!r.code_url) throw invalid('unifiedorder', 'code_url is missing');
      return {
        nextAction: {
          type: 'display_qr',
          data: r.code_url,
          expires_at: new Date(input.expiresAt).toISOString(),
          ...(usesBuiltInSandbox(ctx, cfg) ? { sandbox_wallet_url: `${ctx.sandboxBaseUrl}/wechatpay/wallet?code_url=${encodeURIComponent(r.code_url)}` } : {}),
        },
        providerData: { ...data, code_url: r.code_url },
      };
    }
    case 'jsapi': {
      const params = await jsapiParams({
        appId: appid,
        prepayId,
        timeStamp: seconds(ctx.now()),
        nonceStr: randomAlnum(32),
        key: cfg.apiv2_key,
        signType: cfg.sign_type,
      });
      return { nextAction: { type: 'wechat_jsapi', params: { ...params } }, providerData: data };
    }
    case 'h5': {
      if (!r.mweb_url) throw invalid('unifiedorder', 'mweb_url is missing');
      // The cashier sends the shopper back to redirect_url, where Shouyin re-checks
      // (https://pay.weixin.qq.com/wiki/doc/api/H5.php?chapter=9_20&index=1: MWEB).
      const url = input.returnUrl ? `${r.mweb_url}&redirect_url=${encodeURIComponent(input.returnUrl)}` : r.mweb_url;
      return { nextAction: { type: 'redirect', url }, providerData: data };
    }
    case 'app': {
      const payload = await appParams({
        appid,
        mchId: cfg.mch_id,
        prepayId,
        timestamp: seconds(ctx.now()),
        noncestr: randomAlnum(32),
        key: cfg.apiv2_key,
        signType: cfg.sign_type,
      });
      return { nextAction: { type: 'app_payload', payload: { ...payload } }, providerData: data };
    }
    default:
      throw new ProviderError('flow_unsupported', `wechat-v2 has no ${JSON.stringify(input.flow)} flow.`);
  }
}

const notExist = (e: unknown): boolean => e instanceof WechatV2BusinessError && e.errCode === 'ORDERNOTEXIST';

async function query(ctx: ProviderContext, cfg: WechatPayV2Config, attemptId: string, providerData?: Record<string, string>): Promise<QueryResult> {
  let r: Record<string, string>;
  try {
    r = await v2Request(ctx, cfg, '/pay/orderquery', { out_trade_no: attemptId }, { appid: providerData?.appid ?? cfg.appid });
  } catch (e) {
    // An order not made yet (a JSAPI attempt still in its OAuth hop) is not found, which is no failure.
    if (notExist(e)) return { state: 'not_found', raw: { err_code: 'ORDERNOTEXIST' } };
    throw e;
  }
  try {
    const tradeState = field(r, 'trade_state', 'orderquery');
    const cls = TRADE_STATES[tradeState];
    if (!cls) throw new ShapeError(`unknown trade_state ${JSON.stringify(tradeState)}`);
    if (cls !== 'paid') return { state: cls, raw: r };
    const payment = paymentFacts(r, 'orderquery', tradeState === 'REFUND' ? ctx.now() : undefined);
    if (payment.appId !== undefined) payment.appId = ownAppid(cfg, payment.appId);
    return { state: 'paid', payment, raw: r };
  } catch (e) {
    throw invalid('orderquery', e);
  }
}

function refundResult(r: Record<string, string>, refundId: string, appid: string): RefundResult {
  // refundquery answers are indexed (out_refund_no_$n, refund_status_$n…); find ours
  // (https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=9_5).
  const count = Number(r.refund_count ?? '0');
  for (let n = 0; n < Math.min(count, 50); n++) {
    if (r[`out_refund_no_${n}`] !== refundId) continue;
    const status = r[`refund_status_${n}`] ?? '';
    const state = REFUND_STATES[status];
    if (!state) throw invalid('refundquery', `unknown refund_status_${n} ${JSON.stringify(status)}`);
    const out: RefundResult = { state, raw: r, providerData: { appid } };
    const id = r[`refund_id_${n}`];
    if (id) out.providerRefundId = id;
    return out;
  }
  throw invalid('refundquery', `no out_refund_no_$n is ${refundId}`);
}

export const wechatV2: PaymentProvider<WechatPayV2Config> = {
  id: 'wechat-v2',
  channel: 'wechat_pay',
  flows: ['qr', 'jsapi', 'h5', 'app'],
  // The day's statement (对账单) for reconciliation: ./bill.ts.
  downloadStatement,

  createAttempt,
  query,

  async close(ctx, cfg, attemptId, providerData): Promise<CloseResult> {
    try {
      await v2Request(ctx, cfg, '/pay/closeorder', { out_trade_no: attemptId }, { appid: providerData?.appid ?? cfg.appid });
      return { state: 'closed' };
    } catch (e) {
      if (!(e instanceof WechatV2BusinessError) || e.retryable) throw e;
      if (e.errCode === 'ORDERNOTEXIST') return { state: 'not_found' };
      if (e.errCode === 'ORDERCLOSED') return { state: 'closed' };
      if (e.errCode === 'ORDERPAID') return { state: 'already_paid' };
      // Anything else (e.g. REQUIRE_POST_METHOD): the order's own state decides.
      const q = await query(ctx, cfg, attemptId, providerData);
      if (q.state === 'paid') return { state: 'already_paid' };
      if (q.state === 'closed' || q.state === 'not_found') return { state: q.state };
      throw e;
    }
  },

  async refund(ctx, cfg, input) {
    const appid = input.providerData?.appid ?? cfg.appid;
    const r = await v2Request(
      ctx,
      cfg,
      '/secapi/pay/refund',
      {
        out_trade_no: input.attemptId,
        out_refund_no: input.refundId,
        total_fee: String(input.total),
        refund_fee: String(input.amount),
        refund_fee_type: input.currency,
        refund_desc: input.reason ? Array.from(input.reason).slice(0, 80).join('') : undefined,
        notify_url: input.notifyUrl,
      },
      { cert: true, appid },
    );
    // result_code=SUCCESS only means accepted (https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=9_4): the
    // refund query or the refund notify settles it.
    const out: RefundResult = { state: 'pending', raw: r, providerData: { appid } };
    if (r.refund_id) out.providerRefundId = r.refund_id;
    return out;
  },

  async refundQuery(ctx, cfg, refundId, refundData) {
    const appid = refundData?.appid ?? cfg.appid;
    return refundResult(await v2Request(ctx, cfg, '/pay/refundquery', { out_refund_no: refundId }, { appid }), refundId, appid);
  },

  // In store: the till scans the shopper's payment code (codepay.ts).
  payWithCode: micropay,
  reverse,
  reverseWindowMs: WECHAT_REVERSE_WINDOW_MS,

  parseNotify: parseV2Notify,
  ack: wechatV2Ack,
};
