// The orders the simulator stores (one ledger for APIv2 and APIv3, as WeChat Pay keeps one per
// merchant), the APIv3 objects it answers with (https://pay.weixin.qq.com/doc/v3/merchant/4012791880,
// https://pay.weixin.qq.com/doc/v3/merchant/4012791861), and the APIv3 request validation that yields the provider's
// own error codes (https://pay.weixin.qq.com/doc/v3/merchant/4012791877). APIv2's XML shapes are in v2model.ts.

import { randomAlnum } from '../../../worker/src/crypto/encoding';
import { beijingCompact, beijingDate, beijingRfc3339, parseRfc3339 } from '../time';

/** USERPAYING, PAYERROR and REVOKED are payment-code (MICROPAY) states: a password, a decline, a reversal. */
export type TradeState = 'NOTPAY' | 'SUCCESS' | 'CLOSED' | 'REFUND' | 'USERPAYING' | 'PAYERROR' | 'REVOKED';
export type RefundStatus = 'PROCESSING' | 'SUCCESS';
export type Api = 'v2' | 'v3';
/**
 * JSAPI (in WeChat), NATIVE (QR), MWEB (H5), APP (https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=9_1,
 * https://pay.weixin.qq.com/doc/v3/merchant/4012791880), MICROPAY (a scanned payment code,
 * https://pay.weixin.qq.com/wiki/doc/api/micropay.php?chapter=9_10&index=1).
 */
export type TradeType = 'NATIVE' | 'JSAPI' | 'MWEB' | 'APP' | 'MICROPAY';

/** A row of the ledger's `orders` table. Times are ms since the epoch on the ledger's clock. */
export type OrderRow = {
  mchid: string;
  out_trade_no: string;
  /** The API the order was placed with: its notifies and answers speak that API. */
  api: Api;
  trade_type: TradeType;
  /** `wx<yyyyMMddHHmmss><random>`; what JSAPI, H5 and APP payments name the order by. */
  prepay_id: string;
  /** JSAPI: the only payer allowed (payer.openid / openid of the prepay). */
  openid: string | null;
  client_ip: string | null;
  /**
   * v2: the order's sign_type, which also signs its notify (sent without sign_type,
   * https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=9_7).
   */
  sign_type: string | null;
  product_id: string | null;
  appid: string;
  description: string;
  notify_url: string;
  total: number;
  currency: string;
  attach: string | null;
  time_expire: number | null;
  fingerprint: string;
  /** NATIVE only. */
  code_url: string | null;
  state: TradeState;
  transaction_id: string | null;
  success_time: number | null;
  payer_openid: string | null;
  created_at: number;
  closed_at: number | null;
};

export type RefundRow = {
  api: Api;
  mchid: string;
  out_refund_no: string;
  out_trade_no: string;
  transaction_id: string;
  refund_id: string;
  amount: number;
  total: number;
  currency: string;
  reason: string | null;
  notify_url: string | null;
  status: RefundStatus;
  created_at: number;
  success_time: number | null;
};

const DESC: Record<TradeState, string> = {
  NOTPAY: '订单未支付',
  SUCCESS: '支付成功',
  CLOSED: '订单已关闭',
  REFUND: '转入退款',
  USERPAYING: '用户支付中，需要输入密码',
  PAYERROR: '支付失败',
  REVOKED: '已撤销',
};

/**
 * The Transaction JSON of query answers and TRANSACTION.SUCCESS notifies
 * (https://pay.weixin.qq.com/doc/v3/merchant/4012791880: Transaction).
 */
export interface TransactionJson {
  appid: string;
  mchid: string;
  out_trade_no: string;
  transaction_id?: string;
  trade_type: TradeType;
  trade_state: TradeState;
  trade_state_desc: string;
  bank_type?: string;
  attach?: string;
  success_time?: string;
  payer?: { openid: string };
  amount: { total: number; payer_total?: number; currency: string; payer_currency: string };
  /** Always empty: the sandbox has no coupons. */
  promotion_detail: string[];
}

