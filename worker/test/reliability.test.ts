// Money never lost, never doubled: query fallback, late and duplicate payments refunded, refunds,
// webhook delivery through an outage, the event log, concurrency and crashes at every step.

import { Webhook } from 'standardwebhooks';
import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RECHECK_INTERVAL_MS, type CheckoutSession, type FaultPoint } from '../src/session/durable-object';
import { WEBHOOK_RETRY_MS } from '../src/session/schedules';
import { TEST } from './fixtures/config';
import { BASE, api, client, createSession, retrieve, sandboxControl, sessionStub, startAttempt, type SessionJson } from './helpers';
import { postNotify, signedNotify, transaction } from './wechat-notify';

interface Delivered {
  headers: Record<string, string>;
  body: string;
  at: number;
}
let delivered: Delivered[] = [];
/** What the merchant's endpoint answers (a status, or a whole response); tests change it to simulate an outage. */
let webhookAnswer: () => number | Response = () => 200;
const realFetch = globalThis.fetch;

beforeEach(() => {
  delivered = [];
  webhookAnswer = () => 200;
  vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
    const req = new Request(input as RequestInfo, init);
    if (req.url.startsWith(TEST.webhook_url)) {
      const headers: Record<string, string> = {};
      req.headers.forEach((v, k) => (headers[k] = v));
      delivered.push({ headers, body: await req.text(), at: Number(headers['webhook-timestamp']) });
      const answer = webhookAnswer();
      return typeof answer === 'number' ? new Response('', { status: answer }) : answer;
    }
    return realFetch(req);
  });
});
afterEach(() => vi.restoreAllMocks());

type O = CheckoutSession;
const inDo = <R>(id: string, fn: (o: O) => R) => runInDurableObject(sessionStub(id), fn);
const setClock = (id: string, offsetMs: number) => inDo(id, (o) => void (o.clock = { now: () => Date.now() + offsetMs }));
/** Stops the session's clock at `at` (ms since the epoch). */
const freezeClock = (id: string, at: number) => inDo(id, (o) => void (o.clock = { now: () => at }));
const arm = (id: string, point: FaultPoint) => inDo(id, (o) => void o.faults.add(point));
const snapshot = (id: string) =>
  inDo(id, (o) => ({
    session: o.store.session(),
    attempts: o.store.attempts(),
    events: o.store.events().map((e) => e.type),
    anomalies: o.store.anomalies().map((a) => a.reason),
    refunds: o.store.refunds(),
  }));

/** The checkout.session.paid webhooks of session `id` (a late one of an earlier test's session may arrive too). */
const paidWebhooksOf = (id: string) =>
  delivered.filter((d) => {
    const e = JSON.parse(d.body) as { type: string; data: { object: { id: string } } };
    return e.type === 'checkout.session.paid' && e.data.object.id === id;
  });

/** Runs due work until nothing is due at the session's current clock. */
async function drain(id: string): Promise<void> {
  for (let i = 0; i < 25; i++) {
    const due = await inDo(id, (o) => o.store.dueBy(o.clock.now()).length);
    if (due === 0) return;
    await runDurableObjectAlarm(sessionStub(id));
  }
}

/**
 * The shopper's widget on the checkout: its status WebSocket, so the query fallback runs at the watched
 * pace (docs/reliability.md#query-fallback). Close it at the end of the test.
 */
async function widget(s: SessionJson): Promise<WebSocket> {
  const { SELF } = await import('cloudflare:test');
  const res = await SELF.fetch(`${BASE}/v1/client/sessions/${s.id}/stream?client_secret=${s.client_secret}`, { headers: { upgrade: 'websocket' } });
  expect(res.status).toBe(101);
  res.webSocket!.accept();
  return res.webSocket!;
}

/** A status request from the shopper's page: the query fallback runs at the watched pace for 30 s. */
const poll = async (s: SessionJson) => expect((await client(s, '/status')).status).toBe(200);

async function paidSession() {
  const s = await createSession();
  const { attempt } = await startAttempt(s);
  await postNotify(await signedNotify(transaction(attempt.id)));
  await sandboxControl(`/orders/${attempt.id}/pay`, { notify: 'drop' });
  return { s, attempt };
}

