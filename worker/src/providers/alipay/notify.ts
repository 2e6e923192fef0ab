// notify_url handling (https://opendocs.alipay.com/open/270/105902): parse the form once, verify rsaCheckV1 over the
// values as parsed (sign and sign_type excluded) with the Alipay key BEFORE looking at anything else, then map
// trade_status. Only TRADE_SUCCESS / TRADE_FINISHED are payments; the session decides whether app_id,
// seller_id, out_trade_no and total_amount belong to the order.

import { VerificationError } from '../../lib/errors';
import type { Ack, AckFailure, IncomingNotify, NotifyEvent, ProviderContext } from '../types';
import type { AlipayConfig } from './config';
import { alipayVerifyKeys } from './keys';
import { ShapeError, ackFailureStatus } from '../errors';
import { field, optField, paymentFactsFromNotify } from './mapping';
import { SIGN_TYPE, parseFormStrict, verifyNotifySignature } from './sign';

function malformed(message: string): VerificationError {
  return new VerificationError('malformed_notify', message);
}

/** Verifies an Alipay notify form and returns its fields. Throws VerificationError. */
export async function verifyNotifyForm(cfg: AlipayConfig, body: string): Promise<Record<string, string>> {
  const params = parseFormStrict(body);
  const rawSign = params.sign;
  if (rawSign === undefined || rawSign === '') throw new VerificationError('missing_signature', 'The notify has no sign field: not a signed Alipay notify.');
  // base64 has no spaces: a space here is a `+` that was sent unencoded and became a space in form
  // decoding (fzlee/alipay #154, https://opendocs.alipay.com/common/02mse7). An encoded %2B decoded to `+` already.
  const sign = rawSign.replaceAll(' ', '+');
  // The algorithm is the config's (RSA2), never the unsigned sign_type field's; a notify that says
  // otherwise is refused rather than verified with a weaker hash.
  if (params.sign_type !== undefined && params.sign_type !== SIGN_TYPE) {
    throw new VerificationError('unsupported_algorithm', `sign_type is ${JSON.stringify(params.sign_type)}; Shouyin verifies RSA2 (SHA256withRSA) only.`);
  }
  if (params.charset !== undefined && params.charset.toLowerCase() !== 'utf-8') {
    throw malformed(`charset is ${JSON.stringify(params.charset)}; Shouyin's requests ask for utf-8, so a notify in another charset is not ours.`);
  }
  const keys = await alipayVerifyKeys(cfg);
  for (const key of keys) if (await verifyNotifySignature(params, sign, key)) return params;
  throw new VerificationError(
    'bad_signature',
    "The notify sign does not verify (rsaCheckV1, sign and sign_type excluded) with the configured Alipay public key / certificate. Was the form re-encoded on the way, or is the key the app's own?",
  );
}

/**
 * The refund an Alipay trade notify reports, if any: refunds come as TRADE_SUCCESS / TRADE_CLOSED with refund fields
 * (https://opendocs.alipay.com/open/270/105902).
 */
function refundOf(p: Record<string, string>): string | undefined {
  return optField(p, 'refund_fee') !== undefined && optField(p, 'gmt_refund') !== undefined ? optField(p, 'out_biz_no') : undefined;
}

export async function parseAlipayNotify(_ctx: ProviderContext, cfg: AlipayConfig, notify: IncomingNotify): Promise<NotifyEvent> {
  if (notify.method !== 'POST') throw malformed(`An Alipay notify is a POST, not ${notify.method}.`);
  const p = await verifyNotifyForm(cfg, notify.body);
  try {
    if (p.notify_type !== undefined && p.notify_type !== 'trade_status_sync') {
      // Verified, but not about a trade's status: acknowledged, changes nothing.
      return { kind: 'informational', attemptId: optField(p, 'out_trade_no') ?? '', state: p.notify_type, raw: p };
    }
    const attemptId = field(p, 'out_trade_no', 'notify');
    const status = field(p, 'trade_status', 'notify');
    const refundId = refundOf(p);
    if (refundId !== undefined && (status === 'TRADE_SUCCESS' || status === 'TRADE_CLOSED' || status === 'TRADE_FINISHED')) {
      // A partial refund leaves the trade TRADE_SUCCESS, a full one TRADE_CLOSED; either way the
      // money moved back (refund_fee is the cumulative amount refunded).
      return { kind: 'refund', attemptId, refundId, state: 'succeeded', raw: p };
    }
    switch (status) {
      case 'TRADE_SUCCESS':
      case 'TRADE_FINISHED':
        return { kind: 'payment', payment: paymentFactsFromNotify(p), raw: p };
      case 'WAIT_BUYER_PAY':
      case 'TRADE_CLOSED':
        return { kind: 'informational', attemptId, state: status, raw: p };
      default:
        throw malformed(`Unknown trade_status ${JSON.stringify(status)}.`);
    }
  } catch (e) {
    if (e instanceof ShapeError) throw malformed(e.message);
    throw e;
  }
}

/**
 * Success is exactly the 7 bytes `success` as text/plain, sent only after the effect is stored.
 * Anything else is a failure to Alipay: `fail` with a 4xx/5xx status.
 */
export function alipayAck(ok: boolean, failure?: AckFailure): Ack {
  if (ok) return { status: 200, headers: { 'Content-Type': 'text/plain; charset=utf-8' }, body: 'success' };
  return { status: ackFailureStatus(failure), headers: { 'Content-Type': 'text/plain; charset=utf-8' }, body: 'fail' };
}
