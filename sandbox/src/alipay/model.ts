// The Alipay trades the simulator stores and answers with
// (https://opendocs.alipay.com/open/6f534d7f_alipay.trade.query?pathHash=98c03720,
// https://opendocs.alipay.com/open/270/105902), and the biz_content validation that yields the gateway's own codes
// (https://opendocs.alipay.com/common/02km9f).

import { randomAlnum } from '../../../worker/src/crypto/encoding';
import { MAX_FEN, fenToYuan, yuanToFen } from '../../../worker/src/providers/alipay/amount';
import { beijingDateTime, parseBeijingDateTime } from '../../../worker/src/providers/alipay/time';

/**
 * `NOT_EXIST`: created by precreate (or submitted to a cashier) but not scanned / logged into yet;
 * query and close answer ACQ.TRADE_NOT_EXIST
 * (https://opendocs.alipay.com/open/6f534d7f_alipay.trade.query?pathHash=98c03720). The rest are Alipay's trade_status.
 */
export type TradeState = 'NOT_EXIST' | 'WAIT_BUYER_PAY' | 'TRADE_SUCCESS' | 'TRADE_FINISHED' | 'TRADE_CLOSED';

export const TRADE_METHODS = ['alipay.trade.precreate', 'alipay.trade.page.pay', 'alipay.trade.wap.pay', 'alipay.trade.app.pay', 'alipay.trade.pay'] as const;
export type TradeMethod = (typeof TRADE_METHODS)[number];

/**
 * The product code each payment method is signed up under
 * (https://opendocs.alipay.com/open/6f534d7f_alipay.trade.query?pathHash=98c03720).
 */
export const PRODUCT_CODES: Record<TradeMethod, string> = {
  'alipay.trade.precreate': 'FACE_TO_FACE_PAYMENT',
  'alipay.trade.page.pay': 'FAST_INSTANT_TRADE_PAY',
  'alipay.trade.wap.pay': 'QUICK_WAP_WAY',
  'alipay.trade.app.pay': 'QUICK_MSECURITY_PAY',
  // 条码支付 (a scanned payment code) is 当面付 too.
  'alipay.trade.pay': 'FACE_TO_FACE_PAYMENT',
};

/** A row of the ledger's `trades` table. Times are ms since the epoch on the ledger's clock. */
export type TradeRow = {
  app_id: string;
  out_trade_no: string;
  method: TradeMethod;
  subject: string;
  /** Integer fen. */
  total: number;
  notify_url: string | null;
  return_url: string | null;
  quit_url: string | null;
  /** As sent (URL-encoded), returned as is in the async notify. */
  passback_params: string | null;
  time_expire: number | null;
  fingerprint: string;
  qr_code: string | null;
  /** Identifies the trade to the cashier page's forms. */
  cashier_token: string;
  seller_id: string;
  state: TradeState;
  trade_no: string | null;
  buyer_id: string | null;
  buyer_logon_id: string | null;
  gmt_create: number | null;
  gmt_payment: number | null;
  gmt_close: number | null;
  /** Integer fen refunded so far. */
  refunded: number;
  created_at: number;
};

export type RefundRow = {
  app_id: string;
  out_trade_no: string;
  out_request_no: string;
  amount: number;
  reason: string | null;
  created_at: number;
};

/** `{code, msg, sub_code, sub_msg}` of a refused call (https://opendocs.alipay.com/common/02km9f). */
export interface GatewayError {
  code: '40001' | '40002' | '40004' | '20000';
  sub_code: string;
  sub_msg: string;
}

export const MSG: Record<GatewayError['code'] | '10000', string> = {
  '10000': 'Success',
  '20000': 'Service Currently Unavailable',
  '40001': 'Missing Required Arguments',
  '40002': 'Invalid Arguments',
  '40004': 'Business Failed',
};

export const bizError = (sub_code: string, sub_msg: string): GatewayError => ({ code: '40004', sub_code, sub_msg });
export const invalidArg = (sub_code: string, sub_msg: string): GatewayError => ({ code: '40002', sub_code, sub_msg });
export const missingArg = (sub_code: string, sub_msg: string): GatewayError => ({ code: '40001', sub_code, sub_msg });

