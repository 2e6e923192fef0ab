// Shared helpers for the workerd integration tests: the merchant API, the client API and the
// sandbox's control surface, all through the Worker's real fetch handler.

import { SELF, env, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import type { CheckoutSession } from '../src/session/durable-object';
import { vi } from 'vitest';
import { TEST } from './fixtures/config';

export const BASE = TEST.public_base_url;
export const SK = TEST.secret_key;

export function api(path: string, init: RequestInit & { key?: string | null } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  const key = init.key === undefined ? SK : init.key;
  if (key) headers.set('authorization', `Bearer ${key}`);
  if (init.body && !headers.has('content-type')) headers.set('content-type', 'application/json');
  return SELF.fetch(`${BASE}${path}`, { ...init, headers });
}

let counter = 0;
export const orderId = (): string => `T${Date.now().toString(36)}${(counter++).toString(36)}${Math.random().toString(36).slice(2, 6)}`;

export interface SessionJson {
  id: string;
  status: string;
  client_secret: string;
  amount: number;
  /** Unix seconds. */
  expires_at: number;
  payment: { attempt: string; provider_transaction_id: string | null; amount: number; paid_at?: number | null } | null;
  [k: string]: unknown;
}

export async function createSession(over: Record<string, unknown> = {}): Promise<SessionJson> {
  const res = await api('/v1/checkout/sessions', {
    method: 'POST',
    body: JSON.stringify({ amount: 8888, currency: 'CNY', description: '测试商品 Test item', merchant_order_id: orderId(), ...over }),
  });
  if (res.status !== 201) throw new Error(`create session: ${res.status} ${await res.text()}`);
  return (await res.json()) as SessionJson;
}

export function client(session: SessionJson, path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set('authorization', `Bearer ${session.client_secret}`);
  if (init.body) headers.set('content-type', 'application/json');
  return SELF.fetch(`${BASE}/v1/client/sessions/${session.id}${path}`, { ...init, headers });
}

export async function startAttempt(
  session: SessionJson,
): Promise<{ attempt: { id: string }; next_action: { type: string; data?: string; sandbox_wallet_url?: string } }> {
  const res = await client(session, '/attempts', { method: 'POST', body: JSON.stringify({ channel: 'wechat_pay', flow: 'qr' }) });
  if (res.status !== 201) throw new Error(`start attempt: ${res.status} ${await res.text()}`);
  return (await res.json()) as { attempt: { id: string }; next_action: { type: string; data?: string } };
}

export async function retrieve(id: string): Promise<SessionJson> {
  const res = await api(`/v1/checkout/sessions/${id}`);
  if (res.status !== 200) throw new Error(`retrieve: ${res.status} ${await res.text()}`);
  return (await res.json()) as SessionJson;
}

export const sessionStub = (id: string) => env.SESSIONS.getByName(id);

/**
 * Runs a session's due work until nothing is due at its (injected) clock. When an item is due but no
 * alarm ran, the runtime's own alarm is already running it (on a loaded machine its provider call can
 * take a while): wait for it rather than give up.
 */
export async function drainSession(id: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const due = await runInDurableObject(sessionStub(id), (o: CheckoutSession) => o.store.dueBy(o.clock.now()).length);
    if (due === 0) return;
    if (!(await runDurableObjectAlarm(sessionStub(id)))) await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`session ${id}: still due after 200 rounds`);
}

/** The WeChat Pay sandbox's test control surface (`/sandbox/wechatpay/_control/…`). */
export function sandboxControl(path: string, body?: unknown): Promise<Response> {
  return SELF.fetch(`${BASE}/sandbox/wechatpay/_control${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${SK}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

/**
 * Merchant webhooks go to https://merchant.test: capture them instead of reaching the network (an
 * unanswered fetch from a Durable Object's alarm shows up as a workerd internal error in the log).
 * Call in beforeEach; vi.restoreAllMocks() in afterEach undoes it.
 */
export function captureWebhooks(): { url: string; headers: Record<string, string>; body: string }[] {
  const delivered: { url: string; headers: Record<string, string>; body: string }[] = [];
  const real = globalThis.fetch;
  vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
    const req = new Request(input as RequestInfo, init);
    if (req.url.startsWith(TEST.webhook_url)) {
      const headers: Record<string, string> = {};
      req.headers.forEach((v, k) => (headers[k] = v));
      delivered.push({ url: req.url, headers, body: await req.text() });
      return new Response('ok');
    }
    return real(req);
  });
  return delivered;
}
