// Alipay specifics end to end inside workerd, through the Worker's own fetch handler (SELF): the
// sandbox cashier → notify → paid → webhook, the ways an Alipay notify can be altered beyond the
// shared provider contract (worker/test/contract), every flow, the return_url hint, certificate mode
// and an unscanned QR at expiry.

import { SELF, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { importRsaPrivateKey, rsaSign } from '../src/crypto/rsa';
import { SANDBOX_ALIPAY_PRIVATE_KEY } from '../src/providers/alipay/fixtures/test-keys';
import { encodeForm, parseFormStrict, signNotify, type Params } from '../src/providers/alipay/sign';
import type { CheckoutSession } from '../src/session/durable-object';
import { alipayNotifyFields as notifyFields, postAlipayNotify as postNotify, signedAlipayBody as signedBody } from './alipay-notify';
import { ALIPAY_TEST, TEST } from './fixtures/config';
import { BASE, SK, api, client, createSession, retrieve, sessionStub, type SessionJson } from './helpers';

interface Attempt {
  attempt: { id: string; status: string };
  next_action: { type: string; data?: string; sandbox_wallet_url?: string; url?: string; fields?: Record<string, string>; payload?: string };
}

const realFetch = globalThis.fetch;
let hooks: string[] = [];
beforeEach(() => {
  hooks = [];
  // Merchant webhooks go to https://merchant.test: keep them off the network.
  vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
    const req = new Request(input as RequestInfo, init);
    if (req.url.startsWith('https://merchant.test')) {
      hooks.push(await req.text());
      return new Response('ok');
    }
    return realFetch(req);
  });
});
afterEach(() => vi.restoreAllMocks());

async function startAlipay(s: SessionJson, flow = 'qr'): Promise<Attempt> {
  const res = await client(s, '/attempts', { method: 'POST', body: JSON.stringify({ channel: 'alipay', flow }) });
  if (res.status !== 201) throw new Error(`start attempt: ${res.status} ${await res.text()}`);
  return (await res.json()) as Attempt;
}

