// WeChat Pay v3 JSON (query answers and decrypted notify resources) → Shouyin's provider shapes.
// Field lists: https://pay.weixin.qq.com/doc/v3/merchant/4012791880,
// https://pay.weixin.qq.com/doc/v3/merchant/4012791883 (Transaction, Refund),
// https://pay.weixin.qq.com/doc/v3/merchant/4012791865 (refund notify plaintext).

import type { WechatPayV3Config } from './config';
import type { PaymentFacts, RefundState } from '../types';
import { ShapeError } from '../errors';

type Obj = Record<string, unknown>;

export function asObj(v: unknown, what: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ShapeError(`${what} is not a JSON object.`);
  return v as Obj;
}

export function str(o: Obj, key: string, what: string): string {
  const v = o[key];
  if (typeof v !== 'string' || v === '') throw new ShapeError(`${what}.${key} is missing or not a string.`);
  return v;
}

export function optStr(o: Obj, key: string): string | undefined {
  const v = o[key];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function int(o: Obj, key: string, what: string): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new ShapeError(`${what}.${key} is not a non-negative integer (fen).`);
  return v;
}

/**
 * RFC 3339 with an offset, e.g. `2018-06-08T10:34:56+08:00` (Beijing time,
 * https://pay.weixin.qq.com/doc/v3/merchant/4012791877).
 */
export function parseTime(v: string, what: string): number {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(v)) throw new ShapeError(`${what} ${JSON.stringify(v)} is not RFC 3339.`);
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new ShapeError(`${what} ${JSON.stringify(v)} is not a valid time.`);
  return t;
}

/**
 * `time_expire`: RFC 3339 in Beijing time with an explicit +08:00
 * (https://pay.weixin.qq.com/doc/v3/merchant/4012791877: a Worker runs in UTC, so the offset is added by hand and local
 * time is never used).
 */
export function beijingRfc3339(ms: number): string {
  const d = new Date(Math.floor(ms / 1000) * 1000 + 8 * 3600_000);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())}T${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}+08:00`;
}

/** Facts of a paid Transaction. `fallbackPaidAt` covers a REFUND-state order without success_time. */
export function paymentFacts(tx: Obj, fallbackPaidAt?: number): PaymentFacts {
  const amount = asObj(tx.amount, 'transaction.amount');
  const successTime = optStr(tx, 'success_time');
  if (successTime === undefined && fallbackPaidAt === undefined) throw new ShapeError('transaction.success_time is missing.');
  const payer = typeof tx.payer === 'object' && tx.payer !== null ? optStr(tx.payer as Obj, 'openid') : undefined;
  const facts: PaymentFacts = {
    attemptId: str(tx, 'out_trade_no', 'transaction'),
    providerTransactionId: str(tx, 'transaction_id', 'transaction'),
    amount: int(amount, 'total', 'transaction.amount'),
    currency: optStr(amount, 'currency') ?? 'CNY',
    appId: str(tx, 'appid', 'transaction'),
    providerMerchantId: str(tx, 'mchid', 'transaction'),
    paidAt: successTime !== undefined ? parseTime(successTime, 'transaction.success_time') : (fallbackPaidAt as number),
  };
  if (payer !== undefined) facts.payer = payer;
  return facts;
}

export type TradeStateClass = 'paid' | 'pending' | 'closed';

/**
 * trade_state (https://pay.weixin.qq.com/doc/v3/merchant/4012791880). REFUND means it was paid (then refunded, wholly
 * or partly).
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
 * Refund `status` (API) / `refund_status` (notify): PROCESSING → SUCCESS | CLOSED | ABNORMAL
 * (https://pay.weixin.qq.com/doc/v3/merchant/4012791884).
 */
export const REFUND_STATES: Record<string, RefundState> = {
  SUCCESS: 'succeeded',
  PROCESSING: 'pending',
  CLOSED: 'failed',
  ABNORMAL: 'failed',
};

/** WeChat Pay's description is string(127); cut on code points so no surrogate pair is split. */
export function truncateDescription(s: string): string {
  const cps = Array.from(s);
  return cps.length <= 127 ? s : cps.slice(0, 127).join('');
}

/**
 * A payment made under any AppID the merchant configured (the main one, the official account's for
 * JSAPI, the app's for APP) belongs to the merchant; it is reported under the main `appid`, which the
 * session's identity check expects. Any other AppID is reported as it is (→ app_mismatch anomaly).
 */
export function ownAppid(cfg: Pick<WechatPayV3Config, 'appid' | 'oauth' | 'app_appid'>, appid: string): string {
  return appid === cfg.oauth?.appid || appid === cfg.app_appid ? cfg.appid : appid;
}
