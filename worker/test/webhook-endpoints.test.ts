// Webhook endpoints by API and their deliveries (docs/webhooks.md): several endpoints per merchant, each
// with its event types, status and own secret (stored sealed, shown once, rotated with both signatures
// during the overlap); fan-out from the session with the same webhook-id everywhere; the delivery log
// per event and per endpoint; resending now; disabling an endpoint that failed for 3 days.

import { SELF, env, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { Webhook } from 'standardwebhooks';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { MerchantShard } from '../src/merchant-shard';
import type { CheckoutSession } from '../src/session/durable-object';
import { WEBHOOK_RETRY_MS } from '../src/session/schedules';
import { LISTS_TEST, TEST, WECHAT_TEST } from './fixtures/config';
import { BASE, orderId, type SessionJson } from './helpers';
import { TEST_MASTER_KEY } from './fixtures/registry';
import type { DeliveryView } from '../src/webhooks/endpoints';

const SK: string = LISTS_TEST.hooks_secret_key;
const MERCHANT = LISTS_TEST.hooks_merchant_id;
const CONFIGURED = LISTS_TEST.hooks_webhook_url;
const ep = (name: string) => `https://merchant.test/ep/${name}`;

interface Received {
  url: string;
  headers: Record<string, string>;
  body: string;
  event: { id: string; type: string; data: { object: { id: string } } };
}
let received: Received[] = [];
/** What each URL answers (default 200); a test sets an outage. */
let answer: (url: string) => number = () => 200;
const realFetch = globalThis.fetch;

beforeEach(async () => {
  received = [];
  answer = () => 200;
  vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
    const req = new Request(input as RequestInfo, init);
    if (new URL(req.url).origin !== 'https://merchant.test') return realFetch(req);
    const headers: Record<string, string> = {};
    req.headers.forEach((v, k) => (headers[k] = v));
    const body = await req.text();
    received.push({ url: req.url, headers, body, event: JSON.parse(body) });
    return new Response(null, { status: answer(req.url) });
  });
  // Each test starts from the configured webhook alone.
  const all = await list<{ id: string }>('/v1/webhook_endpoints?limit=100');
  for (const e of all.data) if (e.id !== 'we_config') await call(`/v1/webhook_endpoints/${e.id}`, { method: 'DELETE' });
});
afterEach(() => vi.restoreAllMocks());

function call(path: string, init: RequestInit & { key?: string } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set('authorization', `Bearer ${init.key ?? SK}`);
  if (init.body !== undefined && !headers.has('content-type')) headers.set('content-type', 'application/json');
  return SELF.fetch(`${BASE}${path}`, { ...init, headers });
}

async function list<T>(path: string, key = SK): Promise<{ object: 'list'; data: T[]; has_more: boolean; next_cursor: string | null }> {
  const res = await call(path, { key });
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as { object: 'list'; data: T[]; has_more: boolean; next_cursor: string | null };
}

async function errorOf(res: Promise<Response>): Promise<{ status: number; code: string; param?: string; message: string }> {
  const r = await res;
  return { status: r.status, ...((await r.json()) as { error: { code: string; param?: string; message: string } }).error };
}

interface Endpoint {
  id: string;
  object: string;
  url: string;
  enabled_events: string[];
  status: string;
  description: string | null;
  created: number;
  secret?: string;
}

async function createEndpoint(url: string, enabled_events: string[] = ['*'], extra: Record<string, unknown> = {}): Promise<Endpoint> {
  const res = await call('/v1/webhook_endpoints', { method: 'POST', body: JSON.stringify({ url, enabled_events, ...extra }) });
  if (res.status !== 201) throw new Error(`create endpoint: ${res.status} ${await res.text()}`);
  return (await res.json()) as Endpoint;
}

const stub = (id: string) => env.SESSIONS.getByName(id);
const inDo = <R>(id: string, fn: (o: CheckoutSession) => R) => runInDurableObject(stub(id), fn);
const shard = () => env.MERCHANT_SHARDS.getByName(`${MERCHANT}:webhooks`);
const inShard = <R>(fn: (o: MerchantShard) => R) => runInDurableObject(shard(), fn);

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

async function session(): Promise<SessionJson> {
  const res = await call('/v1/checkout/sessions', {
    method: 'POST',
    body: JSON.stringify({ amount: 500, currency: 'CNY', description: 'hooks', merchant_order_id: orderId() }),
  });
  if (res.status !== 201) throw new Error(`create: ${res.status} ${await res.text()}`);
  const s = (await res.json()) as SessionJson;
  await drain(s.id);
  return s;
}

/** Cancels a session and sends its event; the `checkout.session.canceled` event's id. */
async function canceled(): Promise<{ s: SessionJson; eventId: string }> {
  const s = await session();
  expect((await call(`/v1/checkout/sessions/${s.id}/cancel`, { method: 'POST' })).status).toBe(200);
  await drain(s.id);
  const eventId = await inDo(s.id, (o) => o.store.events().find((e) => e.type === 'checkout.session.canceled')!.id);
  return { s, eventId };
}

const to = (eventId: string, url: string) => received.filter((r) => r.event.id === eventId && r.url === url);

