// The simulated WeChat Pay APIv2's XML shapes (https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=9_1,
// https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=7_7&index=6,
// https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=9_2,
// https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=9_7): request validation with the provider's own err_codes,
// signed answers, orderquery / refundquery fields, payment notifies (sent without sign_type, signed with the order's
// algorithm, https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=9_7) and refund notifies (unsigned, `req_info`
// AES-256-ECB-encrypted with the MD5 of the APIv2 key).

import { randomAlnum } from '../../../worker/src/crypto/encoding';
import { encryptReqInfo, sign, type SignType } from '../../../worker/src/providers/wechat-v2/sign';
import { buildXml } from '../../../worker/src/providers/wechat-v2/xml';
import { beijingCompact, beijingDateTime, parseBeijingCompact } from '../time';
import type { OrderInput, OrderRow, RefundRow, TradeType } from './model';

/**
 * A communication-level failure: only return_code/return_msg, unsigned
 * (https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=9_1).
 */
export function v2Fail(msg: string): string {
  return buildXml({ return_code: 'FAIL', return_msg: msg });
}

/** A signed answer: return_code SUCCESS, then the business result (SUCCESS or FAIL + err_code). */
export async function v2Answer(
  base: { appid: string; mch_id: string },
  key: string,
  signType: SignType,
  result:
    | { ok: true; fields?: Record<string, string | null | undefined> }
    | { ok: false; err_code: string; err_code_des: string; fields?: Record<string, string> },
): Promise<string> {
  const f: Record<string, string> = { return_code: 'SUCCESS', return_msg: 'OK', appid: base.appid, mch_id: base.mch_id, nonce_str: randomAlnum(16) };
  if (result.ok) {
    f.result_code = 'SUCCESS';
    for (const [k, v] of Object.entries(result.fields ?? {})) if (v !== null && v !== undefined && v !== '') f[k] = v;
  } else {
    // A failure may say more (reverse: recall=Y asks the merchant to call again).
    Object.assign(f, { result_code: 'FAIL', err_code: result.err_code, err_code_des: result.err_code_des }, result.fields ?? {});
  }
  // Answers are signed with the algorithm the request used
  // (https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=4_3) over the fields sent; no sign_type.
  return buildXml({ ...f, sign: await sign(f, key, signType) });
}

export type V2Check = { ok: true } | { ok: false; err_code: string; err_code_des: string };
const lack = (k: string): V2Check => ({ ok: false, err_code: 'LACK_PARAMS', err_code_des: `缺少参数${k}` });
const bad = (k: string, why: string): V2Check => ({ ok: false, err_code: 'PARAM_ERROR', err_code_des: `${k}参数格式错误：${why}` });

/** out_trade_no / out_refund_no: "只能是数字、大小写字母_-|*@" (https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=9_1). */
const ORDER_NO = /^[0-9A-Za-z_\-|*@]{1,32}$/;
const TRADE_TYPES: readonly TradeType[] = ['JSAPI', 'NATIVE', 'APP', 'MWEB'];

function httpUrlWithoutQuery(v: string): boolean {
  try {
    const u = new URL(v);
    return (u.protocol === 'https:' || u.protocol === 'http:') && u.search === '';
  } catch {
    return false;
  }
}

/**
 * unifiedorder (https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=9_1). `nonce_str` ≤ 32 and the sign are
 * checked before this.
 */
export function validateUnifiedOrder(m: Record<string, string>): V2Check | { ok: true; input: Omit<OrderInput, 'mchid'> } {
  for (const k of ['body', 'out_trade_no', 'total_fee', 'spbill_create_ip', 'notify_url', 'trade_type']) if (!m[k]) return lack(k);
  const body = m.body as string;
  if ([...body].length > 128) return bad('body', '长度超过128');
  if (!ORDER_NO.test(m.out_trade_no as string)) return bad('out_trade_no', '须为32位以内数字、大小写字母或_-|*@');
  if (!/^[1-9][0-9]{0,14}$/.test(m.total_fee as string)) return { ok: false, err_code: 'PARAM_ERROR', err_code_des: 'total_fee须为正整数（单位：分）' };
  if (m.fee_type && m.fee_type !== 'CNY') return bad('fee_type', '仅支持CNY');
  if (!httpUrlWithoutQuery(m.notify_url as string)) return bad('notify_url', '须为不带参数的http(s)地址');
  const tradeType = m.trade_type as TradeType;
  if (!TRADE_TYPES.includes(tradeType)) return { ok: false, err_code: 'PARAM_ERROR', err_code_des: 'trade_type参数错误' };
  // "trade_type=NATIVE时，此参数必传" / "trade_type=JSAPI时，此参数必传"
  // (https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=9_1).
  if (tradeType === 'NATIVE' && !m.product_id) return lack('product_id');
  if (tradeType === 'JSAPI' && !m.openid) return lack('openid');
  if (tradeType === 'MWEB' && !m.scene_info) return lack('scene_info');
  let timeExpire: number | null = null;
  if (m.time_expire) {
    timeExpire = parseBeijingCompact(m.time_expire);
    if (timeExpire === null) return bad('time_expire', '格式为yyyyMMddHHmmss');
  }
  if (m.attach && [...m.attach].length > 127) return bad('attach', '长度超过127');
  return {
    ok: true,
    input: {
      api: 'v2',
      trade_type: tradeType,
      appid: m.appid as string,
      description: body,
      out_trade_no: m.out_trade_no as string,
      notify_url: m.notify_url as string,
      total: Number(m.total_fee),
      currency: 'CNY',
      time_expire: timeExpire,
      attach: m.attach || null,
      // JSAPI names its payer; so may NATIVE, for the order placed after a mode-1 scan
      // (https://pay.weixin.qq.com/wiki/doc/api/native.php?chapter=6_4).
      openid: tradeType === 'JSAPI' || tradeType === 'NATIVE' ? m.openid || null : null,
      client_ip: m.spbill_create_ip as string,
      sign_type: m.sign_type || 'MD5',
      product_id: m.product_id || null,
    },
  };
}

