// The one way Shouyin talks to the Alipay gateway: build the common parameters
// (https://opendocs.alipay.com/common/02kf5q), sign, POST through ctx.fetch with the common parameters in the URL query
// and biz_content in the form body (https://opendocs.alipay.com/common/02kf5q), then verify the answer over its exact
// raw `<method>_response` text (https://opendocs.alipay.com/common/02mse7) before reading anything from it. An
// unverifiable answer is never trusted, whatever it claims.

import { ProviderError, VerificationError } from '../../lib/errors';
import type { ProviderContext } from '../types';
import type { AlipayConfig } from './config';
import { alipayVerifyKeys, certModeSns, isCertMode } from './keys';
import { SIGN_TYPE, encodeForm, extractSignedResponse, signRequest, verifyResponseContent, type Params } from './sign';
import { beijingDateTime } from './time';

export const LIVE_GATEWAY = 'https://openapi.alipay.com/gateway.do';
const USER_AGENT = 'Shouyin/0.1';

/** Common parameters that travel in the gateway URL's query; everything else goes in the body (alipay-sdk formatUrl). */
export const URL_PARAMS: readonly string[] = [
  'app_id',
  'method',
  'format',
  'charset',
  'sign_type',
  'sign',
  'timestamp',
  'version',
  'notify_url',
  'return_url',
  'auth_token',
  'app_auth_token',
  'app_cert_sn',
  'alipay_root_cert_sn',
  'ws_service_url',
];

/**
 * Codes that mean "the outcome is unknown": 20000 service unavailable, and the ACQ system errors
 * (https://opendocs.alipay.com/common/02km9f).
 */
const UNKNOWN_OUTCOME_SUB_CODES = new Set(['ACQ.SYSTEM_ERROR', 'isp.unknow-error', 'aop.unknow-error']);

/** A verified answer whose code is not 10000. */
export class AlipayApiError extends ProviderError {
  constructor(
    readonly alipayCode: string,
    readonly subCode: string,
    readonly subMsg: string,
    method: string,
  ) {
    super(
      subCode || `alipay_${alipayCode}`,
      `Alipay answered ${method} with ${alipayCode}${subCode ? ` ${subCode}` : ''}: ${subMsg || '(no sub_msg)'}`,
      alipayCode === '20000' || UNKNOWN_OUTCOME_SUB_CODES.has(subCode),
    );
  }
}

export function gatewayUrl(ctx: ProviderContext, cfg: AlipayConfig): string {
  return cfg.gateway ?? (ctx.testMode ? `${ctx.sandboxBaseUrl}/alipay/gateway.do` : LIVE_GATEWAY);
}

/** True when calls go to the built-in sandbox (test merchant without a gateway). */
export function usesBuiltInSandbox(ctx: ProviderContext, cfg: AlipayConfig): boolean {
  return cfg.gateway === undefined && ctx.testMode;
}

/**
 * The signed parameters of one call: app_id, method, format, charset, sign_type, timestamp (Beijing),
 * version, the certificate SNs in certificate mode, `extra` (notify_url, return_url…) and biz_content
 * as the exact JSON text that is signed and sent.
 */
export async function signedParams(ctx: ProviderContext, cfg: AlipayConfig, method: string, biz: Record<string, unknown>, extra: Params = {}): Promise<Params> {
  const params: Params = {
    app_id: cfg.app_id,
    method,
    format: 'JSON',
    charset: 'utf-8',
    sign_type: SIGN_TYPE,
    timestamp: beijingDateTime(ctx.now()),
    version: '1.0',
    ...extra,
    biz_content: JSON.stringify(biz),
  };
  const sns = certModeSns(cfg);
  if (sns) Object.assign(params, await sns);
  return signRequest(params, cfg.private_key);
}

/** Splits signed parameters the way the SDKs send them: common ones in the query, the rest in the body. */
export function splitForGateway(params: Params): { query: Params; body: Params } {
  const query: Params = {};
  const body: Params = {};
  for (const [k, v] of Object.entries(params)) (URL_PARAMS.includes(k) ? query : body)[k] = v;
  return { query, body };
}