describe('webhook endpoints by API', () => {
  it('creates, retrieves, lists, updates and deletes; the secret only in the create answer', async () => {
    const e = await createEndpoint(ep('crud'), ['checkout.session.paid'], { description: '订单系统 orders' });
    expect(e).toMatchObject({
      object: 'webhook_endpoint',
      url: ep('crud'),
      enabled_events: ['checkout.session.paid'],
      status: 'enabled',
      description: '订单系统 orders',
    });
    expect(e.id).toMatch(/^we_[0-9A-Za-z]{24}$/);
    expect(e.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(e.created).toBeGreaterThan(1_700_000_000);

    const got = (await (await call(`/v1/webhook_endpoints/${e.id}`)).json()) as Endpoint;
    const { secret, ...shown } = e;
    expect(secret).toBeDefined();
    expect(got).toEqual(shown);

    const all = await list<Endpoint>('/v1/webhook_endpoints');
    expect(all.data.map((x) => x.id)).toEqual([e.id, 'we_config']);
    expect(all.data[1]).toMatchObject({ id: 'we_config', url: CONFIGURED, enabled_events: ['*'], status: 'enabled', created: 0, description: null });
    expect(JSON.stringify(all)).not.toContain('whsec_');

    const patched = await call(`/v1/webhook_endpoints/${e.id}`, {
      method: 'PATCH',
      body: JSON.stringify({ url: ep('crud2'), enabled_events: ['*'], description: null, status: 'disabled' }),
    });
    expect(patched.status).toBe(200);
    expect(await patched.json()).toMatchObject({ id: e.id, url: ep('crud2'), enabled_events: ['*'], description: null, status: 'disabled' });

    const del = await call(`/v1/webhook_endpoints/${e.id}`, { method: 'DELETE' });
    expect(await del.json()).toEqual({ id: e.id, object: 'webhook_endpoint', deleted: true });
    expect((await call(`/v1/webhook_endpoints/${e.id}`)).status).toBe(404);
    expect((await call(`/v1/webhook_endpoints/${e.id}`, { method: 'DELETE' })).status).toBe(404);
  });

  it('keeps the configured webhook as we_config, changed only in the configuration', async () => {
    expect(await (await call('/v1/webhook_endpoints/we_config')).json()).toMatchObject({ id: 'we_config', url: CONFIGURED });
    const managed = { status: 400, code: 'endpoint_managed_by_config' };
    expect(await errorOf(call('/v1/webhook_endpoints/we_config', { method: 'PATCH', body: JSON.stringify({ status: 'disabled' }) }))).toMatchObject(managed);
    expect(await errorOf(call('/v1/webhook_endpoints/we_config', { method: 'DELETE' }))).toMatchObject(managed);
    expect(await errorOf(call('/v1/webhook_endpoints/we_config/rotate_secret', { method: 'POST' }))).toMatchObject(managed);
    // A merchant without a configured webhook has no we_config.
    expect((await call('/v1/webhook_endpoints/we_config', { key: WECHAT_TEST.v2hmac_secret_key })).status).toBe(404);
  });

  it('stores the secret sealed under SHOUYIN_MASTER_KEY (the registry keyring), never as it is', async () => {
    const key = `ep-${orderId()}`;
    const e = (await (
      await call('/v1/webhook_endpoints', {
        method: 'POST',
        headers: { 'idempotency-key': key },
        body: JSON.stringify({ url: ep('sealed'), enabled_events: ['*'] }),
      })
    ).json()) as Endpoint;
    const sql = (o: MerchantShard) => (o as unknown as { ctx: DurableObjectState }).ctx.storage.sql;
    const stored = await inShard((o) => sql(o).exec<{ secret: string }>('SELECT secret FROM wh_endpoints WHERE id = ?', e.id).one().secret);
    expect(stored).toMatch(new RegExp(`^v1\\.${TEST_MASTER_KEY.split(':')[0]}\\.[A-Za-z0-9+/=]+$`));
    expect(stored).not.toContain(e.secret!.slice(6, 30));
    // Nor in the Idempotency-Key record that replays the create.
    const idem = await runInDurableObject(
      env.MERCHANT_SHARDS.getByName(`${MERCHANT}:idem:${fnv(key)}`),
      (o: MerchantShard) => sql(o).exec<{ body: string }>('SELECT body FROM idempotency WHERE key = ?', key).one().body,
    );
    expect(idem).toContain(e.id);
    expect(idem).not.toContain('whsec_');
  });

  it('replays a create for the same Idempotency-Key: the same endpoint, without its secret', async () => {
    const key = `ep-${orderId()}`;
    const body = JSON.stringify({ url: ep('idem'), enabled_events: ['*'] });
    const first = (await (await call('/v1/webhook_endpoints', { method: 'POST', headers: { 'idempotency-key': key }, body })).json()) as Endpoint;
    const again = await call('/v1/webhook_endpoints', { method: 'POST', headers: { 'idempotency-key': key }, body });
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    const replayed = (await again.json()) as Endpoint;
    expect(replayed.id).toBe(first.id);
    expect(replayed.secret).toBeUndefined();
    expect((await list<Endpoint>('/v1/webhook_endpoints')).data.filter((x) => x.url === ep('idem'))).toHaveLength(1);
  });

  it("answers 404 for another merchant's endpoint, on every route", async () => {
    const e = await createEndpoint(ep('mine'));
    const other = { key: LISTS_TEST.secret_key };
    expect((await call(`/v1/webhook_endpoints/${e.id}`, other)).status).toBe(404);
    expect((await call(`/v1/webhook_endpoints/${e.id}`, { ...other, method: 'PATCH', body: '{"status":"disabled"}' })).status).toBe(404);
    expect((await call(`/v1/webhook_endpoints/${e.id}`, { ...other, method: 'DELETE' })).status).toBe(404);
    expect((await call(`/v1/webhook_endpoints/${e.id}/rotate_secret`, { ...other, method: 'POST' })).status).toBe(404);
    expect((await call(`/v1/webhook_endpoints/${e.id}/deliveries`, other)).status).toBe(404);
    expect((await list<Endpoint>('/v1/webhook_endpoints', LISTS_TEST.secret_key)).data.map((x) => x.id)).not.toContain(e.id);
    expect((await call(`/v1/webhook_endpoints/${e.id}`)).status).toBe(200);
  });
});

/** The idempotency shard of a key (shards.ts: FNV-1a mod 16). */
function fnv(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % 16;
}

describe('bad input', () => {
  const post = (body: unknown) => errorOf(call('/v1/webhook_endpoints', { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body) }));

  it.each([
    [{ enabled_events: ['*'] }, 'parameter_missing', 'url'],
    [{ url: ep('x') }, 'parameter_missing', 'enabled_events'],
    [{ url: 'ftp://merchant.test/x', enabled_events: ['*'] }, 'parameter_invalid', 'url'],
    [{ url: 'not a url', enabled_events: ['*'] }, 'parameter_invalid', 'url'],
    [{ url: `https://merchant.test/${'x'.repeat(2050)}`, enabled_events: ['*'] }, 'parameter_invalid', 'url'],
    [{ url: ep('x'), enabled_events: [] }, 'parameter_invalid', 'enabled_events'],
    [{ url: ep('x'), enabled_events: 'checkout.session.paid' }, 'parameter_invalid', 'enabled_events'],
    [{ url: ep('x'), enabled_events: ['checkout.session.paid', 'order.shipped'] }, 'parameter_invalid', 'enabled_events[1]'],
    [{ url: ep('x'), enabled_events: ['*', 'refund.failed'] }, 'parameter_invalid', 'enabled_events'],
    [{ url: ep('x'), enabled_events: ['refund.failed', 'refund.failed'] }, 'parameter_invalid', 'enabled_events'],
    [{ url: ep('x'), enabled_events: ['*'], description: '' }, 'parameter_invalid', 'description'],
    [{ url: ep('x'), enabled_events: ['*'], description: 'd'.repeat(501) }, 'parameter_invalid', 'description'],
    [{ url: ep('x'), enabled_events: ['*'], secret: 'whsec_mine' }, 'parameter_unknown', 'secret'],
  ])('%j → 400 %s naming %s', async (body, code, param) => {
    expect(await post(body)).toMatchObject({ status: 400, code, param });
  });

  it('refuses a body that is not a JSON object, and one over 16 KB', async () => {
    expect(await post('{"url":')).toMatchObject({ status: 400, code: 'invalid_json' });
    expect(await post('[1]')).toMatchObject({ status: 400, code: 'invalid_json' });
    expect(await post(JSON.stringify({ url: ep('x'), enabled_events: ['*'], description: 'x'.repeat(17_000) }))).toMatchObject({
      status: 413,
      code: 'body_too_large',
    });
  });

  it('takes JSON without a content type, as the other routes do', async () => {
    const res = await SELF.fetch(`${BASE}/v1/webhook_endpoints`, {
      method: 'POST',
      headers: { authorization: `Bearer ${SK}` },
      body: JSON.stringify({ url: ep('plain'), enabled_events: ['*'] }),
    });
    expect(res.status).toBe(201);
  });

  it('wants https for a live merchant', async () => {
    const res = await errorOf(
      call('/v1/webhook_endpoints', {
        key: TEST.live_secret_key,
        method: 'POST',
        body: JSON.stringify({ url: 'http://shop.example/hooks', enabled_events: ['*'] }),
      }),
    );
    expect(res).toMatchObject({ status: 400, code: 'parameter_invalid', param: 'url' });
  });

  it('names the field of a bad update, rotation, delivery list or resend', async () => {
    const e = await createEndpoint(ep('bad'));
    expect(await errorOf(call(`/v1/webhook_endpoints/${e.id}`, { method: 'PATCH', body: '{"status":"paused"}' }))).toMatchObject({
      status: 400,
      param: 'status',
    });
    expect(await errorOf(call(`/v1/webhook_endpoints/${e.id}`, { method: 'PATCH', body: '{"id":"we_x"}' }))).toMatchObject({
      status: 400,
      code: 'parameter_unknown',
      param: 'id',
    });
    for (const v of [-1, 604_801, 1.5, '60']) {
      expect(
        await errorOf(call(`/v1/webhook_endpoints/${e.id}/rotate_secret`, { method: 'POST', body: JSON.stringify({ expire_previous_in: v }) })),
      ).toMatchObject({ status: 400, param: 'expire_previous_in' });
    }
    expect(await errorOf(call(`/v1/webhook_endpoints/${e.id}/deliveries?status=pending`))).toMatchObject({ status: 400, param: 'status' });
    expect(await errorOf(call(`/v1/webhook_endpoints/${e.id}/deliveries?limit=1000`))).toMatchObject({ status: 400, param: 'limit' });
    const { eventId } = await canceled();
    expect(await errorOf(call(`/v1/events/${eventId}/retry`, { method: 'POST', body: '{"endpoint":"https://x"}' }))).toMatchObject({
      status: 400,
      param: 'endpoint',
    });
    expect(await errorOf(call(`/v1/events/${eventId}/retry`, { method: 'POST', body: '{"endpoint":"we_0123456789ABCDEFGHIJabcd"}' }))).toMatchObject({
      status: 400,
      code: 'resource_missing',
      param: 'endpoint',
    });
    expect((await call('/v1/events/evt_0123456789ABCDEFGHIJabcd/retry', { method: 'POST' })).status).toBe(404);
    expect((await call('/v1/events/evt_0123456789ABCDEFGHIJabcd/deliveries')).status).toBe(404);
  });

  it('holds at most 16 endpoints per merchant', async () => {
    for (let i = 0; i < 16; i++) await createEndpoint(ep(`n${i}`));
    expect(await post({ url: ep('17'), enabled_events: ['*'] })).toMatchObject({ status: 400, code: 'endpoint_limit_reached' });
  });
});

