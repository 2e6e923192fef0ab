// WeChat Pay APIv3 specifics end to end: the sandbox's notify → paid → signed merchant webhook, the
// ways a v3 notify can be altered beyond the shared contract (worker/test/contract), the client API
// and a provider that is down.

import { Webhook } from 'standardwebhooks';
import { env, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CheckoutSession } from '../src/session/durable-object';
import { TEST } from './fixtures/config';
import { BASE, SK, client, createSession, retrieve, sessionStub, startAttempt } from './helpers';
import { postNotify, signedNotify, transaction } from './wechat-notify';

interface Delivered {
  url: string;
  headers: Record<string, string>;
  body: string;
}
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

/**
 * Runs the session's due work (webhooks, closes) until nothing is due now. An alarm the runtime already
 * started (runDurableObjectAlarm then finds none scheduled) is waited out, not taken for "nothing due".
 */
async function drain(id: string) {
  for (let i = 0; i < 200; i++) {
    if ((await runInDurableObject(sessionStub(id), (o: CheckoutSession) => o.store.dueBy(o.clock.now()).length)) === 0) return;
    if (!(await runDurableObjectAlarm(sessionStub(id)))) await new Promise((r) => setTimeout(r, 5));
  }
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
});

// A flipped signature, an unknown serial, a stale timestamp and another merchant's URL are in the
// provider contract (worker/test/contract); these are the other ways a v3 notify can be altered.
describe('forged notifies change nothing and never get the success ack', () => {
  type Mutate = (n: { body: string; headers: Record<string, string> }) => void | Promise<void>;
  const cases: [string, Mutate, number?][] = [
    ['one body byte changed', (n) => void (n.body = n.body.replace('"summary":"支付成功"', '"summary":"支付成功 "'))],
    ['the timestamp changed', (n) => void (n.headers['Wechatpay-Timestamp'] = String(Number(n.headers['Wechatpay-Timestamp']) - 1))],
    ['the nonce changed', (n) => void (n.headers['Wechatpay-Nonce'] = `${n.headers['Wechatpay-Nonce']}x`)],
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

  it('tampered ciphertext (valid signature over it, wrong APIv3 key)', async () => {
    const s = await createSession();
    const { attempt } = await startAttempt(s);
    const before = await tables(s.id);
    const res = await postNotify(await signedNotify(transaction(attempt.id), { apiv3Key: 'b'.repeat(32) }));
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(await tables(s.id)).toEqual(before);
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

  it("refuses another session's client secret, answered like a session that does not exist", async () => {
    const a = await createSession();
    const b = await createSession();
    const res = await client({ ...a, client_secret: b.client_secret }, '');
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('session_not_found');
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

  it('answers every preflight, and lets only the configured origins read the session', async () => {
    const s = await createSession();
    const { SELF } = await import('cloudflare:test');
    for (const origin of ['https://shop.test', 'https://evil.test']) {
      const pre = await SELF.fetch(`${BASE}/v1/client/sessions/${s.id}/status`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
      });
      expect(pre.status).toBe(204);
      expect(pre.headers.get('access-control-allow-origin')).toBe(origin);
    }
    const get = (origin: string) => client(s, '/status', { headers: { origin } });
    const ok = await get('https://shop.test');
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://shop.test');
    // The unlisted page reads why it is refused, and nothing of the session.
    const bad = await get('https://evil.test');
    expect(bad.status).toBe(403);
    expect(bad.headers.get('access-control-allow-origin')).toBe('https://evil.test');
    const body = (await bad.json()) as { error: { code: string }; status?: unknown };
    expect(body.error.code).toBe('origin_not_allowed');
    expect(body.status).toBeUndefined();
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