export function transactionJson(o: OrderRow): TransactionJson {
  const paid = o.state === 'SUCCESS' || o.state === 'REFUND';
  return {
    appid: o.appid,
    mchid: o.mchid,
    out_trade_no: o.out_trade_no,
    ...(paid && o.transaction_id ? { transaction_id: o.transaction_id } : {}),
    trade_type: o.trade_type,
    trade_state: o.state,
    trade_state_desc: DESC[o.state],
    ...(paid ? { bank_type: 'OTHERS' } : {}),
    ...(o.attach !== null ? { attach: o.attach } : {}),
    ...(paid && o.success_time !== null ? { success_time: beijingRfc3339(o.success_time) } : {}),
    ...(paid && o.payer_openid ? { payer: { openid: o.payer_openid } } : {}),
    // An unpaid order has no payer_total: nobody has paid anything yet.
    amount: paid
      ? { total: o.total, payer_total: o.total, currency: o.currency, payer_currency: o.currency }
      : { total: o.total, currency: o.currency, payer_currency: o.currency },
    promotion_detail: [],
  };
}

/**
 * The Refund JSON of refund create / query answers (https://pay.weixin.qq.com/doc/v3/merchant/4012791883: Refund
 * response).
 */
export interface RefundJson {
  refund_id: string;
  out_refund_no: string;
  transaction_id: string;
  out_trade_no: string;
  channel: 'ORIGINAL';
  user_received_account: string;
  success_time?: string;
  create_time: string;
  status: RefundStatus;
  funds_account: 'AVAILABLE';
  amount: {
    total: number;
    refund: number;
    from: string[];
    payer_total: number;
    payer_refund: number;
    settlement_refund: number;
    settlement_total: number;
    discount_refund: number;
    currency: string;
    refund_fee: number;
  };
  promotion_detail: string[];
}

export function refundJson(r: RefundRow): RefundJson {
  return {
    refund_id: r.refund_id,
    out_refund_no: r.out_refund_no,
    transaction_id: r.transaction_id,
    out_trade_no: r.out_trade_no,
    channel: 'ORIGINAL' as const,
    user_received_account: '支付用户零钱',
    ...(r.success_time !== null ? { success_time: beijingRfc3339(r.success_time) } : {}),
    create_time: beijingRfc3339(r.created_at),
    status: r.status,
    funds_account: 'AVAILABLE' as const,
    amount: {
      total: r.total,
      refund: r.amount,
      from: [],
      payer_total: r.total,
      payer_refund: r.amount,
      settlement_refund: r.amount,
      settlement_total: r.total,
      discount_refund: 0,
      currency: r.currency,
      refund_fee: 0,
    },
    promotion_detail: [],
  };
}

/** The REFUND.SUCCESS notify plaintext (https://pay.weixin.qq.com/doc/v3/merchant/4012791865). */
export interface RefundNotifyJson {
  mchid: string;
  transaction_id: string;
  out_trade_no: string;
  refund_id: string;
  out_refund_no: string;
  refund_status: RefundStatus;
  success_time?: string;
  user_received_account: string;
  amount: { total: number; refund: number; payer_total: number; payer_refund: number };
}

export function refundNotifyJson(r: RefundRow): RefundNotifyJson {
  return {
    mchid: r.mchid,
    transaction_id: r.transaction_id,
    out_trade_no: r.out_trade_no,
    refund_id: r.refund_id,
    out_refund_no: r.out_refund_no,
    refund_status: r.status,
    ...(r.success_time !== null ? { success_time: beijingRfc3339(r.success_time) } : {}),
    user_received_account: '支付用户零钱',
    amount: { total: r.total, refund: r.amount, payer_total: r.total, payer_refund: r.amount },
  };
}

function digits(n: number): string {
  const b = crypto.getRandomValues(new Uint8Array(n));
  return Array.from(b, (x) => String(x % 10)).join('');
}