describe('fan-out', () => {
  it('sends an event to every enabled endpoint subscribed to its type, each signed with its own secret, one webhook-id', async () => {
    const canceledOnly = await createEndpoint(ep('canceled'), ['checkout.session.canceled']);
    const everything = await createEndpoint(ep('all'), ['*']);
    const paidOnly = await createEndpoint(ep('paid'), ['checkout.session.paid']);
    const off = await createEndpoint(ep('off'), ['*']);
    await call(`/v1/webhook_endpoints/${off.id}`, { method: 'PATCH', body: '{"status":"disabled"}' });

    const { eventId } = await canceled();
    const got = received.filter((r) => r.event.id === eventId);
    expect(got.map((r) => r.url).sort()).toEqual([CONFIGURED, ep('all'), ep('canceled')].sort());
    expect(new Set(got.map((r) => r.headers['webhook-id']))).toEqual(new Set([eventId]));
    const now = Number(got[0]!.headers['webhook-timestamp']);
    vi.useFakeTimers({ toFake: ['Date'], now: now * 1000 });
    try {
      expect(new Webhook(canceledOnly.secret!).verify(to(eventId, ep('canceled'))[0]!.body, to(eventId, ep('canceled'))[0]!.headers)).toBeTruthy();
      expect(new Webhook(everything.secret!).verify(to(eventId, ep('all'))[0]!.body, to(eventId, ep('all'))[0]!.headers)).toBeTruthy();
      expect(new Webhook(TEST.webhook_secret).verify(to(eventId, CONFIGURED)[0]!.body, to(eventId, CONFIGURED)[0]!.headers)).toBeTruthy();
      // Each endpoint's secret is its own: one endpoint's cannot verify another's delivery.
      expect(() => new Webhook(everything.secret!).verify(to(eventId, ep('canceled'))[0]!.body, to(eventId, ep('canceled'))[0]!.headers)).toThrow();
    } finally {
      vi.useRealTimers();
    }
    expect(to(eventId, ep('paid'))).toEqual([]);
    expect(paidOnly.status).toBe('enabled');
    // Every target delivered: the event says so.
    expect(await inDo(got[0]!.event.data.object.id, (o) => o.store.event(eventId)?.delivery)).toBe('delivered');
  });

  it('retries each endpoint on its own schedule: one down does not hold back or repeat the others', async () => {
    await createEndpoint(ep('down'));
    answer = (url) => (url === ep('down') ? 503 : 200);
    const { s, eventId } = await canceled();
    expect(to(eventId, CONFIGURED)).toHaveLength(1);
    expect(to(eventId, ep('down'))).toHaveLength(1);
    const next = await inDo(s.id, (o) => o.store.allDue().find((d) => d.key === `webhook:${eventId}`)!);
    expect(next.at - (await inDo(s.id, (o) => o.clock.now()))).toBeLessThanOrEqual(WEBHOOK_RETRY_MS[0]!);
    answer = () => 200;
    await inDo(s.id, (o) => void (o.clock = { now: () => Date.now() + 6_000 }));
    await drain(s.id);
    expect(to(eventId, ep('down'))).toHaveLength(2);
    expect(to(eventId, CONFIGURED)).toHaveLength(1);
    expect(await inDo(s.id, (o) => o.store.event(eventId)?.delivery)).toBe('delivered');
  });
});

