// The simulated UnionPay's data: orders (consumes), refunds, the fields it answers and notifies with,
// and the request checks per transaction
// (https://open.unionpay.com/tjweb/acproduct/APIList?acpAPIId=754&apiservId=448&version=V2.2,
// https://open.unionpay.com/tjweb/acproduct/APIList?acpAPIId=757&apiservId=448&version=V2.2,
// https://open.unionpay.com/tjweb/acproduct/list?apiSvcId=448).

import { CURRENCY_CNY } from '../../../worker/src/providers/unionpay/mapping';
import { parseBeijingCompact, beijingCompact } from '../../../worker/src/providers/unionpay/time';
import type { Fields } from '../../../worker/src/providers/unionpay/wire';

/** What a gateway answer says when the request is refused (respCode ≠ 00). */
export interface GatewayError {
  respCode: string;
  respMsg: string;
}

export const RESP = {
  ok: { respCode: '00', respMsg: '成功[0000000]' },
  format: (what: string): GatewayError => ({ respCode: '10', respMsg: `报文格式错误[${what}]` }),
  signature: { respCode: '11', respMsg: '[9100004]Signature verification failed' },
  duplicate: { respCode: '12', respMsg: '重复交易[订单号已使用]' },
  missing: (field: string): GatewayError => ({ respCode: '13', respMsg: `报文交易要素缺失[${field}]` }),
  merchant: { respCode: '31', respMsg: '商户状态不正确[商户不存在]' },
  notFound: { respCode: '34', respMsg: '查无此交易' },
  origState: { respCode: '35', respMsg: '原交易不存在或状态不正确' },
  origMismatch: (why: string): GatewayError => ({ respCode: '36', respMsg: `与原交易信息不符[${why}]` }),
  timeout: { respCode: '30', respMsg: '交易未通过[订单已超时]' },
} as const;

/** Order states: UNPAID (query: origRespCode 05) → PAID (00) | FAILED (after payTimeout or expiry). */
export type OrderState = 'UNPAID' | 'PAID' | 'FAILED';
export type OrderKind = 'front' | 'app' | 'qr';

export type OrderRow = {
  mer_id: string;
  order_id: string;
  txn_time: string;
  kind: OrderKind;
  /** Opaque handle of the cashier page (for an app order it is the tn). */
  ref: string;
  txn_sub_type: string;
  biz_type: string;
  channel_type: string;
  txn_amt: number;
  currency_code: string;
  order_desc: string | null;
  front_url: string | null;
  back_url: string;
  /** ms since the epoch, or null when no payTimeout was sent. */
  pay_timeout: number | null;
  req_reserved: string | null;
  qr_code: string | null;
  fingerprint: string;
  state: OrderState;
  query_id: string | null;
  trace_no: string | null;
  trace_time: string | null;
  settle_date: string | null;
  acc_no: string | null;
  paid_at: number | null;
  created_at: number;
  /** Refunded so far (fen), settled or processing. */
  refunded: number;
};

export type RefundState = 'PROCESSING' | 'SUCCESS';

export type RefundRow = {
  mer_id: string;
  order_id: string;
  txn_time: string;
  orig_order_id: string;
  orig_query_id: string;
  txn_amt: number;
  back_url: string;
  req_reserved: string | null;
  biz_type: string;
  channel_type: string;
  query_id: string;
  state: RefundState;
  created_at: number;
  settled_at: number | null;
};

/** Test card numbers the cashier accepts, and the SMS code (UnionPay test-environment values). */
export const TEST_CARDS: Record<string, string> = {
  '6216261000000000018': '借记卡 Debit card',
  '6221558812340000': '贷记卡 Credit card',
};
export const TEST_SMS_CODE = '111111';

const digits = (n: number): string => Array.from(crypto.getRandomValues(new Uint8Array(n)), (b) => String(b % 10)).join('');

/** queryId / tn: 21 digits, starting with the Beijing yyMMddHHmmss (like 181807261119545250028). */
export const newQueryId = (now: number): string => `${beijingCompact(now).slice(2)}${digits(9)}`;
export const newQrCode = (): string => `https://qr.95516.com/00010000/01${digits(20)}`;
export const newTraceNo = (): string => digits(6);

/** The masked card number notifies carry. */
export const maskCard = (acc: string): string => `${acc.slice(0, 6)}${'*'.repeat(Math.max(0, acc.length - 10))}${acc.slice(-4)}`;

/** Sandbox tolerance for txnTime ("must be the current time", exact window undocumented). */
export const TXN_TIME_FUTURE_MS = 15 * 60_000;
export const TXN_TIME_PAST_MS = 24 * 3600_000;

