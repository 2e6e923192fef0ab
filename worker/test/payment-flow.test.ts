// Create → attempt against the sandbox → notify → paid, and every way a notify can be wrong.

import { Webhook } from 'standardwebhooks';
import { env, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CheckoutSession } from '../src/session/durable-object';
import { TEST } from './fixtures/config';
import { BASE, SK, api, client, createSession, retrieve, sessionStub, startAttempt } from './helpers';
import { postNotify, signedNotify, transaction } from './wechat-notify';

interface Delivered { url: string; headers: Record<string, string>; body: string }
let delivered: Delivered[] = [];
const realFetch = globalThis.fetch;

beforeEach(() => {
  delivered = [];
  // Merchant webhooks go to https://merchant.test; capture them instead of reaching the network.
  vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
    const req = new Request(input as RequestInfo, init);
    if (req.url.startsWith(TEST.webhook_url)) {
      const headers: Record<string, string> = {};
      req.headers.forEach((v, k) => (headers[k] = v));
      delivered.push({ url: req.url, headers, body: await req.text() });
      return new Response('ok');
    }
    return realFetch(req);
  });
});
afterEach(() => vi.restoreAllMocks());

async function tables(id: string) {
  return runInDurableObject(sessionStub(id), (o: CheckoutSession) => ({
    session: o.store.session(),
    attempts: o.store.attempts(),
    events: o.store.events().map((e) => e.type),
    anomalies: o.store.anomalies(),
  }));
}

/** Runs the session's due work (webhooks, closes) until nothing is due now. */
async function drain(id: string) {
  for (let i = 0; i < 10; i++) if (!(await runDurableObjectAlarm(sessionStub(id)))) break;
}

async function sandbox(path: string, body?: unknown) {
  const res = await fetchSelf(`/sandbox/wechatpay/_control${path}`, body === undefined ? { method: 'GET' } : { method: 'POST', body: JSON.stringify(body) });
  return res;
}
async function fetchSelf(path: string, init: RequestInit) {
  const { SELF } = await import('cloudflare:test');
  return SELF.fetch(`${BASE}${path}`, { ...init, headers: { authorization: `Bearer ${SK}`, 'content-type': 'application/json' } });
}

