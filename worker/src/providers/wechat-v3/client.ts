// The one way Shouyin talks to WeChat Pay APIv3: sign the request
// (https://pay.weixin.qq.com/doc/v3/merchant/4012365342), send it through ctx.fetch, and verify the Wechatpay-*
// signature of EVERY response — errors and 204s included — before reading anything from it
// (https://pay.weixin.qq.com/doc/v3/merchant/4013053420). An unverifiable answer is never trusted.

import type { WechatPayV3Config } from './config';
import { randomAlnum } from '../../crypto/encoding';
import { ProviderError, VerificationError } from '../../lib/errors';
import type { ProviderContext } from '../types';
import { keyResolverFromConfig, preferredSerial } from './keys';
import { buildAuthorization, verifySignedMessage } from './sign';

export const LIVE_BASE = 'https://api.mch.weixin.qq.com';
const USER_AGENT = 'Shouyin/0.1';

/** A verified non-2xx answer: `{code, message}` from WeChat Pay, with its HTTP status. */
export class WechatApiError extends ProviderError {
  constructor(
    readonly httpStatus: number,
    code: string,
    message: string,
  ) {
    // 5xx (SYSTEM_ERROR …) and 429 (FREQUENCY_LIMITED): the outcome is unknown or deferred; ask again.
    super(code, `WeChat Pay answered ${httpStatus} ${code}: ${message}`, httpStatus >= 500 || httpStatus === 429);
  }
}

export interface WechatResponse {
  status: number;
  /** Parsed JSON; `undefined` for an empty body (204). */
  data: unknown;
}

export function baseUrl(ctx: ProviderContext, cfg: WechatPayV3Config): string {
  return cfg.api_base ?? (ctx.testMode ? `${ctx.sandboxBaseUrl}/wechatpay` : LIVE_BASE);
}

/** True when calls go to the built-in sandbox (test merchant without api_base). */
export function usesBuiltInSandbox(ctx: ProviderContext, cfg: WechatPayV3Config): boolean {
  return cfg.api_base === undefined && ctx.testMode;
}

function lowerHeaders(h: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  h.forEach((v, k) => {
    out[k.toLowerCase()] = v;
  });
  return out;
}

/**
 * `path` is the API path plus query (already escaped), e.g. `/v3/pay/transactions/native`.
 * Resolves for 2xx; throws WechatApiError for a verified non-2xx, ProviderError otherwise.
 */
export async function wechatRequest(
  ctx: ProviderContext,
  cfg: WechatPayV3Config,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
): Promise<WechatResponse> {
  const url = new URL(baseUrl(ctx, cfg) + path);
  // The signed URL is the path + query actually requested: with the sandbox base it starts
  // with /sandbox/wechatpay, and the simulator checks what it received
  // (https://pay.weixin.qq.com/doc/v3/merchant/4012365342).
  const canonical = url.pathname + url.search;
  const text = body === undefined ? '' : JSON.stringify(body);
  const authorization = await buildAuthorization({
    mchid: cfg.mchid,
    serialNo: cfg.merchant_serial,
    privateKey: cfg.private_key,
    method,
    url: canonical,
    body: text,
    timestamp: Math.floor(ctx.now() / 1000),
    nonce: randomAlnum(32),
  });
  const headers: Record<string, string> = {
    Accept: 'application/json',
    // WeChat rejects requests without a User-Agent (https://github.com/wechatpay-apiv3/wechatpay-go).
    'User-Agent': USER_AGENT,
    'Content-Type': 'application/json',
    Authorization: authorization,
  };
  const serial = preferredSerial(cfg);
  if (serial !== undefined) headers['Wechatpay-Serial'] = serial;

  let res: Response;
  let raw: string;
  try {
    res = await ctx.fetch(new Request(url.toString(), { method, headers, ...(method === 'POST' ? { body: text } : {}) }));
    raw = await res.text();
  } catch (e) {
    throw new ProviderError('provider_unreachable', `Could not reach WeChat Pay at ${url.origin}: ${(e as Error).message}`, true);
  }

  try {
    await verifySignedMessage({ headers: lowerHeaders(res.headers), body: raw, keys: keyResolverFromConfig(cfg), now: ctx.now() });
  } catch (e) {
    if (!(e instanceof VerificationError)) throw e;
    // Nothing in an unverified answer is believed, so whether the call took effect is unknown:
    // retryable, i.e. the caller queries before deciding.
    throw new ProviderError(
      'response_unverified',
      `WeChat Pay's ${res.status} response to ${method} ${url.pathname} failed verification (${e.code}): ${e.message}`,
      true,
    );
  }

  let data: unknown;
  if (raw !== '') {
    try {
      data = JSON.parse(raw);
    } catch {
      throw new ProviderError('invalid_response', `WeChat Pay's ${res.status} response to ${method} ${url.pathname} is not JSON.`, res.status >= 500);
    }
  }
  if (res.status >= 200 && res.status < 300) return { status: res.status, data };

  const err = (typeof data === 'object' && data !== null ? data : {}) as { code?: unknown; message?: unknown };
  throw new WechatApiError(
    res.status,
    typeof err.code === 'string' ? err.code : res.status >= 500 ? 'provider_unavailable' : 'provider_error',
    typeof err.message === 'string' ? err.message : '(no message)',
  );
}
