// Who may call the simulated UnionPay gateway, and how it answers
// (https://open.unionpay.com/tjweb/acproduct/list?apiSvcId=448). Requests: the form decoded once as UTF-8; the common
// fields (13 when one is missing); version and signMethod; the merchant (a test merchant's merId — a live one does not
// exist here, 31); certId equal to its configured sign_cert_id and the signature over the received fields, checked with
// the public half of its configured sign_key (11). Answers: raw `k=v&` text, sorted, signed with the
// sandbox's key and carrying its certificate as signPubKeyCert — errors included.

import type { SandboxedConfig } from '../config';
import { publicKeyFromPrivate } from '../../../worker/src/crypto/rsa';
import { SIGN_METHOD_RSA, VERSION, signAsUnionpay, verifyFieldsSignature } from '../../../worker/src/providers/unionpay/sign';
import { WireError, formatRawResponse, parseForm, type Fields } from '../../../worker/src/providers/unionpay/wire';
import { RESP, type GatewayError } from './model';
import { testMerchantByMerId, type UnionpayLedgerSettings, type UnionpayTestMerchant } from './settings';

export type Checked = { ok: true; tm: UnionpayTestMerchant; fields: Fields } | { ok: false; error: GatewayError; fields: Fields };

const COMMON = ['version', 'encoding', 'signMethod', 'certId', 'signature', 'txnType', 'txnSubType', 'bizType', 'accessType', 'merId', 'txnTime'];

export async function checkRequest(config: SandboxedConfig, body: string): Promise<Checked> {
  let fields: Fields;
  try {
    fields = parseForm(body);
  } catch (e) {
    return { ok: false, error: RESP.format(e instanceof WireError ? '报文编码错误' : '报文'), fields: {} };
  }
  for (const k of COMMON) if (!fields[k]) return { ok: false, error: RESP.missing(k), fields };
  if (fields.version !== VERSION || fields.signMethod !== SIGN_METHOD_RSA) return { ok: false, error: RESP.format('version/signMethod'), fields };
  if ((fields.encoding ?? '').toUpperCase() !== 'UTF-8') return { ok: false, error: RESP.format('encoding'), fields };
  if (fields.accessType !== '0') return { ok: false, error: RESP.format('accessType'), fields };
  const tm = testMerchantByMerId(config, fields.merId as string);
  if (!tm) return { ok: false, error: RESP.merchant, fields };
  // certId names the merchant's signing certificate in DECIMAL
  // (https://open.unionpay.com/tjweb/acproduct/APIList?acpAPIId=754&apiservId=448&version=V2.2): a hex serial is
  // refused.
  if (fields.certId !== tm.unionpay.sign_cert_id) return { ok: false, error: RESP.signature, fields };
  if (!(await verifyFieldsSignature(fields, await publicKeyFromPrivate(tm.unionpay.sign_key)))) return { ok: false, error: RESP.signature, fields };
  return { ok: true, tm, fields };
}

/**
 * The fields every answer echoes from its request
 * (https://open.unionpay.com/tjweb/acproduct/APIList?acpAPIId=754&apiservId=448&version=V2.2).
 */
export function echo(f: Fields): Fields {
  const out: Fields = { version: VERSION, encoding: 'UTF-8', signMethod: SIGN_METHOD_RSA };
  for (const k of ['accessType', 'bizType', 'merId', 'orderId', 'txnSubType', 'txnTime', 'txnType']) if (f[k]) out[k] = f[k] as string;
  return out;
}

/** A signed raw answer: sorted `k=v&…`, not URL-encoded, signPubKeyCert with its CRLFs. */
export async function answer(settings: UnionpayLedgerSettings | null, fields: Fields): Promise<Response> {
  const signed = settings ? await signAsUnionpay(fields, settings.signer) : fields;
  const sorted = Object.fromEntries(
    Object.keys(signed)
      .sort()
      .map((k) => [k, signed[k] as string]),
  );
  return new Response(formatRawResponse(sorted), { status: 200, headers: { 'Content-Type': 'text/plain; charset=UTF-8' } });
}

export const failure = (settings: UnionpayLedgerSettings | null, request: Fields, e: GatewayError): Promise<Response> =>
  answer(settings, { ...echo(request), respCode: e.respCode, respMsg: e.respMsg });