describe('WeChat Pay v3 Native end to end (inside workerd)', () => {
  it('creates a Native order in the sandbox and shows its QR', async () => {
    const s = await createSession();
    const { attempt, next_action } = await startAttempt(s);
    expect(attempt.id).toMatch(/^[0-9A-Za-z]{26,32}$/);
    expect(attempt.id.startsWith(s.id.slice(3))).toBe(true);
    expect(next_action.type).toBe('display_qr');
    expect(next_action.data).toMatch(/^weixin:\/\/wxpay\/bizpayurl\?pr=[0-9A-Za-z]+$/);
    expect(next_action.sandbox_wallet_url).toContain('/sandbox/wechatpay/wallet?code_url=');
    // The same channel and flow again shows the same order, not a new one.
    const again = await startAttempt(s);
    expect(again.attempt.id).toBe(attempt.id);
    const ledger = await sandbox(`/orders/${attempt.id}`);
    expect(ledger.status).toBe(200);
  });

  it('moves to paid exactly once on the sandbox notify, and signs the merchant webhook', async () => {
    const s = await createSession();
    const { attempt } = await startAttempt(s);
    expect((await sandbox(`/orders/${attempt.id}/pay`, { notify: 'normal' })).status).toBe(200);
    const flush = await sandbox('/flush', {});
    expect(flush.status).toBe(200);
    const paid = await retrieve(s.id);
    expect(paid.status).toBe('paid');
    expect(paid.payment).toMatchObject({ attempt: attempt.id, amount: 8888 });
    expect(paid.payment?.provider_transaction_id).toBeTruthy();

    await drain(s.id);
    const hooks = delivered.filter((d) => JSON.parse(d.body).type === 'checkout.session.paid');
    expect(hooks).toHaveLength(1);
    const hook = hooks[0]!;
    // Checked by the reference Standard Webhooks library, not by our own verifier.
    expect(new Webhook(TEST.webhook_secret).verify(hook.body, hook.headers)).toEqual(JSON.parse(hook.body));
    expect(JSON.parse(hook.body).data.object).toMatchObject({ id: s.id, status: 'paid' });
    const t = await tables(s.id);
    expect(t.events).toEqual(['checkout.session.paid']);
  });

  it('applies duplicate and parallel notifies once: one transition, one event', async () => {
    const s = await createSession();
    const { attempt } = await startAttempt(s);
    const n = await signedNotify(transaction(attempt.id));
    const answers = await Promise.all(Array.from({ length: 20 }, () => postNotify(n)));
    expect(answers.map((r) => r.status)).toEqual(Array(20).fill(204));
    const t = await tables(s.id);
    expect(t.session?.status).toBe('paid');
    expect(t.events).toEqual(['checkout.session.paid']);
  });

  it('acks only with 204 and an empty body', async () => {
    const s = await createSession();
    const { attempt } = await startAttempt(s);
    const res = await postNotify(await signedNotify(transaction(attempt.id)));
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');
  });

  it('records an amount mismatch as an anomaly, never paid', async () => {
    const s = await createSession();
    const { attempt } = await startAttempt(s);
    const res = await postNotify(await signedNotify(transaction(attempt.id, { amount: 1 })));
    expect(res.status).toBe(204);
    const t = await tables(s.id);
    expect(t.session?.status).toBe('open');
    expect(t.anomalies).toMatchObject([{ attempt_id: attempt.id, reason: 'amount_mismatch', source: 'notify' }]);
    expect(t.events).toEqual(['payment.anomaly']);
    // The same mismatched notify again records nothing new.
    await postNotify(await signedNotify(transaction(attempt.id, { amount: 1 })));
    expect((await tables(s.id)).anomalies).toHaveLength(1);
  });

  it.each([
    ['another appid', { appid: 'wx0000000000000000' }, 'app_mismatch'],
    ['another mchid', { mchid: '1111111111' }, 'merchant_mismatch'],
    ['another currency', { currency: 'USD' }, 'currency_mismatch'],
  ])('records a payment for %s as an anomaly', async (_n, over, reason) => {
    const s = await createSession();
    const { attempt } = await startAttempt(s);
    await postNotify(await signedNotify(transaction(attempt.id, over)));
    const t = await tables(s.id);
    expect(t.session?.status).toBe('open');
    expect(t.anomalies[0]?.reason).toBe(reason);
  });
});

describe('forged notifies change nothing and never get the success ack', () => {
  type Mutate = (n: { body: string; headers: Record<string, string> }) => void | Promise<void>;
  const flip = (s: string, i: number) => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);
  const cases: [string, Mutate, number?][] = [
    ['one body byte changed', (n) => void (n.body = n.body.replace('"summary":"支付成功"', '"summary":"支付成功 "'))],
    ['the timestamp changed', (n) => void (n.headers['Wechatpay-Timestamp'] = String(Number(n.headers['Wechatpay-Timestamp']) - 1))],
    ['the nonce changed', (n) => void (n.headers['Wechatpay-Nonce'] = `${n.headers['Wechatpay-Nonce']}x`)],
    ['a signature character flipped', (n) => void (n.headers['Wechatpay-Signature'] = flip(n.headers['Wechatpay-Signature']!, 10))],
    ['an unknown serial', (n) => void (n.headers['Wechatpay-Serial'] = 'PUB_KEY_ID_0000000000000000000000000000')],
    ['a SIGNTEST probe', (n) => void (n.headers['Wechatpay-Signature'] = 'WECHATPAY/SIGNTEST/abc'), 401],
    ['no signature header', (n) => void delete n.headers['Wechatpay-Signature']],
    ['the JSON re-serialized', (n) => void (n.body = JSON.stringify(JSON.parse(n.body), null, 1))],
  ];

  it.each(cases)('%s', async (_name, mutate, status) => {
    const s = await createSession();
    const { attempt } = await startAttempt(s);
    const before = await tables(s.id);
    const n = await signedNotify(transaction(attempt.id));
    await mutate(n);
    const res = await postNotify(n);
    expect(res.status).toBeGreaterThanOrEqual(400);
    if (status) expect(res.status).toBe(status);
    expect(await res.json()).toMatchObject({ code: 'FAIL' });
    expect(await tables(s.id)).toEqual(before);
  });

  it('a stale timestamp (5 minutes old)', async () => {
    const s = await createSession();
    const { attempt } = await startAttempt(s);
    const before = await tables(s.id);
    const res = await postNotify(await signedNotify(transaction(attempt.id), { timestamp: Math.floor(Date.now() / 1000) - 301 }));
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(await tables(s.id)).toEqual(before);
  });

  it('tampered ciphertext (valid signature over it, wrong APIv3 key)', async () => {
    const s = await createSession();
    const { attempt } = await startAttempt(s);
    const before = await tables(s.id);
    const res = await postNotify(await signedNotify(transaction(attempt.id), { apiv3Key: 'b'.repeat(32) }));
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(await tables(s.id)).toEqual(before);
  });

  it("merchant A's valid notify posted to merchant B's URL", async () => {
    const s = await createSession();
    const { attempt } = await startAttempt(s);
    const res = await postNotify(await signedNotify(transaction(attempt.id)), TEST.live_merchant_id);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect((await tables(s.id)).session?.status).toBe('open');
  });
});

