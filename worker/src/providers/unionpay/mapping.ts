// UnionPay fields → Shouyin's provider shapes
// (https://open.unionpay.com/tjweb/acproduct/APIList?acpAPIId=754&apiservId=448&version=V2.2,
// https://open.unionpay.com/tjweb/acproduct/APIList?acpAPIId=757&apiservId=448&version=V2.2).

import type { PaymentFacts, RefundState } from '../types';
import type { Fields } from './wire';
import { ShapeError } from '../errors';

/**
 * respCode / origRespCode classes
 * (https://open.unionpay.com/tjweb/acproduct/APIList?acpAPIId=757&apiservId=448&version=V2.2): 00 success, A6 "有缺陷的成功"
 * (still a success).
 */
export const SUCCESS_CODES = new Set(['00', 'A6']);
/** 03 通讯超时, 04 状态未明, 05 已受理: the outcome is not known yet — query again. */
export const IN_PROGRESS_CODES = new Set(['03', '04', '05']);
/** 查无此交易. */
export const NOT_FOUND_CODE = '34';

export const CURRENCY_CNY = '156';

export const TxnType = {
  query: '00',
  consume: '01',
  refund: '04',
  undo: '31',
} as const;

export function field(f: Fields, key: string, what: string): string {
  const v = f[key];
  if (v === undefined || v === '') throw new ShapeError(`${what}: ${key} is missing.`);
  return v;
}

/**
 * txnAmt: integer fen, digits only, no decimal point
 * (https://open.unionpay.com/tjweb/acproduct/APIList?acpAPIId=754&apiservId=448&version=V2.2).
 */
export function fen(f: Fields, key: string, what: string): number {
  const v = field(f, key, what);
  if (!/^(0|[1-9][0-9]{0,12})$/.test(v)) throw new ShapeError(`${what}: ${key} ${JSON.stringify(v)} is not an amount in fen.`);
  return Number(v);
}

/** currencyCode 156 = CNY; anything else is passed on as is so the session records a currency mismatch. */
export function currencyOf(f: Fields): string {
  const c = f.currencyCode ?? CURRENCY_CNY;
  return c === CURRENCY_CNY ? 'CNY' : `ISO4217:${c}`;
}

/**
 * A successful consume, from a verified notify or query answer. UnionPay gives no full payment
 * timestamp (traceTime is MMddHHmmss without a year), so paidAt is when Shouyin learned of it.
 */
export function paymentFacts(f: Fields, learnedAt: number): PaymentFacts {
  const what = 'UnionPay payment';
  const facts: PaymentFacts = {
    attemptId: field(f, 'orderId', what),
    providerTransactionId: field(f, 'queryId', what),
    amount: fen(f, 'txnAmt', what),
    currency: currencyOf(f),
    providerMerchantId: field(f, 'merId', what),
    paidAt: learnedAt,
  };
  if (f.accNo) facts.payer = f.accNo;
  return facts;
}

/** A refund's state from its own respCode / origRespCode. */
export function refundStateOf(code: string): RefundState {
  if (SUCCESS_CODES.has(code)) return 'succeeded';
  if (IN_PROGRESS_CODES.has(code)) return 'pending';
  return 'failed';
}

/**
 * orderDesc is shown to the shopper on UnionPay's pages. Its maximum length is not documented in the
 * sources read, so it is kept short, and the characters that upset raw `k=v&` parsing downstream
 * (`&={}[]`, https://open.unionpay.com/tjweb/acproduct/APIList?acpAPIId=754&apiservId=448&version=V2.2: reqReserved
 * warning) become spaces.
 */
export function orderDescription(s: string): string {
  return Array.from(s.replace(/[&={}[\]\s]+/g, ' ').trim())
    .slice(0, 32)
    .join('');
}

/**
 * orderId: 8–40 letters and digits, no `-` or `_`
 * (https://open.unionpay.com/tjweb/acproduct/APIList?acpAPIId=754&apiservId=448&version=V2.2). Attempt and refund ids
 * satisfy it.
 */
export const ORDER_ID = /^[0-9A-Za-z]{8,40}$/;
