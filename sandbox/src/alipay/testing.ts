// Test-only helpers for the Alipay simulator's and adapter's workerd tests: the sandbox mounted where
// the Worker mounts it, a merchant client that signs with the provider's signing twin (never a
// hand-assembled signature), an answer verifier, the control surface, and a notify recorder whose
// answers (status and body) a test chooses.

import { env } from 'cloudflare:test';
import { Hono } from 'hono';
import { vi } from 'vitest';
import { parseSandboxedConfig } from '../config';
import { importRsaPublicKey } from '../../../worker/src/crypto/rsa';
import type { Env } from '../env';
import type { AlipayConfig } from '../../../worker/src/providers/alipay/config';
import { CERT_SNS, SANDBOX_ALIPAY_PUBLIC_KEY } from '../../../worker/src/providers/alipay/fixtures/test-keys';
import { certModeSns } from '../../../worker/src/providers/alipay/keys';
import { encodeForm, extractSignedResponse, signRequest, verifyResponseContent, type Params } from '../../../worker/src/providers/alipay/sign';
import { beijingDateTime } from '../../../worker/src/providers/alipay/time';
import type { ProviderContext } from '../../../worker/src/providers/types';
import { ALIPAY_TEST, TEST, testConfig } from '../../../worker/test/fixtures/config';
import { sandboxApp } from '../index';
import type { Received } from '../testing';
import type { LedgerView } from './ledger';

export const testEnv: Env = { ...(env as unknown as Env), SHOUYIN_CONFIG: testConfig() };
const app = new Hono<{ Bindings: Env }>().route('/sandbox', sandboxApp);

export const SANDBOX = `${TEST.public_base_url}/sandbox`;
export const GATEWAY = `${SANDBOX}/alipay/gateway.do`;

export function sandboxFetch(url: string | Request, init: RequestInit = {}): Promise<Response> {
  return Promise.resolve(typeof url === 'string' ? app.request(url, init, testEnv) : app.request(url, undefined, testEnv));
}

const parsed = parseSandboxedConfig(testConfig());
/** The test merchants' parsed Alipay config: `demo` (public-key mode) or `certshop` (certificate mode). */
export function alipayConfig(which: 'demo' | 'certshop' = 'demo'): AlipayConfig {
  const m = parsed.merchants.find((x) => x.id === (which === 'demo' ? TEST.merchant_id : ALIPAY_TEST.cert_merchant_id));
  if (!m?.providers.alipay) throw new Error(`no alipay on ${which}`);
  return m.providers.alipay;
}

/** The adapter's view of the world: every call lands in the sandbox (optionally through `wrap`). */
export function providerCtx(wrap?: (req: Request, send: (r: Request) => Promise<Response>) => Promise<Response>): ProviderContext {
  const send = (r: Request) => sandboxFetch(r);
  return { fetch: (r) => (wrap ? wrap(r, send) : send(r)), now: () => Date.now(), testMode: true, sandboxBaseUrl: SANDBOX };
}

export interface GatewayCallOptions {
  which?: 'demo' | 'certshop';
  /** Extra common parameters (notify_url, return_url…), or overrides (a wrong app_id…). */
  extra?: Params;
  /** Sign with this key instead of the merchant's. */
  privateKey?: string;
  /** Change the parameters after signing. */
  tamper?: (p: Params) => void;
  /** `post` (common params in the query, biz_content in the body, as the SDKs send) or `get` (all in the query). */
  via?: 'post' | 'get';
  timestamp?: number;
}

/** The signed parameters of one call, built exactly as the adapter builds them. */
export async function signedCall(method: string, biz: Record<string, unknown>, o: GatewayCallOptions = {}): Promise<Params> {
  const cfg = alipayConfig(o.which);
  const params: Params = {
    app_id: cfg.app_id,
    method,
    format: 'JSON',
    charset: 'utf-8',
    sign_type: 'RSA2',
    timestamp: beijingDateTime(o.timestamp ?? Date.now()),
    version: '1.0',
    biz_content: JSON.stringify(biz),
  };
  const sns = certModeSns(cfg);
  if (sns) Object.assign(params, await sns);
  Object.assign(params, o.extra ?? {});
  const signed = await signRequest(params, o.privateKey ?? cfg.private_key);
  o.tamper?.(signed);
  return signed;
}

