// Who may call the simulated WeChat Pay APIv3, and how its answers are signed.
// Requests: Authorization `WECHATPAY2-SHA256-RSA2048 mchid=…,serial_no=…,…` verified over
// METHOD\nPATH+QUERY\nTS\nNONCE\nBODY\n (https://pay.weixin.qq.com/doc/v3/merchant/4012365342). Answers: Wechatpay-*
// headers over TS\nNONCE\nBODY\n with the sandbox's own key, on every answer, errors and 204s included
// (https://pay.weixin.qq.com/doc/v3/merchant/4013053420).

import type { MiddlewareHandler } from 'hono';
import type { MerchantConfig } from '../../../worker/src/config';
import type { WechatPayV3Config } from '../../../worker/src/providers/wechat-v3/config';
import { loadConfig, type SandboxedConfig } from '../config';
import { publicKeyFromPrivate } from '../../../worker/src/crypto/rsa';
import { parseAuthorization, signResponse, verifyAuthorization } from '../../../worker/src/providers/wechat-v3/sign';
import { ledgerSettings, type LedgerSettings } from '../settings';
import type { SandboxEnv } from '../types';
import { testWechatMerchant } from './merchants';

export interface WechatVars {
  config: SandboxedConfig;
  settings: LedgerSettings;
  merchant: MerchantConfig;
  wechat: WechatPayV3Config;
  /** The exact request body text that was verified. */
  rawBody: string;
}

function apiError(status: number, code: string, message: string): Response {
  return new Response(JSON.stringify({ code, message }), { status, headers: { 'Content-Type': 'application/json; charset=utf-8' } });
}

/** Re-emits `res` with the Wechatpay-* signature over its exact body text (empty for a 204). */
export async function signed(res: Response, signer: LedgerSettings['signer'] | undefined): Promise<Response> {
  const body = res.status === 204 || res.body === null ? '' : await res.text();
  const headers = new Headers(res.headers);
  if (signer) {
    const h = await signResponse({ serial: signer.serial, privateKey: signer.private_key, body });
    for (const [k, v] of Object.entries(h)) headers.set(k, v);
  }
  headers.set('Request-ID', crypto.randomUUID());
  return new Response(res.status === 204 ? null : body, { status: res.status, headers });
}

/**
 * Authenticates every `/v3/*` request, then signs whatever the handler answered. The order of
 * checks: User-Agent (WeChat rejects requests without one, https://github.com/wechatpay-apiv3/wechatpay-go), the
 * Authorization's shape, the merchant (test only), its serial_no, then the RSA signature and the ±5 min window.
 */
export const authenticate: MiddlewareHandler<SandboxEnv & { Variables: WechatVars }> = async (c, next) => {
  let config: SandboxedConfig;
  try {
    config = loadConfig(c.env);
  } catch {
    return apiError(500, 'SYSTEM_ERROR', '系统错误：SHOUYIN_CONFIG 无效');
  }
  const settings = ledgerSettings(config);
  const signer = settings?.signer;
  const fail = (status: number, code: string, message: string) => signed(apiError(status, code, message), signer);
  if (!settings || !signer) return fail(404, 'RESOURCE_NOT_EXISTS', '沙箱未配置签名密钥（sandbox.wechat_pay）');
  if (!c.req.header('User-Agent')) return fail(400, 'PARAM_ERROR', 'HTTP头缺少User-Agent');

  const header = c.req.header('Authorization') ?? '';
  const parsed = parseAuthorization(header);
  if (!parsed) return fail(401, 'SIGN_ERROR', '签名错误');
  const found = testWechatMerchant(config, parsed.mchid);
  // The sandbox never serves a live merchant: to it, a live mchid does not exist (nor does an APIv2 one, to APIv3).
  if (found?.api !== 'v3') return fail(404, 'MCH_NOT_EXISTS', '商户号不存在');
  const { merchant, cfg: wechat } = found;
  // serial_no is the merchant API certificate serial (https://pay.weixin.qq.com/doc/v3/merchant/4012365342), hex in any
  // case.
  if (parsed.serial_no.toUpperCase() !== wechat.merchant_serial.toUpperCase()) return fail(401, 'SIGN_ERROR', '签名错误');

  const url = new URL(c.req.url);
  const rawBody = await c.req.text();
  const check = await verifyAuthorization(header, {
    method: c.req.method,
    url: url.pathname + url.search,
    body: rawBody,
    publicKey: await publicKeyFromPrivate(wechat.private_key),
    now: Date.now(),
  });
  if (!check.ok) return fail(401, 'SIGN_ERROR', '签名错误');

  c.set('config', config);
  c.set('settings', settings);
  c.set('merchant', merchant);
  c.set('wechat', wechat);
  c.set('rawBody', rawBody);
  await next();
  c.res = await signed(c.res, signer);
};
