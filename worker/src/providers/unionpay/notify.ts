// backUrl notifies (https://open.unionpay.com/tjweb/acproduct/APIList?acpAPIId=754&apiservId=448&version=V2.2): a form
// POST of signed fields. Verify first — signPubKeyCert chain, validity and owner, then the signature over every field
// as decoded once — then read it. Front-type consumes notify only on success; back-type transactions (refunds) on
// success or failure.

import { VerificationError } from '../../lib/errors';
import type { Ack, AckFailure, IncomingNotify, NotifyEvent, ProviderContext } from '../types';
import type { UnionpayConfig } from './config';
import { ShapeError, ackFailureStatus } from '../errors';
import { SUCCESS_CODES, TxnType, field, paymentFacts, refundStateOf } from './mapping';
import { verifyUnionpayFields } from './sign';
import { WireError, parseForm, type Fields } from './wire';

function malformed(message: string): VerificationError {
  return new VerificationError('malformed_notify', message);
}

/** Decoded once, as UTF-8: the only charset Shouyin sends (`encoding=UTF-8`), so the only one UnionPay answers in. */
export function notifyFields(body: string): Fields {
  let fields: Fields;
  try {
    fields = parseForm(body);
  } catch (e) {
    throw malformed(e instanceof WireError ? e.message : 'The body is not a form.');
  }
  const enc = fields.encoding;
  if (enc !== undefined && enc.toUpperCase() !== 'UTF-8') {
    throw new VerificationError('unsupported_encoding', `encoding=${JSON.stringify(enc)}: Shouyin sends UTF-8 and reads UTF-8 notifies only.`);
  }
  return fields;
}

export async function parseUnionpayNotify(ctx: ProviderContext, cfg: UnionpayConfig, notify: IncomingNotify): Promise<NotifyEvent> {
  const fields = notifyFields(notify.body);
  await verifyUnionpayFields(fields, { rootCert: cfg.root_cert, middleCert: cfg.middle_cert, now: ctx.now(), testMode: ctx.testMode });
  try {
    const respCode = field(fields, 'respCode', 'notify');
    const orderId = field(fields, 'orderId', 'notify');
    switch (fields.txnType) {
      case TxnType.consume:
        // merId, orderId and txnAmt are checked against the attempt by the session (state machine):
        // a mismatch is an anomaly there, never `paid`.
        if (SUCCESS_CODES.has(respCode)) return { kind: 'payment', payment: paymentFacts(fields, ctx.now()), raw: fields };
        return { kind: 'informational', attemptId: orderId, state: `consume:${respCode}`, raw: fields };
      case TxnType.refund: {
        if (fields.merId !== cfg.mer_id) throw malformed(`A refund notify for merId ${JSON.stringify(fields.merId)}, not ${cfg.mer_id}.`);
        // The refund's own orderId is our refund number; the attempt it refunds comes back in
        // reqReserved, which the refund request set to the attempt id (it is echoed,
        // https://open.unionpay.com/tjweb/acproduct/APIList?acpAPIId=754&apiservId=448&version=V2.2).
        const event: NotifyEvent = {
          kind: 'refund',
          attemptId: fields.reqReserved ?? '',
          refundId: orderId,
          state: refundStateOf(respCode),
          raw: fields,
        };
        if (fields.queryId) event.providerRefundId = fields.queryId;
        return event;
      }
      default:
        // Undo (31) and anything else: verified, recorded, acknowledged, moves nothing.
        return { kind: 'informational', attemptId: orderId, state: `txnType:${fields.txnType ?? ''}:${respCode}`, raw: fields };
    }
  } catch (e) {
    if (e instanceof ShapeError) throw malformed(e.message);
    throw e;
  }
}

/**
 * Success is HTTP 200 (UnionPay also takes 302) within 10 s; the body is conventionally `ok`
 * (official demo, egzosn). Anything else makes UnionPay send again — about five times in all.
 */
export function unionpayAck(ok: boolean, failure?: AckFailure): Ack {
  if (ok) return { status: 200, headers: { 'Content-Type': 'text/plain; charset=utf-8' }, body: 'ok' };
  const reason = failure?.reason ?? 'not_stored';
  return { status: ackFailureStatus(failure), headers: { 'Content-Type': 'text/plain; charset=utf-8' }, body: `fail: ${failure?.message ?? reason}` };
}