/**
 * `gateway?<query>`; charset rides on the URL, where Alipay reads it before the body
 * (https://github.com/alipay/alipay-sdk-nodejs-all).
 */
export function gatewayRequestUrl(gateway: string, query: Params): string {
  return `${gateway}${gateway.includes('?') ? '&' : '?'}${encodeForm(query)}`;
}

/**
 * Verifies the answer's signature over its raw `<method>_response` (or `error_response`) text and
 * returns that object. Throws VerificationError: malformed, unsigned, unknown certificate, bad signature.
 */
export async function verifiedAnswer(cfg: AlipayConfig, method: string, raw: string): Promise<Record<string, unknown>> {
  const r = extractSignedResponse(raw, method);
  const data = JSON.parse(r.content) as Record<string, unknown>;
  const claim = `${String(data.code ?? '?')}${typeof data.sub_code === 'string' ? ` ${data.sub_code}` : ''}`;
  if (r.sign === undefined) {
    // The SDKs accept unsigned error answers; Shouyin does not trust any answer it cannot verify.
    throw new VerificationError('missing_signature', `the ${r.key} answer is unsigned (it claims ${claim}), so nothing in it can be trusted.`);
  }
  // Certificate mode: the certificate the answer names; an answer naming none is tried against
  // every configured Alipay certificate (it still has to verify).
  const namedSn = isCertMode(cfg) ? r.certSn : undefined;
  const keys = await alipayVerifyKeys(cfg, namedSn);
  if (keys.length === 0) {
    throw new VerificationError(
      'unknown_cert_sn',
      `the answer is signed by the Alipay certificate ${JSON.stringify(namedSn)}, which is not in alipay_cert: download the new Alipay public-key certificate from the open platform and add it.`,
    );
  }
  for (const key of keys) if (await verifyResponseContent(r.content, r.sign, key)) return data;
  throw new VerificationError(
    'bad_signature',
    `the ${r.key} answer's sign does not verify over its raw text with the configured Alipay ${namedSn ? 'certificate' : 'public key'} (is alipay_public_key the Alipay public key, not the app's? It claims ${claim}).`,
  );
}

/**
 * Calls one gateway method. Resolves with the verified `<method>_response` object when its code is
 * 10000; throws AlipayApiError for a verified other code, ProviderError otherwise.
 */
export async function alipayCall(
  ctx: ProviderContext,
  cfg: AlipayConfig,
  method: string,
  biz: Record<string, unknown>,
  extra: Params = {},
): Promise<Record<string, unknown>> {
  const gateway = gatewayUrl(ctx, cfg);
  const { query, body } = splitForGateway(await signedParams(ctx, cfg, method, biz, extra));
  const url = gatewayRequestUrl(gateway, query);
  let res: Response;
  let raw: string;
  try {
    res = await ctx.fetch(
      new Request(url, {
        method: 'POST',
        headers: { Accept: 'application/json', 'Content-Type': 'application/x-www-form-urlencoded;charset=utf-8', 'User-Agent': USER_AGENT },
        body: encodeForm(body),
      }),
    );
    raw = await res.text();
  } catch (e) {
    throw new ProviderError('provider_unreachable', `Could not reach the Alipay gateway at ${new URL(gateway).origin}: ${(e as Error).message}`, true);
  }
  if (res.status !== 200) {
    throw new ProviderError('provider_unavailable', `The Alipay gateway answered ${method} with HTTP ${res.status}.`, true);
  }
  let data: Record<string, unknown>;
  try {
    data = await verifiedAnswer(cfg, method, raw);
  } catch (e) {
    if (!(e instanceof VerificationError)) throw e;
    // Nothing in an unverified answer is believed, so whether the call took effect is unknown:
    // retryable, i.e. the caller queries before deciding.
    throw new ProviderError('response_unverified', `Alipay's answer to ${method} failed verification (${e.code}): ${e.message}`, true);
  }
  const code = typeof data.code === 'string' ? data.code : '';
  if (code === '10000') return data;
  throw new AlipayApiError(
    code,
    typeof data.sub_code === 'string' ? data.sub_code : '',
    typeof data.sub_msg === 'string' ? data.sub_msg : typeof data.msg === 'string' ? data.msg : '',
    method,
  );
}
