// Lists and search (docs/merchant-api.md, "Lists and search"): GET /v1/checkout/sessions and
// GET /v1/refunds read the merchant's list index, which every session writes from its outbox after each
// change. Filters, keyset pagination that stays stable while sessions are created, cursors bound to the
// merchant, the list and its filters, field-named 400s, and an index write killed midway that catches up.

import { SELF, env, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { CheckoutSession, FaultPoint } from '../src/session/durable-object';
import { DAY_MS, UNPAID_RETENTION_DAYS } from '../src/session/retention';
import { LISTS_TEST } from './fixtures/config';
import { BASE, orderId, type SessionJson } from './helpers';
import { acceptWebhooks } from './merchant-endpoint';
import { postNotify, signedNotify, transaction } from './wechat-notify';

acceptWebhooks();

const SK: string = LISTS_TEST.secret_key;
const OTHER: string = LISTS_TEST.other_secret_key;

function call(path: string, init: RequestInit & { key?: string } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set('authorization', `Bearer ${init.key ?? SK}`);
  if (init.body) headers.set('content-type', 'application/json');
  return SELF.fetch(`${BASE}${path}`, { ...init, headers });
}

interface Page<T = Record<string, unknown>> {
  object: 'list';
  data: T[];
  has_more: boolean;
  next_cursor: string | null;
}

async function list<T = SessionJson>(path: string, key = SK): Promise<Page<T>> {
  const res = await call(path, { key });
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as Page<T>;
}

async function errorOf(path: string, key = SK): Promise<{ status: number; code: string; param?: string; message: string }> {
  const res = await call(path, { key });
  const body = (await res.json()) as { error: { code: string; param?: string; message: string } };
  return { status: res.status, ...body.error };
}

const stub = (id: string) => env.SESSIONS.getByName(id);
const inDo = <R>(id: string, fn: (o: CheckoutSession) => R) => runInDurableObject(stub(id), fn);

/**
 * Runs the session's due work until nothing is due at its clock, and waits for the list index write a
 * change starts in the background (the `listing` due item goes once the index has it).
 */
async function drain(id: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const { due, publishing } = await inDo(id, (o) => ({
      due: o.store.dueBy(o.clock.now()).length,
      publishing: o.store.dueItem('listing')?.tries === 0,
    }));
    if (due === 0 && !publishing) return;
    if (due === 0 || !(await runDurableObjectAlarm(stub(id)))) await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`session ${id}: still busy`);
}

async function create(over: Record<string, unknown> = {}, key = SK): Promise<SessionJson> {
  const res = await call('/v1/checkout/sessions', {
    key,
    method: 'POST',
    body: JSON.stringify({ amount: 1000, currency: 'CNY', description: 'list test', merchant_order_id: orderId(), ...over }),
  });
  if (res.status !== 201) throw new Error(`create: ${res.status} ${await res.text()}`);
  const s = (await res.json()) as SessionJson;
  await drain(s.id);
  return s;
}

async function attempt(s: SessionJson): Promise<string> {
  const res = await SELF.fetch(`${BASE}/v1/client/sessions/${s.id}/attempts`, {
    method: 'POST',
    headers: { authorization: `Bearer ${s.client_secret}`, 'content-type': 'application/json' },
    body: JSON.stringify({ channel: 'wechat_pay', flow: 'qr' }),
  });
  if (res.status !== 201) throw new Error(`attempt: ${res.status} ${await res.text()}`);
  await drain(s.id);
  return ((await res.json()) as { attempt: { id: string } }).attempt.id;
}

/** Pays the attempt: the signed notify, and the simulator's own ledger (so a refund finds it paid). */
async function pay(s: SessionJson, attemptId: string): Promise<void> {
  const n = await signedNotify(transaction(attemptId, { mchid: LISTS_TEST.mchid, appid: LISTS_TEST.appid, amount: s.amount }));
  expect((await postNotify(n, LISTS_TEST.merchant_id)).status).toBeLessThan(300);
  await SELF.fetch(`${BASE}/sandbox/wechatpay/_control/orders/${attemptId}/pay`, {
    method: 'POST',
    headers: { authorization: `Bearer ${SK}`, 'content-type': 'application/json' },
    body: JSON.stringify({ notify: 'drop' }),
  });
  await drain(s.id);
}