describe('secret rotation', () => {
  it('signs with both secrets during the overlap, then with the new one alone', async () => {
    const e = await createEndpoint(ep('rotating'), ['checkout.session.canceled']);
    const res = await call(`/v1/webhook_endpoints/${e.id}/rotate_secret`, { method: 'POST', body: '{"expire_previous_in": 3600}' });
    expect(res.status).toBe(200);
    const rotated = (await res.json()) as Endpoint;
    expect(rotated.id).toBe(e.id);
    expect(rotated.secret).toMatch(/^whsec_/);
    expect(rotated.secret).not.toBe(e.secret);
    expect(JSON.stringify(await (await call(`/v1/webhook_endpoints/${e.id}`)).json())).not.toContain('whsec_');

    const first = await canceled();
    const [d] = to(first.eventId, ep('rotating'));
    const sigs = d!.headers['webhook-signature']!.split(' ');
    expect(sigs).toHaveLength(2);
    vi.useFakeTimers({ toFake: ['Date'], now: Number(d!.headers['webhook-timestamp']) * 1000 });
    try {
      // A receiver still on the old secret and one already on the new both accept it.
      expect(new Webhook(e.secret!).verify(d!.body, d!.headers)).toBeTruthy();
      expect(new Webhook(rotated.secret!).verify(d!.body, d!.headers)).toBeTruthy();
    } finally {
      vi.useRealTimers();
    }

    // The overlap ends (the shard's clock past it): the old secret no longer signs.
    await inShard((o) => void (o.clock = { now: () => Date.now() + 3_601_000 }));
    try {
      const later = await canceled();
      const [d2] = to(later.eventId, ep('rotating'));
      expect(d2!.headers['webhook-signature']!.split(' ')).toHaveLength(1);
      vi.useFakeTimers({ toFake: ['Date'], now: Number(d2!.headers['webhook-timestamp']) * 1000 });
      try {
        expect(new Webhook(rotated.secret!).verify(d2!.body, d2!.headers)).toBeTruthy();
        expect(() => new Webhook(e.secret!).verify(d2!.body, d2!.headers)).toThrow();
      } finally {
        vi.useRealTimers();
      }
    } finally {
      await inShard((o) => void (o.clock = { now: () => Date.now() }));
    }
  });

  it('retires the old secret at once with expire_previous_in 0', async () => {
    const e = await createEndpoint(ep('rotate0'), ['checkout.session.canceled']);
    const rotated = (await (
      await call(`/v1/webhook_endpoints/${e.id}/rotate_secret`, { method: 'POST', body: '{"expire_previous_in": 0}' })
    ).json()) as Endpoint;
    const { eventId } = await canceled();
    const [d] = to(eventId, ep('rotate0'));
    expect(d!.headers['webhook-signature']!.split(' ')).toHaveLength(1);
    vi.useFakeTimers({ toFake: ['Date'], now: Number(d!.headers['webhook-timestamp']) * 1000 });
    try {
      expect(new Webhook(rotated.secret!).verify(d!.body, d!.headers)).toBeTruthy();
    } finally {
      vi.useRealTimers();
    }
  });
});