function control(path: string, body?: unknown, key: string = SK): Promise<Response> {
  return SELF.fetch(`${BASE}/sandbox/alipay/_control${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

async function tables(id: string) {
  return runInDurableObject(sessionStub(id), (o: CheckoutSession) => ({
    session: o.store.session(),
    attempts: o.store.attempts(),
    events: o.store.events().map((e) => e.type),
    anomalies: o.store.anomalies(),
  }));
}

/** Runs the session's due work until nothing is due now, waiting out an alarm the runtime already started. */
async function drain(id: string) {
  for (let i = 0; i < 200; i++) {
    if ((await runInDurableObject(sessionStub(id), (o: CheckoutSession) => o.store.dueBy(o.clock.now()).length)) === 0) return;
    if (!(await runDurableObjectAlarm(sessionStub(id)))) await new Promise((r) => setTimeout(r, 5));
  }
}

describe('Alipay QR end to end (inside workerd)', () => {
  it('precreate → pay → the sandbox notify → paid once, webhook signed', async () => {
    const s = await createSession();
    const { attempt } = await startAlipay(s);
    expect((await retrieve(s.id)).status).toBe('open');

    expect((await control(`/orders/${attempt.id}/pay`, { notify: 'normal' })).status).toBe(200);
    const flush = (await (await control('/flush', {})).json()) as { sent: { answers: { status: number; acked: boolean }[] }[] };
    expect(flush.sent.flatMap((x) => x.answers)).toEqual([{ status: 200, acked: true, error: null }]);
    const paid = await retrieve(s.id);
    expect(paid.status).toBe('paid');
    expect(paid.payment).toMatchObject({ attempt: attempt.id, amount: 8888, channel: 'alipay', provider: 'alipay' });
    expect(paid.payment?.provider_transaction_id).toMatch(/^\d{28}$/);
    await drain(s.id);
    expect(hooks.filter((h) => JSON.parse(h).type === 'checkout.session.paid')).toHaveLength(1);
    expect((await tables(s.id)).events).toEqual(['checkout.session.paid']);
  });

  it('TRADE_FINISHED after TRADE_SUCCESS is the same payment', async () => {
    const s = await createSession();
    const { attempt } = await startAlipay(s);
    expect(await (await postNotify(await signedBody(notifyFields(attempt.id)))).text()).toBe('success');
    expect(await (await postNotify(await signedBody(notifyFields(attempt.id, { trade_status: 'TRADE_FINISHED' })))).text()).toBe('success');
    const t = await tables(s.id);
    expect(t.session?.status).toBe('paid');
    expect(t.events).toEqual(['checkout.session.paid']);
  });

  it('a dropped notify: the session learns the payment by querying', async () => {
    const s = await createSession();
    const { attempt } = await startAlipay(s);
    await control(`/orders/${attempt.id}/pay`, { notify: 'drop' });
    expect((await retrieve(s.id)).status).toBe('open');
    // The shopper comes back (or the query fallback runs): the session asks Alipay.
    await SELF.fetch(`${BASE}/return/${s.id}`, { redirect: 'manual' });
    expect((await retrieve(s.id)).status).toBe('paid');
  });

  it.each([
    ['WAIT_BUYER_PAY', {}],
    ['TRADE_CLOSED', {}],
  ])('%s is acknowledged and moves nothing', async (status) => {
    const s = await createSession();
    const { attempt } = await startAlipay(s);
    const res = await postNotify(await signedBody(notifyFields(attempt.id, { trade_status: status })));
    expect(await res.text()).toBe('success');
    const t = await tables(s.id);
    expect(t.session?.status).toBe('open');
    expect(t.events).toEqual([]);
  });
});

describe('switching away from an Alipay QR and back', () => {
  it('a QR nobody scanned, being closed, is never shown again: back on Alipay is a new QR, and paying it is kept', async () => {
    const s = await createSession();
    const first = await startAlipay(s);
    // To WeChat Pay: the Alipay QR's close answers "no such trade" (nobody scanned it) and is retried.
    const wechat = await client(s, '/attempts', { method: 'POST', body: JSON.stringify({ channel: 'wechat_pay', flow: 'qr' }) });
    expect(wechat.status).toBe(201);
    await drain(s.id);
    const closing = await runInDurableObject(sessionStub(s.id), (o: CheckoutSession) => o.store.dueItem(`close:${first.attempt.id}`));
    expect(closing).not.toBeNull();
    // Back to Alipay: not the QR whose close is still being retried.
    const second = await startAlipay(s);
    expect(second.attempt.id).not.toBe(first.attempt.id);
    expect(second.next_action.data).not.toBe(first.next_action.data);
    // The shopper pays the new QR; the old one's retried close leaves it alone.
    expect((await control(`/orders/${second.attempt.id}/pay`, { notify: 'normal' })).status).toBe(200);
    await control('/flush', {});
    await runInDurableObject(sessionStub(s.id), (o: CheckoutSession) => void (o.clock = { now: () => Date.now() + 31_000 }));
    await drain(s.id);
    const t = await tables(s.id);
    expect(t.session?.status).toBe('paid');
    expect(t.session?.paid_attempt_id).toBe(second.attempt.id);
    expect(t.anomalies).toEqual([]);
  });
});

describe('an Alipay QR being closed is not shown to the shopper', () => {
  it('after a switch whose new order failed, reloading shows no QR rather than the one being closed', async () => {
    const s = await createSession();
    const first = await startAlipay(s);
    // WeChat Pay is down: the switch fails after the Alipay QR's close was asked (and found no trade).
    await runInDurableObject(sessionStub(s.id), (o: CheckoutSession) => {
      o.providerFetch = async (req) => (req.url.includes('wechatpay') ? new Response('bad gateway', { status: 502 }) : realFetch(req));
    });
    const wechat = await client(s, '/attempts', { method: 'POST', body: JSON.stringify({ channel: 'wechat_pay', flow: 'qr' }) });
    expect(wechat.status).toBe(502);
    const closing = await runInDurableObject(sessionStub(s.id), (o: CheckoutSession) => o.store.dueItem(`close:${first.attempt.id}`));
    expect(closing).not.toBeNull();
    const view = (await (await client(s, '')).json()) as { active_attempt: { id: string } | null };
    expect(view.active_attempt).toBeNull();
    const status = (await (await client(s, '/status')).json()) as { active_attempt: { id: string } | null };
    expect(status.active_attempt).toBeNull();
  });
});

// A flipped signature, the app's own key and another merchant's URL are in the provider contract
// (worker/test/contract); these are the other ways an Alipay notify can be altered.
describe('forged notifies change nothing and never get `success`', () => {
  const cases: [string, (fields: Params) => Promise<string>][] = [
    ['a value changed after signing', async (f) => (await signedBody(f)).replace('total_amount=88.88', 'total_amount=8.88')],
    ['a field added after signing', async (f) => `${await signedBody(f)}&discount=1`],
    ['a field given twice', async (f) => `${await signedBody(f)}&out_trade_no=${f.out_trade_no}`],
    [
      'signed with sign_type kept in the string (V2)',
      async (f) => {
        const p: Params = { ...f, sign_type: 'RSA2' };
        const content = Object.keys(p)
          .sort()
          .map((k) => `${k}=${p[k]}`)
          .join('&');
        return encodeForm({ ...p, sign: await rsaSign(await importRsaPrivateKey(SANDBOX_ALIPAY_PRIVATE_KEY), content) });
      },
    ],
    ['sign_type RSA', async (f) => (await signedBody(f)).replace('sign_type=RSA2', 'sign_type=RSA')],
    ['no sign', async (f) => encodeForm({ ...f, sign_type: 'RSA2' })],
    ['values decoded twice on the way', async (f) => (await signedBody({ ...f, passback_params: 'a%26b' })).replace('a%2526b', 'a%26b')],
  ];

  it.each(cases)('%s', async (_n, build) => {
    const s = await createSession();
    const { attempt } = await startAlipay(s);
    const before = await tables(s.id);
    const res = await postNotify(await build(notifyFields(attempt.id)));
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(await res.text()).not.toBe('success');
    expect(await tables(s.id)).toEqual(before);
  });

  it('a notify for an order that is not ours', async () => {
    const res = await postNotify(await signedBody(notifyFields('NOTOURS123')));
    expect(res.status).toBe(404);
    expect(await res.text()).toBe('fail');
  });

  it('a + in sign left unencoded is still the same notify (not a forgery)', async () => {
    const s = await createSession();
    const { attempt } = await startAlipay(s);
    let body = '';
    // Find a signature with a + in it, then send it raw.
    for (let i = 0; i < 20 && !body; i++) {
      const p = await signNotify(notifyFields(attempt.id, { notify_id: `n${i}` }), SANDBOX_ALIPAY_PRIVATE_KEY);
      if (p.sign?.includes('+')) body = `${encodeForm({ ...p, sign: '' })}`.replace('sign=', `sign=${p.sign}`);
    }
    expect(body).toMatch(/sign=[^&]*\+/);
    expect(await (await postNotify(body)).text()).toBe('success');
    expect((await retrieve(s.id)).status).toBe('paid');
  });
});

describe('page, h5 and app flows', () => {
  it('page: form_post to the gateway → cashier → Pay → 303 to /return/… → the session re-checks → paid', async () => {
    const s = await createSession();
    const { attempt, next_action } = await startAlipay(s, 'page');
    expect(next_action.type).toBe('form_post');
    const url = new URL(next_action.url as string);
    expect(url.searchParams.get('return_url')).toBe(`${BASE}/return/${s.id}`);
    expect(url.searchParams.get('notify_url')).toBe(`${BASE}/notify/alipay/${TEST.merchant_id}`);
    const cashier = await SELF.fetch(url.href, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(next_action.fields).toString(),
    });
    const html = await cashier.text();
    expect(html).toContain('确认付款 Pay');
    const m = /action="([^"]+\/pay)"><input type="hidden" name="token" value="([A-Za-z0-9]+)"/.exec(html);
    const pay = await SELF.fetch(`${BASE}${m?.[1]}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `token=${m?.[2]}`,
      redirect: 'manual',
    });
    expect(pay.status).toBe(303);
    const back = new URL(pay.headers.get('location') as string);
    expect(`${back.origin}${back.pathname}`).toBe(`${BASE}/return/${s.id}`);
    expect(parseFormStrict(back.search.slice(1))).toMatchObject({ out_trade_no: attempt.id, total_amount: '88.88' });
    // Coming back proves nothing by itself: the return route asks Alipay, which says paid.
    const ret = await SELF.fetch(back.href, { redirect: 'manual' });
    expect(await ret.text()).toContain('支付成功');
    expect((await retrieve(s.id)).status).toBe('paid');
  });

  it('a return with made-up parameters marks nothing paid', async () => {
    const s = await createSession();
    const { attempt } = await startAlipay(s, 'page');
    const fake = new URLSearchParams({ out_trade_no: attempt.id, trade_status: 'TRADE_SUCCESS', total_amount: '88.88', sign: 'AAAA' });
    await SELF.fetch(`${BASE}/return/${s.id}?${fake}`, { redirect: 'manual' });
    expect((await retrieve(s.id)).status).toBe('open');
  });

  it('h5: wap.pay with quit_url back to the return route', async () => {
    const s = await createSession();
    const { next_action } = await startAlipay(s, 'h5');
    expect(next_action.type).toBe('form_post');
    expect(new URL(next_action.url as string).searchParams.get('method')).toBe('alipay.trade.wap.pay');
    expect(JSON.parse(next_action.fields?.biz_content as string)).toMatchObject({ product_code: 'QUICK_WAP_WAY', quit_url: `${BASE}/return/${s.id}?quit=1` });
  });

  it('app: the merchant’s server gets the signed order string from the merchant API; the app pays; paid', async () => {
    const s = await createSession();
    const res = await api(`/v1/checkout/sessions/${s.id}/attempts`, { method: 'POST', body: JSON.stringify({ channel: 'alipay', flow: 'app' }) });
    expect(res.status).toBe(201);
    const { attempt, next_action } = (await res.json()) as Attempt;
    expect(next_action.type).toBe('app_payload');
    expect(parseFormStrict(next_action.payload as string)).toMatchObject({ method: 'alipay.trade.app.pay', app_id: ALIPAY_TEST.app_id });
    expect((await control('/app/pay', { order_string: next_action.payload })).status).toBe(200);
    await control('/flush', {});
    expect((await retrieve(s.id)).payment).toMatchObject({ attempt: attempt.id, amount: 8888 });
  });
});

