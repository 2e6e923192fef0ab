// v2 notify_url handling (https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=9_16&index=10,
// https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=9_7). The raw XML is screened for DOCTYPE/ENTITY before any
// parsing; a payment notify is verified with the v2 sign rule (https://pay.weixin.qq.com/wiki/doc/api/native.php?chapter=4_3)
// and the merchant's configured sign_type only, never one inferred from the sign (see verify in sign.ts); a refund notify
// carries no sign at all and is authenticated by decrypting `req_info` with the MD5 of the APIv2 key.

import { VerificationError } from '../../lib/errors';
import type { Ack, AckFailure, IncomingNotify, NotifyEvent, ProviderContext } from '../types';
import type { WechatPayV2Config } from './config';
import { ShapeError, ackFailureStatus } from '../errors';
import { REFUND_STATES, field, paymentFacts } from './mapping';
import { decryptReqInfo, verify } from './sign';
import { XmlError, parseFlatXml } from './xml';

function readXml(text: string, root: string, what: string): Record<string, string> {
  try {
    return parseFlatXml(text, root);
  } catch (e) {
    if (e instanceof XmlError) {
      throw new VerificationError(e.code === 'unsafe_markup' ? 'unsafe_xml' : 'malformed_notify', `The ${what} was refused before use: ${e.message}`);
    }
    throw e;
  }
}

/**
 * A payment made under any AppID the merchant configured (the main one, the official account's for
 * JSAPI, the app's for APP) belongs to the merchant; it is reported under the main `appid`, which is
 * what the session's identity check expects. Any other AppID is reported as it is, and the session
 * records the payment as an app_mismatch anomaly.
 */
export function ownAppid(cfg: WechatPayV2Config, appid: string): string {
  return appid === cfg.oauth?.appid || appid === cfg.app_appid ? cfg.appid : appid;
}

export async function parseV2Notify(_ctx: ProviderContext, cfg: WechatPayV2Config, notify: IncomingNotify): Promise<NotifyEvent> {
  const m = readXml(notify.body, 'xml', 'notify body');
  try {
    if (m.req_info !== undefined && m.sign === undefined) {
      if (m.return_code !== 'SUCCESS') throw new VerificationError('malformed_notify', `A refund notify with return_code=${m.return_code ?? '(none)'}.`);
      if (m.mch_id !== cfg.mch_id)
        throw new VerificationError('unknown_merchant', `The refund notify is for mch_id ${m.mch_id ?? '(none)'}, not this merchant's.`);
      let plain: string;
      try {
        plain = await decryptReqInfo(m.req_info, cfg.apiv2_key);
      } catch {
        throw new VerificationError(
          'decrypt_failed',
          "req_info does not decrypt with the MD5 of apiv2_key: forged, altered, or the key is not this merchant's APIv2 key.",
        );
      }
      const r = readXml(plain, 'root', 'decrypted req_info');
      const status = field(r, 'refund_status', 'req_info');
      const state = REFUND_STATES[status];
      if (!state) throw new VerificationError('malformed_notify', `Unknown refund_status ${JSON.stringify(status)}.`);
      const event: NotifyEvent = {
        kind: 'refund',
        attemptId: field(r, 'out_trade_no', 'req_info'),
        refundId: field(r, 'out_refund_no', 'req_info'),
        state,
        raw: r,
      };
      if (r.refund_id) event.providerRefundId = r.refund_id;
      return event;
    }
    if (!(await verify(m, cfg.apiv2_key, cfg.sign_type))) {
      throw new VerificationError(
        'bad_signature',
        `The notify sign does not verify with apiv2_key and this merchant's sign_type (${cfg.sign_type}): forged, altered, signed with another algorithm, or the key is not this merchant's APIv2 key.`,
      );
    }
    if (m.return_code !== 'SUCCESS') return { kind: 'informational', attemptId: m.out_trade_no ?? '', state: `return_code:${m.return_code ?? ''}`, raw: m };
    if (m.result_code !== 'SUCCESS')
      return { kind: 'informational', attemptId: m.out_trade_no ?? '', state: `result_code:${m.result_code ?? ''}:${m.err_code ?? ''}`, raw: m };
    const payment = paymentFacts(m, 'notify');
    if (payment.appId !== undefined) payment.appId = ownAppid(cfg, payment.appId);
    return { kind: 'payment', payment, raw: m };
  } catch (e) {
    if (e instanceof ShapeError) throw new VerificationError('malformed_notify', e.message);
    throw e;
  }
}

const cdata = (s: string): string => `<![CDATA[${s.replaceAll(']]>', ']]]]><![CDATA[>')}]]>`;

/**
 * Success is exactly `<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg></xml>`
 * (the answer WeChat Pay's APIv2 支付结果通知 asks for), sent only after the effect is stored; anything
 * else makes WeChat Pay retry on its schedule.
 */
export function wechatV2Ack(ok: boolean, failure?: AckFailure): Ack {
  const headers = { 'Content-Type': 'text/xml; charset=utf-8' };
  if (ok) return { status: 200, headers, body: '<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg></xml>' };
  return {
    status: ackFailureStatus(failure),
    headers,
    body: `<xml><return_code>${cdata('FAIL')}</return_code><return_msg>${cdata(failure?.message ?? '失败')}</return_msg></xml>`,
  };
}
