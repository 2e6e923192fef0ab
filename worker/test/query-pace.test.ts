// The query fallback follows the shopper (worker/src/session/schedules.ts, docs/reliability.md#query-fallback):
// with every notify dropped, a payment is applied within 30 s while a widget is connected, within the
// away schedule's bound when nobody is, and always by expiry; a shopper who comes back resumes the
// watched pace; a return or a widget's status request asks at once. Real Durable Objects and alarms;
// time is the session's injected clock, so nothing here waits through a schedule.

import { SELF, env, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config';
import { outboundFetch } from '../src/lib/outbound';
import type { CheckoutSession } from '../src/session/durable-object';
import { PRESENCE_WINDOW_MS, QUERY_AWAY_MS } from '../src/session/schedules';
import { BASE, SK, client, createSession, retrieve, sandboxControl, sessionStub, startAttempt, type SessionJson } from './helpers';
import { acceptWebhooks, deliverNow } from './merchant-endpoint';

// Sessions here get paid: their webhooks need somewhere to go, also from an alarm after a test ended.
acceptWebhooks();

type O = CheckoutSession;
const inDo = <R>(id: string, fn: (o: O) => R) => runInDurableObject(sessionStub(id), fn);
/** The session's clock, `offsetMs` past the wall clock. */
const setClock = (id: string, offsetMs: number) => inDo(id, (o) => void (o.clock = { now: () => Date.now() + offsetMs }));

/** Runs due work until nothing is due at the session's clock. */
async function drain(id: string): Promise<void> {
  for (let i = 0; i < 25; i++) {
    if ((await inDo(id, (o) => o.store.dueBy(o.clock.now()).length)) === 0) return;
    await runDurableObjectAlarm(sessionStub(id));
  }
  throw new Error(`session ${id}: still due after 25 alarms`);
}

/** The attempt's next query: when (ms since the epoch, session clock) and at which pace. */
const nextQuery = (id: string, attempt: string) =>
  inDo(id, (o) => {
    const row = o.store.allDue().find((d) => d.key === `query:${attempt}`);
    return row ? { at: row.at, away: (JSON.parse(row.payload) as { away?: boolean }).away === true } : null;
  });

/** Counts the session's provider calls from now on (the real outbound fetch, counted). */
async function countCalls(id: string): Promise<{ count: () => number }> {
  const list: string[] = [];
  await inDo(id, (o) => {
    const out = outboundFetch(loadConfig(env).public_base_url);
    o.providerFetch = (req) => {
      list.push(`${req.method} ${new URL(req.url).pathname}`);
      return out(req);
    };
  });
  return { count: () => list.length };
}

/** The shopper's widget: a status WebSocket on the session. */
async function watch(s: SessionJson): Promise<WebSocket> {
  const res = await SELF.fetch(`${BASE}/v1/client/sessions/${s.id}/stream?client_secret=${encodeURIComponent(s.client_secret)}`, {
    headers: { upgrade: 'websocket' },
  });
  expect(res.status).toBe(101);
  const ws = res.webSocket!;
  ws.accept();
  return ws;
}

/** Closes the widget's socket and waits until the session sees it closed. */
async function leave(s: SessionJson, ws: WebSocket): Promise<void> {
  ws.close(1000, 'tab closed');
  for (let i = 0; i < 100; i++) {
    const open = await inDo(s.id, (o) =>
      (o as unknown as { ctx: DurableObjectState }).ctx.getWebSockets().filter((w) => w.readyState === WebSocket.READY_STATE_OPEN),
    );
    if (open.length === 0) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('the session still holds the socket open');
}

const payDropped = async (attempt: string) => expect((await sandboxControl(`/orders/${attempt}/pay`, { notify: 'drop' })).status).toBe(200);

/** The session's events by type. */
const events = (id: string) => inDo(id, (o) => o.store.events().map((e) => e.type));

describe('a shopper watching (a widget connected)', () => {
  it('queries at least every 30 s and applies a payment whose notifies are all dropped within 30 s', async () => {
    const s = await createSession({ expires_in: 3600 });
    const ws = await watch(s);
    const { attempt } = await startAttempt(s);
    const calls = await countCalls(s.id);
    let offset = 0;
    let last = Date.now();
    // 15 watched queries (about 2.5 minutes: 5 s, then 10 s, then 15 s apart), each within 30 s of
    // the one before; the session clock stays inside WeChat Pay's ±5-minute signature window.
    for (let i = 0; i < 15; i++) {
      const next = (await nextQuery(s.id, attempt.id))!;
      expect(next.away).toBe(false);
      expect(next.at - last).toBeLessThanOrEqual(30_000);
      offset = next.at - Date.now() + 1;
      last = next.at;
      await setClock(s.id, offset);
      await drain(s.id);
    }
    expect(calls.count()).toBe(15);
    expect((await retrieve(s.id)).status).toBe('open');
    // The shopper pays; every notify is lost.
    await payDropped(attempt.id);
    const paidAt = Date.now() + offset;
    const next = (await nextQuery(s.id, attempt.id))!;
    expect(next.at - paidAt).toBeLessThanOrEqual(30_000);
    await setClock(s.id, next.at - Date.now() + 1);
    await drain(s.id);
    const after = await retrieve(s.id);
    expect(after.status).toBe('paid');
    expect(after.payment?.provider_transaction_id).toBeTruthy();
    expect(await events(s.id)).toEqual(['checkout.session.paid']);
    ws.close(1000, 'done');
    await deliverNow(s.id);
  });

  it('a long-polling widget counts as watching, and so does a status poll for PRESENCE_WINDOW_MS', async () => {
    const s = await createSession();
    const { attempt } = await startAttempt(s);
    // Nobody watched when the QR was handed out: the first query is the away one.
    const t0 = Date.now();
    expect((await nextQuery(s.id, attempt.id))!.away).toBe(true);
    expect((await nextQuery(s.id, attempt.id))!.at - t0).toBeGreaterThanOrEqual(QUERY_AWAY_MS[0] - 1_000);
    // The widget long-polls (held until the status changes): the query comes back to the watched
    // pace, 5 s away.
    const version = await inDo(s.id, (o) => o.store.session()!.version);
    const held = client(s, `/status?wait=25&version=${version}`);
    await new Promise((r) => setTimeout(r, 50));
    const n = (await nextQuery(s.id, attempt.id))!;
    expect(n.away).toBe(false);
    expect(n.at - Date.now()).toBeLessThanOrEqual(5_000);
    // Long after the request came in, while it is still held, the next query stays watched.
    await setClock(s.id, 5_000 + PRESENCE_WINDOW_MS);
    await drain(s.id);
    const later = (await nextQuery(s.id, attempt.id))!;
    expect(later.away).toBe(false);
    // The payment (notify lost) is found by that query and answers the held poll.
    await payDropped(attempt.id);
    await setClock(s.id, later.at - Date.now() + 1);
    await drain(s.id);
    const answer = await held;
    expect(answer.status).toBe(200);
    expect(((await answer.json()) as { status: string }).status).toBe('paid');
    await deliverNow(s.id);
  });
});

describe('nobody watching', () => {
  it('asks a minute after the QR, not before; a payment made meanwhile is applied then', async () => {
    const s = await createSession();
    const { attempt } = await startAttempt(s);
    const calls = await countCalls(s.id);
    await payDropped(attempt.id);
    await setClock(s.id, QUERY_AWAY_MS[0] - 1_000);
    await drain(s.id);
    expect(calls.count()).toBe(0);
    expect((await retrieve(s.id)).status).toBe('open');
    await setClock(s.id, QUERY_AWAY_MS[0] + 1);
    await drain(s.id);
    expect(calls.count()).toBe(1);
    expect((await retrieve(s.id)).status).toBe('paid');
    await deliverNow(s.id);
  });

  it('then 10 minutes later and every 30 minutes: 3 calls in an hour, and a payment applied within 30 minutes (Alipay)', async () => {
    // Alipay: its simulator checks no request timestamp, so the clock can move an hour.
    const s = await createSession({ expires_in: 3600 });
    const res = await client(s, '/attempts', { method: 'POST', body: JSON.stringify({ channel: 'alipay', flow: 'qr' }) });
    expect(res.status).toBe(201);
    const { attempt } = (await res.json()) as { attempt: { id: string } };
    const calls = await countCalls(s.id);
    const t0 = Date.now();
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      const next = (await nextQuery(s.id, attempt.id))!;
      expect(next.away).toBe(true);
      times.push(next.at - t0);
      await setClock(s.id, next.at - Date.now() + 1);
      await drain(s.id);
      // The shopper pays (the Alipay order exists once scanned) right after the 10-minute query.
      if (i === 1) {
        const paid = await SELF.fetch(`${BASE}/sandbox/alipay/_control/orders/${attempt.id}/pay`, {
          method: 'POST',
          headers: { authorization: `Bearer ${SK}`, 'content-type': 'application/json' },
          body: JSON.stringify({ notify: 'drop' }),
        });
        expect(paid.status).toBe(200);
        expect((await retrieve(s.id)).status).toBe('open');
      }
    }
    // 1 min, 11 min, 41 min after the QR: three provider calls, the payment applied by the third,
    // 30 minutes after the one before it.
    expect(times.map((t) => Math.round(t / 60_000))).toEqual([1, 11, 41]);
    expect(calls.count()).toBe(3);
    expect((await retrieve(s.id)).status).toBe('paid');
    expect(await events(s.id)).toEqual(['checkout.session.paid']);
    await deliverNow(s.id);
  });

  it('always by expiry: the close finds the payment no query saw and applies it', async () => {
    const s = await createSession({ expires_in: 120 });
    const { attempt } = await startAttempt(s);
    const calls = await countCalls(s.id);
    await setClock(s.id, QUERY_AWAY_MS[0] + 1);
    await drain(s.id);
    expect(calls.count()).toBe(1);
    // Paid after the one-minute query; the next (10 minutes) would come after expiry.
    await payDropped(attempt.id);
    await setClock(s.id, 119_000);
    await drain(s.id);
    expect(calls.count()).toBe(1);
    expect((await retrieve(s.id)).status).toBe('open');
    await setClock(s.id, 121_000);
    await drain(s.id);
    const after = await retrieve(s.id);
    expect(after.status).toBe('paid');
    expect(after.payment?.provider_transaction_id).toBeTruthy();
    expect(await events(s.id)).toEqual(['checkout.session.paid']);
    expect((await inDo(s.id, (o) => o.store.anomalies())).length).toBe(0);
    await deliverNow(s.id);
  });
});

describe('a shopper coming back', () => {
  it('reconnecting resumes the watched pace from its start', async () => {
    const s = await createSession();
    let ws = await watch(s);
    const { attempt } = await startAttempt(s);
    await setClock(s.id, 5_001);
    await drain(s.id);
    // The tab closes: the next query (due 5 s later, run once the socket's PRESENCE_WINDOW_MS has
    // passed) finds nobody and steps back to the away pace.
    await leave(s, ws);
    const gone = PRESENCE_WINDOW_MS + 10_000;
    await setClock(s.id, gone);
    await drain(s.id);
    const away = (await nextQuery(s.id, attempt.id))!;
    expect(away.away).toBe(true);
    expect(away.at - (Date.now() + gone)).toBeGreaterThan(QUERY_AWAY_MS[0] - 1_000);
    // The shopper opens the page again: the query is 5 s away, watched.
    await payDropped(attempt.id);
    ws = await watch(s);
    const back = (await nextQuery(s.id, attempt.id))!;
    expect(back.away).toBe(false);
    expect(back.at - (Date.now() + gone)).toBeLessThanOrEqual(5_000);
    await setClock(s.id, back.at - Date.now() + 1);
    await drain(s.id);
    expect((await retrieve(s.id)).status).toBe('paid');
    ws.close(1000, 'done');
    await deliverNow(s.id);
  });

  it('a status poll after being away brings the query back to 5 s', async () => {
    const s = await createSession();
    const { attempt } = await startAttempt(s);
    expect((await nextQuery(s.id, attempt.id))!.away).toBe(true);
    expect((await client(s, '/status')).status).toBe(200);
    const n = (await nextQuery(s.id, attempt.id))!;
    expect(n.away).toBe(false);
    expect(n.at - Date.now()).toBeLessThanOrEqual(5_000);
  });

  it('the return from a cashier (/return/:id) asks the provider at once, even with the query a minute away', async () => {
    const s = await createSession();
    const { attempt } = await startAttempt(s);
    expect((await nextQuery(s.id, attempt.id))!.away).toBe(true);
    const calls = await countCalls(s.id);
    const t0 = Date.now();
    await inDo(s.id, (o) => void (o.clock = { now: () => t0 }));
    await payDropped(attempt.id);
    const res = await SELF.fetch(`${BASE}/return/${s.id}`, { redirect: 'manual' });
    expect(await res.text()).toContain('支付成功');
    expect(calls.count()).toBe(1);
    expect((await retrieve(s.id)).status).toBe('paid');
    await deliverNow(s.id);
  });

  it('the widget asking for the status over its socket (tab shown again, wallet said ok) asks the provider at once', async () => {
    const s = await createSession();
    const ws = await watch(s);
    const { attempt } = await startAttempt(s);
    const calls = await countCalls(s.id);
    await payDropped(attempt.id);
    const paid = new Promise<void>((resolve) =>
      ws.addEventListener('message', (e) => {
        if ((JSON.parse(e.data as string) as { status: string }).status === 'paid') resolve();
      }),
    );
    // No clock moves and no alarm runs: only the message can ask.
    ws.send('status');
    await paid;
    expect(calls.count()).toBe(1);
    expect((await retrieve(s.id)).status).toBe('paid');
    ws.close(1000, 'done');
    await deliverNow(s.id);
  });
});