export function checkTxnTime(txnTime: string, now: number): GatewayError | null {
  const t = parseBeijingCompact(txnTime);
  if (t === null) return RESP.format('txnTime');
  if (t > now + TXN_TIME_FUTURE_MS || t < now - TXN_TIME_PAST_MS) return { respCode: '10', respMsg: 'txnTime无效[交易时间与当前时间相差过大]' };
  return null;
}

export const ORDER_ID = /^[0-9A-Za-z]{8,40}$/;

export type Validated<T> = { ok: true; value: T } | { ok: false; error: GatewayError };

export interface ConsumeInput {
  mer_id: string;
  order_id: string;
  txn_time: string;
  kind: OrderKind;
  txn_sub_type: string;
  biz_type: string;
  channel_type: string;
  txn_amt: number;
  currency_code: string;
  order_desc: string | null;
  front_url: string | null;
  back_url: string;
  pay_timeout: number | null;
  req_reserved: string | null;
  fingerprint: string;
}

function url(v: string): boolean {
  try {
    const u = new URL(v);
    return (u.protocol === 'https:' || u.protocol === 'http:') && u.search === '';
  } catch {
    return false;
  }
}

/**
 * Consume (01/01 front or app, 01/07 apply QR): the fields of
 * https://open.unionpay.com/tjweb/acproduct/APIList?acpAPIId=754&apiservId=448&version=V2.2,
 * https://open.unionpay.com/tjweb/acproduct/APIList?acpAPIId=793&apiservId=468&version=V2.2, checked.
 */
export function validateConsume(f: Fields, kind: OrderKind, now: number): Validated<ConsumeInput> {
  const need = ['orderId', 'txnAmt', 'currencyCode', 'backUrl', 'channelType', ...(kind === 'front' ? ['frontUrl'] : [])];
  for (const k of need) if (!f[k]) return { ok: false, error: RESP.missing(k) };
  if (f.txnType !== '01') return { ok: false, error: RESP.format('txnType') };
  const sub = kind === 'qr' ? '07' : '01';
  if (f.txnSubType !== sub) return { ok: false, error: RESP.format('txnSubType') };
  if (kind !== 'qr' && f.bizType !== '000201') return { ok: false, error: { respCode: '32', respMsg: '无此交易权限[bizType]' } };
  if (kind === 'qr' && f.bizType !== '000000') return { ok: false, error: { respCode: '32', respMsg: '无此交易权限[bizType]' } };
  if (!['07', '08'].includes(f.channelType ?? '') || (kind !== 'front' && f.channelType !== '08')) return { ok: false, error: RESP.format('channelType') };
  if (!ORDER_ID.test(f.orderId ?? '')) return { ok: false, error: RESP.format('orderId') };
  if (!/^[1-9][0-9]{0,11}$/.test(f.txnAmt ?? '')) return { ok: false, error: RESP.format('txnAmt') };
  if (f.currencyCode !== CURRENCY_CNY) return { ok: false, error: RESP.format('currencyCode') };
  // backUrl with its own query string breaks notify verification at the merchant
  // (https://open.unionpay.com/tjweb/acproduct/APIList?acpAPIId=754&apiservId=448&version=V2.2).
  if (!url(f.backUrl ?? '')) return { ok: false, error: RESP.format('backUrl') };
  if (kind === 'front' && !url(f.frontUrl ?? '')) return { ok: false, error: RESP.format('frontUrl') };
  const bad = checkTxnTime(f.txnTime ?? '', now);
  if (bad) return { ok: false, error: bad };
  let payTimeout: number | null = null;
  if (f.payTimeout) {
    payTimeout = parseBeijingCompact(f.payTimeout);
    if (payTimeout === null) return { ok: false, error: RESP.format('payTimeout') };
  }
  const fingerprint = JSON.stringify(
    [
      'txnType',
      'txnSubType',
      'bizType',
      'channelType',
      'orderId',
      'txnTime',
      'txnAmt',
      'currencyCode',
      'frontUrl',
      'backUrl',
      'payTimeout',
      'orderDesc',
      'reqReserved',
    ].map((k) => f[k] ?? ''),
  );
  return {
    ok: true,
    value: {
      mer_id: f.merId as string,
      order_id: f.orderId as string,
      txn_time: f.txnTime as string,
      kind,
      txn_sub_type: sub,
      biz_type: f.bizType as string,
      channel_type: f.channelType as string,
      txn_amt: Number(f.txnAmt),
      currency_code: f.currencyCode as string,
      order_desc: f.orderDesc || null,
      front_url: f.frontUrl || null,
      back_url: f.backUrl as string,
      pay_timeout: payTimeout,
      req_reserved: f.reqReserved || null,
      fingerprint,
    },
  };
}