export const TRADE_NOT_EXIST = bizError('ACQ.TRADE_NOT_EXIST', '交易不存在');

/**
 * The trade as alipay.trade.query reports it
 * (https://opendocs.alipay.com/open/6f534d7f_alipay.trade.query?pathHash=98c03720). A paid trade keeps its payment
 * facts when refunded and closed.
 */
export function queryJson(t: TradeRow): Record<string, unknown> {
  const paid = t.gmt_payment !== null;
  return {
    trade_no: t.trade_no,
    out_trade_no: t.out_trade_no,
    ...(t.buyer_logon_id ? { buyer_logon_id: t.buyer_logon_id } : {}),
    trade_status: t.state,
    total_amount: fenToYuan(t.total),
    ...(paid
      ? {
          buyer_pay_amount: fenToYuan(t.total),
          point_amount: '0.00',
          invoice_amount: fenToYuan(t.total),
          receipt_amount: fenToYuan(t.total),
          send_pay_date: beijingDateTime(t.gmt_payment as number),
          fund_bill_list: [{ amount: fenToYuan(t.total), fund_channel: 'ALIPAYACCOUNT' }],
        }
      : { buyer_pay_amount: '0.00', point_amount: '0.00', invoice_amount: '0.00', receipt_amount: '0.00' }),
    ...(t.buyer_id ? { buyer_user_id: t.buyer_id } : {}),
    subject: t.subject,
  };
}

/**
 * The fields of a trade_status_sync notify (https://opendocs.alipay.com/open/270/105902), before signing. `refund` adds
 * what a refund's notify carries: refund_fee (cumulative), gmt_refund and out_biz_no (the refund's out_request_no).
 */
export function notifyFields(t: TradeRow, now: number, notifyId: string, refund?: RefundRow): Record<string, string> {
  const f: Record<string, string> = {
    notify_time: beijingDateTime(now),
    notify_type: 'trade_status_sync',
    notify_id: notifyId,
    app_id: t.app_id,
    auth_app_id: t.app_id,
    charset: 'utf-8',
    version: '1.0',
    trade_no: t.trade_no ?? '',
    out_trade_no: t.out_trade_no,
    buyer_id: t.buyer_id ?? '',
    buyer_logon_id: t.buyer_logon_id ?? '',
    seller_id: t.seller_id,
    seller_email: 'sandbox-seller@shouyin.test',
    trade_status: t.state,
    total_amount: fenToYuan(t.total),
    receipt_amount: fenToYuan(t.total),
    invoice_amount: fenToYuan(t.total),
    buyer_pay_amount: fenToYuan(t.total),
    point_amount: '0.00',
    subject: t.subject,
    // A JSON string inside the form, camelCase fundChannel as in real notifies
    // (https://opendocs.alipay.com/open/270/105902).
    fund_bill_list: JSON.stringify([{ amount: fenToYuan(t.total), fundChannel: 'ALIPAYACCOUNT' }]),
    // "支付宝只会在异步通知时将该参数原样返回" (https://opendocs.alipay.com/open/59da99d0_alipay.trade.page.pay).
    passback_params: t.passback_params ?? '',
  };
  if (t.gmt_create !== null) f.gmt_create = beijingDateTime(t.gmt_create);
  if (t.gmt_payment !== null) f.gmt_payment = beijingDateTime(t.gmt_payment);
  if (refund) {
    f.refund_fee = fenToYuan(t.refunded);
    f.gmt_refund = beijingDateTime(refund.created_at);
    f.out_biz_no = refund.out_request_no;
    if (t.state === 'TRADE_CLOSED' && t.gmt_close !== null) f.gmt_close = beijingDateTime(t.gmt_close);
  }
  // Alipay sends no empty fields.
  for (const k of Object.keys(f)) if (f[k] === '') delete f[k];
  return f;
}

