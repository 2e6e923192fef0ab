// In store, end to end inside workerd through the Worker's fetch handler (SELF): the till posts the
// shopper's payment code to POST /v1/checkout/sessions/:id/barcode, and every branch of the state
// machine runs against the shipped simulators on all three rails (WeChat Pay APIv3 codepay, APIv2
// micropay, Alipay trade.pay) with a deterministic session clock: paid at once, a password then paid,
// declined, a password never entered (reversed at 30 s), a pay call that never answers, a reversal that
// must be retried, a payment after the till gave up, cancel and another payment meanwhile, and a crash
// at each step. The sandbox codes' third digit picks the story (sandbox/src/payment-codes.ts).

import { SELF, env, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../src/config';
import { providerContext } from '../src/lib/outbound';
import { SANDBOX_ALIPAY_PRIVATE_KEY } from '../src/providers/alipay/fixtures/test-keys';
import { responseKey, signResponse as signAlipay } from '../src/providers/alipay/sign';
import { WECHAT_REVERSE_WINDOW_MS } from '../src/providers/wechat-pay/channel';
import type { CheckoutSession, FaultPoint } from '../src/session/durable-object';
import { BARCODE_DEADLINE_MS } from '../src/session/state-machine';
import { PASSWORD_SECONDS } from '../../sandbox/src/payment-codes';
import { loadConfig as loadSandboxedConfig } from '../../sandbox/src/config';
import { TEST } from './fixtures/config';
import { BASE, SK, api, sessionStub, startAttempt, type SessionJson } from './helpers';
import { V2, createSessionAs } from './wechat-v2';
import { postNotify, signedNotify, transaction } from './wechat-notify';

const realFetch = globalThis.fetch;
let hooks: { type: string; id: string }[] = [];
beforeEach(() => {
  hooks = [];
  // Merchant webhooks go to https://merchant.test: keep them off the network, and count them.
  vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
    const req = new Request(input as RequestInfo, init);
    if (req.url.startsWith(TEST.webhook_url)) {
      const e = JSON.parse(await req.text()) as { type: string; data: { object: { id: string } } };
      hooks.push({ type: e.type, id: e.data.object.id });
      return new Response('ok');
    }
    return realFetch(req);
  });
});
afterEach(() => vi.restoreAllMocks());

interface Rail {
  name: string;
  key: string;
  prefix: string;
  channel: 'wechat_pay' | 'alipay';
  provider: string;
  control: string;
  declined: string;
  /** What the simulator's ledger says of an order: reversed (closed or refunded), refunded by the reversal. */
  state(l: Ledger): { reversed: boolean; refunded: boolean; paid: boolean };
}
type Ledger = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const wechatState = (l: Ledger) => ({
  reversed: l.order.state === 'REVOKED',
  refunded: l.micropay?.refunded_by_reverse === 1,
  paid: l.order.state === 'SUCCESS',
});
const RAILS: Rail[] = [
  {
    name: 'WeChat Pay APIv3 (codepay)',
    key: SK,
    prefix: '13',
    channel: 'wechat_pay',
    provider: 'wechat-v3',
    control: '/sandbox/wechatpay/_control',
    declined: 'NOT_ENOUGH',
    state: wechatState,
  },
  {
    name: 'WeChat Pay APIv2 (micropay)',
    key: V2.key,
    prefix: '10',
    channel: 'wechat_pay',
    provider: 'wechat-v2',
    control: '/sandbox/wechatpay/_control',
    declined: 'NOTENOUGH',
    state: wechatState,
  },
  {
    name: 'Alipay (trade.pay)',
    key: SK,
    prefix: '28',
    channel: 'alipay',
    provider: 'alipay',
    control: '/sandbox/alipay/_control',
    declined: 'ACQ.BUYER_BALANCE_NOT_ENOUGH',
    state: (l) => ({ reversed: l.trade.state === 'TRADE_CLOSED', refunded: l.barcode?.refunded_by_reverse === 1, paid: l.trade.state === 'TRADE_SUCCESS' }),
  },
];