describe('query fallback', () => {
  it('reaches paid by query when every notify is dropped, within 30 s of the payment', async () => {
    const s = await createSession();
    const ws = await widget(s);
    const { attempt } = await startAttempt(s);
    expect((await sandboxControl(`/orders/${attempt.id}/pay`, { notify: 'drop' })).status).toBe(200);
    // The first query is due 5 s after the QR was handed out to a shopper who watches.
    await setClock(s.id, 5_000);
    await drain(s.id);
    const after = await retrieve(s.id);
    expect(after.status).toBe('paid');
    expect(after.payment?.provider_transaction_id).toBeTruthy();
    const snap = await snapshot(s.id);
    expect(snap.events).toContain('checkout.session.paid');
    expect(snap.events.filter((e) => e === 'checkout.session.paid')).toHaveLength(1);
    ws.close(1000, 'done');
  });

  it('keeps asking on a widening backoff while nothing is paid, never more than 30 s apart', async () => {
    const s = await createSession({ expires_in: 3600 });
    const ws = await widget(s);
    const { attempt } = await startAttempt(s);
    const times: number[] = [];
    let offset = 0;
    // 23 queries reach the 30 s cap (from the 22nd on) while the session's clock stays within the
    // ±5 minutes WeChat Pay allows between signature timestamps and the sandbox's real clock (further
    // on, every answer would fail verification as stale and this would test errors, not NOTPAY).
    for (let i = 0; i < 23; i++) {
      const next = await inDo(s.id, (o) => o.store.allDue().find((d) => d.key === `query:${attempt.id}`)?.at ?? null);
      expect(next).not.toBeNull();
      offset = next! - Date.now() + 1;
      times.push(next!);
      await setClock(s.id, offset);
      await drain(s.id);
    }
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(30_500);
    expect(gaps[0]).toBeGreaterThanOrEqual(4_000);
    expect(gaps[gaps.length - 1]).toBeGreaterThan(gaps[0]!);
    expect(gaps[gaps.length - 1]).toBeGreaterThanOrEqual(30_000);
    expect(offset).toBeLessThan(300_000);
    expect((await retrieve(s.id)).status).toBe('open');
    ws.close(1000, 'done');
  });

  it('re-checks at once when the shopper returns from the cashier (a return is not proof)', async () => {
    const s = await createSession();
    const { attempt } = await startAttempt(s);
    const { SELF } = await import('cloudflare:test');
    // The session's clock stands still at t0 until the test moves it.
    const t0 = Date.now();
    await freezeClock(s.id, t0);
    const early = await SELF.fetch(`https://shouyin.test/return/${s.id}`, { redirect: 'manual' });
    expect(early.status).toBe(200);
    expect(await early.text()).toContain('正在确认支付结果');
    await sandboxControl(`/orders/${attempt.id}/pay`, { notify: 'drop' });
    // A return less than RECHECK_INTERVAL_MS after the last re-check does not ask the provider again…
    await freezeClock(s.id, t0 + RECHECK_INTERVAL_MS - 1);
    const soon = await SELF.fetch(`https://shouyin.test/return/${s.id}`, { redirect: 'manual' });
    expect(await soon.text()).toContain('正在确认支付结果');
    // …one RECHECK_INTERVAL_MS after it does, and finds the payment.
    await freezeClock(s.id, t0 + RECHECK_INTERVAL_MS);
    const back = await SELF.fetch(`https://shouyin.test/return/${s.id}`, { redirect: 'manual' });
    expect(await back.text()).toContain('支付成功');
    expect((await retrieve(s.id)).status).toBe('paid');
    // The paid webhook is due at the stopped clock's time: send it now rather than from a later alarm.
    await drain(s.id);
    expect(paidWebhooksOf(s.id)).toHaveLength(1);
  });

  it('sends the shopper on to the merchant return_url with the session id filled in', async () => {
    const s = await createSession({ return_url: 'https://shop.test/thanks?session={CHECKOUT_SESSION_ID}' });
    const { SELF } = await import('cloudflare:test');
    const res = await SELF.fetch(`https://shouyin.test/return/${s.id}`, { redirect: 'manual' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`https://shop.test/thanks?session=${s.id}`);
  });
});

describe('refunds API', () => {
  it('refunds partially, then the rest, and never more than was paid', async () => {
    const { s } = await paidSession();
    const r1 = await api('/v1/refunds', { method: 'POST', body: JSON.stringify({ session: s.id, amount: 1000, reason: '客户退货' }) });
    expect(r1.status).toBe(201);
    const refund = (await r1.json()) as { id: string; status: string; amount: number };
    expect(refund).toMatchObject({
      object: 'refund',
      session: s.id,
      amount: 1000,
      currency: 'CNY',
      automatic: false,
      channel: 'wechat_pay',
      provider: 'wechat-v3',
    });
    expect(refund.id).toMatch(/^re_[0-9A-Za-z]{24}R1$/);

    const tooMuch = await api('/v1/refunds', { method: 'POST', body: JSON.stringify({ session: s.id, amount: 7889 }) });
    expect(tooMuch.status).toBe(400);
    expect(((await tooMuch.json()) as { error: { param: string } }).error.param).toBe('amount');

    // The sandbox finishes the refund and notifies REFUND.SUCCESS.
    await sandboxControl('/flush', {});
    await drain(s.id);
    await setClock(s.id, 60_000);
    await drain(s.id);
    const got = (await (await api(`/v1/refunds/${refund.id}`)).json()) as { status: string };
    expect(got.status).toBe('succeeded');

    const rest = await api('/v1/refunds', { method: 'POST', body: JSON.stringify({ session: s.id }) });
    expect(rest.status).toBe(201);
    expect(((await rest.json()) as { amount: number }).amount).toBe(7888);
    const again = await api('/v1/refunds', { method: 'POST', body: JSON.stringify({ session: s.id }) });
    expect(again.status).toBe(409);
    expect(((await again.json()) as { error: { code: string } }).error.code).toBe('already_refunded');

    await sandboxControl('/flush', {});
    await setClock(s.id, 120_000);
    await drain(s.id);
    const session = await retrieve(s.id);
    expect(session.amount_refunded).toBe(8888);
    expect((session.refunds as { status: string }[]).map((r) => r.status)).toEqual(['succeeded', 'succeeded']);
    const snap = await snapshot(s.id);
    expect(snap.events.filter((e) => e === 'refund.succeeded')).toHaveLength(2);
  });

  it('refuses to refund an unpaid session, an unknown session and bad input', async () => {
    const s = await createSession();
    const unpaid = await api('/v1/refunds', { method: 'POST', body: JSON.stringify({ session: s.id }) });
    expect(unpaid.status).toBe(409);
    const unknown = await api('/v1/refunds', { method: 'POST', body: JSON.stringify({ session: 'cs_000000000000000000000000' }) });
    expect(unknown.status).toBe(400);
    for (const [body, param] of [
      [{ session: s.id, amount: 1.5 }, 'amount'],
      [{}, 'session'],
      [{ session: s.id, extra: 1 }, 'extra'],
    ] as const) {
      const r = await api('/v1/refunds', { method: 'POST', body: JSON.stringify(body) });
      expect(r.status).toBe(400);
      expect(((await r.json()) as { error: { param: string } }).error.param).toBe(param);
    }
    expect((await api('/v1/refunds/re_nope')).status).toBe(404);
  });

  it('replays a refund for the same Idempotency-Key instead of refunding twice', async () => {
    const { s } = await paidSession();
    const body = JSON.stringify({ session: s.id, amount: 100 });
    const a = await api('/v1/refunds', { method: 'POST', body, headers: { 'idempotency-key': `rf-${s.id}` } });
    const b = await api('/v1/refunds', { method: 'POST', body, headers: { 'idempotency-key': `rf-${s.id}` } });
    expect(((await a.json()) as { id: string }).id).toBe(((await b.json()) as { id: string }).id);
    expect((await snapshot(s.id)).refunds).toHaveLength(1);
  });
});

describe('late and duplicate payments', () => {
  it('refunds a payment that lands after the session was canceled, automatically and once', async () => {
    const s = await createSession();
    const { attempt } = await startAttempt(s);
    await sandboxControl(`/orders/${attempt.id}/pay`, { notify: 'drop' });
    // The provider cannot be reached while the merchant cancels: the order stays unclosed.
    await inDo(
      s.id,
      (o) =>
        void (o.providerFetch = async () => {
          throw new Error('connect ETIMEDOUT');
        }),
    );
    expect((await api(`/v1/checkout/sessions/${s.id}/cancel`, { method: 'POST' })).status).toBe(200);
    await inDo(s.id, (o) => void (o.providerFetch = null));
    // Then the notify of the payment arrives.
    expect((await sandboxControl(`/orders/${attempt.id}/notify`, {})).status).toBe(200);
    let snap = await snapshot(s.id);
    expect(snap.session?.status).toBe('canceled');
    expect(snap.anomalies).toEqual(['late_payment']);
    expect(snap.refunds).toMatchObject([{ kind: 'anomaly', amount: 8888, attempt_id: attempt.id }]);

    await drain(s.id);
    await sandboxControl('/flush', {});
    await setClock(s.id, 60_000);
    await drain(s.id);
    snap = await snapshot(s.id);
    expect(snap.session?.status).toBe('canceled');
    expect(snap.refunds[0]?.status).toBe('succeeded');
    const ledger = (await (await sandboxControl(`/orders/${attempt.id}`)).json()) as { refunds: unknown[] };
    expect(ledger.refunds).toHaveLength(1);
    const anomalyHook = delivered.find((d) => JSON.parse(d.body).type === 'payment.anomaly');
    expect(JSON.parse(anomalyHook!.body).data.object).toMatchObject({
      reason: 'late_payment',
      channel: 'wechat_pay',
      provider: 'wechat-v3',
      refund: { status: 'pending' },
    });
    // The session never shows paid, and amount_refunded counts only refunds of its own payment.
    const view = await retrieve(s.id);
    expect(view.status).toBe('canceled');
    expect(view.amount_refunded).toBe(0);
  });
});

describe('webhook delivery', () => {
  it('delivers everything after a merchant endpoint was down for an hour, with the same webhook-id', async () => {
    let now = 0;
    // Set before the payment: the alarm may deliver the first try right away.
    webhookAnswer = () => (now < 3_600_000 ? 500 : 200);
    const { s } = await paidSession();
    for (let i = 0; i < 20 && now < 4 * 3_600_000; i++) {
      await setClock(s.id, now);
      await drain(s.id);
      const next = await inDo(s.id, (o) => o.store.allDue().find((d) => d.kind === 'webhook')?.at ?? null);
      if (next === null) break;
      now = next - Date.now() + 1;
    }
    const paidHooks = paidWebhooksOf(s.id);
    expect(paidHooks.length).toBeGreaterThan(3);
    expect(new Set(paidHooks.map((d) => d.headers['webhook-id'])).size).toBe(1);
    const events = await inDo(s.id, (o) => o.store.events().map((e) => ({ delivery: e.delivery, tries: o.store.deliveries(e.id).length })));
    expect(events.every((e) => e.delivery === 'delivered')).toBe(true);
    // Every try is signed over its own timestamp: the reference Standard Webhooks library, on a
    // receiver whose clock reads that try's time (an hour past the real one), accepts the last try.
    const last = paidHooks[paidHooks.length - 1]!;
    expect(last.at).toBeGreaterThan(Math.floor(Date.now() / 1000) + 3_000);
    vi.useFakeTimers({ toFake: ['Date'], now: last.at * 1000 });
    try {
      expect(new Webhook(TEST.webhook_secret).verify(last.body, last.headers)).toEqual(JSON.parse(last.body));
    } finally {
      vi.useRealTimers();
    }
  });

  it('gives up after the full schedule (over 3 days) and says so', async () => {
    expect(WEBHOOK_RETRY_MS.reduce((a, b) => a + b, 0)).toBeGreaterThan(3 * 86_400_000);
    webhookAnswer = () => 503;
    const { s } = await paidSession();
    let now = 0;
    for (let i = 0; i < 40; i++) {
      await setClock(s.id, now);
      await drain(s.id);
      const next = await inDo(s.id, (o) => o.store.allDue().find((d) => d.kind === 'webhook')?.at ?? null);
      if (next === null) break;
      now = next - Date.now() + 1;
    }
    const e = await inDo(s.id, (o) => o.store.events().map((ev) => ({ delivery: ev.delivery, tries: o.store.deliveries(ev.id).length })));
    expect(e[0]).toEqual({ delivery: 'failed', tries: WEBHOOK_RETRY_MS.length + 1 });
  });
});

describe('webhook Retry-After', () => {
  const HOUR = 3_600_000;
  // [what the endpoint answers first, its Retry-After (from the try's time T), the wait before the next try]
  const cases: [string, number, (t: number) => string, (t: number) => number][] = [
    ['503, Retry-After in seconds', 503, () => '600', () => 600_000],
    ['429, Retry-After as an HTTP-date', 429, (t) => new Date(t + 1_200_000).toUTCString(), (t) => Date.parse(new Date(t + 1_200_000).toUTCString()) - t],
    ['503, a Retry-After of days: capped at an hour', 503, () => '8640000', () => HOUR],
    ['429, a Retry-After sooner than the schedule: the schedule', 429, () => '1', () => WEBHOOK_RETRY_MS[0]!],
    ['500, whose Retry-After is not one to honour: the schedule', 500, () => '600', () => WEBHOOK_RETRY_MS[0]!],
    ['503, an unreadable Retry-After: the schedule', 503, () => 'soon', () => WEBHOOK_RETRY_MS[0]!],
  ];

  it.each(cases)('%s', async (_name, status, header, wait) => {
    const s = await createSession();
    const { attempt } = await startAttempt(s);
    // The session's clock stands still at T: the first try is made at T exactly.
    const T = Date.now();
    await freezeClock(s.id, T);
    let first = true;
    webhookAnswer = () => {
      if (!first) return 200;
      first = false;
      return new Response('', { status, headers: { 'retry-after': header(T) } });
    };
    await postNotify(await signedNotify(transaction(attempt.id)));
    await sandboxControl(`/orders/${attempt.id}/pay`, { notify: 'drop' });
    await drain(s.id);
    expect(paidWebhooksOf(s.id)).toHaveLength(1);
    const eventId = await inDo(s.id, (o) => o.store.events().find((e) => e.type === 'checkout.session.paid')!.id);
    const tried = await inDo(s.id, (o) => ({ log: o.store.deliveries(eventId), due: o.store.dueItem(`webhook:${eventId}`)?.at }));
    expect(tried.log).toMatchObject([{ at: T, status, next_retry_at: T + wait(T) }]);
    expect(tried.due).toBe(T + wait(T));
    // Not one try before the time it named: at every step of the schedule up to it, and a millisecond before.
    let elapsed = 0;
    for (const step of [...WEBHOOK_RETRY_MS, Number.POSITIVE_INFINITY]) {
      elapsed += step;
      if (elapsed >= wait(T)) break;
      await freezeClock(s.id, T + elapsed);
      await drain(s.id);
    }
    await freezeClock(s.id, T + wait(T) - 1);
    await drain(s.id);
    expect(paidWebhooksOf(s.id)).toHaveLength(1);
    await freezeClock(s.id, T + wait(T));
    await drain(s.id);
    expect(paidWebhooksOf(s.id)).toHaveLength(2);
    expect(await inDo(s.id, (o) => o.store.event(eventId)?.delivery)).toBe('delivered');
  });
});

describe('webhook redirects', () => {
  it('a merchant endpoint answering 307 is a failed try: recorded with its status, retried, the target never fetched', async () => {
    const target = 'https://elsewhere.test/collect';
    const fetched: { url: string; body: string }[] = [];
    // The runtime's fetch follows a 3xx itself unless the request says redirect: 'manual'; the
    // merchant endpoint here does the same, so a follow shows up as a request to the target.
    vi.mocked(globalThis.fetch).mockImplementation(async (input, init) => {
      const req = new Request(input as RequestInfo, init);
      if (!req.url.startsWith(TEST.webhook_url) && req.url !== target) return realFetch(req);
      fetched.push({ url: req.url, body: await req.text() });
      if (req.url === target) return new Response('', { status: 200 });
      const moved = new Response('', { status: 307, headers: { location: target } });
      if (req.redirect === 'manual') return moved;
      const again = new Request(target, { method: req.method, headers: req.headers, body: fetched[fetched.length - 1]!.body });
      fetched.push({ url: target, body: await again.text() });
      return new Response('', { status: 200 });
    });
    const { s } = await paidSession();
    await drain(s.id);
    const [event] = await inDo(s.id, (o) =>
      o.store
        .events()
        .filter((e) => e.type === 'checkout.session.paid')
        .map((e) => ({ id: e.id, delivery: e.delivery, deliveries: o.store.deliveries(e.id) })),
    );
    expect(event?.deliveries[0]).toMatchObject({ try: 1, status: 307, error: null });
    expect(event?.delivery).toBe('pending');
    const retry = await inDo(s.id, (o) => o.store.allDue().find((d) => d.key === `webhook:${event!.id}`) ?? null);
    expect(retry?.at).toBeGreaterThan(event!.deliveries[0]!.at);
    expect(fetched.some((f) => f.url === target)).toBe(false);
    expect(fetched.filter((f) => f.url.startsWith(TEST.webhook_url)).length).toBeGreaterThan(0);
  });
});

describe('GET /v1/events', () => {
  it("lists the merchant's recent events, newest first, with a cursor", async () => {
    const { s } = await paidSession();
    await drain(s.id);
    const first = (await (await api('/v1/events?limit=1')).json()) as {
      data: { id: string; type: string; data: { object: { id: string } } }[];
      has_more: boolean;
      next_cursor: string | null;
    };
    expect(first.data).toHaveLength(1);
    const page = (await (await api('/v1/events?type=checkout.session.paid&limit=100')).json()) as {
      data: { type: string; data: { object: { id: string } } }[];
    };
    expect(page.data.some((e) => e.data.object.id === s.id)).toBe(true);
    expect(page.data.every((e) => e.type === 'checkout.session.paid')).toBe(true);
    if (first.has_more) {
      const next = (await (await api(`/v1/events?limit=1&starting_after=${first.next_cursor}`)).json()) as { data: { id: string }[] };
      expect(next.data[0]?.id).not.toBe(first.data[0]?.id);
    }
    expect((await api('/v1/events?limit=0')).status).toBe(400);
    expect((await api('/v1/events', { key: TEST.live_secret_key })).status).toBe(200);
    const live = (await (await api('/v1/events', { key: TEST.live_secret_key })).json()) as { data: unknown[] };
    expect(live.data).toEqual([]);
  });
});

describe('concurrency', () => {
  it('a thousand identical notifies at once make one transition, one event, one webhook', async () => {
    const s = await createSession();
    const { attempt } = await startAttempt(s);
    const n = await signedNotify(transaction(attempt.id));
    const answers = await Promise.all(Array.from({ length: 1000 }, () => postNotify(n).then((r) => r.status)));
    expect(answers.filter((x) => x === 204)).toHaveLength(1000);
    await drain(s.id);
    const snap = await snapshot(s.id);
    expect(snap.session?.status).toBe('paid');
    expect(snap.events).toEqual(['checkout.session.paid']);
    expect(delivered.filter((d) => JSON.parse(d.body).data.object.id === s.id)).toHaveLength(1);
  }, 60_000);

  it('a notify racing a return re-check racing expiry ends in one consistent outcome', async () => {
    const s = await createSession({ expires_in: 60 });
    const { attempt } = await startAttempt(s);
    await sandboxControl(`/orders/${attempt.id}/pay`, { notify: 'drop' });
    await setClock(s.id, 61_000);
    const { SELF } = await import('cloudflare:test');
    await Promise.all([
      postNotify(await signedNotify(transaction(attempt.id))),
      SELF.fetch(`https://shouyin.test/return/${s.id}`, { redirect: 'manual' }),
      runDurableObjectAlarm(sessionStub(s.id)),
    ]);
    await drain(s.id);
    const snap = await snapshot(s.id);
    expect(snap.session?.status).toBe('paid');
    expect(snap.events.filter((e) => e.startsWith('checkout.session.'))).toEqual(['checkout.session.paid']);
    expect(snap.anomalies).toEqual([]);
  });
});

describe('a crash at each step', () => {
  it('notify: before the store → failure ack, nothing stored; the retry pays', async () => {
    const s = await createSession();
    const { attempt } = await startAttempt(s);
    const n = await signedNotify(transaction(attempt.id));
    await arm(s.id, 'notify.beforeStore');
    const crashed = await postNotify(n);
    expect(crashed.status).toBe(500);
    expect((await snapshot(s.id)).session?.status).toBe('open');
    expect((await postNotify(n)).status).toBe(204);
    expect((await snapshot(s.id)).events).toEqual(['checkout.session.paid']);
  });

  it('notify: after the store, before the ack → failure ack; the retry is acked without a second transition', async () => {
    const s = await createSession();
    const { attempt } = await startAttempt(s);
    const n = await signedNotify(transaction(attempt.id));
    await arm(s.id, 'notify.afterStore');
    expect((await postNotify(n)).status).toBe(500);
    expect((await snapshot(s.id)).session?.status).toBe('paid');
    expect((await postNotify(n)).status).toBe(204);
    expect((await snapshot(s.id)).events).toEqual(['checkout.session.paid']);
  });

  it('query: a crash between the answer and the store loses nothing; the next query pays', async () => {
    const s = await createSession();
    const { attempt } = await startAttempt(s);
    await sandboxControl(`/orders/${attempt.id}/pay`, { notify: 'drop' });
    await poll(s);
    await arm(s.id, 'query.beforeStore');
    await setClock(s.id, 5_000);
    await runDurableObjectAlarm(sessionStub(s.id));
    expect((await snapshot(s.id)).session?.status).toBe('open');
    await setClock(s.id, 5_000 + 70_000);
    await drain(s.id);
    expect((await snapshot(s.id)).session?.status).toBe('paid');
  });

  it('expiry: a crash after the provider closed the order still ends expired, once', async () => {
    const s = await createSession({ expires_in: 60 });
    await startAttempt(s);
    await arm(s.id, 'close.afterProvider');
    await setClock(s.id, 61_000);
    await drain(s.id);
    // The close is retried 30 s later (kept within the providers' 5-minute signature window).
    await setClock(s.id, 61_000 + 31_000);
    await drain(s.id);
    const snap = await snapshot(s.id);
    expect(snap.session?.status).toBe('expired');
    expect(snap.attempts[0]?.status).toBe('closed');
    expect(snap.events.filter((e) => e === 'checkout.session.expired')).toHaveLength(1);
  });

  it('refund: a crash after the provider accepted retries with the same refund number: one provider refund', async () => {
    const { s, attempt } = await paidSession();
    await arm(s.id, 'refund.afterProvider');
    const res = await api('/v1/refunds', { method: 'POST', body: JSON.stringify({ session: s.id, amount: 500 }) });
    // The crash surfaced as an error; the refund itself is stored and will be retried.
    expect([201, 500]).toContain(res.status);
    await sandboxControl('/flush', {});
    for (const offset of [20_000, 60_000, 120_000]) {
      await setClock(s.id, offset);
      await drain(s.id);
    }
    const snap = await snapshot(s.id);
    expect(snap.refunds).toHaveLength(1);
    expect(snap.refunds[0]?.status).toBe('succeeded');
    const ledger = (await (await sandboxControl(`/orders/${attempt.id}`)).json()) as { refunds: unknown[] };
    expect(ledger.refunds).toHaveLength(1);
  });

  it('webhook: a crash after the merchant answered 2xx, before it was stored, sends the event once more with the same webhook-id', async () => {
    const s = await createSession();
    const { attempt } = await startAttempt(s);
    // Armed before the payment: whichever alarm sends the event (the runtime's or drain's) crashes.
    await arm(s.id, 'webhook.afterSend');
    await postNotify(await signedNotify(transaction(attempt.id)));
    await sandboxControl(`/orders/${attempt.id}/pay`, { notify: 'drop' });
    await drain(s.id);
    const paid = await inDo(s.id, (o) => o.store.events().filter((e) => e.type === 'checkout.session.paid'));
    expect(paid).toHaveLength(1);
    const eventId = paid[0]!.id;
    // The merchant got it and answered 200; the crash came before that was stored: still pending, no try recorded.
    expect(paidWebhooksOf(s.id)).toHaveLength(1);
    const crashed = await inDo(s.id, (o) => ({
      delivery: o.store.event(eventId)?.delivery,
      tries: o.store.deliveries(eventId),
      due: o.store.dueItem(`webhook:${eventId}`),
    }));
    expect(crashed.delivery).toBe('pending');
    expect(crashed.tries).toEqual([]);
    expect(crashed.due).not.toBeNull();

    await setClock(s.id, 120_000);
    await drain(s.id);
    const hooks = paidWebhooksOf(s.id);
    expect(hooks).toHaveLength(2);
    // The same event, the same webhook-id: the merchant de-duplicates it.
    expect(hooks.map((h) => h.headers['webhook-id'])).toEqual([eventId, eventId]);
    expect(hooks[1]!.body).toBe(hooks[0]!.body);
    const after = await inDo(s.id, (o) => ({
      delivery: o.store.event(eventId)?.delivery,
      tries: o.store.deliveries(eventId).map((d) => ({ try: d.try, status: d.status })),
      paidEvents: o.store.events().filter((e) => e.type === 'checkout.session.paid').length,
      due: o.store.dueItem(`webhook:${eventId}`),
    }));
    expect(after).toEqual({ delivery: 'delivered', tries: [{ try: 1, status: 200 }], paidEvents: 1, due: null });

    // Delivered is final: nothing is sent again, however long the session lives on.
    await setClock(s.id, 2 * 86_400_000);
    await drain(s.id);
    expect(paidWebhooksOf(s.id)).toHaveLength(2);
  });

  it('webhook: a crash after the 2xx was stored sends nothing again', async () => {
    const s = await createSession();
    const { attempt } = await startAttempt(s);
    await arm(s.id, 'webhook.afterStore');
    await postNotify(await signedNotify(transaction(attempt.id)));
    await sandboxControl(`/orders/${attempt.id}/pay`, { notify: 'drop' });
    await drain(s.id);
    await setClock(s.id, 120_000);
    await drain(s.id);
    expect(paidWebhooksOf(s.id)).toHaveLength(1);
    const ev = await inDo(s.id, (o) => o.store.events().map((e) => ({ type: e.type, delivery: e.delivery, tries: o.store.deliveries(e.id).length })));
    expect(ev.filter((e) => e.type === 'checkout.session.paid')).toEqual([{ type: 'checkout.session.paid', delivery: 'delivered', tries: 1 }]);
    // The fault point fired (it is not still armed, waiting).
    expect(await inDo(s.id, (o) => o.faults.has('webhook.afterStore'))).toBe(false);
  });
});

describe('providers and merchants that time out or fail', () => {
  const down = (status: number | 'timeout') => async (): Promise<Response> => {
    if (status === 'timeout') throw new DOMException('The operation timed out.', 'TimeoutError');
    return new Response('{"code":"SYSTEM_ERROR","message":"系统错误"}', { status, headers: { 'content-type': 'application/json' } });
  };

  it.each([503, 'timeout'] as const)('a query that fails (%s) is asked again, and the payment is still found', async (failure) => {
    const s = await createSession();
    const { attempt } = await startAttempt(s);
    await sandboxControl(`/orders/${attempt.id}/pay`, { notify: 'drop' });
    await poll(s);
    await inDo(s.id, (o) => void (o.providerFetch = down(failure)));
    await setClock(s.id, 5_000);
    await drain(s.id);
    expect((await snapshot(s.id)).session?.status).toBe('open');
    await inDo(s.id, (o) => void (o.providerFetch = null));
    await setClock(s.id, 11_000);
    await drain(s.id);
    expect((await snapshot(s.id)).session?.status).toBe('paid');
  });

  it.each([500, 'timeout'] as const)('a refund whose request fails (%s) stays pending and is retried with the same number', async (failure) => {
    const { s, attempt } = await paidSession();
    await inDo(s.id, (o) => void (o.providerFetch = down(failure)));
    const res = await api('/v1/refunds', { method: 'POST', body: JSON.stringify({ session: s.id, amount: 300 }) });
    expect(res.status).toBe(201);
    expect(((await res.json()) as { status: string }).status).toBe('pending');
    await inDo(s.id, (o) => void (o.providerFetch = null));
    for (const offset of [11_000, 45_000, 120_000]) {
      await sandboxControl('/flush', {});
      await setClock(s.id, offset);
      await drain(s.id);
    }
    const snap = await snapshot(s.id);
    expect(snap.refunds.map((r) => r.status)).toEqual(['succeeded']);
    const ledger = (await (await sandboxControl(`/orders/${attempt.id}`)).json()) as { refunds: unknown[] };
    expect(ledger.refunds).toHaveLength(1);
  });

  it('a merchant endpoint that times out gets the webhook again later', async () => {
    let calls = 0;
    webhookAnswer = () => {
      calls++;
      if (calls === 1) throw new DOMException('The operation timed out.', 'TimeoutError');
      return 200;
    };
    const { s } = await paidSession();
    await drain(s.id);
    await setClock(s.id, 6_000);
    await drain(s.id);
    const ev = await inDo(s.id, (o) => o.store.events().map((e) => ({ delivery: e.delivery, log: o.store.deliveries(e.id) })));
    expect(ev[0]?.delivery).toBe('delivered');
    expect(ev[0]?.log[0]?.error).toMatch(/timed out/);
    expect(ev[0]?.log[1]?.status).toBe(200);
  });
});
