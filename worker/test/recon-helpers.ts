// What the reconciliation tests share: the merchant API and the simulators' control surfaces through
// the Worker's own fetch handler (SELF), a session paid on a rail, a refund that settles, and the
// report of a day over `GET /v1/reconciliation/:date`.

import { SELF, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { expect, vi } from 'vitest';
import type { ReconciliationReport } from '../src/bills/reconcile';
import { beijingDay } from '../src/bills/time';
import type { CheckoutSession } from '../src/session/durable-object';
import { RECON_TEST } from './fixtures/config';
import { BASE, orderId, sessionStub, type SessionJson } from './helpers';

export type Channel = 'wechat_pay' | 'alipay' | 'unionpay';
export const SANDBOX: Record<Channel, string> = { wechat_pay: 'wechatpay', alipay: 'alipay', unionpay: 'unionpay' };
export const KEY = RECON_TEST.secret_key;

export type Hook = { url: string; headers: Record<string, string>; body: string };

/** Merchant webhooks to https://merchant.test are kept in `hooks`; nothing leaves the machine. Call in beforeEach. */
export function captureFetch(hooks: Hook[]): void {
  const realFetch = globalThis.fetch;
  vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
    const req = new Request(input as RequestInfo, init);
    if (req.url.startsWith('https://merchant.test')) {
      hooks.push({ url: req.url, headers: Object.fromEntries(req.headers), body: await req.text() });
      return new Response('ok');
    }
    if (!req.url.startsWith(BASE)) return new Response('no network in tests', { status: 503 });
    return realFetch(req);
  });
}

export function api(path: string, init: RequestInit = {}, key: string = KEY): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set('authorization', `Bearer ${key}`);
  if (init.body) headers.set('content-type', 'application/json');
  return SELF.fetch(`${BASE}${path}`, { ...init, headers });
}

export function control(channel: Channel, path: string, body?: unknown, key: string = KEY): Promise<Response> {
  return SELF.fetch(`${BASE}/sandbox/${SANDBOX[channel]}/_control${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

/** Sets what the merchant's statements on `channel` say (the sandbox's discrepancy switch). */
export async function mutate(channel: Channel, mutations: unknown[], key: string = KEY): Promise<void> {
  const res = await control(channel, '/bills', { mutations }, key);
  if (res.status !== 200) throw new Error(`mutate ${channel}: ${res.status} ${await res.text()}`);
}

/** Runs the session's due work until nothing is due now, waiting out an alarm the runtime already started. */
export async function drain(id: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if ((await runInDurableObject(sessionStub(id), (o: CheckoutSession) => o.store.dueBy(o.clock.now()).length)) === 0) return;
    if (!(await runDurableObjectAlarm(sessionStub(id)))) await new Promise((r) => setTimeout(r, 5));
  }
}

export async function session(id: string, key: string = KEY): Promise<SessionJson> {
  return (await (await api(`/v1/checkout/sessions/${id}`, {}, key)).json()) as SessionJson;
}

/** A session paid on `channel` through its simulator, its events filed in the ledger. */
export async function paid(channel: Channel, amount: number, key: string = KEY): Promise<{ s: SessionJson; attempt: string; day: string }> {
  const res = await api(
    '/v1/checkout/sessions',
    { method: 'POST', body: JSON.stringify({ amount, currency: 'CNY', description: '对账测试 Reconciliation', merchant_order_id: orderId() }) },
    key,
  );
  const s = (await res.json()) as SessionJson;
  const start = await SELF.fetch(`${BASE}/v1/client/sessions/${s.id}/attempts`, {
    method: 'POST',
    headers: { authorization: `Bearer ${s.client_secret}`, 'content-type': 'application/json' },
    body: JSON.stringify({ channel, flow: 'qr' }),
  });
  if (start.status !== 201) throw new Error(`attempt ${channel}: ${start.status} ${await start.text()}`);
  const attempt = ((await start.json()) as { attempt: { id: string } }).attempt.id;
  const pay = await control(channel, `/orders/${attempt}/pay`, { notify: 'normal' }, key);
  if (pay.status !== 200) throw new Error(`pay ${channel}: ${pay.status} ${await pay.text()}`);
  await control(channel, '/flush', {}, key);
  await drain(s.id);
  const after = await session(s.id, key);
  expect(after.status).toBe('paid');
  return { s: after, attempt, day: beijingDay((after.payment as unknown as { paid_at: number }).paid_at * 1000) };
}

/** Asks for a refund of `amount`; returns its API object once Shouyin has sent it to the provider. */
export async function requestRefund(s: SessionJson, amount: number): Promise<{ id: string; status: string }> {
  const res = await api('/v1/refunds', { method: 'POST', body: JSON.stringify({ session: s.id, amount }) });
  expect(res.status).toBe(201);
  const r = (await res.json()) as { id: string; status: string };
  await drain(s.id);
  return r;
}

export async function refundStatus(id: string): Promise<string> {
  return ((await (await api(`/v1/refunds/${id}`)).json()) as { status: string }).status;
}

/** A refund that the provider settles, Shouyin learns of, and the ledger files. Returns our refund number. */
export async function refunded(channel: Channel, s: SessionJson, amount: number): Promise<string> {
  const r = await requestRefund(s, amount);
  for (let i = 0; i < 10; i++) {
    await control(channel, '/flush', {});
    await drain(s.id);
    if ((await refundStatus(r.id)) === 'succeeded') break;
  }
  expect(await refundStatus(r.id)).toBe('succeeded');
  await drain(s.id);
  return r.id.slice(3);
}

/** The day's report over HTTP; `refresh` downloads the statements again. */
export async function report(date: string, key: string = KEY, refresh = true): Promise<ReconciliationReport> {
  const res = await api(`/v1/reconciliation/${date}${refresh ? '?refresh=true' : ''}`, {}, key);
  if (res.status !== 200) throw new Error(`report: ${res.status} ${await res.text()}`);
  return (await res.json()) as ReconciliationReport;
}

export const find = (r: ReconciliationReport, kind: string, object: string, id: string) =>
  r.discrepancies.filter((d) => d.kind === kind && d.object === object && (d.out_trade_no === id || d.out_refund_no === id));