/** A delivery as the API answers it. */
type Delivery = DeliveryView;

describe('deliveries', () => {
  it('logs every try per event and per endpoint: status, duration, time, attempt, next retry', async () => {
    const e = await createEndpoint(ep('flaky'));
    answer = (url) => (url === ep('flaky') ? 500 : 200);
    const { s, eventId } = await canceled();
    await inDo(s.id, (o) => void (o.clock = { now: () => Date.now() + 6_000 }));
    await drain(s.id);
    const all = await list<Delivery>(`/v1/events/${eventId}/deliveries`);
    // Newest first: the retry, then the two first tries (made at the same moment).
    expect(all.data[0]).toMatchObject({ endpoint: e.id, attempt: 2, status_code: 500, succeeded: false });
    expect(all.data.slice(1).map((d) => [d.endpoint, d.attempt, d.status_code, d.succeeded])).toEqual(
      expect.arrayContaining([
        ['we_config', 1, 200, true],
        [e.id, 1, 500, false],
      ]),
    );
    expect(all.data).toHaveLength(3);
    const second = all.data[0];
    const first = all.data.find((d) => d.endpoint === e.id && d.attempt === 1);
    expect(first).toMatchObject({ object: 'webhook_delivery', event: eventId, error: null });
    expect(first!.id).toMatch(/^wd_/);
    expect(first!.duration_ms).toBeGreaterThanOrEqual(0);
    expect(first!.next_retry_at).toBe(first!.created + WEBHOOK_RETRY_MS[0]! / 1000);
    expect(second!.next_retry_at! - second!.created).toBe(WEBHOOK_RETRY_MS[1]! / 1000);
    expect(all.data.find((d) => d.endpoint === 'we_config')?.next_retry_at).toBeNull();

    const failed = await list<Delivery>(`/v1/webhook_endpoints/${e.id}/deliveries?status=failed`);
    expect(failed.data.map((d) => d.attempt)).toEqual([2, 1]);
    expect((await list<Delivery>(`/v1/webhook_endpoints/${e.id}/deliveries?status=succeeded`)).data).toEqual([]);
    const config = await list<Delivery>('/v1/webhook_endpoints/we_config/deliveries?limit=1');
    expect(config.data[0]).toMatchObject({ event: eventId, endpoint: 'we_config', succeeded: true });
    expect(config.has_more).toBe(true);
    // A cursor of one list is refused by another.
    expect(await errorOf(call(`/v1/webhook_endpoints/${e.id}/deliveries?starting_after=${config.next_cursor}`))).toMatchObject({
      status: 400,
      code: 'invalid_cursor',
    });
    const page2 = await list<Delivery>(`/v1/webhook_endpoints/we_config/deliveries?limit=1&starting_after=${config.next_cursor}`);
    expect(page2.data[0]?.id).not.toBe(config.data[0]?.id);
  });

  it('resends now with the same webhook-id; a resend that succeeds ends that endpoint’s retries', async () => {
    const e = await createEndpoint(ep('resend'));
    answer = (url) => (url === ep('resend') ? 500 : 200);
    const { s, eventId } = await canceled();
    expect(await inDo(s.id, (o) => o.store.event(eventId)?.delivery)).toBe('pending');
    answer = () => 200;
    const res = await call(`/v1/events/${eventId}/retry`, { method: 'POST', body: JSON.stringify({ endpoint: e.id }) });
    expect(res.status).toBe(200);
    const sent = (await res.json()) as { object: string; data: Delivery[] };
    expect(sent.data).toMatchObject([{ endpoint: e.id, attempt: 2, status_code: 200, succeeded: true, next_retry_at: null }]);
    const again = to(eventId, ep('resend'));
    expect(again.map((r) => r.headers['webhook-id'])).toEqual([eventId, eventId]);
    expect(await inDo(s.id, (o) => o.store.event(eventId)?.delivery)).toBe('delivered');
    expect(await inDo(s.id, (o) => o.store.allDue().some((d) => d.key === `webhook:${eventId}`))).toBe(false);

    // Without an endpoint: every enabled endpoint subscribed to the event.
    const all = (await (await call(`/v1/events/${eventId}/retry`, { method: 'POST' })).json()) as { data: Delivery[] };
    expect(all.data.map((d) => d.endpoint).sort()).toEqual([e.id, 'we_config'].sort());
    await drain(s.id);
    expect((await list<Delivery>(`/v1/events/${eventId}/deliveries`)).data).toHaveLength(5);
  });

  it('refuses a resend to an endpoint that is disabled or does not take the event', async () => {
    const paidOnly = await createEndpoint(ep('paid-only'), ['checkout.session.paid']);
    const off = await createEndpoint(ep('off2'));
    await call(`/v1/webhook_endpoints/${off.id}`, { method: 'PATCH', body: '{"status":"disabled"}' });
    const { eventId } = await canceled();
    for (const id of [paidOnly.id, off.id]) {
      expect(await errorOf(call(`/v1/events/${eventId}/retry`, { method: 'POST', body: JSON.stringify({ endpoint: id }) }))).toMatchObject({
        status: 400,
        code: 'endpoint_not_subscribed',
        param: 'endpoint',
      });
    }
    // Another merchant cannot resend it.
    expect((await call(`/v1/events/${eventId}/retry`, { method: 'POST', key: LISTS_TEST.secret_key })).status).toBe(404);
    expect((await call(`/v1/events/${eventId}/deliveries`, { key: LISTS_TEST.secret_key })).status).toBe(404);
  });
});