/** 28 digits shaped like WeChat's `4200001234202401011234567890`. */
export const newTransactionId = (now: number): string => `42000${digits(5)}${beijingDate(now)}${digits(10)}`;
/** 29 digits shaped like WeChat's `50000000382019052709732678859`. */
export const newRefundId = (now: number): string => `50${digits(11)}${beijingDate(now)}${digits(8)}`;
/**
 * `weixin://wxpay/bizpayurl?pr=` + 10 alphanumerics (https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=9_1,
 * https://pay.weixin.qq.com/doc/v3/merchant/4012791877).
 */
export const newCodeUrl = (): string => `weixin://wxpay/bizpayurl?pr=${randomAlnum(10)}`;
/**
 * `wx` + yyyyMMddHHmmss (Beijing) + 20 more, like `wx201410272009395522657a690389285100`
 * (https://pay.weixin.qq.com/doc/v3/merchant/4012791856).
 */
export const newPrepayId = (now: number): string => `wx${beijingCompact(now)}${randomAlnum(20).toLowerCase()}`;

// ------------------------------------------------------------------------- request validation

export interface ApiError {
  status: number;
  code: string;
  message: string;
  detail?: { field: string; location: 'body' | 'query' | 'path' | 'header' };
}

export const paramError = (field: string, message: string, location: 'body' | 'query' | 'path' = 'body'): ApiError => ({
  status: 400,
  code: 'PARAM_ERROR',
  message,
  detail: { field, location },
});

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** out_trade_no / out_refund_no: "只能是数字、大小写字母_-|*@" (WeChat docs). */
const ORDER_NO = /^[0-9A-Za-z_\-|*@]+$/;

function httpUrl(v: unknown): boolean {
  if (typeof v !== 'string') return false;
  try {
    const u = new URL(v);
    return u.protocol === 'https:' || u.protocol === 'http:';
  } catch {
    return false;
  }
}

/** A new order, from either API. */
export interface OrderInput {
  api: Api;
  trade_type: TradeType;
  appid: string;
  mchid: string;
  description: string;
  out_trade_no: string;
  notify_url: string;
  total: number;
  currency: string;
  time_expire: number | null;
  attach: string | null;
  openid: string | null;
  client_ip: string | null;
  sign_type: string | null;
  product_id: string | null;
}

/** The APIv3 PrepayRequest fields (the API, trade type and payer are filled in per endpoint). */
export type PrepayInput = Omit<OrderInput, 'api' | 'trade_type' | 'openid' | 'client_ip' | 'sign_type' | 'product_id'>;

/**
 * Native PrepayRequest (https://pay.weixin.qq.com/doc/v3/merchant/4012791877). Returns the first problem as WeChat's
 * 400 PARAM_ERROR.
 */
export function validatePrepay(body: unknown): PrepayInput | ApiError {
  if (!isObj(body)) return paramError('body', '请求体不是合法的JSON对象');
  const s = (k: string): string | undefined => (typeof body[k] === 'string' && body[k] !== '' ? (body[k] as string) : undefined);
  for (const k of ['appid', 'mchid', 'description', 'out_trade_no', 'notify_url']) {
    if (s(k) === undefined) return paramError(k, `输入源"/body/${k}"映射到值字段"${k}"字符串规则校验失败，字段缺失或为空`);
  }
  const description = s('description') as string;
  if ([...description].length > 127) return paramError('description', 'description 长度超过127个字符');
  const no = s('out_trade_no') as string;
  if (no.length < 6 || no.length > 32 || !ORDER_NO.test(no)) {
    return paramError('out_trade_no', 'out_trade_no 须为6-32位数字、大小写字母或_-|*@');
  }
  const notifyUrl = s('notify_url') as string;
  // "通知URL必须为直接可访问的URL，不允许携带查询串" (v3 prepay docs).
  if (!httpUrl(notifyUrl) || new URL(notifyUrl).search !== '') {
    return paramError('notify_url', 'notify_url 须为不带查询串的 https 或 http 地址');
  }
  const amount = body.amount;
  if (!isObj(amount)) return paramError('amount', 'amount 字段缺失');
  if (typeof amount.total !== 'number' || !Number.isInteger(amount.total) || amount.total < 1) {
    return paramError('amount.total', 'amount.total 须为大于0的整数（单位：分）');
  }
  if (amount.currency !== undefined && amount.currency !== 'CNY') return paramError('amount.currency', 'amount.currency 仅支持 CNY');
  let timeExpire: number | null = null;
  if (body.time_expire !== undefined) {
    timeExpire = typeof body.time_expire === 'string' ? parseRfc3339(body.time_expire) : null;
    if (timeExpire === null) return paramError('time_expire', 'time_expire 须为 RFC3339 格式，如 2018-06-08T10:34:56+08:00');
  }
  if (body.attach !== undefined && (typeof body.attach !== 'string' || [...body.attach].length > 128)) {
    return paramError('attach', 'attach 须为不超过128个字符的字符串');
  }
  return {
    appid: s('appid') as string,
    mchid: s('mchid') as string,
    description,
    out_trade_no: no,
    notify_url: notifyUrl,
    total: amount.total,
    currency: 'CNY',
    time_expire: timeExpire,
    attach: typeof body.attach === 'string' ? body.attach : null,
  };
}