/** A fresh sandbox code whose third digit is `story`: 1 pays, 2 password then paid, 3 password never, 4 declined, 5 hangs. */
function sandboxCode(rail: Rail, story: 1 | 2 | 3 | 4 | 5): string {
  const digits = Array.from(crypto.getRandomValues(new Uint8Array(15)), (b) => String(b % 10)).join('');
  return `${rail.prefix}${story}${digits}`;
}

interface BarcodeJson {
  id: string;
  status: string;
  channel: string;
  provider: string;
  auth_code: string;
  session_status: string;
  failure: { code: string; message: string } | null;
  payment: { provider_transaction_id: string; amount: number } | null;
}

function charge(rail: Rail, s: SessionJson, authCode: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return api(`/v1/checkout/sessions/${s.id}/barcode`, { method: 'POST', key: rail.key, headers, body: JSON.stringify({ auth_code: authCode }) });
}

async function chargeOk(rail: Rail, s: SessionJson, authCode: string, expectStatus: number): Promise<BarcodeJson> {
  const res = await charge(rail, s, authCode);
  const body = (await res.json()) as BarcodeJson;
  expect(res.status, JSON.stringify(body)).toBe(expectStatus);
  return body;
}

async function latest(rail: Rail, s: SessionJson): Promise<BarcodeJson> {
  const res = await api(`/v1/checkout/sessions/${s.id}/barcode`, { key: rail.key });
  expect(res.status).toBe(200);
  return (await res.json()) as BarcodeJson;
}

