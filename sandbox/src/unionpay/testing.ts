// Test-only helpers for the UnionPay simulator's and adapter's workerd tests: the sandbox mounted
// where the Worker mounts it, a merchant client that signs with the provider's signing twin (never a
// hand-assembled signature), an answer verifier, the control surface and a notify recorder.

import { env } from 'cloudflare:test';
import { Hono } from 'hono';
import { vi } from 'vitest';
import { parseSandboxedConfig } from '../config';
import type { Env } from '../env';
import { commonFields } from '../../../worker/src/providers/unionpay/client';
import type { UnionpayConfig } from '../../../worker/src/providers/unionpay/config';
import { signFields, verifyUnionpayFields } from '../../../worker/src/providers/unionpay/sign';
import { beijingCompact } from '../../../worker/src/providers/unionpay/time';
import type { ProviderContext } from '../../../worker/src/providers/types';
import { encodeForm, parseForm, parseRawResponse, type Fields } from '../../../worker/src/providers/unionpay/wire';
import { TEST, testConfig } from '../../../worker/test/fixtures/config';
import { sandboxApp } from '../index';
import type { LedgerView } from './ledger';

export const testEnv: Env = { ...(env as unknown as Env), SHOUYIN_CONFIG: testConfig() };
const app = new Hono<{ Bindings: Env }>().route('/sandbox', sandboxApp);

export const SANDBOX = `${TEST.public_base_url}/sandbox`;
export const UNIONPAY = `${SANDBOX}/unionpay`;
export const GATEWAY = `${UNIONPAY}/gateway/api`;
export const BACK_URL = 'https://merchant.test/unionpay/notify';
export const FRONT_URL = 'https://merchant.test/unionpay/return';

export function sandboxFetch(url: string | Request, init: RequestInit = {}): Promise<Response> {
  return Promise.resolve(typeof url === 'string' ? app.request(url, init, testEnv) : app.request(url, undefined, testEnv));
}

const parsed = parseSandboxedConfig(testConfig());
/** The test merchant's parsed UnionPay config (built-in sandbox), or the live merchant's. */
export function unionpayConfig(which: 'demo' | 'live' = 'demo'): UnionpayConfig {
  const m = parsed.merchants.find((x) => x.id === (which === 'demo' ? TEST.merchant_id : TEST.live_merchant_id));
  if (!m?.providers.unionpay) throw new Error(`no unionpay on ${which}`);
  return m.providers.unionpay;
}

/** The adapter's view of the world: every call lands in the sandbox (optionally through `wrap`). */
export function providerCtx(
  opts: { wrap?: (req: Request, send: (r: Request) => Promise<Response>) => Promise<Response>; now?: () => number; testMode?: boolean } = {},
): ProviderContext {
  const send = (r: Request) => sandboxFetch(r);
  return {
    fetch: (r) => (opts.wrap ? opts.wrap(r, send) : send(r)),
    now: opts.now ?? (() => Date.now()),
    testMode: opts.testMode ?? true,
    sandboxBaseUrl: SANDBOX,
  };
}

let n = 0;
/** A fresh orderId: 8–40 letters and digits. */
export const orderNo = (): string => `UP${Date.now().toString(36)}${(n++).toString(36)}${Math.random().toString(36).slice(2, 6)}`.replace(/[^0-9A-Za-z]/g, '');

/** The fields of a consume (01/01 front by default), unsigned. */
export function consumeFields(orderId: string, over: Fields = {}): Fields {
  const cfg = unionpayConfig();
  return {
    ...commonFields(cfg, beijingCompact(Date.now())),
    txnType: '01',
    txnSubType: '01',
    bizType: '000201',
    channelType: '07',
    orderId,
    currencyCode: '156',
    txnAmt: '8888',
    frontUrl: FRONT_URL,
    backUrl: BACK_URL,
    payTimeout: beijingCompact(Date.now() + 15 * 60_000),
    orderDesc: '测试商品 Test item',
    ...over,
  };
}

export interface CallOptions {
  /** Sign with this key instead of the merchant's. */
  key?: string;
  /** Change the fields after signing. */
  tamper?: (f: Fields) => void;
}

/** Signs `fields` as the merchant and POSTs them to `endpoint` (e.g. `appTransReq.do`). */
export async function post(endpoint: string, fields: Fields, o: CallOptions = {}): Promise<Response> {
  const signed = await signFields(fields, o.key ?? unionpayConfig().sign_key);
  o.tamper?.(signed);
  return sandboxFetch(`${GATEWAY}/${endpoint}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded; charset=UTF-8' },
    body: encodeForm(signed),
    redirect: 'manual',
  });
}

/** Parses a raw answer and verifies it as the test merchant would (chain, owner, signature). */
export async function verified(res: Response): Promise<Fields> {
  const f = parseRawResponse(await res.text());
  const cfg = unionpayConfig();
  await verifyUnionpayFields(f, { rootCert: cfg.root_cert, middleCert: cfg.middle_cert, now: Date.now(), testMode: true });
  return f;
}

/** The control surface, as the test merchant. */
export async function control<T = Record<string, unknown>>(path: string, body?: unknown, key: string = TEST.secret_key): Promise<{ status: number; json: T }> {
  const res = await sandboxFetch(`${UNIONPAY}/_control${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: (await res.json()) as T };
}

export const ledgerOf = async (orderId: string) => (await control<LedgerView>(`/orders/${orderId}`)).json;

export interface Received {
  url: string;
  body: string;
  fields: Fields;
  at: number;
}

/** Replaces the global fetch the ledger uses for backUrls off our own origin; `answer(url, n)` gives the status. */
export function recordNotifies(answer: (url: string, nth: number) => number = () => 200): { received: Received[]; restore: () => void } {
  const received: Received[] = [];
  const spy = vi.spyOn(globalThis, 'fetch').mockImplementation(async (input: RequestInfo | URL, init?: RequestInit) => {
    const req = new Request(input, init);
    const body = new TextDecoder().decode(await req.arrayBuffer()); // a form: .text() makes workerd warn
    const nth = received.filter((r) => r.url === req.url).length;
    received.push({ url: req.url, body, fields: parseForm(body), at: Date.now() });
    return new Response(null, { status: answer(req.url, nth) });
  });
  return { received, restore: () => spy.mockRestore() };
}

export { waitFor } from '../testing';