const STATE_DESC: Record<OrderRow['state'], string> = {
  NOTPAY: '订单未支付',
  SUCCESS: '支付成功',
  CLOSED: '订单已关闭',
  REFUND: '订单转入退款',
  USERPAYING: '用户支付中，需要输入密码',
  PAYERROR: '支付失败',
  REVOKED: '订单已撤销',
};

/**
 * orderquery fields of an order (https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=9_2). Paid orders carry the
 * payment; unpaid ones only their state.
 */
export function orderQueryFields(o: OrderRow): Record<string, string | null> {
  const paid = o.state === 'SUCCESS' || o.state === 'REFUND';
  return {
    out_trade_no: o.out_trade_no,
    trade_state: o.state,
    trade_state_desc: STATE_DESC[o.state],
    trade_type: o.trade_type,
    total_fee: String(o.total),
    fee_type: o.currency,
    attach: o.attach,
    ...(paid
      ? {
          openid: o.payer_openid,
          is_subscribe: 'N',
          bank_type: 'OTHERS',
          cash_fee: String(o.total),
          cash_fee_type: o.currency,
          transaction_id: o.transaction_id,
          time_end: o.success_time === null ? null : beijingCompact(o.success_time),
        }
      : {}),
  };
}

/**
 * The payment notify body (https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=9_7): signed with the order's
 * sign_type, which the notify omits.
 */
export async function v2PaymentNotify(o: OrderRow, key: string): Promise<string> {
  const f: Record<string, string> = {
    return_code: 'SUCCESS',
    appid: o.appid,
    mch_id: o.mchid,
    nonce_str: randomAlnum(32),
    result_code: 'SUCCESS',
  };
  for (const [k, v] of Object.entries(orderQueryFields(o))) {
    if (v !== null && v !== '' && k !== 'trade_state' && k !== 'trade_state_desc') f[k] = v;
  }
  const type: SignType = o.sign_type === 'HMAC-SHA256' ? 'HMAC-SHA256' : 'MD5';
  return buildXml({ ...f, sign: await sign(f, key, type) });
}

const REFUND_STATUS: Record<RefundRow['status'], string> = { PROCESSING: 'PROCESSING', SUCCESS: 'SUCCESS' };

/**
 * refundquery fields for the refunds of one order, indexed `_$n`
 * (https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=9_5).
 */
export function refundQueryFields(o: OrderRow, refunds: RefundRow[]): Record<string, string> {
  const f: Record<string, string> = {
    transaction_id: o.transaction_id ?? '',
    out_trade_no: o.out_trade_no,
    total_fee: String(o.total),
    cash_fee: String(o.total),
    refund_count: String(refunds.length),
  };
  refunds.forEach((r, n) => {
    f[`out_refund_no_${n}`] = r.out_refund_no;
    f[`refund_id_${n}`] = r.refund_id;
    f[`refund_channel_${n}`] = 'ORIGINAL';
    f[`refund_fee_${n}`] = String(r.amount);
    f[`refund_status_${n}`] = REFUND_STATUS[r.status];
    f[`refund_recv_accout_${n}`] = '支付用户的零钱';
    if (r.success_time !== null) f[`refund_success_time_${n}`] = beijingDateTime(r.success_time);
  });
  return f;
}

/**
 * The refund notify body (https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=9_16&index=10): no sign; the
 * refund's facts are in the encrypted req_info.
 */
export async function v2RefundNotify(o: OrderRow, r: RefundRow, key: string): Promise<string> {
  const info = buildXml(
    {
      out_refund_no: r.out_refund_no,
      out_trade_no: r.out_trade_no,
      refund_account: 'REFUND_SOURCE_UNSETTLED_FUNDS',
      refund_fee: String(r.amount),
      refund_id: r.refund_id,
      refund_recv_accout: '支付用户零钱',
      refund_request_source: 'API',
      refund_status: REFUND_STATUS[r.status],
      settlement_refund_fee: String(r.amount),
      settlement_total_fee: String(r.total),
      ...(r.success_time !== null ? { success_time: beijingDateTime(r.success_time) } : {}),
      total_fee: String(r.total),
      transaction_id: r.transaction_id,
    },
    'root',
  );
  return buildXml({ return_code: 'SUCCESS', appid: o.appid, mch_id: o.mchid, nonce_str: randomAlnum(32), req_info: await encryptReqInfo(info, key) });
}