describe('expiry and cancel', () => {
  it('expires at expires_at through the alarm, closing the provider order', async () => {
    const s = await createSession({ expires_in: 60 });
    const { attempt } = await startAttempt(s);
    await runInDurableObject(sessionStub(s.id), (o: CheckoutSession) => {
      o.clock = { now: () => Date.now() + 61_000 };
    });
    expect(await runDurableObjectAlarm(sessionStub(s.id))).toBe(true);
    const t = await tables(s.id);
    expect(t.session?.status).toBe('expired');
    expect(t.attempts[0]?.status).toBe('closed');
    expect(t.events).toContain('checkout.session.expired');
    const ledger = (await (await sandbox(`/orders/${attempt.id}`)).json()) as { order?: { trade_state?: string; state?: string } };
    expect(JSON.stringify(ledger)).toContain('CLOSED');
    // A client can no longer start an attempt.
    const r = await client(s, '/attempts', { method: 'POST', body: JSON.stringify({ channel: 'wechat_pay', flow: 'qr' }) });
    expect(r.status).toBe(409);
  });

  it('a payment that lands after expiry is a late-payment anomaly, the session stays expired', async () => {
    const s = await createSession({ expires_in: 60 });
    const { attempt } = await startAttempt(s);
    expect((await api(`/v1/checkout/sessions/${s.id}/cancel`, { method: 'POST' })).status).toBe(200);
    await postNotify(await signedNotify(transaction(attempt.id)));
    const t = await tables(s.id);
    expect(t.session?.status).toBe('canceled');
    expect(t.anomalies[0]?.reason).toBe('late_payment');
  });

  it('cancel discovers a payment the provider already took and answers 409', async () => {
    const s = await createSession();
    const { attempt } = await startAttempt(s);
    await sandbox(`/orders/${attempt.id}/pay`, { notify: 'drop' });
    const res = await api(`/v1/checkout/sessions/${s.id}/cancel`, { method: 'POST' });
    expect(res.status).toBe(409);
    expect((await retrieve(s.id)).status).toBe('paid');
  });
});