/** The sessions of this merchant order number, as the list shows them. */
const byOrder = (moid: string) => list(`/v1/checkout/sessions?merchant_order_id=${moid}`);

describe('GET /v1/checkout/sessions', () => {
  it('lists sessions newest first, in the retrieve shape without the client secret and the hosted page url', async () => {
    const tag = orderId();
    const made: SessionJson[] = [];
    for (let i = 0; i < 3; i++) made.push(await create({ merchant_order_id: `${tag}x${i}`, metadata: { n: String(i) } }));
    const page = await list('/v1/checkout/sessions?limit=100');
    const ours = page.data.filter((s) => made.some((m) => m.id === s.id));
    expect(ours.map((s) => s.id)).toEqual(made.map((m) => m.id).reverse());
    const retrieved = (await (await call(`/v1/checkout/sessions/${made[0]!.id}`)).json()) as Record<string, unknown>;
    const { client_secret, url, ...rest } = retrieved;
    expect(client_secret).toMatch(/_secret_/);
    expect(url).toContain(String(client_secret));
    expect(ours[2]).toEqual(rest);
    expect(JSON.stringify(page)).not.toContain('_secret_');
  });

  it('reflects every transition: created, the attempt channel, paid, refunded, canceled', async () => {
    const moid = orderId();
    const s = await create({ merchant_order_id: moid });
    expect((await byOrder(moid)).data).toMatchObject([{ id: s.id, status: 'open', payment: null }]);
    expect((await list(`/v1/checkout/sessions?merchant_order_id=${moid}&channel=wechat_pay`)).data).toEqual([]);

    const a = await attempt(s);
    expect((await list(`/v1/checkout/sessions?merchant_order_id=${moid}&channel=wechat_pay`)).data.map((x) => x.id)).toEqual([s.id]);
    expect((await list(`/v1/checkout/sessions?merchant_order_id=${moid}&channel=alipay`)).data).toEqual([]);

    await pay(s, a);
    expect((await list(`/v1/checkout/sessions?merchant_order_id=${moid}&status=paid`)).data).toMatchObject([
      { id: s.id, status: 'paid', payment: { attempt: a, channel: 'wechat_pay' } },
    ]);
    expect((await list(`/v1/checkout/sessions?merchant_order_id=${moid}&status=open`)).data).toEqual([]);

    const r = await call('/v1/refunds', { method: 'POST', body: JSON.stringify({ session: s.id, amount: 300 }) });
    expect(r.status).toBe(201);
    const refund = (await r.json()) as { id: string; status: string };
    await drain(s.id);
    const refunds = await list<{ id: string; status: string; session: string }>(`/v1/refunds?session=${s.id}`);
    expect(refunds.data.map((x) => x.id)).toEqual([refund.id]);
    const listed = (await byOrder(moid)).data[0]!;
    expect((listed.refunds as { id: string }[]).map((x) => x.id)).toEqual([refund.id]);
    // The refund settles through the simulator's refund query at its own pace, so it may move from
    // pending to succeeded between two reads: whatever status the list shows, filtering by it finds the
    // refund (read again if it moved on meanwhile).
    let agreed: string | undefined;
    for (let i = 0; i < 5 && !agreed; i++) {
      const now = (await list<{ status: string }>(`/v1/refunds?session=${s.id}`)).data[0]!.status;
      const filtered = await list<{ id: string }>(`/v1/refunds?session=${s.id}&status=${now}`);
      if (filtered.data.map((x) => x.id).join() === refund.id) agreed = now;
    }
    expect(['pending', 'succeeded']).toContain(agreed);

    const other = await create();
    await call(`/v1/checkout/sessions/${other.id}/cancel`, { method: 'POST' });
    await drain(other.id);
    expect((await byOrder(other.merchant_order_id as string)).data).toMatchObject([{ id: other.id, status: 'canceled' }]);
  });

  it('shows an expiry once the session expired', async () => {
    const s = await create();
    await inDo(s.id, (o) => void (o.clock = { now: () => Date.now() + 16 * 60_000 }));
    await drain(s.id);
    expect((await byOrder(s.merchant_order_id as string)).data).toMatchObject([{ id: s.id, status: 'expired' }]);
  });

  it('finds every session of a merchant_order_id, the expired one and its successor', async () => {
    const moid = orderId();
    const first = await create({ merchant_order_id: moid });
    await call(`/v1/checkout/sessions/${first.id}/cancel`, { method: 'POST' });
    await drain(first.id);
    const second = await create({ merchant_order_id: moid });
    expect((await byOrder(moid)).data.map((s) => [s.id, s.status])).toEqual([
      [second.id, 'open'],
      [first.id, 'canceled'],
    ]);
  });

  it('filters by created[gte] and created[lt] in Unix seconds', async () => {
    const s = await create();
    const t = s.created as number;
    const ids = async (q: string) => (await list(`/v1/checkout/sessions?limit=100&${q}`)).data.map((x) => x.id);
    expect(await ids(`created[gte]=${t}&created[lt]=${t + 1}`)).toContain(s.id);
    expect(await ids(`created[gte]=${t + 1}`)).not.toContain(s.id);
    expect(await ids(`created[lt]=${t}`)).not.toContain(s.id);
  });

  it('pages with limit, has_more and next_cursor, and stays stable while sessions are created', async () => {
    const tag = orderId();
    const before: SessionJson[] = [];
    for (let i = 0; i < 7; i++) before.push(await create({ merchant_order_id: `${tag}b${i}` }));
    const seen: string[] = [];
    let page = await list('/v1/checkout/sessions?limit=3');
    expect(page.data).toHaveLength(3);
    expect(page.has_more).toBe(true);
    seen.push(...page.data.map((s) => s.id));
    // New sessions land while the merchant pages, concurrently: they are newer than the cursor, so they
    // never appear on a later page, and nothing already listed moves.
    const during = await Promise.all([0, 1, 2, 3].map((i) => create({ merchant_order_id: `${tag}d${i}` })));
    while (page.next_cursor) {
      page = await list(`/v1/checkout/sessions?limit=3&starting_after=${page.next_cursor}`);
      seen.push(...page.data.map((s) => s.id));
    }
    expect(page.has_more).toBe(false);
    expect(new Set(seen).size).toBe(seen.length);
    for (const s of during) expect(seen).not.toContain(s.id);
    // Every session made before the first page is on exactly one page, in order.
    const mine = seen.filter((id) => before.some((b) => b.id === id));
    expect(mine).toEqual(before.map((b) => b.id).reverse());
    // A fresh first page shows the new ones first.
    const fresh = await list('/v1/checkout/sessions?limit=4');
    expect(fresh.data.map((s) => s.id).sort()).toEqual(during.map((s) => s.id).sort());
  });
});

