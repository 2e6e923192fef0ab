// WeChat Pay notifies as the simulator sends them. APIv3 (https://pay.weixin.qq.com/doc/v3/merchant/4012791861): a JSON
// envelope whose `resource` is AES-256-GCM-encrypted with the merchant's APIv3 key, signed like a response
// (https://pay.weixin.qq.com/doc/v3/merchant/4013053420); any 2xx acknowledges. APIv2
// (https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=9_7): the XML built by v2model.ts; only an answer carrying
// return_code SUCCESS acknowledges.

import { dispatch, postNotify, type Answer } from '../common/dispatch';
import { parseFlatXml } from '../../../worker/src/providers/wechat-v2/xml';
import { encryptResource, signResponse } from '../../../worker/src/providers/wechat-v3/sign';
import type { LedgerSettings } from '../settings';
import { beijingRfc3339 } from '../time';
import type { RefundNotifyJson, TransactionJson } from './model';

/** Real WeChat waits about 5 s for an answer; a slower one counts as a failure and is retried. */
const SEND_TIMEOUT_MS = 10_000;

export type NotifyEvent = 'TRANSACTION.SUCCESS' | 'REFUND.SUCCESS';

const SUMMARY: Record<NotifyEvent, string> = {
  'TRANSACTION.SUCCESS': '支付成功',
  'REFUND.SUCCESS': '退款成功',
};

const ORIGINAL_TYPE: Record<NotifyEvent, string> = {
  'TRANSACTION.SUCCESS': 'transaction',
  'REFUND.SUCCESS': 'refund',
};

/**
 * The exact body text of one notification. Built once when the notification is queued: every
 * retry re-sends the same `id` and body (only the signature headers are fresh per send).
 */
export async function buildNotifyBody(input: {
  id: string;
  event: NotifyEvent;
  apiv3Key: string;
  plaintext: TransactionJson | RefundNotifyJson;
  now: number;
}): Promise<string> {
  const type = ORIGINAL_TYPE[input.event];
  // associated_data is "transaction" / "refund" on real notifies
  // (https://pay.weixin.qq.com/doc/v3/merchant/4012071382).
  const enc = await encryptResource(input.apiv3Key, JSON.stringify(input.plaintext), type);
  return JSON.stringify({
    id: input.id,
    create_time: beijingRfc3339(input.now),
    resource_type: 'encrypt-resource',
    event_type: input.event,
    summary: SUMMARY[input.event],
    resource: {
      original_type: type,
      algorithm: enc.algorithm,
      ciphertext: enc.ciphertext,
      associated_data: enc.associated_data,
      nonce: enc.nonce,
    },
  });
}

/**
 * POSTs one copy. Headers are signed fresh per send with the sandbox key over the exact body.
 * A notify_url on our own public_base_url goes to the Shouyin Worker over its service binding
 * (`dispatch`): under `wrangler dev` and in the test runner no port is listening. Anything else
 * goes out with the global fetch.
 */
export function sendNotify(settings: LedgerSettings, url: string, body: string): Promise<Answer> {
  const headers = async () => {
    if (!settings.signer) throw new Error("sandbox.wechat_pay (the APIv3 simulator's signing key) is not configured.");
    const signed = await signResponse({ serial: settings.signer.serial, privateKey: settings.signer.private_key, body });
    return { ...signed, 'Content-Type': 'application/json', 'User-Agent': 'Mozilla/4.0', 'Request-ID': crypto.randomUUID() };
  };
  return postNotify(settings.public_base_url, url, body, { headers, timeoutMs: SEND_TIMEOUT_MS }, async (res) => {
    // Drain the answer so the connection is released. Only a 2xx counts as acknowledged; any body is
    // accepted (https://pay.weixin.qq.com/doc/v3/merchant/4012791861).
    await res.arrayBuffer().catch(() => undefined);
    return { ok: res.status >= 200 && res.status < 300 };
  });
}

/** POSTs to a merchant URL: our own origin over a binding (`dispatch`), the global fetch otherwise. */
export async function post(settings: LedgerSettings, url: string, body: string, headers: Record<string, string>): Promise<Response> {
  const request = new Request(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(SEND_TIMEOUT_MS) });
  return dispatch(request, settings.public_base_url);
}

/**
 * POSTs one APIv2 notify (XML, no signature headers: the sign is inside). Acknowledged only by an
 * answer whose XML says return_code SUCCESS (https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=9_7); an empty
 * 200, a 204 or `success` are not acks.
 */
export function sendV2Notify(settings: LedgerSettings, url: string, body: string): Promise<Answer> {
  const headers = { 'Content-Type': 'text/xml; charset=utf-8', 'User-Agent': 'Mozilla/4.0' };
  return postNotify(settings.public_base_url, url, body, { headers: () => headers, timeoutMs: SEND_TIMEOUT_MS }, async (res) => {
    const text = await res.text();
    let ack = false;
    try {
      ack = res.status === 200 && parseFlatXml(text).return_code === 'SUCCESS';
    } catch {
      ack = false;
    }
    return { ok: ack, error: ack || res.status !== 200 ? null : `not the SUCCESS ack: ${text.slice(0, 120)}` };
  });
}