describe('an endpoint failing for 3 days', () => {
  it('is disabled, and the merchant gets webhook_endpoint.disabled on its other endpoints and in /v1/events', async () => {
    const failing = await createEndpoint(ep('dead'));
    const healthy = await createEndpoint(ep('alive'), ['webhook_endpoint.disabled']);
    answer = (url) => (url === ep('dead') ? 503 : 200);
    const { s, eventId } = await canceled();
    let now = 0;
    for (let i = 0; i < 40; i++) {
      await inDo(s.id, (o) => void (o.clock = { now: () => Date.now() + now }));
      await drain(s.id);
      const next = await inDo(s.id, (o) => o.store.allDue().find((d) => d.kind === 'webhook')?.at ?? null);
      if (next === null) break;
      now = next - Date.now() + 1;
    }
    const tries = to(eventId, ep('dead'));
    // Disabled once its failures spanned 3 days: the tries after that were canceled, not sent.
    expect(tries.length).toBeLessThan(WEBHOOK_RETRY_MS.length + 1);
    const span = Number(tries[tries.length - 1]!.headers['webhook-timestamp']) - Number(tries[0]!.headers['webhook-timestamp']);
    expect(span).toBeGreaterThanOrEqual(3 * 86_400);
    expect(((await (await call(`/v1/webhook_endpoints/${failing.id}`)).json()) as Endpoint).status).toBe('disabled');
    expect(((await (await call(`/v1/webhook_endpoints/${healthy.id}`)).json()) as Endpoint).status).toBe('enabled');
    expect(await inDo(s.id, (o) => o.store.webhookTargets(eventId).find((t) => t.endpoint_id === failing.id)?.state)).toBe('canceled');

    // The merchant shard sends its own event: to the configured webhook and the endpoint that asked for it.
    await runDurableObjectAlarm(shard());
    const disabled = received.filter((r) => r.event.type === 'webhook_endpoint.disabled');
    expect(disabled.map((r) => r.url).sort()).toEqual([CONFIGURED, ep('alive')].sort());
    expect(disabled[0]!.event.data.object).toMatchObject({ id: failing.id, status: 'disabled', object: 'webhook_endpoint' });
    expect(disabled[0]!.event.data).toMatchObject({ reason: 'failing_3_days' });
    const logged = await list<{ id: string; type: string }>('/v1/events?type=webhook_endpoint.disabled&limit=100');
    expect(logged.data.map((e) => e.id)).toContain(disabled[0]!.event.id);
    // Its deliveries are listed like any other event's, and it can be resent.
    expect((await list<Delivery>(`/v1/events/${disabled[0]!.event.id}/deliveries`)).data.map((d) => d.endpoint).sort()).toEqual(
      [healthy.id, 'we_config'].sort(),
    );
    const resent = (await (
      await call(`/v1/events/${disabled[0]!.event.id}/retry`, { method: 'POST', body: JSON.stringify({ endpoint: healthy.id }) })
    ).json()) as {
      data: Delivery[];
    };
    expect(resent.data).toMatchObject([{ endpoint: healthy.id, succeeded: true }]);

    // Enabled again, it starts afresh: old failures do not disable it at the next one.
    await call(`/v1/webhook_endpoints/${failing.id}`, { method: 'PATCH', body: '{"status":"enabled"}' });
    await canceled();
    expect(((await (await call(`/v1/webhook_endpoints/${failing.id}`)).json()) as Endpoint).status).toBe('enabled');
  });
});