describe('bad input', () => {
  it.each([
    ['limit=0', 'limit'],
    ['limit=101', 'limit'],
    ['limit=abc', 'limit'],
    ['limit=2.5', 'limit'],
    ['limit=1&limit=2', 'limit'],
    ['status=paid_out', 'status'],
    ['channel=paypal', 'channel'],
    ['created[gte]=yesterday', 'created[gte]'],
    ['created[lt]=-5', 'created[lt]'],
    ['merchant_order_id=has%20space', 'merchant_order_id'],
  ])('%s → 400 naming %s', async (q, param) => {
    const e = await errorOf(`/v1/checkout/sessions?${q}`);
    expect(e).toMatchObject({ status: 400, code: 'parameter_invalid', param });
    expect(e.message).toContain(param);
  });

  it('names an unknown parameter', async () => {
    expect(await errorOf('/v1/checkout/sessions?sort=amount')).toMatchObject({ status: 400, code: 'parameter_unknown', param: 'sort' });
    expect(await errorOf('/v1/refunds?session=cs_x')).toMatchObject({ status: 400, code: 'parameter_invalid', param: 'session' });
    expect(await errorOf('/v1/refunds?status=done')).toMatchObject({ status: 400, code: 'parameter_invalid', param: 'status' });
  });

  it('asks for a secret key before anything else', async () => {
    const res = await SELF.fetch(`${BASE}/v1/checkout/sessions?limit=0`);
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('missing_api_key');
  });

  it('refuses a cursor of another merchant, another list or other filters with 400 invalid_cursor', async () => {
    for (let i = 0; i < 2; i++) {
      await create();
      await create({}, OTHER);
    }
    const mine = await list('/v1/checkout/sessions?limit=1');
    const theirs = await list('/v1/checkout/sessions?limit=1', OTHER);
    expect(mine.next_cursor).not.toBeNull();
    expect(theirs.next_cursor).not.toBeNull();
    const invalid = { status: 400, code: 'invalid_cursor', param: 'starting_after' };
    expect(await errorOf(`/v1/checkout/sessions?starting_after=${theirs.next_cursor}`)).toMatchObject(invalid);
    expect(await errorOf(`/v1/refunds?starting_after=${mine.next_cursor}`)).toMatchObject(invalid);
    expect(await errorOf(`/v1/checkout/sessions?status=open&starting_after=${mine.next_cursor}`)).toMatchObject(invalid);
    expect(await errorOf('/v1/checkout/sessions?starting_after=cs_0123456789ABCDEFGHIJabcd')).toMatchObject(invalid);
    // A cursor whose position was edited no longer matches its binding.
    const [payload, tag] = mine.next_cursor!.split('.');
    const edited = `${btoa(atob(payload!.replace(/-/g, '+').replace(/_/g, '/')).replace(/^\d/, '9')).replace(/=+$/, '')}.${tag}`;
    expect(await errorOf(`/v1/checkout/sessions?starting_after=${edited}`)).toMatchObject(invalid);
    // The same cursor with the same filters, any limit, is fine.
    expect((await call(`/v1/checkout/sessions?limit=5&starting_after=${mine.next_cursor}`)).status).toBe(200);
  });

  it("never lists another merchant's sessions, and their events answer 404", async () => {
    const theirs = await create({}, OTHER);
    const mine = await list('/v1/checkout/sessions?limit=100');
    expect(mine.data.map((s) => s.id)).not.toContain(theirs.id);
    expect((await byOrder(theirs.merchant_order_id as string)).data).toEqual([]);
    await call(`/v1/checkout/sessions/${theirs.id}/cancel`, { method: 'POST', key: OTHER });
    await drain(theirs.id);
    const event = (await list<{ id: string; type: string }>('/v1/events?limit=1', OTHER)).data[0]!;
    expect(event.type).toBe('checkout.session.canceled');
    expect((await call(`/v1/events/${event.id}`, { key: OTHER })).status).toBe(200);
    expect(await errorOf(`/v1/events/${event.id}`)).toMatchObject({ status: 404, code: 'resource_missing' });
    expect(await errorOf('/v1/events/evt_nope')).toMatchObject({ status: 404, code: 'resource_missing' });
  });
});

