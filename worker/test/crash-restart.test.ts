// Crashes that restart the checkout session's Durable Object for real. At each fault point the object is
// reset (ctx.abort, `faultMode = 'restart'`): everything it held in memory (in-flight work, presence, the
// injected clock, the armed faults) is gone and only its storage remains, as when the machine running it
// dies. Then the alarm runs on the session's clock until nothing but the retention purge is due, and the
// invariants of docs/reliability.md must hold: no payment lost, none counted twice, a refund made at the
// provider exactly once, a notify whose store did not happen answered with a failure (so the provider
// retries), every due item run, and an alarm armed for the work left after the restart.

import { env, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CheckoutSession, FaultPoint } from '../src/session/durable-object';
import { listIndexFor } from '../src/shards';
import { TEST } from './fixtures/config';
import { api, client, createSession, retrieve, sandboxControl, sessionStub, startAttempt, type SessionJson } from './helpers';
import { postNotify, signedNotify, transaction } from './wechat-notify';

/** Merchant webhooks sent, by event type and session. */
let hooks: { id: string; type: string; session: string }[] = [];
const realFetch = globalThis.fetch;
beforeEach(() => {
  hooks = [];
  vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
    const req = new Request(input as RequestInfo, init);
    if (req.url.startsWith(TEST.webhook_url)) {
      const e = JSON.parse(await req.text()) as { type: string; data: { object: { id?: string; session?: string } } };
      hooks.push({ id: req.headers.get('webhook-id') ?? '', type: e.type, session: e.data.object.session ?? e.data.object.id ?? '' });
      return new Response('ok');
    }
    return realFetch(req);
  });
});
afterEach(() => vi.restoreAllMocks());

type O = CheckoutSession;
const inDo = <R>(id: string, fn: (o: O, state: DurableObjectState) => R) => runInDurableObject(sessionStub(id), fn);
/** The session's clock runs `offsetMs` ahead of the wall clock (a new instance starts at the wall clock). */
const setClock = (id: string, offsetMs: number) => inDo(id, (o) => void (o.clock = { now: () => Date.now() + offsetMs }));

/**
 * Work made due from now on is due 10 minutes ahead of the wall clock: the runtime's own alarm leaves it
 * to the test, and never runs (and dies) beside it. Only for work that asks no provider (their
 * signatures allow 5 minutes).
 */
const AHEAD_MS = 600_000;
const ahead = (id: string) => setClock(id, AHEAD_MS);

/** Arms `point` to restart the object when reached; returns the instance that is to die. */
const crashAt = (id: string, point: FaultPoint) =>
  inDo(id, (o) => {
    o.faultMode = 'restart';
    o.faults.add(point);
    return o;
  });

/**
 * The object was restarted (a new instance, which knows nothing of the old one's armed faults), and
 * whatever is due has an alarm to run it, within a minute of when it is due (the backstop of work an
 * entry point was running itself).
 */
async function expectRestarted(id: string, dead: O): Promise<void> {
  const r = await inDo(id, async (o, state) => ({
    fresh: o !== dead,
    faults: o.faults.size,
    mode: o.faultMode,
    alarm: await state.storage.getAlarm(),
    next: o.store.nextDueAt(),
  }));
  expect(r).toMatchObject({ fresh: true, faults: 0, mode: 'throw' });
  expect(r.next).not.toBeNull();
  expect(r.alarm).not.toBeNull();
  expect(r.alarm!).toBeLessThanOrEqual(Math.max(r.next!, Date.now()) + 61_000);
}

/** Runs the alarm until nothing is due at the session's clock (or the alarm is not armed: then nothing runs). */
async function drain(id: string): Promise<void> {
  for (let i = 0; i < 25; i++) {
    const due = await inDo(id, (o) => o.store.dueBy(o.clock.now()).length);
    if (due === 0) return;
    if (!(await runDurableObjectAlarm(sessionStub(id)))) return;
  }
}

const dueKinds = (id: string) => inDo(id, (o) => o.store.allDue().map((d) => ({ kind: d.kind, at: d.at })));