/**
 * What "the same order" means for a repeated out_trade_no: every field that defines it. Only the
 * nonce and the client IP may change between identical re-requests (then the same prepay comes
 * back); anything else, the trade type included, is OUT_TRADE_NO_USED.
 */
export function orderFingerprint(p: OrderInput): string {
  return JSON.stringify([p.api, p.trade_type, p.appid, p.description, p.notify_url, p.total, p.currency, p.time_expire, p.attach, p.openid, p.product_id]);
}

/**
 * APIv3 JSAPI / H5 extras (https://pay.weixin.qq.com/doc/v3/merchant/4012791856,
 * https://pay.weixin.qq.com/doc/v3/merchant/4012791834): payer.openid, scene_info.payer_client_ip + h5_info.type.
 */
export function validateV3Extras(body: unknown, tradeType: TradeType): { openid: string | null; client_ip: string | null } | ApiError {
  const b = isObj(body) ? body : {};
  if (tradeType === 'JSAPI') {
    const payer = b.payer;
    const openid = isObj(payer) && typeof payer.openid === 'string' && payer.openid !== '' ? payer.openid : null;
    if (!openid) return paramError('payer.openid', '输入源"/body/payer/openid"映射到值字段"用户标识"字符串规则校验失败，字段缺失或为空');
    return { openid, client_ip: null };
  }
  if (tradeType === 'MWEB') {
    const scene = b.scene_info;
    const ip = isObj(scene) && typeof scene.payer_client_ip === 'string' ? scene.payer_client_ip : '';
    if (!/^[0-9A-Fa-f:.]{2,45}$/.test(ip)) return paramError('scene_info.payer_client_ip', 'scene_info.payer_client_ip 须为用户端实际 IP');
    const h5 = isObj(scene) ? scene.h5_info : undefined;
    if (!isObj(h5) || typeof h5.type !== 'string' || h5.type === '')
      return paramError('scene_info.h5_info.type', 'scene_info.h5_info.type 字段缺失（如 Wap、iOS、Android）');
    return { openid: null, client_ip: ip };
  }
  return { openid: null, client_ip: null };
}

export interface RefundInput {
  out_trade_no?: string;
  transaction_id?: string;
  out_refund_no: string;
  reason: string | null;
  notify_url: string | null;
  refund: number;
  total: number;
  currency: string;
}

