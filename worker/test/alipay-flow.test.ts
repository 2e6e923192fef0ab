// Alipay end to end inside workerd, through the Worker's own fetch handler (SELF): the provider
// contract (create → pending → notify → paid; forged, duplicate, tampered and amount-mismatched
// notifies; certificate mode), every flow, the return_url hint, refunds and expiry.

import { SELF, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { importRsaPrivateKey, rsaSign } from '../src/crypto/rsa';
import { SANDBOX_ALIPAY_PRIVATE_KEY, TEST_APP_PRIVATE_KEY_PKCS1 as ALIPAY_APP_KEY } from '../src/providers/alipay/fixtures/test-keys';
import { encodeForm, parseFormStrict, signNotify, type Params } from '../src/providers/alipay/sign';
import { beijingDateTime } from '../src/providers/alipay/time';
import type { CheckoutSession } from '../src/session/durable-object';
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

/** The fields of a trade_status_sync notify for `attemptId`, as the Alipay sandbox would send them. */
function notifyFields(attemptId: string, over: Params = {}): Params {
  const now = Date.now();
  return {
    notify_time: beijingDateTime(now), notify_type: 'trade_status_sync', notify_id: `${now}`, app_id: ALIPAY_TEST.app_id, auth_app_id: ALIPAY_TEST.app_id,
    charset: 'utf-8', version: '1.0', trade_no: `20261128220014${String(now).slice(-14)}`, out_trade_no: attemptId, buyer_id: '2088102534368455',
    buyer_logon_id: 'sbx***@shouyin.test', seller_id: ALIPAY_TEST.seller_id, trade_status: 'TRADE_SUCCESS', total_amount: '88.88',
    receipt_amount: '88.88', subject: '测试商品 Test item', gmt_create: beijingDateTime(now - 5000), gmt_payment: beijingDateTime(now),
    fund_bill_list: '[{"amount":"88.88","fundChannel":"ALIPAYACCOUNT"}]', ...over,
  };
}

const signedBody = async (fields: Params, key = SANDBOX_ALIPAY_PRIVATE_KEY) => encodeForm(await signNotify(fields, key));

function postNotify(body: string, merchant: string = TEST.merchant_id): Promise<Response> {
  return SELF.fetch(`${BASE}/notify/alipay/${merchant}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }, body });
}

async function drain(id: string) {
  for (let i = 0; i < 10; i++) if (!(await runDurableObjectAlarm(sessionStub(id)))) break;
}

describe('Alipay QR end to end (inside workerd)', () => {
  it('precreate → QR with the sandbox cashier → pay → the sandbox notify → paid once, webhook signed', async () => {
    const s = await createSession();
    const { attempt, next_action } = await startAlipay(s);
    expect(next_action.type).toBe('display_qr');
    expect(next_action.data).toMatch(/^https:\/\/qr\.alipay\.com\/bax0/);
    expect(next_action.sandbox_wallet_url).toBe(`${BASE}/sandbox/alipay/cashier?qr_code=${encodeURIComponent(next_action.data as string)}`);
    // The same channel and flow again: the same order.
    expect((await startAlipay(s)).attempt.id).toBe(attempt.id);
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

  it('the notify answer is exactly the 7 bytes `success`, text/plain, only once stored', async () => {
    const s = await createSession();
    const { attempt } = await startAlipay(s);
    const res = await postNotify(await signedBody(notifyFields(attempt.id)));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(new TextEncoder().encode('success'));
    expect((await retrieve(s.id)).status).toBe('paid');
  });

  it('duplicate and parallel notifies (and the sandbox’s duplicate mode) apply once', async () => {
    const s = await createSession();
    const { attempt } = await startAlipay(s);
    const body = await signedBody(notifyFields(attempt.id));
    const answers = await Promise.all(Array.from({ length: 12 }, () => postNotify(body)));
    expect(await Promise.all(answers.map((r) => r.text()))).toEqual(Array(12).fill('success'));
    const t = await tables(s.id);
    expect(t.session?.status).toBe('paid');
    expect(t.events).toEqual(['checkout.session.paid']);
    // TRADE_FINISHED later: still the same payment.
    expect(await (await postNotify(await signedBody(notifyFields(attempt.id, { trade_status: 'TRADE_FINISHED' })))).text()).toBe('success');
    expect((await tables(s.id)).events).toEqual(['checkout.session.paid']);

    const s2 = await createSession();
    const a2 = await startAlipay(s2);
    await control(`/orders/${a2.attempt.id}/pay`, { notify: 'duplicate', copies: 5 });
    await control('/flush', {});
    expect((await tables(s2.id)).events).toEqual(['checkout.session.paid']);
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

  it('an amount mismatch is an anomaly, never paid, recorded once', async () => {
    const s = await createSession();
    const { attempt } = await startAlipay(s);
    const body = await signedBody(notifyFields(attempt.id, { total_amount: '0.01' }));
    expect(await (await postNotify(body)).text()).toBe('success');
    await postNotify(body);
    const t = await tables(s.id);
    expect(t.session?.status).toBe('open');
    expect(t.anomalies).toMatchObject([{ attempt_id: attempt.id, reason: 'amount_mismatch', source: 'notify' }]);
    expect(t.events).toEqual(['payment.anomaly']);
  });

  it.each([
    ['another app_id', { app_id: '2021999999999999' }, 'app_mismatch'],
    ['another seller_id (configured for this merchant)', { seller_id: '2088999999999999' }, 'merchant_mismatch'],
  ])('a payment for %s is an anomaly', async (_n, over, reason) => {
    const s = await createSession();
    const { attempt } = await startAlipay(s);
    await postNotify(await signedBody(notifyFields(attempt.id, over)));
    const t = await tables(s.id);
    expect(t.session?.status).toBe('open');
    expect(t.anomalies[0]?.reason).toBe(reason);
  });
});

describe('forged notifies change nothing and never get `success`', () => {
  const flip = (s: string, i: number) => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);
  const cases: [string, (fields: Params) => Promise<string>][] = [
    ['a value changed after signing', async (f) => (await signedBody(f)).replace('total_amount=88.88', 'total_amount=8.88')],
    ['a field added after signing', async (f) => `${await signedBody(f)}&discount=1`],
    ['a field given twice', async (f) => `${await signedBody(f)}&out_trade_no=${f.out_trade_no}`],
    ['a flipped signature character', async (f) => {
      const p = await signNotify(f, SANDBOX_ALIPAY_PRIVATE_KEY);
      return encodeForm({ ...p, sign: flip(p.sign as string, 20) });
    }],
    ['signed with the app’s own key', async (f) => signedBody(f, ALIPAY_APP_KEY)],
    ['signed with sign_type kept in the string (V2)', async (f) => {
      const p: Params = { ...f, sign_type: 'RSA2' };
      const content = Object.keys(p).sort().map((k) => `${k}=${p[k]}`).join('&');
      return encodeForm({ ...p, sign: await rsaSign(await importRsaPrivateKey(SANDBOX_ALIPAY_PRIVATE_KEY), content) });
    }],
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

  it('merchant A’s valid notify posted to merchant B’s URL', async () => {
    const s = await createSession();
    const { attempt } = await startAlipay(s);
    const res = await postNotify(await signedBody(notifyFields(attempt.id)), ALIPAY_TEST.cert_merchant_id);
    expect(await res.text()).not.toBe('success');
    expect((await tables(s.id)).session?.status).toBe('open');
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
    const cashier = await SELF.fetch(url.href, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(next_action.fields).toString() });
    const html = await cashier.text();
    expect(html).toContain('确认付款 Pay');
    const m = /action="([^"]+\/pay)"><input type="hidden" name="token" value="([A-Za-z0-9]+)"/.exec(html);
    const pay = await SELF.fetch(`${BASE}${m?.[1]}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${m?.[2]}`, redirect: 'manual' });
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
    expect(JSON.parse(next_action.fields?.biz_content as string)).toMatchObject({ product_code: 'QUICK_WAP_WAY', quit_url: `${BASE}/return/${s.id}` });
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
    const res = await api('/v1/checkout/sessions', { key, method: 'POST', body: JSON.stringify({ amount: 1234, currency: 'CNY', description: '证书模式', merchant_order_id: `C${Date.now()}` }) });
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

describe('refunds and expiry', () => {
  it('a partial refund through the merchant API: alipay.trade.refund with out_request_no, and its notify', async () => {
    const s = await createSession();
    const { attempt } = await startAlipay(s);
    await control(`/orders/${attempt.id}/pay`, { notify: 'drop' });
    await postNotify(await signedBody(notifyFields(attempt.id)));
    const r = await api('/v1/refunds', { method: 'POST', body: JSON.stringify({ session: s.id, amount: 888, reason: '退货' }) });
    expect(r.status).toBe(201);
    const refund = (await r.json()) as { id: string; status: string; amount: number };
    expect(refund).toMatchObject({ amount: 888 });
    const ledger = (await (await control(`/orders/${attempt.id}`)).json()) as { refunds: { amount: number; out_request_no: string }[] };
    expect(ledger.refunds).toMatchObject([{ amount: 888 }]);
    // The refund's own notify (TRADE_SUCCESS + refund fields) is acknowledged.
    const sent = (await (await control('/flush', {})).json()) as { sent: { answers: { acked: boolean }[] }[] };
    expect(sent.sent.flatMap((x) => x.answers).every((a) => a.acked)).toBe(true);
    await drain(s.id);
    const after = (await (await api(`/v1/refunds/${refund.id}`)).json()) as { status: string };
    expect(after.status).toBe('succeeded');
  });

  it('expiry closes a scanned trade at Alipay; an unscanned one has nothing to close', async () => {
    for (const scanned of [true, false]) {
      const s = await createSession({ expires_in: 60 });
      const { attempt, next_action } = await startAlipay(s);
      if (scanned) await SELF.fetch(next_action.sandbox_wallet_url as string);
      await runInDurableObject(sessionStub(s.id), (o: CheckoutSession) => {
        o.clock = { now: () => Date.now() + 61_000 };
      });
      await drain(s.id);
      const t = await tables(s.id);
      expect(t.session?.status).toBe('expired');
      expect(t.attempts[0]?.status).toBe('closed');
      const ledger = (await (await control(`/orders/${attempt.id}`)).json()) as { trade: { state: string } };
      expect(ledger.trade.state).toBe(scanned ? 'TRADE_CLOSED' : 'NOT_EXIST');
    }
  });
});
