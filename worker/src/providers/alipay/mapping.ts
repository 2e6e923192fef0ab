// Alipay trade answers (alipay.trade.query) and trade_status_sync notifies → Shouyin's provider shapes.
// Field lists: https://opendocs.alipay.com/open/6f534d7f_alipay.trade.query?pathHash=98c03720 (query response),
// https://opendocs.alipay.com/open/270/105902 (notify fields).

import type { PaymentFacts } from '../types';
import { yuanToFen } from './amount';
import { parseBeijingDateTime } from './time';
import { ShapeError } from '../errors';

type Fields = Record<string, unknown>;

export function field(o: Fields, key: string, what: string): string {
  const v = o[key];
  if (typeof v !== 'string' || v === '') throw new ShapeError(`${what}.${key} is missing or not a string.`);
  return v;
}

export function optField(o: Fields, key: string): string | undefined {
  const v = o[key];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

export function fen(o: Fields, key: string, what: string): number {
  const v = field(o, key, what);
  const n = yuanToFen(v);
  if (n === null) throw new ShapeError(`${what}.${key} ${JSON.stringify(v)} is not a yuan amount with at most two decimals.`);
  return n;
}

export function beijingTime(o: Fields, key: string, what: string): number {
  const v = field(o, key, what);
  const t = parseBeijingDateTime(v);
  if (t === null) throw new ShapeError(`${what}.${key} ${JSON.stringify(v)} is not yyyy-MM-dd HH:mm:ss.`);
  return t;
}

export type TradeStatusClass = 'paid' | 'pending' | 'closed';

/**
 * trade_status (https://opendocs.alipay.com/open/6f534d7f_alipay.trade.query?pathHash=98c03720): WAIT_BUYER_PAY →
 * pending; TRADE_SUCCESS (paid, refundable) and TRADE_FINISHED (paid, refund window over) → paid; TRADE_CLOSED → closed
 * (unpaid timeout or close, or paid and then fully refunded — see `queryState`).
 */
export const TRADE_STATUS: Record<string, TradeStatusClass> = {
  WAIT_BUYER_PAY: 'pending',
  TRADE_SUCCESS: 'paid',
  TRADE_FINISHED: 'paid',
  TRADE_CLOSED: 'closed',
};

/** The buyer as Alipay names them: buyer_id (2088…) or, for newer apps, buyer_open_id. */
function payer(o: Fields, idKey: string): string | undefined {
  return optField(o, idKey) ?? optField(o, 'buyer_open_id');
}

/**
 * A trade_status_sync notify of a paid trade. app_id and seller_id are reported as they came, so the
 * session checks them against the merchant's (an anomaly on mismatch, never `paid`).
 */
export function paymentFactsFromNotify(p: Fields): PaymentFacts {
  const what = 'notify';
  const facts: PaymentFacts = {
    attemptId: field(p, 'out_trade_no', what),
    providerTransactionId: field(p, 'trade_no', what),
    amount: fen(p, 'total_amount', what),
    // CNY trades carry no currency field; cross-border ones say trans_currency.
    currency: optField(p, 'trans_currency') ?? 'CNY',
    appId: field(p, 'app_id', what),
    paidAt: optField(p, 'gmt_payment') !== undefined ? beijingTime(p, 'gmt_payment', what) : beijingTime(p, 'notify_time', what),
  };
  const seller = optField(p, 'seller_id');
  if (seller !== undefined) facts.providerMerchantId = seller;
  const buyer = payer(p, 'buyer_id');
  if (buyer !== undefined) facts.payer = buyer;
  return facts;
}

/**
 * A paid trade in a synchronous answer: alipay.trade.query (paid time `send_pay_date`) or
 * alipay.trade.pay with code 10000 (https://opendocs.alipay.com/open/1f1fe18c_alipay.trade.pay?pathHash=29c9a9ba, paid
 * time `gmt_payment`). Such answers name no app_id or seller_id: Alipay signed them for the app that asked, about that
 * app's trade, so the merchant's own identity is what they vouch for.
 */
function paymentFactsFromAnswer(
  t: Fields,
  identity: { appId: string; sellerId?: string },
  fallbackPaidAt: number,
  what: string,
  paidAtField: string,
): PaymentFacts {
  const facts: PaymentFacts = {
    attemptId: field(t, 'out_trade_no', what),
    providerTransactionId: field(t, 'trade_no', what),
    amount: fen(t, 'total_amount', what),
    currency: optField(t, 'trans_currency') ?? 'CNY',
    appId: identity.appId,
    paidAt: optField(t, paidAtField) !== undefined ? beijingTime(t, paidAtField, what) : fallbackPaidAt,
  };
  if (identity.sellerId !== undefined) facts.providerMerchantId = identity.sellerId;
  const buyer = payer(t, 'buyer_user_id');
  if (buyer !== undefined) facts.payer = buyer;
  return facts;
}

export const paymentFactsFromQuery = (t: Fields, identity: { appId: string; sellerId?: string }, fallbackPaidAt: number): PaymentFacts =>
  paymentFactsFromAnswer(t, identity, fallbackPaidAt, 'alipay_trade_query_response', 'send_pay_date');

export const paymentFactsFromPay = (t: Fields, identity: { appId: string; sellerId?: string }, fallbackPaidAt: number): PaymentFacts =>
  paymentFactsFromAnswer(t, identity, fallbackPaidAt, 'alipay_trade_pay_response', 'gmt_payment');

/** Alipay's subject is string(256); cut on code points so no surrogate pair is split. */
export function truncateSubject(s: string): string {
  const cps = Array.from(s);
  return cps.length <= 256 ? s : cps.slice(0, 256).join('');
}
