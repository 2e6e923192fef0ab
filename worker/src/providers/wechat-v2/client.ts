// The one way Shouyin talks to WeChat Pay APIv2: sign the fields
// (https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=4_3), POST them as UTF-8 XML
// (https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=4_3: `text/xml; charset=utf-8`, or non-ASCII bodies fail
// with 签名错误), parse the answer behind the XXE guard, and verify its `sign` before believing anything in it. `/secapi/*`
// calls go through the merchant's mTLS certificate binding
// (https://developers.cloudflare.com/workers/runtime-apis/bindings/mtls/,
// https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=9_4).

import type { WechatPayV2Config } from './config';
import { randomAlnum } from '../../crypto/encoding';
import { ProviderError } from '../../lib/errors';
import type { ProviderContext } from '../types';
import { signed, verify } from './sign';
import { XmlError, buildXml, parseFlatXml } from './xml';

export const LIVE_BASE = 'https://api.mch.weixin.qq.com';
const TIMEOUT_MS = 10_000;

/** A verified answer with `result_code=FAIL`: the business said no (ORDERPAID, ORDERNOTEXIST…). */
export class WechatV2BusinessError extends ProviderError {
  constructor(
    readonly errCode: string,
    readonly fields: Record<string, string>,
  ) {
    // SYSTEMERROR / BIZERR_NEED_RETRY / FREQUENCY_LIMITED: the outcome is unknown; ask again.
    super(
      errCode,
      `WeChat Pay answered result_code=FAIL ${errCode}: ${fields.err_code_des ?? '(no description)'}`,
      ['SYSTEMERROR', 'BIZERR_NEED_RETRY', 'FREQUENCY_LIMITED'].includes(errCode),
    );
  }
}

export function baseUrl(ctx: ProviderContext, cfg: WechatPayV2Config): string {
  return cfg.api_base ?? (ctx.testMode ? `${ctx.sandboxBaseUrl}/wechatpay` : LIVE_BASE);
}

/** True when calls go to the built-in sandbox (test merchant without api_base). */
export function usesBuiltInSandbox(ctx: ProviderContext, cfg: WechatPayV2Config): boolean {
  return cfg.api_base === undefined && ctx.testMode;
}

/**
 * How a `/secapi/*` request leaves: through the mTLS certificate binding named in the config, which
 * presents apiclient_cert.pem. The built-in sandbox (test mode) takes the ordinary path. The Worker's
 * bindings are imported on first use, so the config parser can load this provider outside workerd
 * (the demo and scripts validate configs in Node).
 */
async function certFetch(ctx: ProviderContext, cfg: WechatPayV2Config): Promise<(r: Request) => Promise<Response>> {
  if (usesBuiltInSandbox(ctx, cfg)) return ctx.fetch;
  const { env } = await import('cloudflare:workers');
  const name = cfg.mtls_certificate;
  const binding = name ? (env as unknown as Record<string, Fetcher | undefined>)[name] : undefined;
  if (!name || !binding || typeof binding.fetch !== 'function') {
    // Retryable: the operator can add the binding, and the refund (same out_refund_no) goes through then.
    throw new ProviderError(
      'mtls_certificate_missing',
      name
        ? `wechat_pay.mtls_certificate names "${name}", but the Worker has no such binding: declare [[mtls_certificates]] binding = "${name}" in wrangler.toml (docs/wechat.md).`
        : 'APIv2 refunds need the merchant client certificate: set wechat_pay.mtls_certificate to an [[mtls_certificates]] binding (docs/wechat.md).',
      true,
    );
  }
  return (r) => binding.fetch(new Request(r, { signal: AbortSignal.timeout(TIMEOUT_MS) }));
}

/**
 * POSTs `fields` (appid, mch_id, nonce_str and the signature are added) to `path` and returns the
 * verified answer when `return_code` and `result_code` are both SUCCESS. Throws ProviderError for a
 * communication-level FAIL (`return_code=FAIL`, e.g. 签名错误), an unverifiable answer or no answer;
 * WechatV2BusinessError for a verified `result_code=FAIL`.
 */
export async function v2Request(
  ctx: ProviderContext,
  cfg: WechatPayV2Config,
  path: string,
  fields: Record<string, string | undefined>,
  opts: { cert?: boolean; appid?: string } = {},
): Promise<Record<string, string>> {
  const clean: Record<string, string> = {};
  for (const [k, v] of Object.entries({ appid: opts.appid ?? cfg.appid, mch_id: cfg.mch_id, nonce_str: randomAlnum(32), ...fields })) {
    if (v !== undefined && v !== '') clean[k] = v;
  }
  const body = buildXml(await signed(clean, cfg.apiv2_key, cfg.sign_type));
  const url = baseUrl(ctx, cfg) + path;
  const send = opts.cert ? await certFetch(ctx, cfg) : ctx.fetch;
  let status: number;
  let raw: string;
  try {
    const res = await send(new Request(url, { method: 'POST', headers: { 'Content-Type': 'text/xml; charset=utf-8', 'User-Agent': 'Shouyin/0.1' }, body }));
    status = res.status;
    raw = await res.text();
  } catch (e) {
    if (e instanceof ProviderError) throw e;
    throw new ProviderError('provider_unreachable', `Could not reach WeChat Pay at ${new URL(url).origin}: ${(e as Error).message}`, true);
  }
  let answer: Record<string, string>;
  try {
    answer = parseFlatXml(raw);
  } catch (e) {
    const why = e instanceof XmlError ? e.message : String(e);
    throw new ProviderError('invalid_response', `WeChat Pay's ${status} answer to ${path} is not its XML: ${why}`, status >= 500 || status === 0);
  }
  if (answer.return_code !== 'SUCCESS') {
    // Communication-level failures are unsigned (https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=9_1): nothing
    // in them is trusted beyond "it failed".
    throw new ProviderError(
      'provider_rejected',
      `WeChat Pay refused ${path}: return_code=${answer.return_code ?? '(none)'} ${answer.return_msg ?? ''}`.trim(),
      status >= 500,
    );
  }
  if (!(await verify(answer, cfg.apiv2_key, cfg.sign_type))) {
    // Unknown whether the call took effect: retryable, so the caller queries before deciding.
    throw new ProviderError('response_unverified', `WeChat Pay's answer to ${path} failed its sign check (is apiv2_key the merchant's APIv2 key?).`, true);
  }
  if (answer.appid !== undefined && answer.appid !== clean.appid)
    throw new ProviderError('invalid_response', `WeChat Pay answered ${path} for appid ${answer.appid}, not ${clean.appid}.`, true);
  if (answer.mch_id !== undefined && answer.mch_id !== cfg.mch_id)
    throw new ProviderError('invalid_response', `WeChat Pay answered ${path} for mch_id ${answer.mch_id}, not ${cfg.mch_id}.`, true);
  if (answer.result_code !== 'SUCCESS') throw new WechatV2BusinessError(answer.err_code ?? answer.result_code ?? 'FAIL', answer);
  return answer;
}
