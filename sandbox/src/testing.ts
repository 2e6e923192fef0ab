// Test-only helpers for the sandbox's own workerd tests: a merchant client that signs with the
// provider's signing twin (never a hand-assembled signature), a response verifier, and a recorder
// for notifies that leave through the global fetch.

import { env } from 'cloudflare:test';
import { Hono } from 'hono';
import { vi } from 'vitest';
import { aesGcmDecrypt } from '../../worker/src/crypto/aes-gcm';
import { importRsaPublicKey } from '../../worker/src/crypto/rsa';
import type { Env } from './env';
import { buildAuthorization, verifySignedMessage } from '../../worker/src/providers/wechat-v3/sign';
import { MERCHANT_PRIVATE_KEY, SANDBOX_WECHAT_PUBLIC_KEY, TEST, testConfig } from '../../worker/test/fixtures/config';
import { sandboxApp } from './index';
import type { LedgerView } from './ledger';

export const testEnv: Env = { ...(env as unknown as Env), SHOUYIN_CONFIG: testConfig() };

/** The sandbox mounted where the Worker serves it, so signed paths start with /sandbox/wechatpay. */
const app = new Hono<{ Bindings: Env }>().route('/sandbox', sandboxApp);

export const WECHAT = `${TEST.public_base_url}/sandbox/wechatpay`;

export function sandboxFetch(url: string, init: RequestInit = {}): Promise<Response> {
  return Promise.resolve(app.request(url, init, testEnv));
}

export interface CallOptions {
  mchid?: string;
  serial?: string;
  privateKey?: string;
  userAgent?: string | null;
  /** Unix seconds for the Authorization timestamp. */
  timestamp?: number;
  /** Sign this body but send `body`. */
  signedBody?: string;
}

/**
 * A merchant API call signed exactly as the adapter signs it (path + query as sent,
 * https://pay.weixin.qq.com/doc/v3/merchant/4012365342).
 */
export async function wechatCall(method: 'GET' | 'POST', path: string, body?: unknown, o: CallOptions = {}): Promise<Response> {
  const url = new URL(`${WECHAT}${path}`);
  const text = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
  const authorization = await buildAuthorization({
    mchid: o.mchid ?? TEST.mchid,
    serialNo: o.serial ?? TEST.merchant_serial,
    privateKey: o.privateKey ?? MERCHANT_PRIVATE_KEY,
    method,
    url: url.pathname + url.search,
    body: o.signedBody ?? text,
    ...(o.timestamp !== undefined ? { timestamp: o.timestamp } : {}),
  });
  const headers: Record<string, string> = { Authorization: authorization, Accept: 'application/json', 'Content-Type': 'application/json' };
  if (o.userAgent !== null) headers['User-Agent'] = o.userAgent ?? 'Shouyin-test/1.0';
  return sandboxFetch(url.href, { method, headers, ...(text !== '' ? { body: text } : {}) });
}

const resolveSandboxKey = async (serial: string) => (serial === TEST.wechatpay_public_key_id ? importRsaPublicKey(SANDBOX_WECHAT_PUBLIC_KEY) : undefined);

/** Verifies the Wechatpay-* signature over the raw body (throws VerificationError) and returns the body. */
export async function verifiedBody(res: Response): Promise<string> {
  const body = await res.text();
  const headers: Record<string, string> = {};
  res.headers.forEach((v, k) => (headers[k.toLowerCase()] = v));
  await verifySignedMessage({ headers, body, keys: resolveSandboxKey, now: Date.now() });
  return body;
}

export async function verifiedJson<T = Record<string, unknown>>(res: Response): Promise<T> {
  return JSON.parse(await verifiedBody(res)) as T;
}

export function prepay(outTradeNo: string, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    appid: TEST.appid,
    mchid: TEST.mchid,
    description: '测试商品 Test item',
    out_trade_no: outTradeNo,
    notify_url: 'https://merchant.test/wechat/notify',
    amount: { total: 8888, currency: 'CNY' },
    ...over,
  };
}

let n = 0;
export const tradeNo = (): string => `SBX${Date.now().toString(36)}${(n++).toString(36)}${Math.random().toString(36).slice(2, 6)}`;

/** The control surface, as a test merchant. */
export async function control<T = Record<string, unknown>>(path: string, body?: unknown, key: string = TEST.secret_key): Promise<{ status: number; json: T }> {
  const res = await sandboxFetch(`${WECHAT}/_control${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: (await res.json()) as T };
}

export const ledgerOf = async (no: string) => (await control<LedgerView>(`/orders/${no}`)).json;

export async function waitFor<T>(probe: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 4000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (done(v) || Date.now() > until) return v;
    await new Promise((r) => setTimeout(r, 20));
  }
}

export interface Received {
  url: string;
  headers: Record<string, string>;
  body: string;
  at: number;
}

/**
 * Replaces the global fetch the ledger uses for notify URLs off our own origin. `answer(url, n)`
 * gives the status for the n-th request (0-based) to that URL; default 200.
 */
export function recordNotifies(answer: (url: string, nth: number) => number = () => 200): { received: Received[]; restore: () => void } {
  const received: Received[] = [];
  const spy = vi.spyOn(globalThis, 'fetch').mockImplementation(async (input: RequestInfo | URL, init?: RequestInit) => {
    const req = new Request(input, init);
    const headers: Record<string, string> = {};
    req.headers.forEach((v, k) => (headers[k.toLowerCase()] = v));
    const nth = received.filter((r) => r.url === req.url).length;
    received.push({ url: req.url, headers, body: await req.text(), at: Date.now() });
    return new Response(null, { status: answer(req.url, nth) });
  });
  return { received, restore: () => spy.mockRestore() };
}

/**
 * Checks a received notify as a merchant would (https://pay.weixin.qq.com/doc/v3/merchant/4012791861): signature on the
 * raw body, then decrypt.
 */
export async function openNotify(r: Received): Promise<{ envelope: Record<string, unknown>; plaintext: Record<string, unknown> }> {
  await verifySignedMessage({ headers: r.headers, body: r.body, keys: resolveSandboxKey, now: Date.now() });
  const envelope = JSON.parse(r.body) as { resource: { nonce: string; associated_data: string; ciphertext: string } };
  const plain = await aesGcmDecrypt(TEST.apiv3_key, envelope.resource.nonce, envelope.resource.associated_data, envelope.resource.ciphertext);
  return { envelope: envelope as unknown as Record<string, unknown>, plaintext: JSON.parse(plain) as Record<string, unknown> };
}
