// notify_url handling (https://pay.weixin.qq.com/doc/v3/merchant/4012791861): verify the Wechatpay-* signature on the
// raw body FIRST, then parse, check the algorithm, decrypt the resource with the APIv3 key, and map the event.

import type { WechatPayV3Config } from './config';
import { AesGcmError, aesGcmDecrypt } from '../../crypto/aes-gcm';
import { VerificationError } from '../../lib/errors';
import type { Ack, AckFailure, IncomingNotify, NotifyEvent, ProviderContext } from '../types';
import { keyResolverFromConfig } from './keys';
import { ShapeError, ackFailureStatus } from '../errors';
import { REFUND_STATES, asObj, optStr, ownAppid, paymentFacts, str } from './mapping';
import { RESOURCE_ALGORITHM, verifySignedMessage } from './sign';

function malformed(message: string): VerificationError {
  return new VerificationError('malformed_notify', message);
}

function json(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw malformed(`The ${what} is not JSON.`);
  }
}

/** The resource's plaintext; a key, tag or encoding that does not check out is a notify not to trust. */
async function decryptResource(key: string, nonce: string, associatedData: string, ciphertext: string): Promise<string> {
  try {
    return await aesGcmDecrypt(key, nonce, associatedData, ciphertext);
  } catch (e) {
    if (e instanceof AesGcmError) throw new VerificationError('decrypt_failed', e.message);
    throw e;
  }
}

export async function parseWechatNotify(ctx: ProviderContext, cfg: WechatPayV3Config, notify: IncomingNotify): Promise<NotifyEvent> {
  await verifySignedMessage({ headers: notify.headers, body: notify.body, keys: keyResolverFromConfig(cfg), now: ctx.now() });
  try {
    const envelope = asObj(json(notify.body, 'notify body'), 'notify');
    const eventType = str(envelope, 'event_type', 'notify');
    const resource = asObj(envelope.resource, 'notify.resource');
    if (resource.algorithm !== RESOURCE_ALGORITHM) {
      throw new VerificationError(
        'unsupported_algorithm',
        `notify.resource.algorithm is ${JSON.stringify(resource.algorithm)}, expected ${RESOURCE_ALGORITHM}.`,
      );
    }
    const plaintext = await decryptResource(
      cfg.apiv3_key,
      str(resource, 'nonce', 'notify.resource'),
      // associated_data may be absent or empty: it is then authenticated as the empty string.
      optStr(resource, 'associated_data') ?? '',
      str(resource, 'ciphertext', 'notify.resource'),
    );
    const data = asObj(json(plaintext, 'decrypted resource'), 'resource');

    if (eventType === 'TRANSACTION.SUCCESS' && data.trade_state === 'SUCCESS') {
      const payment = paymentFacts(data);
      if (payment.appId !== undefined) payment.appId = ownAppid(cfg, payment.appId);
      return { kind: 'payment', payment, raw: data };
    }
    if (eventType.startsWith('REFUND.')) {
      const status = str(data, 'refund_status', 'refund');
      const state = REFUND_STATES[status];
      if (!state) throw malformed(`Unknown refund_status ${JSON.stringify(status)}.`);
      const event: NotifyEvent = {
        kind: 'refund',
        attemptId: str(data, 'out_trade_no', 'refund'),
        refundId: str(data, 'out_refund_no', 'refund'),
        state,
        raw: data,
      };
      const refundId = optStr(data, 'refund_id');
      if (refundId !== undefined) event.providerRefundId = refundId;
      return event;
    }
    // Verified, but nothing to move (e.g. a PAYSCORE event): still acknowledged.
    return { kind: 'informational', attemptId: optStr(data, 'out_trade_no') ?? '', state: eventType, raw: data };
  } catch (e) {
    if (e instanceof ShapeError) throw malformed(e.message);
    throw e;
  }
}

/**
 * Success: 204 with no body. Failure: 4xx/5xx with `{"code":"FAIL","message":…}`, the answer WeChat Pay's
 * notify documentation (支付通知) asks for; WeChat Pay then sends the notify again on its schedule.
 */
export function wechatAck(ok: boolean, failure?: AckFailure): Ack {
  if (ok) return { status: 204, headers: {}, body: '' };
  return {
    status: ackFailureStatus(failure),
    headers: { 'Content-Type': 'application/json; charset=utf-8' },
    body: JSON.stringify({ code: 'FAIL', message: failure?.message ?? '失败' }),
  };
}