describe('GET /v1/events/:id', () => {
  it('returns the event exactly as the list and the webhook carry it', async () => {
    const s = await create();
    await call(`/v1/checkout/sessions/${s.id}/cancel`, { method: 'POST' });
    await drain(s.id);
    const events = await list<{ id: string; type: string; data: { object: { id: string } } }>('/v1/events?limit=100&type=checkout.session.canceled');
    const event = events.data.find((e) => e.data.object.id === s.id);
    expect(event?.type).toBe('checkout.session.canceled');
    const res = await call(`/v1/events/${event!.id}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(event);
  });
});

describe('the index write, killed midway', () => {
  const arm = (id: string, point: FaultPoint) => inDo(id, (o) => void o.faults.add(point));
  const listedVersion = (id: string) => env.MERCHANT_SHARDS.getByName(`${LISTS_TEST.merchant_id}:index`).listedVersion(LISTS_TEST.merchant_id, id);
  const sessionVersion = (id: string) => inDo(id, (o) => o.store.session()!.version);

  it('a write that never left the session is retried within seconds, and the list catches up', async () => {
    const s = await create();
    await arm(s.id, 'index.beforeWrite');
    await call(`/v1/checkout/sessions/${s.id}/cancel`, { method: 'POST' });
    await drain(s.id);
    // The session is canceled; the list still shows it open: the write was lost on the way.
    expect((await call(`/v1/checkout/sessions/${s.id}`).then((r) => r.json())) as { status: string }).toMatchObject({ status: 'canceled' });
    expect((await byOrder(s.merchant_order_id as string)).data).toMatchObject([{ status: 'open' }]);
    const due = await inDo(s.id, (o) => o.store.allDue().find((d) => d.key === 'listing'));
    expect(due).toMatchObject({ kind: 'listing', tries: 1 });
    // One second later (LISTING_RETRY_MS[0]) the retry writes it.
    expect(due!.at - (await inDo(s.id, (o) => o.clock.now()))).toBeLessThanOrEqual(1_000);
    await inDo(s.id, (o) => void (o.clock = { now: () => Date.now() + 1_000 }));
    await drain(s.id);
    expect((await byOrder(s.merchant_order_id as string)).data).toMatchObject([{ status: 'canceled' }]);
    expect(await listedVersion(s.id)).toBe(await sessionVersion(s.id));
  });

  it('a write the index applied but the session never recorded is sent again and changes nothing', async () => {
    const s = await create();
    await arm(s.id, 'index.afterWrite');
    await call(`/v1/checkout/sessions/${s.id}/cancel`, { method: 'POST' });
    await drain(s.id);
    // Applied: the list shows it; still due in the session, which did not hear back.
    expect((await byOrder(s.merchant_order_id as string)).data).toMatchObject([{ status: 'canceled' }]);
    expect(await inDo(s.id, (o) => o.store.allDue().some((d) => d.key === 'listing'))).toBe(true);
    await inDo(s.id, (o) => void (o.clock = { now: () => Date.now() + 1_000 }));
    await drain(s.id);
    expect(await inDo(s.id, (o) => o.store.allDue().some((d) => d.key === 'listing'))).toBe(false);
    const listed = await byOrder(s.merchant_order_id as string);
    expect(listed.data).toHaveLength(1);
    expect(await listedVersion(s.id)).toBe(await sessionVersion(s.id));
  });

  it('an older write arriving late never overwrites a newer one', async () => {
    const s = await create();
    const old = await inDo(s.id, (o) => o.store.session()!);
    await call(`/v1/checkout/sessions/${s.id}/cancel`, { method: 'POST' });
    await drain(s.id);
    const index = env.MERCHANT_SHARDS.getByName(`${LISTS_TEST.merchant_id}:index`);
    const newer = await listedVersion(s.id);
    expect(newer).toBeGreaterThan(old.version);
    await index.upsertListing(LISTS_TEST.merchant_id, {
      session: {
        id: s.id,
        version: old.version,
        created: old.created,
        status: 'open',
        channel: null,
        merchant_order_id: old.merchant_order_id,
        body: '{"stale":true}',
      },
      refunds: [],
    });
    expect(await listedVersion(s.id)).toBe(newer);
    expect((await byOrder(s.merchant_order_id as string)).data).toMatchObject([{ status: 'canceled' }]);
  });
});

describe('retention', () => {
  it('a session deleted by its retention period leaves the lists with its refunds', async () => {
    const moid = orderId();
    const s = await create({ merchant_order_id: moid });
    expect((await call(`/v1/checkout/sessions/${s.id}/cancel`, { method: 'POST' })).status).toBe(200);
    await drain(s.id);
    expect((await byOrder(moid)).data).toMatchObject([{ id: s.id, status: 'canceled' }]);
    await inDo(s.id, (o) => void (o.clock = { now: () => Date.now() + (UNPAID_RETENTION_DAYS + 1) * DAY_MS }));
    for (let i = 0; i < 10; i++) if (!(await runDurableObjectAlarm(stub(s.id)))) break;
    expect((await call(`/v1/checkout/sessions/${s.id}`)).status).toBe(404);
    expect((await byOrder(moid)).data).toEqual([]);
  });
});