export function sendToGateway(params: Params, via: 'post' | 'get' = 'post'): Promise<Response> {
  if (via === 'get') return sandboxFetch(`${GATEWAY}?${encodeForm(params)}`);
  const { biz_content, ...query } = params;
  return sandboxFetch(`${GATEWAY}?${encodeForm(query)}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded;charset=utf-8' },
    body: biz_content === undefined ? '' : encodeForm({ biz_content }),
  });
}

export async function gatewayCall(method: string, biz: Record<string, unknown>, o: GatewayCallOptions = {}): Promise<Response> {
  return sendToGateway(await signedCall(method, biz, o), o.via);
}

/**
 * Checks an answer as a merchant would: the sandbox's signature over the raw `<method>_response`
 * text (throws otherwise) and, for the certificate-mode merchant, the alipay_cert_sn. Returns the
 * answer object and the raw text.
 */
export async function verifiedAnswer(
  res: Response,
  method: string,
  which: 'demo' | 'certshop' = 'demo',
): Promise<{ data: Record<string, unknown>; raw: string; key: string }> {
  const raw = await res.text();
  const r = extractSignedResponse(raw, method);
  if (!r.sign) throw new Error(`unsigned answer: ${raw}`);
  if (!(await verifyResponseContent(r.content, r.sign, await importRsaPublicKey(SANDBOX_ALIPAY_PUBLIC_KEY)))) throw new Error(`bad signature: ${raw}`);
  if (which === 'certshop' && r.certSn !== CERT_SNS.alipay_cert_sn) throw new Error(`alipay_cert_sn ${String(r.certSn)}`);
  return { data: JSON.parse(r.content) as Record<string, unknown>, raw, key: r.key };
}

let n = 0;
/** A fresh out_trade_no (letters and digits, like Shouyin's attempt ids). */
export const tradeNo = (): string => `ALI${Date.now().toString(36)}${(n++).toString(36)}${Math.random().toString(36).slice(2, 6)}`;

export function precreateBiz(no: string, over: Record<string, unknown> = {}): Record<string, unknown> {
  return { out_trade_no: no, total_amount: '88.88', subject: '测试商品 Test item', product_code: 'FACE_TO_FACE_PAYMENT', ...over };
}

/** The control surface, as a test merchant (`demo` by default). */
export async function control<T = Record<string, unknown>>(path: string, body?: unknown, key: string = TEST.secret_key): Promise<{ status: number; json: T }> {
  const res = await sandboxFetch(`${SANDBOX}/alipay/_control${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: (await res.json()) as T };
}

export const ledgerOf = async (no: string, key: string = TEST.secret_key) => (await control<LedgerView>(`/orders/${no}`, undefined, key)).json;

export { waitFor, type Received } from '../testing';

/**
 * Replaces the global fetch the ledger uses for notify URLs off our own origin. `answer(url, n)`
 * gives the status and body for the n-th request (0-based) to that URL; default 200 `success`.
 */
export function recordNotifies(answer: (url: string, nth: number) => { status: number; body: string } = () => ({ status: 200, body: 'success' })): {
  received: Received[];
  restore: () => void;
} {
  const received: Received[] = [];
  const spy = vi.spyOn(globalThis, 'fetch').mockImplementation(async (input: RequestInfo | URL, init?: RequestInit) => {
    const req = new Request(input, init);
    const headers: Record<string, string> = {};
    req.headers.forEach((v, k) => (headers[k.toLowerCase()] = v));
    const nth = received.filter((r) => r.url === req.url).length;
    received.push({ url: req.url, headers, body: new TextDecoder().decode(await req.arrayBuffer()), at: Date.now() });
    const a = answer(req.url, nth);
    return new Response(a.body, { status: a.status });
  });
  return { received, restore: () => spy.mockRestore() };
}