async function ledger(rail: Rail, no: string): Promise<Ledger> {
  const res = await SELF.fetch(`${BASE}${rail.control}/orders/${no}`, { headers: { authorization: `Bearer ${rail.key}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as Ledger;
}

function control(rail: Rail, path: string, body: unknown): Promise<Response> {
  return SELF.fetch(`${BASE}${rail.control}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${rail.key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

type O = CheckoutSession;
const inDo = <R>(id: string, fn: (o: O) => R) => runInDurableObject(sessionStub(id), fn);
/** The session's clock runs `offsetMs` ahead of the wall clock (kept within the providers' 5-minute signature window). */
const setClock = (id: string, offsetMs: number) => inDo(id, (o) => void (o.clock = { now: () => Date.now() + offsetMs }));
const arm = (id: string, point: FaultPoint) => inDo(id, (o) => void o.faults.add(point));
const snapshot = (id: string) =>
  inDo(id, (o) => ({
    session: o.store.session()!,
    attempts: o.store.attempts(),
    barcode: o.store.latestBarcode(),
    events: o.store.events().map((e) => e.type),
    anomalies: o.store.anomalies().map((a) => a.reason),
    due: o.store.allDue().map((d) => ({ key: d.key, at: d.at, tries: d.tries })),
    messages: o.store.events().length,
  }));

async function drain(id: string): Promise<void> {
  for (let i = 0; i < 25; i++) {
    const due = await inDo(id, (o) => o.store.dueBy(o.clock.now()).length);
    if (due === 0) return;
    await runDurableObjectAlarm(sessionStub(id));
  }
}

/** Moves the session's clock to `offsetMs` and runs whatever is due then. */
async function at(id: string, offsetMs: number): Promise<void> {
  await setClock(id, offsetMs);
  await drain(id);
}

const session = (rail: Rail, over: Record<string, unknown> = {}) => createSessionAs(rail.key, over);
/**
 * The simulated shopper enters the password: moves the rail's simulator clock past the moment a
 * password code pays (PASSWORD_SECONDS × sandbox.time_scale after the charge), instead of waiting for it.
 */
async function passwordEntered(rail: Rail): Promise<void> {
  const seconds = PASSWORD_SECONDS * loadSandboxedConfig(env).sandbox.time_scale;
  expect((await control(rail, '/clock', { advance_seconds: seconds })).status).toBe(200);
}

describe('POST /v1/checkout/sessions/:id/barcode: what the till may send', () => {
  const rail = RAILS[0]!;

  it.each([
    [{}, 'auth_code', 'parameter_missing'],
    [{ auth_code: '' }, 'auth_code', 'auth_code_invalid'],
    [{ auth_code: '13006109882800940' }, 'auth_code', 'auth_code_invalid'], // 17 digits
    [{ auth_code: '990061098828009406' }, 'auth_code', 'auth_code_invalid'], // no wallet starts 99
    [{ auth_code: '6212345678901234567' }, 'auth_code', 'auth_code_invalid'], // UnionPay
    [{ auth_code: 'https://qr.alipay.com/bax01' }, 'auth_code', 'auth_code_invalid'],
    [{ auth_code: 130061098828009406 }, 'auth_code', 'auth_code_invalid'],
    [{ auth_code: '130061098828009406', amount: 1 }, 'amount', 'parameter_unknown'],
  ])('%j → 400 naming %s', async (body, param, code) => {
    const s = await session(rail);
    const res = await api(`/v1/checkout/sessions/${s.id}/barcode`, { method: 'POST', body: JSON.stringify(body) });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { param: string; code: string } }).error).toMatchObject({ param, code });
    expect((await snapshot(s.id)).attempts).toEqual([]);
  });

  it('names auth_code when the code is a wallet the session or the merchant does not take', async () => {
    const s = await session(rail, { channels: ['wechat_pay'] });
    const a = await charge(rail, s, sandboxCode(RAILS[2]!, 1));
    expect(a.status).toBe(400);
    expect(((await a.json()) as { error: { param: string; code: string; message: string } }).error).toMatchObject({
      param: 'auth_code',
      code: 'channel_unavailable',
      message: expect.stringContaining('Alipay'),
    });
    // The APIv2 test merchant has no Alipay at all.
    const v2 = await session(RAILS[1]!);
    const b = await charge(RAILS[1]!, v2, sandboxCode(RAILS[2]!, 1));
    expect(b.status).toBe(400);
    expect(((await b.json()) as { error: { param: string } }).error.param).toBe('auth_code');
  });

  it('refuses an unknown session (404), an ended one (409) and one about to expire (409)', async () => {
    expect((await charge(rail, { id: 'cs_000000000000000000000000' } as SessionJson, sandboxCode(rail, 1))).status).toBe(404);
    const s = await session(rail);
    expect((await api(`/v1/checkout/sessions/${s.id}/cancel`, { method: 'POST' })).status).toBe(200);
    expect((await charge(rail, s, sandboxCode(rail, 1))).status).toBe(409);
    const soon = await session(rail, { expires_in: 60 });
    await setClock(soon.id, 25_000);
    const r = await charge(rail, soon, sandboxCode(rail, 1));
    expect(r.status).toBe(409);
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe('session_expired');
  });

  it('has nothing to show before a code was charged', async () => {
    const s = await session(rail);
    expect((await api(`/v1/checkout/sessions/${s.id}/barcode`)).status).toBe(404);
  });
});

describe.each(RAILS)('$name', (rail) => {
  it('a code that pays at once: 200 succeeded, the session paid once, the same event and webhook as any payment', async () => {
    const s = await session(rail);
    const code = sandboxCode(rail, 1);
    const r = await chargeOk(rail, s, code, 200);
    expect(r).toMatchObject({
      object: 'barcode_payment',
      status: 'succeeded',
      channel: rail.channel,
      provider: rail.provider,
      session_status: 'paid',
      failure: null,
    });
    expect(r.auth_code).toBe(`${code.slice(0, 4)}**********${code.slice(-4)}`);
    expect(r.payment?.provider_transaction_id).toBeTruthy();
    const view = (await (await api(`/v1/checkout/sessions/${s.id}`, { key: rail.key })).json()) as SessionJson;
    expect(view.status).toBe('paid');
    expect(view.payment).toMatchObject({ attempt: r.id, channel: rail.channel, provider: rail.provider, amount: 8888 });
    await drain(s.id);
    const snap = await snapshot(s.id);
    expect(snap.events).toEqual(['checkout.session.paid']);
    expect(snap.due.filter((d) => d.key.startsWith('query:') || d.key.startsWith('reverse:'))).toEqual([]);
    expect(hooks.filter((h) => h.id === s.id)).toEqual([{ type: 'checkout.session.paid', id: s.id }]);
    expect(await latest(rail, s)).toEqual(r);
    expect(rail.state(await ledger(rail, r.id)).paid).toBe(true);
    // Refunds work on a payment-code payment like on any other.
    const refund = await api('/v1/refunds', { method: 'POST', key: rail.key, body: JSON.stringify({ session: s.id, amount: 100 }) });
    expect(refund.status).toBe(201);
  });

  // The test sandbox runs at time_scale 0.001, so the simulated password is in 8 ms of real time after
  // the pay call: on a machine loaded enough that the pay call is retried, or the first query comes due
  // before the till's request returns, the till already sees paid (200). Retried rather than slowed down.
  it('a password (USERPAYING / 10003): 202 processing, then paid by the 5 s query', { retry: 2 }, async () => {
    const s = await session(rail);
    const r = await chargeOk(rail, s, sandboxCode(rail, 2), 202);
    expect(r).toMatchObject({ status: 'processing', session_status: 'open', payment: null });
    const snap = await snapshot(s.id);
    expect(snap.barcode?.phase).toBe('waiting');
    expect(snap.due.find((d) => d.key === `query:${r.id}`)).toBeDefined();
    await passwordEntered(rail);
    await at(s.id, 5_000);
    expect(await latest(rail, s)).toMatchObject({ status: 'succeeded', session_status: 'paid' });
    expect((await snapshot(s.id)).events).toEqual(['checkout.session.paid']);
  });

  it("declined: 200 failed with the wallet's reason, nothing charged, nothing due, the next code is taken", async () => {
    const s = await session(rail);
    const r = await chargeOk(rail, s, sandboxCode(rail, 4), 200);
    expect(r).toMatchObject({ status: 'failed', session_status: 'open', failure: { code: rail.declined } });
    const snap = await snapshot(s.id);
    expect(snap.attempts[0]?.status).toBe('failed');
    expect(snap.due.filter((d) => d.key.includes(r.id))).toEqual([]);
    expect((await chargeOk(rail, s, sandboxCode(rail, 1), 200)).status).toBe('succeeded');
  });

  it('a password never entered: queried every 5 s for 30 s, then reversed; the session stays open', async () => {
    const s = await session(rail);
    const r = await chargeOk(rail, s, sandboxCode(rail, 3), 202);
    const started = (await snapshot(s.id)).barcode!.started;
    const queries: number[] = [];
    for (let t = 5_000; t <= BARCODE_DEADLINE_MS; t += 5_000) {
      const q = (await snapshot(s.id)).due.find((d) => d.key === `query:${r.id}`);
      expect(q, `a query is due before ${t} ms`).toBeDefined();
      queries.push(q!.at - started);
      await setClock(s.id, q!.at - Date.now());
      await drain(s.id);
    }
    expect(queries.map((q) => Math.round(q / 1000) * 1000)).toEqual([5_000, 10_000, 15_000, 20_000, 25_000, 30_000]);
    const after = await latest(rail, s);
    expect(after).toMatchObject({ status: 'reversed', session_status: 'open', failure: { code: 'timeout' } });
    const snap = await snapshot(s.id);
    expect(snap.attempts[0]?.status).toBe('closed');
    expect(snap.due.filter((d) => d.key.includes(r.id))).toEqual([]);
    expect(snap.events).toEqual([]);
    expect(rail.state(await ledger(rail, r.id))).toMatchObject({ reversed: true, paid: false });
    // The till may scan again on the same session.
    expect((await chargeOk(rail, s, sandboxCode(rail, 1), 200)).status).toBe('succeeded');
  });

  it('a pay call that never answers is unknown, never failed: queried, then reversed at 30 s', async () => {
    const s = await session(rail);
    const r = await chargeOk(rail, s, sandboxCode(rail, 5), 202);
    expect(r.status).toBe('processing');
    await at(s.id, 5_000);
    expect((await latest(rail, s)).status).toBe('processing');
    await at(s.id, 31_000);
    expect((await latest(rail, s)).status).toBe('reversed');
    expect(rail.state(await ledger(rail, r.id)).reversed).toBe(true);
  });

  it('a reversal the provider refuses (recall=Y / ACQ.SYSTEM_ERROR) is retried by the due work until done', async () => {
    const s = await session(rail);
    const r = await chargeOk(rail, s, sandboxCode(rail, 3), 202);
    expect((await control(rail, `/orders/${r.id}/reverse-failures`, { count: 2 })).status).toBe(200);
    await at(s.id, 31_000);
    expect((await latest(rail, s)).status).toBe('reversing');
    const first = (await snapshot(s.id)).due.find((d) => d.key === `reverse:${r.id}`)!;
    expect(first).toBeDefined();
    await setClock(s.id, first.at - Date.now());
    await drain(s.id);
    expect((await latest(rail, s)).status).toBe('reversing');
    const second = (await snapshot(s.id)).due.find((d) => d.key === `reverse:${r.id}`)!;
    expect(second.at - first.at).toBeGreaterThanOrEqual(10_000);
    await setClock(s.id, second.at - Date.now());
    await drain(s.id);
    expect((await latest(rail, s)).status).toBe('reversed');
    expect(rail.state(await ledger(rail, r.id)).reversed).toBe(true);
  });

  it('a shopper who pays after the till gave up is refunded by the reversal, and the session is never paid by it', async () => {
    const s = await session(rail);
    const r = await chargeOk(rail, s, sandboxCode(rail, 3), 202);
    await control(rail, `/orders/${r.id}/reverse-failures`, { count: 1 });
    await at(s.id, 31_000);
    expect((await latest(rail, s)).status).toBe('reversing');
    // The password arrives late: the wallet takes the money…
    expect((await control(rail, `/orders/${r.id}/pay`, { notify: 'drop' })).status).toBe(200);
    // …and the retried reversal gives it back.
    await at(s.id, 45_000);
    expect((await latest(rail, s)).status).toBe('reversed');
    const l = rail.state(await ledger(rail, r.id));
    expect(l).toMatchObject({ reversed: true, refunded: true });
    const snap = await snapshot(s.id);
    expect(snap.session.status).toBe('open');
    expect(snap.events).toEqual([]);
    expect(snap.anomalies).toEqual([]);
  });

  it('canceling the session while a code is being confirmed reverses it', async () => {
    const s = await session(rail);
    const r = await chargeOk(rail, s, sandboxCode(rail, 3), 202);
    const res = await api(`/v1/checkout/sessions/${s.id}/cancel`, { method: 'POST', key: rail.key });
    expect(res.status).toBe(200);
    expect(await latest(rail, s)).toMatchObject({ status: 'reversed', session_status: 'canceled', failure: { code: 'canceled' } });
    expect(rail.state(await ledger(rail, r.id)).reversed).toBe(true);
  });

  it('one code at a time: a second scan while the first may still be paid is a 409', async () => {
    const s = await session(rail);
    await chargeOk(rail, s, sandboxCode(rail, 3), 202);
    const second = await charge(rail, s, sandboxCode(rail, 1));
    expect(second.status).toBe(409);
    expect(((await second.json()) as { error: { code: string } }).error.code).toBe('barcode_in_progress');
    expect((await snapshot(s.id)).attempts).toHaveLength(1);
  });

  it('the same Idempotency-Key replays the answer instead of charging again', async () => {
    const s = await session(rail);
    const code = sandboxCode(rail, 1);
    const key = `till-${s.id}`;
    const a = await charge(rail, s, code, { 'idempotency-key': key });
    const b = await charge(rail, s, code, { 'idempotency-key': key });
    expect(b.headers.get('idempotent-replayed')).toBe('true');
    expect(((await a.json()) as BarcodeJson).id).toBe(((await b.json()) as BarcodeJson).id);
    expect((await snapshot(s.id)).attempts).toHaveLength(1);
  });

  it('a crash after the wallet charged, before the answer was stored: the 5 s query finds the payment, once', async () => {
    const s = await session(rail);
    await arm(s.id, 'barcode.afterPay');
    const res = await charge(rail, s, sandboxCode(rail, 1));
    expect(res.status).toBe(500);
    let snap = await snapshot(s.id);
    expect(snap.session.status).toBe('open');
    expect(snap.barcode?.phase).toBe('paying');
    await at(s.id, 5_000);
    snap = await snapshot(s.id);
    expect(snap.session.status).toBe('paid');
    expect(snap.events).toEqual(['checkout.session.paid']);
    expect(snap.attempts).toHaveLength(1);
  });

  it("a crash between a query's answer and its store loses nothing: the next query pays", async () => {
    const s = await session(rail);
    await chargeOk(rail, s, sandboxCode(rail, 2), 202);
    await passwordEntered(rail);
    await arm(s.id, 'query.beforeStore');
    await at(s.id, 5_000);
    expect((await snapshot(s.id)).session.status).toBe('open');
    await at(s.id, 10_000);
    expect((await snapshot(s.id)).session.status).toBe('paid');
  });

  it('a crash after the provider reversed, before it was stored: reversed again (idempotent), once confirmed', async () => {
    const s = await session(rail);
    const r = await chargeOk(rail, s, sandboxCode(rail, 3), 202);
    await arm(s.id, 'reverse.afterProvider');
    await at(s.id, 31_000);
    expect((await snapshot(s.id)).barcode?.phase).toBe('reversing');
    expect(rail.state(await ledger(rail, r.id)).reversed).toBe(true);
    await at(s.id, 45_000);
    expect((await latest(rail, s)).status).toBe('reversed');
    expect((await snapshot(s.id)).due.filter((d) => d.key === `reverse:${r.id}`)).toEqual([]);
  });

  it('a pay answer lost on the way back (the wallet charged): unknown, then the query finds the payment', async () => {
    const s = await session(rail);
    await inDo(s.id, (o) => {
      const real = providerContext(loadConfig(env).public_base_url, false, () => o.clock.now()).fetch;
      o.providerFetch = async (req) => {
        const payCall = /\/pay\/micropay|\/codepay|method=alipay\.trade\.pay(&|$)/.test(req.url);
        const res = await real(req);
        // The provider did its work; the answer is lost on the way back.
        if (payCall) throw new Error('connection reset by peer');
        return res;
      };
    });
    const r = await chargeOk(rail, s, sandboxCode(rail, 1), 202);
    expect(r.status).toBe('processing');
    await inDo(s.id, (o) => void (o.providerFetch = null));
    await at(s.id, 5_000);
    expect(await latest(rail, s)).toMatchObject({ status: 'succeeded', session_status: 'paid' });
  });
});

describe('payments that meet a payment code', () => {
  const rail = RAILS[0]!;

  it('the session paid another way while a code waits: the code is reversed, and its late payment too', async () => {
    const s = await session(rail);
    const { attempt } = await startAttempt(s);
    const code = await chargeOk(rail, s, sandboxCode(rail, 3), 202);
    // The QR attempt was closed when the code was scanned; its payment lands anyway (a duplicate
    // refunded automatically) — here it is the first, so it pays the session.
    await postNotify(await signedNotify(transaction(attempt.id)));
    await drain(s.id);
    const snap = await snapshot(s.id);
    expect(snap.session.status).toBe('paid');
    expect(snap.session.paid_attempt_id).toBe(attempt.id);
    expect(await latest(rail, s)).toMatchObject({ status: 'reversed', failure: { code: 'paid_elsewhere' } });
    expect(rail.state(await ledger(rail, code.id)).reversed).toBe(true);
  });

  it('a verified notify for a reversed code is reversed again (a refund), never a second paid', async () => {
    const s = await session(rail);
    const code = await chargeOk(rail, s, sandboxCode(rail, 3), 202);
    await at(s.id, 31_000);
    expect((await latest(rail, s)).status).toBe('reversed');
    const n = await signedNotify({ ...transaction(code.id), trade_type: 'MICROPAY' });
    expect((await postNotify(n)).status).toBe(204);
    expect((await latest(rail, s)).status).toBe('reversing');
    await drain(s.id);
    expect((await latest(rail, s)).status).toBe('reversed');
    const snap = await snapshot(s.id);
    expect(snap.session.status).toBe('open');
    expect(snap.events).toEqual([]);
    expect(snap.anomalies).toEqual([]);
  });

  it('expiry reverses a code that is still being confirmed', async () => {
    const s = await session(rail, { expires_in: 60 });
    const r = await chargeOk(rail, s, sandboxCode(rail, 3), 202);
    // Expiry normally comes at least 40 s after a scan; bring it forward to land inside the 30 s wait.
    await inDo(s.id, (o) => {
      const t = o.clock.now() + 10_000;
      (o as unknown as { ctx: DurableObjectState }).ctx.storage.sql.exec('UPDATE session SET expires_at = ?', t);
      o.store.schedule('expire', 'expire', t);
    });
    await at(s.id, 12_000);
    expect(await latest(rail, s)).toMatchObject({ status: 'reversed', session_status: 'expired', failure: { code: 'expired' } });
    expect(rail.state(await ledger(rail, r.id)).reversed).toBe(true);
  });
});

describe('a reversal the provider no longer takes', () => {
  it('WeChat Pay: retried only within the 7 days WeChat takes a reversal, then reverse_failed and a payment.anomaly for a person', async () => {
    const rail = RAILS[0]!;
    const s = await session(rail, { expires_in: 7200 });
    const r = await chargeOk(rail, s, sandboxCode(rail, 3), 202);
    // WeChat keeps refusing (recall=Y / SYSTEMERROR) for as long as Shouyin asks.
    expect((await control(rail, `/orders/${r.id}/reverse-failures`, { count: 100 })).status).toBe(200);
    await at(s.id, 31_000);
    expect((await latest(rail, s)).status).toBe('reversing');
    const closes = (await snapshot(s.id)).barcode!.started + WECHAT_REVERSE_WINDOW_MS;
    const reverseDue = async () => (await snapshot(s.id)).due.find((d) => d.key === `reverse:${r.id}`);

    // A try just before the window closes: the next one is due when it closes, not an hour later.
    await setClock(s.id, closes - 5_000 - Date.now());
    await drain(s.id);
    expect((await latest(rail, s)).status).toBe('reversing');
    expect((await reverseDue())?.at).toBe(closes);

    // When it closes: no more tries, the charge says so, and a person is told.
    await setClock(s.id, closes - Date.now());
    await drain(s.id);
    const after = await latest(rail, s);
    expect(after).toMatchObject({ status: 'reverse_failed', failure: { code: 'reverse_window_closed' } });
    expect(await reverseDue()).toBeUndefined();
    const snap = await snapshot(s.id);
    expect(snap.anomalies).toEqual(['reverse_window_closed']);
    expect(snap.events).toContain('payment.anomaly');
    expect(hooks.map((h) => h.type)).toContain('payment.anomaly');
    // An hour later nothing is due for it any more.
    await at(s.id, closes + 3_600_000 - Date.now());
    expect(await reverseDue()).toBeUndefined();
  });

  it('Alipay: a cancel Alipay refuses for good (ACQ.TRADE_CANCEL_TIME_OUT) is not asked again', async () => {
    const rail = RAILS[2]!;
    const s = await session(rail);
    const r = await chargeOk(rail, s, sandboxCode(rail, 3), 202);
    let cancels = 0;
    await inDo(s.id, (o) => {
      // Everything else reaches the simulator; alipay.trade.cancel is answered, signed, as Alipay would past its window.
      o.providerFetch = async (req) => {
        if (new URL(req.url).searchParams.get('method') !== 'alipay.trade.cancel') return env.SANDBOX!.fetch(req);
        cancels++;
        const body = { code: '40004', msg: 'Business Failed', sub_code: 'ACQ.TRADE_CANCEL_TIME_OUT', sub_msg: '超过撤销时间范围' };
        const signed = await signAlipay({ key: responseKey('alipay.trade.cancel'), body, privateKeyPem: SANDBOX_ALIPAY_PRIVATE_KEY });
        return new Response(signed, { headers: { 'content-type': 'application/json' } });
      };
    });
    await at(s.id, 31_000);
    expect(await latest(rail, s)).toMatchObject({ status: 'reverse_failed', failure: { code: 'reverse_window_closed' } });
    expect(cancels).toBe(1);
    const snap = await snapshot(s.id);
    expect(snap.anomalies).toEqual(['reverse_window_closed']);
    expect(snap.due.map((d) => d.key)).not.toContain(`reverse:${r.id}`);
    await at(s.id, 4 * 3_600_000);
    expect(cancels).toBe(1);
  });
});
