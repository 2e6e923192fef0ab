// Provider faults while a provider order is made or watched (docs/reliability.md#provider-faults-during-creation):
// a create the provider accepted but whose answer never came, an object that dies during the create,
// a provider that hangs (the shopper is answered within the request timeout), a gateway's error page
// in place of the answer, and a notify that lands while a query waits on the provider. Each test goes
// through the real sandbox simulators; the fault is injected on the session's provider fetch.

import { SELF, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { OUTBOUND_TIMEOUT_MS, outboundFetch } from '../src/lib/outbound';
import type { CheckoutSession } from '../src/session/durable-object';
import { CLOSE_RETRY_MS, ORDER_EXPIRY_MARGIN_MS } from '../src/session/schedules';
import { BASE, client, createSession, drainSession, type SessionJson, sessionStub, SK } from './helpers';
import { acceptWebhooks, deliverNow } from './merchant-endpoint';

// Sessions here get paid: their webhooks need somewhere to go, also from an alarm after a test ended.
acceptWebhooks();

type O = CheckoutSession;
const inDo = <R>(id: string, fn: (o: O) => R) => runInDurableObject(sessionStub(id), fn);
const setClock = (id: string, offsetMs: number) => inDo(id, (o) => void (o.clock = { now: () => Date.now() + offsetMs }));
const pass = outboundFetch(BASE);

/** One rail: its channel, its sandbox's control surface, and how its create and query requests look. */
interface Rail {
  name: string;
  channel: 'wechat_pay' | 'alipay';
  control: string;
  isCreate(req: Request): boolean;
  isQuery(req: Request): boolean;
  isClose(req: Request): boolean;
  /** The order's state at the sandbox: null when the sandbox holds none. */
  state(view: unknown): string;
}
const alipayMethod = (req: Request) => new URL(req.url).searchParams.get('method');
const RAILS: Rail[] = [
  {
    name: 'WeChat Pay APIv3',
    channel: 'wechat_pay',
    control: 'wechatpay',
    isCreate: (req) => req.method === 'POST' && new URL(req.url).pathname.endsWith('/v3/pay/transactions/native'),
    isQuery: (req) => req.method === 'GET' && new URL(req.url).pathname.includes('/v3/pay/transactions/out-trade-no/'),
    isClose: (req) => req.method === 'POST' && new URL(req.url).pathname.endsWith('/close'),
    state: (v) => (v as { transaction: { trade_state: string } }).transaction.trade_state,
  },
  {
    name: 'Alipay',
    channel: 'alipay',
    control: 'alipay',
    isCreate: (req) => alipayMethod(req) === 'alipay.trade.precreate',
    isQuery: (req) => alipayMethod(req) === 'alipay.trade.query',
    isClose: (req) => alipayMethod(req) === 'alipay.trade.close',
    state: (v) => (v as { trade: { state: string } }).trade.state,
  },
];

function control(rail: Rail, path: string, body?: unknown): Promise<Response> {
  return SELF.fetch(`${BASE}/sandbox/${rail.control}/_control${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${SK}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

/** The order's state at the provider's sandbox, or null when it holds no such order. */
async function providerState(rail: Rail, attempt: string): Promise<string | null> {
  const res = await control(rail, `/orders/${attempt}`);
  if (res.status === 404) return null;
  expect(res.status).toBe(200);
  return rail.state(await res.json());
}

const start = (s: SessionJson, rail: Rail) => client(s, '/attempts', { method: 'POST', body: JSON.stringify({ channel: rail.channel, flow: 'qr' }) });

const snapshot = (id: string) =>
  inDo(id, (o) => ({
    session: o.store.session()!,
    attempts: o.store.attempts(),
    events: o.store.events().map((e) => e.type),
    anomalies: o.store.anomalies().map((a) => a.reason),
    refunds: o.store.refunds(),
    due: o.store.allDue().map((d) => ({ key: d.key, at: d.at })),
  }));

/**
 * The create reaches the provider (which makes the order), then its answer is lost: a timeout. The
 * provider stays unreachable for closes until the test lets them through (o.providerFetch = null).
 */
const answerLost = (rail: Rail) => async (req: Request) => {
  if (rail.isClose(req)) throw new Error('connect ETIMEDOUT');
  const res = await pass(req);
  await res.text();
  if (rail.isCreate(req)) throw new DOMException('The operation was aborted due to timeout', 'TimeoutError');
  return res;
};
/** Lets the provider be reached again and moves the session's clock past the first close retry. */
async function reachable(id: string): Promise<void> {
  await inDo(id, (o) => {
    o.providerFetch = null;
    o.clock = { now: () => Date.now() + CLOSE_RETRY_MS[0]! + 1_000 };
  });
}

async function expectRetryable(res: Response): Promise<void> {
  expect(res.status).toBe(502);
  const body = (await res.json()) as { error: { type: string; code: string } };
  expect(body.error).toMatchObject({ type: 'provider_error', code: 'provider_unavailable' });
}

describe.each(RAILS)('a create the provider accepted, its answer lost ($name)', (rail) => {
  /** A session whose only attempt's create timed out after the provider stored the order. */
  async function orphaned(): Promise<{ s: SessionJson; attempt: string }> {
    const s = await createSession({ channels: [rail.channel] });
    await inDo(s.id, (o) => void (o.providerFetch = answerLost(rail)));
    await expectRetryable(await start(s, rail));
    const snap = await snapshot(s.id);
    expect(snap.attempts).toHaveLength(1);
    const a = snap.attempts[0]!;
    // Stored before the call, never with an action: nothing was handed to the shopper, nothing is paid.
    expect(a).toMatchObject({ status: 'failed', next_action: null, paid_amount: null });
    expect(snap.session.status).toBe('open');
    expect(snap.due.map((d) => d.key)).toContain(`close:${a.id}`);
    return { s, attempt: a.id };
  }

  it('closes the order Shouyin never heard back about, or keeps trying while it could still appear', async () => {
    const { s, attempt } = await orphaned();
    // The provider holds it: WeChat Pay an unpaid order, Alipay a precreate nobody has scanned.
    expect(await providerState(rail, attempt)).toBe(rail.channel === 'wechat_pay' ? 'NOTPAY' : 'NOT_EXIST');
    await reachable(s.id);
    await drainSession(s.id);
    const snap = await snapshot(s.id);
    if (rail.channel === 'wechat_pay') {
      expect(await providerState(rail, attempt)).toBe('CLOSED');
      expect(snap.due.map((d) => d.key)).not.toContain(`close:${attempt}`);
    } else {
      // alipay.trade.close answers ACQ.TRADE_NOT_EXIST until the QR is scanned: not proof of nothing.
      expect(snap.due.find((d) => d.key === `close:${attempt}`)?.at).toBeGreaterThan(Date.now() + CLOSE_RETRY_MS[0]! + 1_000);
      // Once the session (the order's time_expire) is over, with a margin for the provider's clock, that answer is final.
      await setClock(s.id, s.expires_at * 1000 + ORDER_EXPIRY_MARGIN_MS + 1_000 - Date.now());
      await drainSession(s.id);
      const after = await snapshot(s.id);
      expect(after.session.status).toBe('expired');
      expect(after.due.map((d) => d.key)).not.toContain(`close:${attempt}`);
    }
    expect(snap.events).not.toContain('checkout.session.paid');
  });

  it('applies a payment made on that order even when every notify is lost', async () => {
    const { s, attempt } = await orphaned();
    // The shopper pays the orphan before its close gets through (a retried create that answered the
    // same QR, say), and the notify is dropped.
    expect((await control(rail, `/orders/${attempt}/pay`, { notify: 'drop' })).status).toBe(200);
    // The next close finds the order paid and applies it: paid once, one event.
    await reachable(s.id);
    await drainSession(s.id);
    const snap = await snapshot(s.id);
    expect(snap.session.status).toBe('paid');
    expect(snap.session.paid_attempt_id).toBe(attempt);
    expect(snap.events.filter((e) => e === 'checkout.session.paid')).toHaveLength(1);
    expect(snap.anomalies).toEqual([]);
    expect(snap.due.map((d) => d.key)).not.toContain(`close:${attempt}`);
    await deliverNow(s.id);
  });

  it('applies a payment made after a close that found no order, even with every notify lost', async () => {
    const { s, attempt } = await orphaned();
    await reachable(s.id);
    await drainSession(s.id);
    const paid = await control(rail, `/orders/${attempt}/pay`, { notify: 'drop' });
    if (rail.channel === 'wechat_pay') {
      // WeChat Pay's order existed, so the close closed it: it can no longer be paid.
      expect(paid.status).toBe(400);
      expect((await snapshot(s.id)).session.status).toBe('open');
      return;
    }
    // Alipay's close answered ACQ.TRADE_NOT_EXIST (nobody had scanned it), and the QR stays payable
    // until its time_expire: the shopper scans and pays it. The close tried again finds the payment.
    expect(paid.status).toBe(200);
    await inDo(s.id, (o) => void (o.clock = { now: () => Date.now() + CLOSE_RETRY_MS[0]! + CLOSE_RETRY_MS[1]! + 2_000 }));
    await drainSession(s.id);
    const snap = await snapshot(s.id);
    expect(snap.session.status).toBe('paid');
    expect(snap.session.paid_attempt_id).toBe(attempt);
    expect(snap.events.filter((e) => e === 'checkout.session.paid')).toHaveLength(1);
    expect(snap.due.map((d) => d.key)).not.toContain(`close:${attempt}`);
    await deliverNow(s.id);
  });

  it('applies the provider notify of a payment on that order', async () => {
    const { s, attempt } = await orphaned();
    expect((await control(rail, `/orders/${attempt}/pay`, { notify: 'normal' })).status).toBe(200);
    await control(rail, '/flush', {});
    const snap = await snapshot(s.id);
    expect(snap.session.status).toBe('paid');
    expect(snap.session.paid_attempt_id).toBe(attempt);
    expect(snap.events.filter((e) => e === 'checkout.session.paid')).toHaveLength(1);
    // Paid: its close finds it paid and changes nothing.
    await reachable(s.id);
    await drainSession(s.id);
    const after = await snapshot(s.id);
    expect(after.events.filter((e) => e === 'checkout.session.paid')).toHaveLength(1);
    expect(after.anomalies).toEqual([]);
    expect(after.refunds).toEqual([]);
    await deliverNow(s.id);
  });

  it('closes the order when the session object dies during the create call', async () => {
    const s = await createSession({ channels: [rail.channel] });
    await inDo(
      s.id,
      (o) =>
        void (o.providerFetch = async (req) => {
          const res = await pass(req);
          await res.text();
          // The machine dies with the provider's answer on its way: nothing in memory survives.
          (o as unknown as { ctx: DurableObjectState }).ctx.abort('injected death during the create');
          throw new Error('unreachable');
        }),
    );
    const res = await start(s, rail).catch((e: unknown) => e);
    expect(res instanceof Response ? res.status : 500).toBeGreaterThanOrEqual(500);
    // A new instance: the attempt was stored before the call, its close already due.
    const snap = await snapshot(s.id);
    const a = snap.attempts[0]!;
    expect(a).toMatchObject({ status: 'pending', next_action: null });
    expect(snap.due.map((d) => d.key)).toContain(`close:${a.id}`);
    expect(snap.due.find((d) => d.key === `close:${a.id}`)!.at).toBeLessThanOrEqual(Date.now());
    await drainSession(s.id);
    if (rail.channel === 'wechat_pay') expect(await providerState(rail, a.id)).toBe('CLOSED');
    else {
      // Alipay: no trade until the QR is scanned, so the close is tried again until the order's expiry has passed.
      expect((await snapshot(s.id)).attempts[0]!.status).toBe('pending');
      expect((await snapshot(s.id)).due.map((d) => d.key)).toContain(`close:${a.id}`);
      await setClock(s.id, s.expires_at * 1000 + ORDER_EXPIRY_MARGIN_MS + 1_000 - Date.now());
      await drainSession(s.id);
    }
    expect((await snapshot(s.id)).attempts[0]!.status).toBe('closed');
  });
});

describe('a provider that hangs on create', () => {
  it('answers the shopper a retryable 502 once the provider request times out', async () => {
    // The production deadline: one provider request, then the answer, inside the widget's 20 s.
    expect(OUTBOUND_TIMEOUT_MS).toBeLessThanOrEqual(10_000);
    const s = await createSession();
    let reached = 0;
    await inDo(s.id, (o) => {
      expect(o.providerTimeoutMs).toBe(OUTBOUND_TIMEOUT_MS);
      o.providerTimeoutMs = 300;
      o.providerFetch = async (req) => {
        await (await pass(req)).text();
        reached++;
        // The answer never comes; only the request's own timeout ends the wait, as with a real fetch.
        return new Promise<Response>((_, reject) => req.signal.addEventListener('abort', () => reject(req.signal.reason)));
      };
    });
    const t0 = Date.now();
    await expectRetryable(await start(s, RAILS[0]!));
    const took = Date.now() - t0;
    expect(reached).toBe(1);
    expect(took).toBeLessThan(3_000);
    await inDo(s.id, (o) => {
      o.providerFetch = null;
      o.providerTimeoutMs = OUTBOUND_TIMEOUT_MS;
    });
    const snap = await snapshot(s.id);
    expect(snap.attempts[0]).toMatchObject({ status: 'failed', next_action: null });
    await drainSession(s.id);
    expect(await providerState(RAILS[0]!, snap.attempts[0]!.id)).toBe('CLOSED');
    // The shopper's retry makes a new order and gets its QR.
    const again = await start(s, RAILS[0]!);
    expect(again.status).toBe(201);
  });
});

describe('a gateway answers instead of the provider', () => {
  const html = () => new Response('<html><body><h1>502 Bad Gateway</h1></body></html>', { status: 502, headers: { 'content-type': 'text/html' } });
  const cases: { name: string; rail: Rail; reaches: boolean; answer: () => Response }[] = [
    { name: 'a 502 HTML page, the provider never reached (WeChat Pay)', rail: RAILS[0]!, reaches: false, answer: html },
    { name: 'a 502 HTML page after the provider made the order (WeChat Pay)', rail: RAILS[0]!, reaches: true, answer: html },
    {
      name: 'a 200 HTML page after the provider made the order (WeChat Pay)',
      rail: RAILS[0]!,
      reaches: true,
      answer: () => new Response('<html>portal</html>', { status: 200, headers: { 'content-type': 'text/html' } }),
    },
    {
      name: 'an unsigned 200 JSON with a code_url (WeChat Pay)',
      rail: RAILS[0]!,
      reaches: true,
      answer: () => Response.json({ code_url: 'weixin://wxpay/bizpayurl?pr=forged' }),
    },
    { name: 'a 502 HTML page after the provider made the order (Alipay)', rail: RAILS[1]!, reaches: true, answer: html },
    {
      name: 'an unsigned 200 JSON with a qr_code (Alipay)',
      rail: RAILS[1]!,
      reaches: true,
      answer: () => Response.json({ alipay_trade_precreate_response: { code: '10000', msg: 'Success', qr_code: 'https://qr.alipay.com/forged' } }),
    },
  ];
  it.each(cases)('$name: a retryable error, nothing paid, no orphan', async ({ rail, reaches, answer }) => {
    const s = await createSession({ channels: [rail.channel] });
    await inDo(
      s.id,
      (o) =>
        void (o.providerFetch = async (req) => {
          if (!rail.isCreate(req)) return pass(req);
          if (reaches) await (await pass(req)).text();
          return answer();
        }),
    );
    await expectRetryable(await start(s, rail));
    await inDo(s.id, (o) => void (o.providerFetch = null));
    const snap = await snapshot(s.id);
    const a = snap.attempts[0]!;
    expect(a).toMatchObject({ status: 'failed', next_action: null, paid_amount: null });
    expect(snap.session.status).toBe('open');
    expect(snap.due.map((d) => d.key)).toContain(`close:${a.id}`);
    await drainSession(s.id);
    const state = await providerState(rail, a.id);
    if (!reaches) expect(state).toBeNull();
    else if (rail.channel === 'wechat_pay') expect(state).toBe('CLOSED');
    // An unscanned Alipay precreate: its close stays due until the session's expiry (above).
    else expect((await snapshot(s.id)).due.map((d) => d.key)).toContain(`close:${a.id}`);
    expect((await snapshot(s.id)).session.status).toBe('open');
  });
});

describe.each(RAILS)('a notify while a query waits on the provider ($name)', (rail) => {
  it('ends paid once; the stale answer of the query undoes and doubles nothing', async () => {
    const s = await createSession({ channels: [rail.channel] });
    const started = await start(s, rail);
    expect(started.status).toBe(201);
    const { attempt } = (await started.json()) as { attempt: { id: string } };
    // The query reaches the provider before the payment (it answers NOTPAY / not scanned), and that
    // answer is held until the notify has been applied.
    let release: (() => void) | undefined;
    let held = 0;
    await inDo(
      s.id,
      (o) =>
        void (o.providerFetch = async (req) => {
          if (!rail.isQuery(req) || held > 0) return pass(req);
          held++;
          const res = await pass(req);
          const body = await res.text();
          await new Promise<void>((r) => (release = r));
          return new Response(body, { status: res.status, headers: res.headers });
        }),
    );
    // The shopper is back from the wallet: the session asks the provider at once (recheck).
    const recheck = sessionStub(s.id).recheck();
    for (let i = 0; i < 200 && !release; i++) await new Promise((r) => setTimeout(r, 10));
    expect(release).toBeDefined();

    // Meanwhile the shopper pays and the provider's genuine notify reaches the session.
    expect((await control(rail, `/orders/${attempt.id}/pay`, { notify: 'normal' })).status).toBe(200);
    expect((await control(rail, '/flush', {})).status).toBe(200);
    expect((await snapshot(s.id)).session.status).toBe('paid');
    expect(held).toBe(1);

    // Now the query's stale answer arrives (released from inside the object, where it waits).
    await inDo(s.id, () => release!());
    await recheck;
    await inDo(s.id, (o) => void (o.providerFetch = null));
    const snap = await snapshot(s.id);
    expect(snap.session.status).toBe('paid');
    expect(snap.session.paid_attempt_id).toBe(attempt.id);
    expect(snap.attempts[0]).toMatchObject({ status: 'succeeded', paid_amount: 8888 });
    expect(snap.events.filter((e) => e === 'checkout.session.paid')).toHaveLength(1);
    expect(snap.anomalies).toEqual([]);
    expect(snap.refunds).toEqual([]);
    expect(snap.due.map((d) => d.key)).not.toContain(`query:${attempt.id}`);
    // A later query or a repeated notify changes nothing either.
    await control(rail, `/orders/${attempt.id}/notify`, {});
    await drainSession(s.id);
    const after = await snapshot(s.id);
    expect(after.events.filter((e) => e === 'checkout.session.paid')).toHaveLength(1);
    expect(after.session.version).toBe(snap.session.version);
    await deliverNow(s.id);
  });
});