/**
 * Moves the session's clock from `fromMs` to each due item in turn and runs the alarm there, letting the
 * simulator finish what it holds (refunds) on the way, until only items of the `rest` kinds are due.
 * Stays within 280 s of `fromMs` (the providers' 5-minute signature window). Fails if the due work stops running.
 */
async function settle(id: string, fromMs = 0, rest: readonly string[] = ['purge']): Promise<void> {
  let offset = fromMs;
  for (let i = 0; i < 40; i++) {
    await sandboxControl('/flush', {});
    await setClock(id, offset);
    await drain(id);
    const left = (await dueKinds(id)).filter((d) => !rest.includes(d.kind));
    if (left.length === 0) return;
    offset = Math.max(offset, Math.min(...left.map((d) => d.at)) - Date.now() + 1);
    if (offset > fromMs + 280_000) break;
  }
  throw new Error(`still due: ${JSON.stringify(await dueKinds(id))}`);
}

const snapshot = (id: string) =>
  inDo(id, (o) => ({
    status: o.store.session()!.status,
    attempts: o.store.attempts(),
    events: o.store.events().map((e) => e.type),
    refunds: o.store.refunds(),
    due: o.store.allDue().map((d) => d.kind),
  }));

/** The money invariants once everything ran: one paid event and one paid webhook id, nothing due but the purge. */
async function expectPaidOnce(id: string): Promise<void> {
  const snap = await snapshot(id);
  expect(snap.status).toBe('paid');
  expect(snap.events.filter((e) => e === 'checkout.session.paid')).toHaveLength(1);
  expect(snap.due).toEqual(['purge']);
  const paid = hooks.filter((h) => h.type === 'checkout.session.paid' && h.session === id);
  expect(paid.length).toBeGreaterThanOrEqual(1);
  expect(new Set(paid.map((h) => h.id)).size).toBe(1);
}

const ledger = async (attemptId: string) => (await (await sandboxControl(`/orders/${attemptId}`)).json()) as { refunds: unknown[]; order?: { state?: string } };

/** A session paid at the simulator (its own notify dropped) and applied by a notify, its follow-up work done. */
async function paidSession(): Promise<{ s: SessionJson; attempt: { id: string } }> {
  const s = await createSession();
  const { attempt } = await startAttempt(s);
  await sandboxControl(`/orders/${attempt.id}/pay`, { notify: 'drop' });
  expect((await postNotify(await signedNotify(transaction(attempt.id)))).status).toBe(204);
  await settle(s.id);
  return { s, attempt };
}

describe('notifies, with a real restart', () => {
  it('notify.beforeStore: a failure answer, nothing stored; the provider retry pays, once', async () => {
    const s = await createSession();
    const { attempt } = await startAttempt(s);
    const n = await signedNotify(transaction(attempt.id));
    const dead = await crashAt(s.id, 'notify.beforeStore');
    expect((await postNotify(n)).status).toBe(500);
    await expectRestarted(s.id, dead);
    expect((await snapshot(s.id)).status).toBe('open');
    await ahead(s.id);
    expect((await postNotify(n)).status).toBe(204);
    await settle(s.id, AHEAD_MS);
    await expectPaidOnce(s.id);
  });

  it('notify.afterStore: stored but a failure answer; the provider retry is acknowledged without a second transition', async () => {
    const s = await createSession();
    const { attempt } = await startAttempt(s);
    const n = await signedNotify(transaction(attempt.id));
    await ahead(s.id);
    const dead = await crashAt(s.id, 'notify.afterStore');
    expect((await postNotify(n)).status).toBe(500);
    await expectRestarted(s.id, dead);
    expect((await snapshot(s.id)).status).toBe('paid');
    expect((await postNotify(n)).status).toBe(204);
    await settle(s.id, AHEAD_MS);
    await expectPaidOnce(s.id);
  });
});