export interface RefundInput {
  mer_id: string;
  order_id: string;
  txn_time: string;
  orig_query_id: string;
  txn_amt: number;
  back_url: string;
  req_reserved: string | null;
  biz_type: string;
  channel_type: string;
}

/**
 * Refund (04/00): a new orderId, origQryId of the consume, txnAmt ≤ what remains
 * (https://open.unionpay.com/tjweb/acproduct/APIList?acpAPIId=756&apiservId=448&version=V2.2).
 */
export function validateRefund(f: Fields, now: number): Validated<RefundInput> {
  for (const k of ['orderId', 'origQryId', 'txnAmt', 'currencyCode', 'backUrl', 'channelType']) if (!f[k]) return { ok: false, error: RESP.missing(k) };
  if (f.txnSubType !== '00') return { ok: false, error: RESP.format('txnSubType') };
  if (!ORDER_ID.test(f.orderId ?? '')) return { ok: false, error: RESP.format('orderId') };
  if (!/^[1-9][0-9]{0,11}$/.test(f.txnAmt ?? '')) return { ok: false, error: RESP.format('txnAmt') };
  if (f.currencyCode !== CURRENCY_CNY) return { ok: false, error: RESP.format('currencyCode') };
  if (!url(f.backUrl ?? '')) return { ok: false, error: RESP.format('backUrl') };
  const bad = checkTxnTime(f.txnTime ?? '', now);
  if (bad) return { ok: false, error: bad };
  return {
    ok: true,
    value: {
      mer_id: f.merId as string,
      order_id: f.orderId as string,
      txn_time: f.txnTime as string,
      orig_query_id: f.origQryId as string,
      txn_amt: Number(f.txnAmt),
      back_url: f.backUrl as string,
      req_reserved: f.reqReserved || null,
      biz_type: f.bizType as string,
      channel_type: f.channelType as string,
    },
  };
}

const MMdd = (now: number): string => beijingCompact(now).slice(4, 8);
const MMddHHmmss = (now: number): string => beijingCompact(now).slice(4, 14);
export const settleDateOf = MMdd;
export const traceTimeOf = MMddHHmmss;

/**
 * origRespCode / origRespMsg of an order as a query reports it
 * (https://open.unionpay.com/tjweb/acproduct/APIList?acpAPIId=757&apiservId=448&version=V2.2).
 */
export function orderOutcome(o: OrderRow): { code: string; msg: string } {
  if (o.state === 'PAID') return { code: '00', msg: '成功[0000000]' };
  if (o.state === 'FAILED') return { code: '01', msg: '交易失败[订单已超时未支付]' };
  return { code: '05', msg: '交易已受理，请稍后查询交易结果' };
}

/** The fields of a successful consume: its backUrl notify and frontUrl return, and its query answer. */
export function consumeFields(o: OrderRow): Fields {
  const f: Fields = {
    accessType: '0',
    bizType: o.biz_type,
    currencyCode: o.currency_code,
    encoding: 'UTF-8',
    merId: o.mer_id,
    orderId: o.order_id,
    txnAmt: String(o.txn_amt),
    txnSubType: o.txn_sub_type,
    txnTime: o.txn_time,
    txnType: '01',
    version: '5.1.0',
    signMethod: '01',
  };
  if (o.state === 'PAID') {
    Object.assign(f, {
      queryId: o.query_id ?? '',
      settleAmt: String(o.txn_amt),
      settleCurrencyCode: CURRENCY_CNY,
      settleDate: o.settle_date ?? '',
      traceNo: o.trace_no ?? '',
      traceTime: o.trace_time ?? '',
      accNo: o.acc_no ?? '',
      payCardType: '01',
    });
  }
  if (o.req_reserved) f.reqReserved = o.req_reserved;
  return f;
}

export function refundFields(r: RefundRow): Fields {
  const f: Fields = {
    accessType: '0',
    bizType: r.biz_type,
    currencyCode: CURRENCY_CNY,
    encoding: 'UTF-8',
    merId: r.mer_id,
    orderId: r.order_id,
    origQryId: r.orig_query_id,
    queryId: r.query_id,
    txnAmt: String(r.txn_amt),
    txnSubType: '00',
    txnTime: r.txn_time,
    txnType: '04',
    version: '5.1.0',
    signMethod: '01',
  };
  if (r.state === 'SUCCESS')
    Object.assign(f, { settleAmt: String(r.txn_amt), settleCurrencyCode: CURRENCY_CNY, settleDate: MMdd(r.settled_at ?? r.created_at) });
  if (r.req_reserved) f.reqReserved = r.req_reserved;
  return f;
}