describe('an endpoint answering 410 Gone', () => {
  it('is disabled at once (reason http_410_gone), like one failing for 3 days, and is tried no more', async () => {
    const gone = await createEndpoint(ep('gone'));
    const healthy = await createEndpoint(ep('alive'), ['webhook_endpoint.disabled']);
    answer = (url) => (url === ep('gone') ? 410 : 200);
    const { s, eventId } = await canceled();
    expect(to(eventId, ep('gone'))).toHaveLength(1);
    // That event's target is settled by the 410: no retry is scheduled for it.
    expect(await inDo(s.id, (o) => o.store.webhookTargets(eventId).find((t) => t.endpoint_id === gone.id))).toMatchObject({
      state: 'failed',
      tries: 1,
      next_at: null,
    });
    expect((await list<Delivery>(`/v1/webhook_endpoints/${gone.id}/deliveries`)).data).toMatchObject([
      { event: eventId, status_code: 410, succeeded: false, next_retry_at: null },
    ]);
    // Disabled as soon as the try reached the delivery log, without waiting 3 days.
    expect(((await (await call(`/v1/webhook_endpoints/${gone.id}`)).json()) as Endpoint).status).toBe('disabled');
    expect(((await (await call(`/v1/webhook_endpoints/${healthy.id}`)).json()) as Endpoint).status).toBe('enabled');

    // The same event as after 3 days of failures, with its reason, to the other endpoints and we_config.
    const disabledOf = () =>
      received.filter((r) => r.event.type === 'webhook_endpoint.disabled' && r.event.data.object.id === gone.id) as (Received & {
        event: { data: { reason: string; failing_since: number } };
      })[];
    await shardUntil(async () => disabledOf().length >= 2);
    expect(
      disabledOf()
        .map((r) => r.url)
        .sort(),
    ).toEqual([CONFIGURED, ep('alive')].sort());
    expect(disabledOf()[0]!.event.data).toMatchObject({ reason: 'http_410_gone', object: { id: gone.id, status: 'disabled' } });
    const logged = await list<{ id: string }>('/v1/events?type=webhook_endpoint.disabled&limit=100');
    expect(logged.data.map((e) => e.id)).toContain(disabledOf()[0]!.event.id);

    // No further try: not of that event a day later, nor of a new event.
    await inDo(s.id, (o) => void (o.clock = { now: () => Date.now() + 86_400_000 }));
    await drain(s.id);
    const next = await canceled();
    expect(to(eventId, ep('gone'))).toHaveLength(1);
    expect(to(next.eventId, ep('gone'))).toEqual([]);
    expect(to(next.eventId, CONFIGURED)).toHaveLength(1);
  });

  it('the configured webhook (we_config) is not disabled: its 410 is a failed try, retried on schedule, logged as an error', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    answer = (url) => (url === CONFIGURED ? 410 : 200);
    const { s, eventId } = await canceled();
    expect(to(eventId, CONFIGURED)).toHaveLength(1);
    const first = await inDo(s.id, (o) => o.store.deliveries(eventId));
    expect(first).toMatchObject([{ endpoint_id: 'we_config', status: 410, next_retry_at: first[0]!.at + WEBHOOK_RETRY_MS[0]! }]);
    expect(errors.mock.calls.map((c) => String(c[0]))).toContainEqual(
      `webhook endpoint we_config answered 410 Gone for event ${eventId}: the configured webhook is not disabled automatically; change or remove webhook.url in the merchant's configuration`,
    );
    expect(((await (await call('/v1/webhook_endpoints/we_config')).json()) as Endpoint).status).toBe('enabled');
    // Its tries show in its delivery log (the dashboard lists it among the failing endpoints).
    expect((await list<Delivery>('/v1/webhook_endpoints/we_config/deliveries?status=failed')).data.map((d) => d.event)).toContain(eventId);

    // The receiver is fixed: the scheduled retry delivers it.
    answer = () => 200;
    await inDo(s.id, (o) => void (o.clock = { now: () => Date.now() + 6_000 }));
    await drain(s.id);
    expect(to(eventId, CONFIGURED)).toHaveLength(2);
    expect(await inDo(s.id, (o) => o.store.event(eventId)?.delivery)).toBe('delivered');
    await runDurableObjectAlarm(shard());
    expect(received.filter((r) => r.event.type === 'webhook_endpoint.disabled' && r.event.data.object.id === 'we_config')).toEqual([]);
  });
});

const DAY = 86_400_000;

/** Fires the shard's alarm until `done` holds (the runtime may be running that alarm itself already). */
async function shardUntil(done: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await done()) return;
    if (!(await runDurableObjectAlarm(shard()))) await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error('the webhook shard never got there');
}
const shardSql = (o: MerchantShard) => (o as unknown as { ctx: DurableObjectState }).ctx.storage.sql;