describe('certificate mode (公钥证书)', () => {
  it('a certificate-mode merchant: precreate, pay, notify verified with its Alipay certificate → paid', async () => {
    const key = ALIPAY_TEST.cert_secret_key;
    const res = await api('/v1/checkout/sessions', {
      key,
      method: 'POST',
      body: JSON.stringify({ amount: 1234, currency: 'CNY', description: '证书模式', merchant_order_id: `C${Date.now()}` }),
    });
    expect(res.status).toBe(201);
    const s = (await res.json()) as SessionJson;
    expect(s.channels).toEqual(['alipay']);
    const started = await client(s, '/attempts', { method: 'POST', body: JSON.stringify({ channel: 'alipay', flow: 'qr' }) });
    const { attempt } = (await started.json()) as Attempt;
    await control(`/orders/${attempt.id}/pay`, {}, key);
    await control('/flush', {}, key);
    const paid = (await (await api(`/v1/checkout/sessions/${s.id}`, { key })).json()) as SessionJson;
    expect(paid.status).toBe('paid');
    expect(paid.payment).toMatchObject({ amount: 1234 });
  });
});

describe('expiry', () => {
  it('expiry: an unscanned QR has no trade at Alipay; it is closed again until past its time_expire, then taken as closed', async () => {
    const s = await createSession({ expires_in: 60 });
    const { attempt } = await startAlipay(s);
    const at = (offset: number) =>
      runInDurableObject(sessionStub(s.id), (o: CheckoutSession) => {
        o.clock = { now: () => Date.now() + offset };
      });
    await at(61_000);
    await drain(s.id);
    const t = await tables(s.id);
    expect(t.session?.status).toBe('expired');
    // ACQ.TRADE_NOT_EXIST: the QR can still make the trade, so the close is retried (docs/reliability.md).
    expect(t.attempts[0]?.status).toBe('pending');
    for (const offset of [61_000 + 31_000, 61_000 + 152_000]) {
      await at(offset);
      await drain(s.id);
    }
    expect((await tables(s.id)).attempts[0]?.status).toBe('closed');
    const ledger = (await (await control(`/orders/${attempt.id}`)).json()) as { trade: { state: string } };
    expect(ledger.trade.state).toBe('NOT_EXIST');
  });
});