function digits(n: number): string {
  const b = crypto.getRandomValues(new Uint8Array(n));
  return Array.from(b, (x) => String(x % 10)).join('');
}

function ymd(ms: number): string {
  return beijingDateTime(ms).slice(0, 10).replaceAll('-', '');
}

/** 28 digits shaped like `2019081522001468450512505578`. */
export const newTradeNo = (now: number): string => `${ymd(now)}22001${digits(15)}`;
/** A buyer's 16-digit user id, `2088…`. */
export const newBuyerId = (): string => `2088${digits(12)}`;
/**
 * The `https://qr.alipay.com/bax0…` form precreate answers with
 * (https://opendocs.alipay.com/open/f540afd8_alipay.trade.precreate?pathHash=d3c84596).
 */
export const newQrCode = (): string => `https://qr.alipay.com/bax0${randomAlnum(22).toLowerCase()}`;
export const newCashierToken = (): string => randomAlnum(24);
export const newNotifyId = (now: number): string => `${ymd(now)}00222${digits(22)}`;
/** The seller PID the sandbox reports for an app without seller_id in its config. */
export const defaultSellerId = (appId: string): string => `2088${appId.slice(-12).padStart(12, '0')}`;

// ------------------------------------------------------------------------- biz validation

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** out_trade_no: up to 64 of letters, digits and _ (Alipay: "仅支持字母、数字、下划线"). */
const ORDER_NO = /^[0-9A-Za-z_]{1,64}$/;

function httpUrl(v: unknown): v is string {
  if (typeof v !== 'string') return false;
  try {
    const u = new URL(v);
    return u.protocol === 'https:' || u.protocol === 'http:';
  } catch {
    return false;
  }
}

export const isGatewayError = (v: unknown): v is GatewayError =>
  isObj(v) && typeof v.sub_code === 'string' && typeof v.code === 'string' && typeof v.sub_msg === 'string';

export function parseBiz(text: string | undefined): { ok: true; biz: Obj } | { ok: false; error: GatewayError } {
  if (text === undefined || text === '') return { ok: false, error: missingArg('isv.missing-biz-content', '缺少业务参数 biz_content') };
  try {
    const v: unknown = JSON.parse(text);
    if (isObj(v)) return { ok: true, biz: v };
  } catch {
    // fall through
  }
  return { ok: false, error: invalidArg('isv.invalid-format', 'biz_content 不是合法的 JSON 对象') };
}

const badParam = (msg: string): GatewayError => bizError('ACQ.INVALID_PARAMETER', msg);

export function amountField(biz: Obj, key: string): number | GatewayError {
  const v = biz[key];
  // The SDKs send the amount as a string; a JSON number is accepted as Alipay does (e.g. 0.01).
  const text = typeof v === 'number' ? String(v) : v;
  const fen = typeof text === 'string' ? yuanToFen(text) : null;
  if (fen === null || fen < 1 || fen > MAX_FEN) return badParam(`${key} 须为 0.01~100000000 之间、最多两位小数的金额`);
  return fen;
}

export function orderNo(biz: Obj, key = 'out_trade_no'): string | GatewayError {
  const v = biz[key];
  if (typeof v !== 'string' || !ORDER_NO.test(v)) return badParam(`${key} 须为不超过64位的字母、数字或下划线`);
  return v;
}

export interface TradeInput {
  app_id: string;
  method: TradeMethod;
  out_trade_no: string;
  subject: string;
  total: number;
  notify_url: string | null;
  return_url: string | null;
  quit_url: string | null;
  passback_params: string | null;
  time_expire: number | null;
  seller_id: string;
}