describe('events no session sends', () => {
  it("an App Store notification reaches the API endpoints subscribed to it, once, from the webhook shard; the configured webhook from the event log's shard", async () => {
    const apple = await createEndpoint(ep('apple'), ['apple.notification']);
    await createEndpoint(ep('paid-only'), ['checkout.session.paid']);
    const now = Date.now();
    const id = `evt_${orderId()
      .replace(/[^0-9A-Za-z]/g, '')
      .padEnd(24, '0')
      .slice(0, 24)}`;
    const event = {
      id,
      type: 'apple.notification',
      created: now,
      session: '',
      body: JSON.stringify({
        id,
        type: 'apple.notification',
        created: Math.floor(now / 1000),
        livemode: false,
        data: { object: { object: 'apple.notification' } },
      }),
    };
    const log = env.MERCHANT_SHARDS.getByName(`${MERCHANT}:events:${new Date(now).toISOString().slice(0, 10)}`);
    await log.recordMerchantEvent(MERCHANT, event);
    // Apple sends it again (its 200 was lost): handed over again, sent once.
    await log.recordMerchantEvent(MERCHANT, event);
    await runDurableObjectAlarm(shard());
    await runDurableObjectAlarm(log);
    expect(
      received
        .filter((r) => r.event.id === id)
        .map((r) => r.url)
        .sort(),
    ).toEqual([CONFIGURED, ep('apple')].sort());
    // The endpoint's tries are in the delivery log; the configured webhook's are the event log shard's own.
    expect((await list<Delivery>(`/v1/events/${id}/deliveries`)).data.map((d) => [d.endpoint, d.succeeded])).toEqual([[apple.id, true]]);
  });

  it("keeps the shard's own copy of such an event 8 days and the delivery log 30, pruned by its alarm; the endpoints stay", async () => {
    const e = await createEndpoint(ep('kept'), ['apple.notification']);
    const now = Date.now();
    const id = `evt_${'k'.repeat(4)}${orderId()
      .replace(/[^0-9A-Za-z]/g, '')
      .padEnd(20, '0')
      .slice(0, 20)}`;
    await env.MERCHANT_SHARDS.getByName(`${MERCHANT}:events:${new Date(now).toISOString().slice(0, 10)}`).recordMerchantEvent(MERCHANT, {
      id,
      type: 'apple.notification',
      created: now,
      session: '',
      body: JSON.stringify({ id, type: 'apple.notification', created: Math.floor(now / 1000), livemode: false, data: { object: {} } }),
    });
    const rows = () =>
      inShard((o) => ({
        events: shardSql(o).exec<{ n: number }>('SELECT COUNT(*) AS n FROM wh_events WHERE id = ?', id).one().n,
        targets: shardSql(o).exec<{ n: number }>('SELECT COUNT(*) AS n FROM wh_targets WHERE event_id = ?', id).one().n,
        deliveries: shardSql(o).exec<{ n: number }>('SELECT COUNT(*) AS n FROM wh_deliveries WHERE event_id = ?', id).one().n,
      }));
    await shardUntil(async () => (await rows()).deliveries === 1);
    expect(await rows()).toEqual({ events: 1, targets: 1, deliveries: 1 });
    const at = async (days: number) => {
      await inShard((o) => void (o.clock = { now: () => now + days * DAY }));
      // The shard keeps an alarm for its next pruning.
      expect(await inShard((o) => (o as unknown as { ctx: DurableObjectState }).ctx.storage.getAlarm())).not.toBeNull();
      await runDurableObjectAlarm(shard());
    };
    try {
      await at(7);
      expect(await rows()).toEqual({ events: 1, targets: 1, deliveries: 1 });
      await at(9);
      expect(await rows()).toEqual({ events: 0, targets: 0, deliveries: 1 });
      await at(31);
      expect(await rows()).toEqual({ events: 0, targets: 0, deliveries: 0 });
    } finally {
      await inShard((o) => void (o.clock = { now: () => Date.now() }));
    }
    expect((await call(`/v1/webhook_endpoints/${e.id}`)).status).toBe(200);
  });
});

describe('master key rotation', () => {
  it('seals every endpoint secret again under the new key; the old key can then go, and deliveries sign as before', async () => {
    const e = await createEndpoint(ep('reseal'));
    const stored = () => inShard((o) => shardSql(o).exec<{ secret: string }>('SELECT secret FROM wh_endpoints WHERE id = ?', e.id).one().secret);
    const [oldKid] = TEST_MASTER_KEY.split(':');
    expect(await stored()).toMatch(new RegExp(`^v1\\.${oldKid}\\.`));
    const fresh = `t9:${btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))))}`;
    const withKeys = (keys: string) =>
      inShard((o) => void ((o.webhooks as unknown as { env: Record<string, unknown> }).env = { ...env, SHOUYIN_MASTER_KEY: keys }));
    try {
      await withKeys(`${fresh},${TEST_MASTER_KEY}`);
      expect(await inShard((o) => o.resealEndpointSecrets(MERCHANT))).toBe(1);
      expect(await stored()).toMatch(/^v1\.t9\./);
      await withKeys(fresh);
      const endpoints = await inShard((o) => o.deliveryEndpoints(MERCHANT));
      expect(endpoints.find((x) => x.id === e.id)?.secrets).toEqual([e.secret]);
    } finally {
      await withKeys(TEST_MASTER_KEY);
    }
  });
});
