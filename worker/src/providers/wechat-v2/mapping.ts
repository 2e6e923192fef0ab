// WeChat Pay v2 fields (orderquery answers, payment notifies, refund query/notify) → Shouyin's
// provider shapes. Times are Beijing time (UTC+8) as `yyyyMMddHHmmss` (payments) or
// `yyyy-MM-dd HH:mm:ss` (refund success_time), https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=9_1,
// https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=9_16&index=10,
// https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=9_7.

import type { PaymentFacts, RefundState } from '../types';
import { ShapeError } from '../errors';

export function field(m: Record<string, string>, k: string, what: string): string {
  const v = m[k];
  if (v === undefined || v === '') throw new ShapeError(`${what}.${k} is missing.`);
  return v;
}

function fen(m: Record<string, string>, k: string, what: string): number {
  const v = field(m, k, what);
  if (!/^[0-9]{1,15}$/.test(v)) throw new ShapeError(`${what}.${k} ${JSON.stringify(v)} is not an integer number of fen.`);
  return Number(v);
}

const BEIJING_MS = 8 * 3600_000;

/** `20240101120000` (Beijing) → ms since the epoch. */
export function parseCompactTime(v: string, what: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(v);
  if (!m) throw new ShapeError(`${what} ${JSON.stringify(v)} is not yyyyMMddHHmmss.`);
  const [, y, mo, d, h, mi, s] = m.map(Number) as number[];
  const t = Date.UTC(y!, mo! - 1, d!, h!, mi!, s!) - BEIJING_MS;
  if (Number.isNaN(t)) throw new ShapeError(`${what} ${JSON.stringify(v)} is not a valid time.`);
  return t;
}

/** ms since the epoch → `20240101120000` in Beijing time (a Worker runs in UTC; never local time). */
export function compactBeijing(ms: number): string {
  const d = new Date(Math.floor(ms / 1000) * 1000 + BEIJING_MS);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}`;
}

/**
 * Facts of a paid order from an orderquery answer or a payment notify
 * (https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=9_2,
 * https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=9_7).
 */
export function paymentFacts(m: Record<string, string>, what: string, fallbackPaidAt?: number): PaymentFacts {
  const timeEnd = m.time_end;
  if ((timeEnd === undefined || timeEnd === '') && fallbackPaidAt === undefined) throw new ShapeError(`${what}.time_end is missing.`);
  const facts: PaymentFacts = {
    attemptId: field(m, 'out_trade_no', what),
    providerTransactionId: field(m, 'transaction_id', what),
    amount: fen(m, 'total_fee', what),
    // fee_type is CNY when absent (https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=9_1).
    currency: m.fee_type || 'CNY',
    appId: field(m, 'appid', what),
    providerMerchantId: field(m, 'mch_id', what),
    paidAt: timeEnd ? parseCompactTime(timeEnd, `${what}.time_end`) : (fallbackPaidAt as number),
  };
  if (m.openid) facts.payer = m.openid;
  return facts;
}

export type TradeStateClass = 'paid' | 'pending' | 'closed';

/**
 * trade_state (https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=9_2). REFUND: it was paid, then (partly)
 * refunded.
 */
export const TRADE_STATES: Record<string, TradeStateClass> = {
  SUCCESS: 'paid',
  REFUND: 'paid',
  NOTPAY: 'pending',
  USERPAYING: 'pending',
  ACCEPT: 'pending',
  CLOSED: 'closed',
  REVOKED: 'closed',
  PAYERROR: 'closed',
};

/**
 * refund_status (refundquery `refund_status_$n`, refund notify `refund_status`): PROCESSING → SUCCESS |
 * REFUNDCLOSE | CHANGE (退款异常: the money did not reach the shopper; a person must act)
 * (https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=9_5).
 */
export const REFUND_STATES: Record<string, RefundState> = {
  SUCCESS: 'succeeded',
  PROCESSING: 'pending',
  REFUNDCLOSE: 'failed',
  CHANGE: 'failed',
};

/**
 * The v2 `body` is String(128) per the docs (https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=9_1); cut on code
 * points so no surrogate pair is split.
 */
export function truncateBody(s: string): string {
  const cps = Array.from(s);
  return cps.length <= 127 ? s : cps.slice(0, 127).join('');
}
