// The contract suite's view of a checkout session: the merchant and client APIs as any test merchant,
// and — in this one module — what only the session's Durable Object can show or do (its tables, its
// clock, its due work, the fault points it offers tests), so a change inside session/ is fixed here.

import { SELF, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import type { Channel, Flow, NextAction } from '../../src/contract';
import type { CheckoutSession } from '../../src/session/durable-object';
import { BASE, api, orderId, sessionStub, type SessionJson } from '../helpers';

export interface Merchant {
  /** The merchant id in SHOUYIN_CONFIG (the last segment of its notify URLs). */
  id: string;
  /** A test secret key of the merchant (sk_test_…). */
  key: string;
}

export async function createSession(m: Merchant, over: Record<string, unknown> = {}): Promise<SessionJson> {
  const res = await api('/v1/checkout/sessions', {
    method: 'POST',
    key: m.key,
    body: JSON.stringify({ amount: 8888, currency: 'CNY', description: '测试商品 Test item', merchant_order_id: orderId(), ...over }),
  });
  if (res.status !== 201) throw new Error(`create session as ${m.id}: ${res.status} ${await res.text()}`);
  return (await res.json()) as SessionJson;
}

export interface AttemptJson {
  attempt: { id: string; channel: string; flow: string; status: string };
  next_action: NextAction;
}

/** What the widget does: `POST /v1/client/sessions/:id/attempts` with the client secret. */
export function clientAttempt(s: SessionJson, channel: Channel, flow: Flow): Promise<Response> {
  return SELF.fetch(`${BASE}/v1/client/sessions/${s.id}/attempts`, {
    method: 'POST',
    headers: { authorization: `Bearer ${s.client_secret}`, 'content-type': 'application/json' },
    body: JSON.stringify({ channel, flow }),
  });
}

export async function startAttempt(s: SessionJson, channel: Channel, flow: Flow): Promise<AttemptJson> {
  const res = await clientAttempt(s, channel, flow);
  if (res.status !== 201) throw new Error(`start ${channel} ${flow}: ${res.status} ${await res.text()}`);
  return (await res.json()) as AttemptJson;
}

export async function retrieve(m: Merchant, id: string): Promise<SessionJson> {
  const res = await api(`/v1/checkout/sessions/${id}`, { key: m.key });
  if (res.status !== 200) throw new Error(`retrieve ${id}: ${res.status} ${await res.text()}`);
  return (await res.json()) as SessionJson;
}

export interface RefundJson {
  id: string;
  status: string;
  amount: number;
  provider_refund_id: string | null;
}

export async function createRefund(m: Merchant, sessionId: string, amount: number): Promise<RefundJson> {
  const res = await api('/v1/refunds', { method: 'POST', key: m.key, body: JSON.stringify({ session: sessionId, amount, reason: '退货 returned' }) });
  if (res.status !== 201) throw new Error(`refund ${sessionId}: ${res.status} ${await res.text()}`);
  return (await res.json()) as RefundJson;
}

export async function getRefund(m: Merchant, id: string): Promise<RefundJson> {
  const res = await api(`/v1/refunds/${id}`, { key: m.key });
  if (res.status !== 200) throw new Error(`get refund ${id}: ${res.status} ${await res.text()}`);
  return (await res.json()) as RefundJson;
}

/** Our refund number as providers see it (out_refund_no, out_request_no, UnionPay's refund orderId). */
export const refundNo = (r: RefundJson): string => r.id.replace(/^re_/, '');

// ── inside the session's Durable Object ────────────────────────────────────────────────────────────

const inDo = <R>(id: string, fn: (o: CheckoutSession) => R): Promise<R> => runInDurableObject(sessionStub(id), fn);

export interface Snapshot {
  status: string | undefined;
  attempts: { id: string; status: string; provider: string }[];
  events: string[];
  anomalies: { attempt_id: string; reason: string; source: string }[];
  refunds: { id: string; kind: string; amount: number; status: string }[];
}

/** What the session stored: compared whole to prove a refused notify changed nothing. */
export function snapshot(id: string): Promise<Snapshot> {
  return inDo(id, (o) => ({
    status: o.store.session()?.status,
    attempts: o.store.attempts().map((a) => ({ id: a.id, status: a.status, provider: a.provider })),
    events: o.store.events().map((e) => e.type),
    anomalies: o.store.anomalies().map((a) => ({ attempt_id: a.attempt_id, reason: a.reason, source: a.source })),
    refunds: o.store.refunds().map((r) => ({ id: r.id, kind: r.kind, amount: r.amount, status: r.status })),
  }));
}

/** The keys of the session's due work (e.g. `query:<attempt>`), with when each is due. */
export function due(id: string): Promise<{ key: string; at: number }[]> {
  return inDo(id, (o) => o.store.allDue().map((d) => ({ key: d.key, at: d.at })));
}

/** Moves the session's clock `offsetMs` past the wall clock (expiry, query and refund schedules). */
export function setClock(id: string, offsetMs: number): Promise<void> {
  return inDo(id, (o) => void (o.clock = { now: () => Date.now() + offsetMs }));
}

/**
 * Stops the session's clock where it is now: its due work then waits for setClock, however long the
 * test takes in wall-clock time (a loaded machine once let a 10 s refund retry fire on its own).
 */
export function freezeClock(id: string): Promise<void> {
  return inDo(id, (o) => {
    const at = Date.now();
    o.clock = { now: () => at };
  });
}

/** Runs the session's due work until nothing is due at its clock. */
export async function drain(id: string): Promise<void> {
  for (let i = 0; i < 25; i++) {
    const n = await inDo(id, (o) => o.store.dueBy(o.clock.now()).length);
    if (n === 0) return;
    await runDurableObjectAlarm(sessionStub(id));
  }
  throw new Error(`session ${id}: due work still due after 25 alarms`);
}

/** One alarm run, as the runtime would fire it. */
export function alarm(id: string): Promise<boolean> {
  return runDurableObjectAlarm(sessionStub(id));
}

/**
 * The session's provider calls go through `fetch` (e.g. one that throws: the provider is down);
 * `null` puts the real outbound fetch back.
 */
export function setProviderFetch(id: string, fetch: ((r: Request) => Promise<Response>) | null): Promise<void> {
  return inDo(id, (o) => void (o.providerFetch = fetch));
}

/** The provider cannot be reached from this session (connection refused) until `setProviderFetch(id, null)`. */
export const providerDown = (id: string): Promise<void> =>
  setProviderFetch(id, async () => {
    throw new Error('connect ECONNREFUSED');
  });

/**
 * The session's next provider call reaches the provider, but its answer is lost on the way back (a
 * timeout after the provider acted). Calls after it go through normally.
 */
export function loseNextAnswer(id: string): Promise<void> {
  let lost = false;
  return setProviderFetch(id, async (r) => {
    const res = await SELF.fetch(r);
    if (lost) return res;
    lost = true;
    await res.arrayBuffer();
    throw new Error('The operation timed out.');
  });
}

/**
 * Every notify for this session fails to store until the returned function is called: the session's
 * `notify.beforeStore` fault point, held armed (normally each armed point fires once). The provider
 * gets the failure answer and retries on its schedule; nothing reaches the session that way.
 */
export async function loseNotifies(id: string): Promise<() => Promise<void>> {
  await inDo(id, (o) => {
    const faults = o.faults;
    const once = Set.prototype.delete;
    faults.delete = function (point) {
      return point === 'notify.beforeStore' || once.call(this, point);
    };
  });
  return () => inDo(id, (o) => void Reflect.deleteProperty(o.faults, 'delete'));
}
