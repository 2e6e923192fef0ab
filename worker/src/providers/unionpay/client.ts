// The one way Shouyin talks to the UnionPay gateway server to server: sign the fields
// (https://open.unionpay.com/tjweb/acproduct/list?apiSvcId=448), POST them form-encoded, parse the raw `k=v&` answer
// with bracket nesting (https://open.unionpay.com/tjweb/acproduct/list?apiSvcId=448), and verify it — signPubKeyCert
// chain, validity, owner, signature (https://open.unionpay.com/tjweb/acproduct/list?apiSvcId=448) — before believing
// any of it.

import { fromUtf8 } from '../../crypto/encoding';
import { ProviderError, VerificationError } from '../../lib/errors';
import type { ProviderContext } from '../types';
import type { UnionpayConfig } from './config';
import { ENCODING, SIGN_METHOD_RSA, VERSION, signFields, verifyUnionpayFields } from './sign';
import { WireError, encodeForm, parseRawResponse, type Fields } from './wire';

export const LIVE_GATEWAY = 'https://gateway.95516.com';

/** Paths under the gateway host (https://open.unionpay.com/tjweb/acproduct/list?apiSvcId=448). */
export const Endpoint = {
  front: '/gateway/api/frontTransReq.do',
  back: '/gateway/api/backTransReq.do',
  app: '/gateway/api/appTransReq.do',
  query: '/gateway/api/queryTrans.do',
} as const;
export type Endpoint = (typeof Endpoint)[keyof typeof Endpoint];

/** Gateway base: the configured one, else live UnionPay for live merchants and the built-in sandbox in test mode. */
export function gatewayBase(ctx: ProviderContext, cfg: UnionpayConfig): string {
  return cfg.gateway ?? (ctx.testMode ? `${ctx.sandboxBaseUrl}/unionpay` : LIVE_GATEWAY);
}

export function usesBuiltInSandbox(ctx: ProviderContext, cfg: UnionpayConfig): boolean {
  return cfg.gateway === undefined && ctx.testMode;
}

/**
 * Fields every request carries
 * (https://open.unionpay.com/tjweb/acproduct/APIList?acpAPIId=754&apiservId=448&version=V2.2): the signer adds
 * `signature`.
 */
export function commonFields(cfg: UnionpayConfig, txnTime: string): Fields {
  return {
    version: VERSION,
    encoding: ENCODING,
    signMethod: SIGN_METHOD_RSA,
    certId: cfg.sign_cert_id,
    accessType: '0',
    merId: cfg.mer_id,
    txnTime,
  };
}

export const signRequest = (cfg: UnionpayConfig, fields: Fields): Promise<Fields> => signFields(fields, cfg.sign_key);

/** A verified answer whose respCode says the request failed. */
export class UnionpayApiError extends ProviderError {
  constructor(
    readonly respCode: string,
    readonly respMsg: string,
  ) {
    // 03/04/05 and a busy gateway (06) leave the outcome unknown: query before deciding.
    super(`unionpay_${respCode}`, `UnionPay answered respCode=${respCode}: ${respMsg}`, ['03', '04', '05', '06'].includes(respCode));
  }
}

/**
 * POSTs signed `fields` to `endpoint` (under `base`: the gateway, or the file-download host) and returns the verified answer. Throws ProviderError when the
 * gateway is unreachable, answers non-200, or answers something unparseable or unverifiable — in all
 * of which the outcome is unknown (retryable: the caller queries before deciding).
 */
export async function unionpayRequest(
  ctx: ProviderContext,
  cfg: UnionpayConfig,
  endpoint: Endpoint | '/',
  fields: Fields,
  base = gatewayBase(ctx, cfg),
): Promise<Fields> {
  const url = base + endpoint;
  const signed = await signRequest(cfg, fields);
  let res: Response;
  let bytes: ArrayBuffer;
  try {
    res = await ctx.fetch(
      new Request(url, {
        method: 'POST',
        headers: { 'Content-Type': `application/x-www-form-urlencoded; charset=${ENCODING}`, Accept: 'text/plain' },
        body: encodeForm(signed),
      }),
    );
    bytes = await res.arrayBuffer();
  } catch (e) {
    throw new ProviderError('provider_unreachable', `Could not reach UnionPay at ${new URL(url).origin}: ${(e as Error).message}`, true);
  }
  const path = new URL(url).pathname;
  if (res.status !== 200) {
    throw new ProviderError('provider_unavailable', `UnionPay answered HTTP ${res.status} to ${path}.`, true);
  }
  let answer: Fields;
  try {
    answer = parseRawResponse(fromUtf8(bytes));
  } catch (e) {
    const why = e instanceof WireError ? e.message : 'it is not UTF-8 text';
    throw new ProviderError('invalid_response', `UnionPay's answer to ${path} is not a k=v& message: ${why}`, true);
  }
  try {
    await verifyUnionpayFields(answer, { rootCert: cfg.root_cert, middleCert: cfg.middle_cert, now: ctx.now(), testMode: ctx.testMode });
  } catch (e) {
    if (!(e instanceof VerificationError)) throw e;
    // Nothing in an unverified answer is believed, whatever its respCode says.
    throw new ProviderError(
      'response_unverified',
      `UnionPay's answer to ${path} (respCode=${answer.respCode ?? '?'}) failed verification (${e.code}): ${e.message}`,
      true,
    );
  }
  if (answer.merId !== undefined && answer.merId !== cfg.mer_id) {
    throw new ProviderError('response_mismatch', `UnionPay's answer to ${path} is for merId ${answer.merId}, not ${cfg.mer_id}.`, true);
  }
  return answer;
}