/** Refund CreateRequest (https://pay.weixin.qq.com/doc/v3/merchant/4012791883). */
export function validateRefund(body: unknown): RefundInput | ApiError {
  if (!isObj(body)) return paramError('body', '请求体不是合法的JSON对象');
  const no = body.out_refund_no;
  if (typeof no !== 'string' || no.length < 1 || no.length > 64 || !ORDER_NO.test(no)) {
    return paramError('out_refund_no', 'out_refund_no 须为1-64位数字、大小写字母或_-|*@');
  }
  const tradeNo = typeof body.out_trade_no === 'string' && body.out_trade_no !== '' ? body.out_trade_no : undefined;
  const txId = typeof body.transaction_id === 'string' && body.transaction_id !== '' ? body.transaction_id : undefined;
  if (tradeNo === undefined && txId === undefined) return paramError('out_trade_no', 'transaction_id 和 out_trade_no 必须二选一');
  if (body.notify_url !== undefined && (!httpUrl(body.notify_url) || new URL(body.notify_url as string).search !== '')) {
    return paramError('notify_url', 'notify_url 须为不带查询串的 https 或 http 地址');
  }
  if (body.reason !== undefined && (typeof body.reason !== 'string' || [...body.reason].length > 80)) {
    return paramError('reason', 'reason 须为不超过80个字符的字符串');
  }
  const amount = body.amount;
  if (!isObj(amount)) return paramError('amount', 'amount 字段缺失');
  for (const k of ['refund', 'total'] as const) {
    const v = amount[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) return paramError(`amount.${k}`, `amount.${k} 须为大于0的整数（单位：分）`);
  }
  if (amount.currency !== 'CNY') return paramError('amount.currency', 'amount.currency 须为 CNY');
  return {
    ...(tradeNo !== undefined ? { out_trade_no: tradeNo } : {}),
    ...(txId !== undefined ? { transaction_id: txId } : {}),
    out_refund_no: no,
    reason: typeof body.reason === 'string' ? body.reason : null,
    notify_url: typeof body.notify_url === 'string' ? body.notify_url : null,
    refund: amount.refund as number,
    total: amount.total as number,
    currency: 'CNY',
  };
}

/** v3 codepay (付款码支付) request: appid, mchid, description, out_trade_no, payer.auth_code, amount. */
export function validateCodepay(body: unknown): { input: Omit<PrepayInput, 'notify_url' | 'time_expire' | 'attach'>; auth_code: string } | ApiError {
  if (!isObj(body)) return paramError('body', '请求体不是合法的JSON对象');
  const s = (k: string): string | undefined => (typeof body[k] === 'string' && body[k] !== '' ? (body[k] as string) : undefined);
  for (const k of ['appid', 'mchid', 'description', 'out_trade_no']) {
    if (s(k) === undefined) return paramError(k, `输入源"/body/${k}"映射到值字段"${k}"字符串规则校验失败，字段缺失或为空`);
  }
  const description = s('description') as string;
  if ([...description].length > 127) return paramError('description', 'description 长度超过127个字符');
  const no = s('out_trade_no') as string;
  if (no.length < 6 || no.length > 32 || !ORDER_NO.test(no)) return paramError('out_trade_no', 'out_trade_no 须为6-32位数字、大小写字母或_-|*@');
  const payer = body.payer;
  const code = isObj(payer) && typeof payer.auth_code === 'string' ? payer.auth_code : '';
  if (code === '') return paramError('payer.auth_code', '输入源"/body/payer/auth_code"映射到值字段"授权码"字符串规则校验失败，字段缺失或为空');
  const amount = body.amount;
  if (!isObj(amount) || typeof amount.total !== 'number' || !Number.isInteger(amount.total) || amount.total < 1) {
    return paramError('amount.total', 'amount.total 须为大于0的整数（单位：分）');
  }
  if (amount.currency !== undefined && amount.currency !== 'CNY') return paramError('amount.currency', 'amount.currency 仅支持 CNY');
  return {
    input: { appid: s('appid') as string, mchid: s('mchid') as string, description, out_trade_no: no, total: amount.total, currency: 'CNY' },
    auth_code: code,
  };
}

/** A WeChat Pay payment code: 18 digits starting 10–15 (the micropay auth_code rule). */
export const isWechatPaymentCode = (code: string): boolean => /^1[0-5]\d{16}$/.test(code);