/** A payment method's biz_content (precreate, page.pay, wap.pay, app.pay). */
export function validateTrade(
  method: TradeMethod,
  biz: Obj,
  common: { app_id: string; notify_url?: string | undefined; return_url?: string | undefined; seller_id: string },
): TradeInput | GatewayError {
  const no = orderNo(biz);
  if (typeof no !== 'string') return no;
  const total = amountField(biz, 'total_amount');
  if (typeof total !== 'number') return total;
  const subject = biz.subject;
  if (typeof subject !== 'string' || subject === '' || [...subject].length > 256) return badParam('subject 不能为空且不超过256个字符');
  const code = biz.product_code ?? (method === 'alipay.trade.precreate' || method === 'alipay.trade.pay' ? PRODUCT_CODES[method] : undefined);
  if (code !== PRODUCT_CODES[method]) return bizError('ACQ.PRODUCT_CODE_ERROR', `product_code 须为 ${PRODUCT_CODES[method]}`);
  let timeExpire: number | null = null;
  if (biz.time_expire !== undefined) {
    timeExpire = typeof biz.time_expire === 'string' ? parseBeijingDateTime(biz.time_expire) : null;
    if (timeExpire === null) return badParam('time_expire 格式须为 yyyy-MM-dd HH:mm:ss');
  }
  if (biz.seller_id !== undefined && biz.seller_id !== common.seller_id) return bizError('ACQ.SELLER_NOT_MATCH', 'seller_id 与应用签约的卖家不一致');
  for (const [k, v] of [
    ['notify_url', common.notify_url],
    ['return_url', common.return_url],
    ['quit_url', biz.quit_url],
  ] as const) {
    if (v !== undefined && !httpUrl(v)) return invalidArg('isv.invalid-parameter', `${k} 须为 http(s) 地址`);
  }
  // passback_params: at most 512, sent URL-encoded (so no raw space, &, = or non-ASCII).
  const passback = biz.passback_params;
  if (passback !== undefined && (typeof passback !== 'string' || passback.length > 512 || !/^[A-Za-z0-9%._~!*'()-]*$/.test(passback))) {
    return badParam('passback_params 须为 UrlEncode 后不超过512个字符的字符串');
  }
  return {
    app_id: common.app_id,
    method,
    out_trade_no: no,
    subject,
    total,
    notify_url: common.notify_url ?? null,
    return_url: method === 'alipay.trade.page.pay' || method === 'alipay.trade.wap.pay' ? (common.return_url ?? null) : null,
    quit_url: method === 'alipay.trade.wap.pay' && typeof biz.quit_url === 'string' ? biz.quit_url : null,
    passback_params: typeof passback === 'string' && passback !== '' ? passback : null,
    time_expire: timeExpire,
    seller_id: common.seller_id,
  };
}

/** What "the same order" means for a repeated out_trade_no: every field that defines what is charged. */
export function tradeFingerprint(t: TradeInput): string {
  return JSON.stringify([t.method, t.subject, t.total, t.notify_url, t.time_expire]);
}

/** An Alipay payment code: 16–24 digits starting 25–30 (the alipay.trade.pay auth_code rule). */
export const isAlipayPaymentCode = (code: string): boolean => /^(2[5-9]|30)\d{14,22}$/.test(code);

/**
 * The fields of a paid alipay.trade.pay answer
 * (https://opendocs.alipay.com/open/1f1fe18c_alipay.trade.pay?pathHash=29c9a9ba), also sent (as 10003) while a password
 * is awaited.
 */
export function tradePayJson(t: TradeRow): Record<string, unknown> {
  const paid = t.gmt_payment !== null;
  return {
    trade_no: t.trade_no,
    out_trade_no: t.out_trade_no,
    ...(t.buyer_logon_id ? { buyer_logon_id: t.buyer_logon_id } : {}),
    total_amount: fenToYuan(t.total),
    receipt_amount: paid ? fenToYuan(t.total) : '0.00',
    buyer_pay_amount: paid ? fenToYuan(t.total) : '0.00',
    point_amount: '0.00',
    invoice_amount: paid ? fenToYuan(t.total) : '0.00',
    ...(paid ? { gmt_payment: beijingDateTime(t.gmt_payment as number), fund_bill_list: [{ amount: fenToYuan(t.total), fund_channel: 'ALIPAYACCOUNT' }] } : {}),
    ...(t.buyer_id ? { buyer_user_id: t.buyer_id } : {}),
  };
}