describe('queries, with a real restart', () => {
  it.each(['query.beforeStore', 'query.afterStore'] as const)('%s: every notify dropped, the payment is still applied, once', async (point) => {
    const s = await createSession();
    const { attempt } = await startAttempt(s);
    await sandboxControl(`/orders/${attempt.id}/pay`, { notify: 'drop' });
    expect((await client(s, '/status')).status).toBe(200);
    const dead = await crashAt(s.id, point);
    await setClock(s.id, 5_000);
    await expect(runDurableObjectAlarm(sessionStub(s.id))).rejects.toThrow(`injected fault at ${point}`);
    await expectRestarted(s.id, dead);
    // Stored or not: the answer was lost with the object only if it had not been stored.
    expect((await snapshot(s.id)).status).toBe(point === 'query.afterStore' ? 'paid' : 'open');
    await settle(s.id, 5_000);
    await expectPaidOnce(s.id);
  });
});

describe('the close at expiry, with a real restart', () => {
  it.each([
    ['close.beforeProvider', true],
    ['close.afterProvider', true],
    ['close.beforeProvider', false],
    ['close.afterProvider', false],
  ] as const)('%s (paid at the provider: %s): ends paid once if paid, else expired once with the order closed', async (point, paid) => {
    const s = await createSession({ expires_in: 60 });
    const { attempt } = await startAttempt(s);
    if (paid) await sandboxControl(`/orders/${attempt.id}/pay`, { notify: 'drop' });
    const dead = await crashAt(s.id, point);
    await setClock(s.id, 61_000);
    await expect(runDurableObjectAlarm(sessionStub(s.id))).rejects.toThrow(`injected fault at ${point}`);
    await expectRestarted(s.id, dead);
    expect((await snapshot(s.id)).status).toBe('open');
    await settle(s.id, 61_000);
    if (paid) return expectPaidOnce(s.id);
    const snap = await snapshot(s.id);
    expect(snap.status).toBe('expired');
    expect(snap.attempts.map((a) => a.status)).toEqual(['closed']);
    expect(snap.events.filter((e) => e === 'checkout.session.expired')).toHaveLength(1);
    expect(snap.events).not.toContain('checkout.session.paid');
    expect(snap.due).toEqual(['purge']);
  });
});

describe('refunds, with a real restart', () => {
  it.each([
    ['refund.beforeRequest', 0],
    ['refund.afterProvider', 1],
    ['refund.afterStore', 1],
  ] as const)('%s: the refund is made at the provider exactly once and settles', async (point, atProvider) => {
    const { s, attempt } = await paidSession();
    const dead = await crashAt(s.id, point);
    const res = await api('/v1/refunds', { method: 'POST', body: JSON.stringify({ session: s.id, amount: 500 }) });
    expect(res.status).toBe(500);
    await expectRestarted(s.id, dead);
    // The refund was stored before the provider was asked; whether the provider heard of it is its ledger's.
    const stored = (await snapshot(s.id)).refunds;
    expect(stored).toMatchObject([{ status: 'pending', amount: 500, submitted: point === 'refund.afterStore' ? 1 : 0 }]);
    expect((await ledger(attempt.id)).refunds).toHaveLength(atProvider);
    await settle(s.id);
    const snap = await snapshot(s.id);
    expect(snap.refunds.map((r) => [r.id, r.status])).toEqual([[stored[0]!.id, 'succeeded']]);
    expect(snap.events.filter((e) => e === 'refund.succeeded')).toHaveLength(1);
    expect((await ledger(attempt.id)).refunds).toHaveLength(1);
    expect((await retrieve(s.id)).amount_refunded).toBe(500);
    await expectPaidOnce(s.id);
  });
});

describe('the list index write, with a real restart', () => {
  it.each(['index.beforeWrite', 'index.afterWrite'] as const)('%s: the list ends at the session version', async (point) => {
    const s = await createSession();
    await ahead(s.id);
    const dead = await crashAt(s.id, point);
    // The first write is made beside the cancel (before it answers, or just after): the crash takes
    // the cancel's answer with it, or comes once the index answered.
    await api(`/v1/checkout/sessions/${s.id}/cancel`, { method: 'POST' });
    await vi.waitFor(async () => expect(await inDo(s.id, (o) => o)).not.toBe(dead));
    await expectRestarted(s.id, dead);
    await settle(s.id, AHEAD_MS);
    const snap = await snapshot(s.id);
    expect(snap.status).toBe('canceled');
    expect(snap.due).toEqual(['purge']);
    const version = await inDo(s.id, (o) => o.store.session()!.version);
    expect(await listIndexFor(env, TEST.merchant_id).listedVersion(TEST.merchant_id, s.id)).toBe(version);
  });
});