describe('client API', () => {
  it('shows the public view without secrets', async () => {
    const s = await createSession();
    const res = await client(s, '');
    expect(res.status).toBe(200);
    const text = await res.text();
    const v = JSON.parse(text);
    expect(v).toMatchObject({ id: s.id, status: 'open', amount: 8888, currency: 'CNY', merchant_name: 'Demo Shop 演示商店', livemode: false });
    expect(v.channels).toEqual([
      { channel: 'wechat_pay', flows: ['qr'] },
      { channel: 'alipay', flows: ['qr', 'page'] },
      { channel: 'unionpay', flows: ['qr', 'page'] },
    ]);
    expect(text).not.toContain(s.client_secret);
    expect(text).not.toContain('PRIVATE');
    expect(text).not.toContain(TEST.apiv3_key);
  });

  it('refuses a wrong client secret and another session', async () => {
    const a = await createSession();
    const b = await createSession();
    const res = await client({ ...a, client_secret: b.client_secret }, '');
    expect(res.status).toBe(401);
  });

  it('refuses an amount from the browser', async () => {
    const s = await createSession();
    const r = await client(s, '/attempts', { method: 'POST', body: JSON.stringify({ channel: 'wechat_pay', flow: 'qr', amount: 1 }) });
    expect(r.status).toBe(400);
    expect(((await r.json()) as { error: { param: string } }).error.param).toBe('amount');
  });

  it('long-polls status and returns as soon as it changes', async () => {
    const s = await createSession();
    const { attempt } = await startAttempt(s);
    const first = (await (await client(s, '/status')).json()) as { version: number };
    const started = Date.now();
    const waiting = client(s, `/status?wait=20&version=${first.version}`);
    // Pay only once the long-poll is parked in the session, so it is the notify that wakes it.
    const parked = () => runInDurableObject(sessionStub(s.id), (o: CheckoutSession) => (o as unknown as { waiters: Set<unknown> }).waiters.size);
    const deadline = Date.now() + 5_000;
    while ((await parked()) === 0 && Date.now() < deadline) {
      // Each look is a round trip to the session; nothing else to do while the request arrives.
    }
    expect(await parked()).toBe(1);
    await postNotify(await signedNotify(transaction(attempt.id)));
    const changed = (await (await waiting).json()) as { status: string; version: number };
    expect(changed.status).toBe('paid');
    expect(changed.version).toBeGreaterThan(first.version);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('answers CORS preflights for exactly the configured origins', async () => {
    const s = await createSession();
    const { SELF } = await import('cloudflare:test');
    const ok = await SELF.fetch(`${BASE}/v1/client/sessions/${s.id}/status`, { method: 'OPTIONS', headers: { origin: 'https://shop.test', 'access-control-request-method': 'GET' } });
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://shop.test');
    const bad = await SELF.fetch(`${BASE}/v1/client/sessions/${s.id}/status`, { method: 'OPTIONS', headers: { origin: 'https://evil.test', 'access-control-request-method': 'GET' } });
    expect(bad.headers.get('access-control-allow-origin')).toBeNull();
  });
});

void env;

describe('a provider that is down', () => {
  it('still expires the session at expires_at and keeps closing the order until it can', async () => {
    const s = await createSession({ expires_in: 60 });
    const { attempt } = await startAttempt(s);
    const stub = sessionStub(s.id);
    await runInDurableObject(stub, (o: CheckoutSession) => {
      o.clock = { now: () => Date.now() + 61_000 };
      o.providerFetch = async () => {
        throw new Error('connect ETIMEDOUT');
      };
    });
    await runDurableObjectAlarm(stub);
    let t = await tables(s.id);
    expect(t.session?.status).toBe('expired');
    expect(t.attempts[0]?.status).toBe('pending');
    const due = await runInDurableObject(stub, (o: CheckoutSession) => o.store.allDue().map((d) => d.key));
    expect(due).toContain(`close:${attempt.id}`);

    await runInDurableObject(stub, (o: CheckoutSession) => {
      o.providerFetch = null;
      o.clock = { now: () => Date.now() + 61_000 + 31_000 };
    });
    await runDurableObjectAlarm(stub);
    t = await tables(s.id);
    expect(t.attempts[0]?.status).toBe('closed');
  });

  it('answers 502 when an attempt cannot be started, and the next try works', async () => {
    const s = await createSession();
    const stub = sessionStub(s.id);
    await runInDurableObject(stub, (o: CheckoutSession) => {
      o.providerFetch = async () => new Response('upstream error', { status: 502 });
    });
    const r = await client(s, '/attempts', { method: 'POST', body: JSON.stringify({ channel: 'wechat_pay', flow: 'qr' }) });
    expect(r.status).toBe(502);
    expect(((await r.json()) as { error: { type: string } }).error.type).toBe('provider_error');
    await runInDurableObject(stub, (o: CheckoutSession) => {
      o.providerFetch = null;
    });
    const ok = await startAttempt(s);
    expect(ok.next_action.type).toBe('display_qr');
  });
});

describe('payer identity for WeChat JSAPI', () => {
  it('remembers the openid the OAuth hop learned, per appid, and refuses malformed ones', async () => {
    const s = await createSession();
    const stub = sessionStub(s.id);
    expect(await stub.rememberWechatOpenid(TEST.appid, 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o')).toBe(true);
    expect(await stub.rememberWechatOpenid(TEST.appid, 'bad openid<script>')).toBe(false);
    expect(await stub.wechatOpenid(TEST.appid)).toBe('oUpF8uMuAJO_M2pxb1Q9zNjWeS6o');
    expect(await stub.wechatOpenid('wx_other')).toBeNull();
  });
});
