// Who may call the simulated Alipay gateway, and how it answers. Requests: the common parameters
// checked in Alipay's order, certificate SNs in certificate mode, then RSA2 over the sorted non-empty
// parameters except `sign` (https://opendocs.alipay.com/common/02kf5q) with the public half of the merchant's own
// configured app key. Answers: `{"<method>_response":{…},["alipay_cert_sn",]"sign"}` signed with the
// sandbox's key over the exact emitted text, `\/` escapes included (https://opendocs.alipay.com/common/02mse7).

import type { SandboxedConfig } from '../config';
import { publicKeyFromPrivate } from '../../../worker/src/crypto/rsa';
import { certSn, splitPemCertificates } from '../../../worker/src/providers/alipay/certs';
import { certModeSns } from '../../../worker/src/providers/alipay/keys';
import {
  ERROR_RESPONSE_KEY,
  SIGN_TYPE,
  parseFormStrict,
  responseKey,
  signResponse,
  verifyRequest,
  type Params,
} from '../../../worker/src/providers/alipay/sign';
import { parseBeijingDateTime } from '../../../worker/src/providers/alipay/time';
import { VerificationError } from '../../../worker/src/lib/errors';
import { MSG, invalidArg, missingArg, type GatewayError } from './model';
import { testMerchantByAppId, type AlipayTestMerchant } from './settings';

export type Authenticated = { ok: true; tm: AlipayTestMerchant; params: Params; certSn?: string } | { ok: false; error: GatewayError; certSn?: string };

/** Query and form parameters, merged. A parameter given twice (anywhere) is refused, never guessed at. */
export function mergeParams(query: string, body: string): { ok: true; params: Params } | { ok: false; error: GatewayError } {
  try {
    const q = parseFormStrict(query.replace(/^\?/, ''));
    const b = parseFormStrict(body);
    for (const k of Object.keys(b)) if (Object.hasOwn(q, k)) return { ok: false, error: invalidArg('isv.invalid-parameter', `参数 ${k} 重复`) };
    return { ok: true, params: { ...q, ...b } };
  } catch (e) {
    if (e instanceof VerificationError)
      return { ok: false, error: invalidArg('isv.invalid-parameter', e.code === 'duplicate_field' ? '参数重复' : '参数编码无效') };
    throw e;
  }
}

/** The SN the sandbox's answers carry for a certificate-mode merchant: its (first) Alipay certificate's. */
async function responseCertSn(tm: AlipayTestMerchant): Promise<string | undefined> {
  const pem = splitPemCertificates(tm.alipay.alipay_cert ?? '')[0];
  return pem === undefined ? undefined : certSn(pem);
}

/**
 * The gateway's checks, in Alipay's order: missing arguments (40001), the app (a test merchant's —
 * a live app_id does not exist here), sign_type, timestamp, charset, the certificate SNs, then the
 * RSA2 signature. A bad signature answers `isv.invalid-signature` with the gateway's own
 * string-to-sign in sub_msg, `&` written as `&amp;`, as Alipay does (https://opendocs.alipay.com/common/02mse7,
 * https://opendocs.alipay.com/common/02km9f).
 */
export async function authenticate(config: SandboxedConfig, params: Params): Promise<Authenticated> {
  const need: [string, string, string][] = [
    ['app_id', 'isv.missing-app-id', '缺少appId参数'],
    ['method', 'isv.missing-method', '缺少方法名参数'],
  ];
  for (const [k, code, msg] of need) if (!params[k]) return { ok: false, error: missingArg(code, msg) };
  const tm = testMerchantByAppId(config, params.app_id as string);
  if (!tm) return { ok: false, error: invalidArg('isv.invalid-app-id', '无效的AppID参数') };
  const sn = await responseCertSn(tm);
  const fail = (error: GatewayError): Authenticated => ({ ok: false, error, ...(sn !== undefined ? { certSn: sn } : {}) });
  const more: [string, string, string][] = [
    ['sign', 'isv.missing-signature', '缺少签名参数'],
    ['sign_type', 'isv.missing-signature-type', '缺少签名类型参数'],
    ['timestamp', 'isv.missing-timestamp', '缺少时间戳参数'],
    ['version', 'isv.missing-version', '缺少版本参数'],
  ];
  for (const [k, code, msg] of more) if (!params[k]) return fail(missingArg(code, msg));
  if (params.sign_type !== SIGN_TYPE) return fail(invalidArg('isv.invalid-signature-type', '无效的签名类型参数'));
  if (parseBeijingDateTime(params.timestamp as string) === null) return fail(invalidArg('isv.invalid-timestamp', '非法的时间戳参数'));
  if (params.charset !== undefined && params.charset.toLowerCase() !== 'utf-8') return fail(invalidArg('isv.invalid-charset', '字符集错误'));
  if (params.format !== undefined && params.format.toUpperCase() !== 'JSON') return fail(invalidArg('isv.invalid-format', '无效的数据格式'));
  const sns = certModeSns(tm.alipay);
  if (sns) {
    // Certificate mode: the app names its certificate and Alipay's root by SN
    // (https://opendocs.alipay.com/common/02kipl). Sub-codes as reported in alipay-sdk-nodejs-all#56 and
    // yansongda/pay#491.
    const want = await sns;
    if (params.app_cert_sn !== want.app_cert_sn) return fail(invalidArg('isv.app-cert-not-exist', '应用公钥证书不存在'));
    if (params.alipay_root_cert_sn !== want.alipay_root_cert_sn) return fail(invalidArg('isv.invalid-alipay-root-cert-sn', '无效支付宝根证书序列号'));
  }
  const check = await verifyRequest(params, await publicKeyFromPrivate(tm.alipay.private_key));
  if (!check.ok) {
    return fail(
      invalidArg(
        'isv.invalid-signature',
        `验签出错，建议检查签名字符串或签名私钥与应用公钥是否匹配，网关生成的验签字符串为：${check.content.replaceAll('&', '&amp;')}`,
      ),
    );
  }
  return { ok: true, tm, params, ...(sn !== undefined ? { certSn: sn } : {}) };
}

export const errorBody = (e: GatewayError): Record<string, string> => ({ code: e.code, msg: MSG[e.code], sub_code: e.sub_code, sub_msg: e.sub_msg });
export const successBody = (fields: Record<string, unknown>): Record<string, unknown> => ({ code: '10000', msg: MSG['10000'], ...fields });

/** A signed gateway answer; `method` undefined → `error_response`. */
export async function signedAnswer(signerKey: string, method: string | undefined, body: Record<string, unknown>, certSnToEmit?: string): Promise<Response> {
  const text = await signResponse({
    key: method ? responseKey(method) : ERROR_RESPONSE_KEY,
    body,
    privateKeyPem: signerKey,
    ...(certSnToEmit !== undefined ? { certSn: certSnToEmit } : {}),
  });
  return new Response(text, { status: 200, headers: { 'Content-Type': 'application/json;charset=utf-8' } });
}