describe('payment codes, with a real restart', () => {
  const code = (story: 1 | 3) => `13${story}${Array.from(crypto.getRandomValues(new Uint8Array(15)), (b) => String(b % 10)).join('')}`;
  const charge = (s: SessionJson, authCode: string) =>
    api(`/v1/checkout/sessions/${s.id}/barcode`, { method: 'POST', body: JSON.stringify({ auth_code: authCode }) });

  it('barcode.afterPay: the wallet charged, the answer died with the object; the query pays, once', async () => {
    const s = await createSession();
    const dead = await crashAt(s.id, 'barcode.afterPay');
    expect((await charge(s, code(1))).status).toBe(500);
    await expectRestarted(s.id, dead);
    expect((await snapshot(s.id)).status).toBe('open');
    await settle(s.id);
    await expectPaidOnce(s.id);
  });

  it('reverse.afterProvider: the reversal made, not stored; reversed again, then done', async () => {
    const s = await createSession();
    const res = await charge(s, code(3));
    expect(res.status).toBe(202);
    const dead = await crashAt(s.id, 'reverse.afterProvider');
    // A password never entered: the query at 30 s gives up and reverses.
    let offset = 0;
    for (; offset <= 40_000; offset += 5_000) {
      await setClock(s.id, offset);
      const crashed = await runDurableObjectAlarm(sessionStub(s.id)).then(
        () => false,
        (e: Error) => e.message.includes('injected fault at reverse.afterProvider'),
      );
      if (crashed) break;
    }
    expect(offset).toBeLessThanOrEqual(40_000);
    await expectRestarted(s.id, dead);
    await settle(s.id, offset, ['purge', 'expire']);
    const view = (await (await api(`/v1/checkout/sessions/${s.id}/barcode`)).json()) as { status: string };
    expect(view.status).toBe('reversed');
    const snap = await snapshot(s.id);
    expect(snap.status).toBe('open');
    expect(snap.events).not.toContain('checkout.session.paid');
  });
});

describe('the alarm itself', () => {
  /**
   * A paid session whose webhook and index work is due 10 minutes ahead of the wall clock, so the
   * runtime's own alarm leaves it to the test (no provider is asked after the payment).
   */
  async function paidAhead(): Promise<SessionJson> {
    const s = await createSession();
    const { attempt } = await startAttempt(s);
    await sandboxControl(`/orders/${attempt.id}/pay`, { notify: 'drop' });
    await ahead(s.id);
    expect((await postNotify(await signedNotify(transaction(attempt.id)))).status).toBe(204);
    return s;
  }

  it('alarm.start: a restart at the start of an alarm runs its work after the restart', async () => {
    const s = await paidAhead();
    const dead = await crashAt(s.id, 'alarm.start');
    await expect(runDurableObjectAlarm(sessionStub(s.id))).rejects.toThrow('injected fault at alarm.start');
    await expectRestarted(s.id, dead);
    expect(hooks.filter((h) => h.session === s.id)).toEqual([]);
    await settle(s.id, AHEAD_MS);
    await expectPaidOnce(s.id);
  });

  it('an alarm that fails 7 times in a row still drains', async () => {
    const s = await paidAhead();
    for (let i = 0; i < 7; i++) {
      await inDo(s.id, (o) => void o.faults.add('alarm.start'));
      await expect(runDurableObjectAlarm(sessionStub(s.id))).rejects.toThrow('injected fault at alarm.start');
      // The failed alarm set the next one for the work still due.
      const after = await inDo(s.id, async (o, state) => ({ alarm: await state.storage.getAlarm(), next: o.store.nextDueAt() }));
      expect(after.alarm).not.toBeNull();
      expect(after.alarm!).toBeLessThanOrEqual(Math.max(after.next!, Date.now()));
    }
    expect(hooks.filter((h) => h.session === s.id)).toEqual([]);
    await settle(s.id, AHEAD_MS);
    await expectPaidOnce(s.id);
  });
});
