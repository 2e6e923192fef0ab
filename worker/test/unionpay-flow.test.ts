// UnionPay specifics end to end inside workerd: every flow through the real client and merchant APIs
// (the page flow's form post, cashier and notify; app; qr), the front return as a hint, and a notify
// for an order that is not ours. The shared provider contract (worker/test/contract) covers the rest.

import { runInDurableObject } from 'cloudflare:test';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CheckoutSession } from '../src/session/durable-object';
import { TEST } from './fixtures/config';
import { BASE, client, createSession, retrieve, sessionStub } from './helpers';
import { consumeNotify, payAtCashier, postFrontForm, postNotify, sandboxControl, signedNotify, startUnionpay } from './unionpay-helpers';

const realFetch = globalThis.fetch;
let webhooks: string[] = [];
beforeEach(() => {
  webhooks = [];
  vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
    const req = new Request(input as RequestInfo, init);
    if (req.url.startsWith(TEST.webhook_url)) {
      webhooks.push(JSON.parse(await req.text()).type);
      return new Response('ok');
    }
    return realFetch(req);
  });
});
afterEach(() => vi.restoreAllMocks());

const inDo = <R>(id: string, fn: (o: CheckoutSession) => R) => runInDurableObject(sessionStub(id), fn);
const snapshot = (id: string) =>
  inDo(id, (o) => ({
    session: o.store.session(),
    attempts: o.store.attempts(),
    events: o.store.events().map((e) => e.type),
    anomalies: o.store.anomalies().map((a) => a.reason),
    refunds: o.store.refunds(),
  }));

interface LedgerView {
  notifies: { state: string; deliveries: { status: number }[] }[];
  order: { query_id: string | null; state: string };
}

describe('the flows: create → pending → notify → paid', () => {
  it('page: the widget’s form post, the cashier, the signed notify acknowledged with 200 ok only after the session is paid', async () => {
    const s = await createSession();
    const { attempt, next_action } = await startUnionpay(s, 'page');
    expect(attempt).toMatchObject({ channel: 'unionpay', flow: 'page', status: 'pending' });
    expect(next_action).toMatchObject({ type: 'form_post', url: `${BASE}/sandbox/unionpay/gateway/api/frontTransReq.do` });
    if (next_action.type !== 'form_post') return;
    expect(next_action.fields).toMatchObject({
      orderId: attempt.id,
      txnAmt: '8888',
      frontUrl: `${BASE}/return/${s.id}`,
      backUrl: `${BASE}/notify/unionpay/${TEST.merchant_id}`,
    });
    expect((await retrieve(s.id)).status).toBe('open');

    const ref = await postFrontForm(next_action);
    const { html } = await payAtCashier(ref);
    expect(html).toContain('支付成功');
    await sandboxControl('/flush', {});
    const paid = await retrieve(s.id);
    expect(paid.status).toBe('paid');
    const ledger = (await sandboxControl<LedgerView>(`/orders/${attempt.id}`)).json;
    expect(paid.payment).toMatchObject({ attempt: attempt.id, amount: 8888, provider_transaction_id: ledger.order.query_id });
    // The sandbox saw exactly one send, answered 200.
    expect(ledger.notifies[0]!.deliveries.map((d) => d.status)).toEqual([200]);
    expect((await snapshot(s.id)).events).toEqual(['checkout.session.paid']);
  });

  it('app: the merchant API hands the app its tn; the sandbox app page pays it', async () => {
    const s = await createSession();
    const { attempt, next_action } = await startUnionpay(s, 'app', 'merchant');
    expect(next_action).toMatchObject({ type: 'app_payload', payload: { tn: expect.stringMatching(/^\d{21}$/) } });
    if (next_action.type !== 'app_payload' || typeof next_action.payload === 'string') throw new Error('expected an app_payload with fields');
    const tn = next_action.payload.tn!;
    expect((await realFetchSelf(`/sandbox/unionpay/app?tn=${tn}`)).status).toBe(200);
    expect((await payAtCashier(tn)).html).toContain('支付成功');
    await sandboxControl('/flush', {});
    expect((await retrieve(s.id)).payment?.attempt).toBe(attempt.id);
  });

  it("qr: an applied QR code with the sandbox scan page; its payTimeout is the session's expiry", async () => {
    const s = await createSession();
    const { attempt, next_action } = await startUnionpay(s, 'qr');
    expect(next_action).toMatchObject({
      type: 'display_qr',
      data: expect.stringMatching(/^https:\/\/qr\.95516\.com\//),
      sandbox_wallet_url: expect.stringContaining('/sandbox/unionpay/qr?code='),
    });
    // The QR order carries payTimeout = the session's expiry, like the page, h5 and app orders.
    const ledger = await sandboxControl<{ order: { pay_timeout: number | null } }>(`/orders/${attempt.id}`);
    expect(ledger.json.order.pay_timeout).toBe((s.expires_at as number) * 1000);
  });

  it('the public view offers unionpay with its web flows, never app', async () => {
    const s = await createSession();
    const view = (await (await client(s, '')).json()) as { channels: { channel: string; flows: string[] }[] };
    const up = view.channels.find((c) => c.channel === 'unionpay');
    expect(up?.flows.length).toBeGreaterThan(0);
    expect(up?.flows).not.toContain('app');
  });
});

describe('the front return is a hint, never proof', () => {
  it('a forged POST to the return URL changes nothing', async () => {
    const s = await createSession();
    const { attempt } = await startUnionpay(s, 'page');
    const fake = await signedNotify(consumeNotify(attempt.id));
    const res = await realFetchSelf(`/return/${s.id}`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: fake.body });
    expect(res.status).toBe(200);
    expect((await retrieve(s.id)).status).toBe('open');
  });

  it('returning after paying with the notify lost: the session queries UnionPay (original txnTime) and is paid', async () => {
    const s = await createSession();
    const { attempt, next_action } = await startUnionpay(s, 'page');
    await postFrontForm(next_action);
    await sandboxControl(`/orders/${attempt.id}/pay`, { notify: 'drop' });
    expect((await retrieve(s.id)).status).toBe('open');
    const res = await realFetchSelf(`/return/${s.id}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'respCode=00',
    });
    expect(await res.text()).toContain('支付成功');
    const paid = await retrieve(s.id);
    expect(paid.status).toBe('paid');
    expect((await snapshot(s.id)).events).toEqual(['checkout.session.paid']);
  });
});

describe('notifies', () => {
  it('a notify for an order that is not ours is verified, then refused (404) so UnionPay retries elsewhere', async () => {
    const res = await postNotify((await signedNotify(consumeNotify('201807251037450000267624'))).body);
    expect(res.status).toBe(404);
    expect(await res.text()).not.toBe('ok');
  });
});

function realFetchSelf(path: string, init: RequestInit = {}) {
  return import('cloudflare:test').then(({ SELF }) => SELF.fetch(`${BASE}${path}`, init));
}
