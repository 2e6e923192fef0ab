// Retention (docs/data-retention.md): what a session and the merchant-wide shards hold about shoppers
// (provider messages with openids and masked card numbers, anomaly evidence, event bodies) is deleted
// on schedule, and the client secret is never in an event body. Time is moved with the objects'
// injected clocks; the deletions run in their alarms.

import { SELF, env, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { MerchantShard } from '../../src/merchant-shard';
import type { CheckoutSession } from '../../src/session/durable-object';
import { randomKey } from '../../src/session/ids';
import { DAY_MS, DEFAULT_RETENTION_DAYS, UNPAID_RETENTION_DAYS } from '../../src/session/retention';
import { EVENT_LOG_DAYS, eventLogFor, shardFor, utcDay } from '../../src/shards';
import { BASE, SK, api, captureWebhooks, client, createSession, startAttempt } from '../helpers';
import { postNotify, signedNotify, transaction } from '../wechat-notify';

beforeEach(() => void captureWebhooks());
afterEach(() => vi.restoreAllMocks());

const stub = (id: string) => env.SESSIONS.getByName(id);

/** Moves the session's clock to `ms` after now and runs its alarm until nothing more is due. */
async function at(id: string, ms: number): Promise<void> {
  await runInDurableObject(stub(id), async (o: CheckoutSession) => {
    o.clock = { now: () => Date.now() + ms };
  });
  for (let i = 0; i < 10; i++) if (!(await runDurableObjectAlarm(stub(id)))) break;
}

const tables = (id: string) =>
  runInDurableObject(stub(id), async (_o: CheckoutSession, state) =>
    state.storage.sql
      .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_cf\\_%' ESCAPE '\\'")
      .toArray()
      .map((r) => r.name),
  );

/** The answer for an id, with the id taken out: a deleted session must read like a made-up one. */
async function answer(res: Promise<Response>, id: string): Promise<{ status: number; body: string }> {
  const r = await res;
  return { status: r.status, body: (await r.text()).replaceAll(id, '<id>') };
}

async function readsLikeNeverExisted(id: string, secret: string): Promise<void> {
  const forged = `cs_${randomKey(24)}`;
  const views = (sid: string, s: string) => [
    api(`/v1/checkout/sessions/${sid}`),
    api(`/v1/checkout/sessions/${sid}/cancel`, { method: 'POST' }),
    SELF.fetch(`${BASE}/v1/client/sessions/${sid}`, { headers: { authorization: `Bearer ${s}` } }),
    SELF.fetch(`${BASE}/v1/client/sessions/${sid}/status`, { headers: { authorization: `Bearer ${s}` } }),
    SELF.fetch(`${BASE}/return/${sid}`, { redirect: 'manual' }),
  ];
  const mine = views(id, secret);
  const made = views(forged, `${forged}_secret_x`);
  for (let i = 0; i < mine.length; i++) {
    const a = await answer(mine[i]!, id);
    expect(a.status).toBe(404);
    expect(a).toEqual(await answer(made[i]!, forged));
  }
}

describe('checkout sessions', () => {
  it(`an unpaid session is deleted ${UNPAID_RETENTION_DAYS} days after it ended, and then reads like one that never existed`, async () => {
    const s = await createSession();
    await startAttempt(s);
    expect((await api(`/v1/checkout/sessions/${s.id}/cancel`, { method: 'POST' })).status).toBe(200);
    await at(s.id, 0);
    await at(s.id, (UNPAID_RETENTION_DAYS - 1) * DAY_MS);
    expect(await tables(s.id)).toContain('provider_messages');
    expect((await api(`/v1/checkout/sessions/${s.id}`)).status).toBe(200);
    await at(s.id, (UNPAID_RETENTION_DAYS + 1) * DAY_MS);
    expect(await tables(s.id)).toEqual([]);
    await readsLikeNeverExisted(s.id, s.client_secret);
  });

  it(`a paid and refunded session (its provider messages, the payer's openid) is kept ${DEFAULT_RETENTION_DAYS} days after its last event, then deleted`, async () => {
    const s = await createSession();
    const { attempt } = await startAttempt(s);
    await postNotify(await signedNotify(transaction(attempt.id)));
    expect((await api('/v1/refunds', { method: 'POST', body: JSON.stringify({ session: s.id, amount: 100 }) })).status).toBe(201);
    await SELF.fetch(`${BASE}/sandbox/wechatpay/_control/flush`, { method: 'POST', headers: { authorization: `Bearer ${SK}` } });
    await at(s.id, 0);
    const raw = await runInDurableObject(stub(s.id), async (_o: CheckoutSession, state) =>
      state.storage.sql.exec<{ raw: string }>('SELECT raw FROM provider_messages').toArray(),
    );
    expect(JSON.stringify(raw)).toContain('oUpF8uMuAJO_M2pxb1Q9zNjWeS6o');
    await at(s.id, (UNPAID_RETENTION_DAYS + 1) * DAY_MS);
    expect(await tables(s.id)).toContain('provider_messages');
    await at(s.id, (DEFAULT_RETENTION_DAYS - 1) * DAY_MS);
    expect(await tables(s.id)).toContain('provider_messages');
    await at(s.id, (DEFAULT_RETENTION_DAYS + 1) * DAY_MS);
    expect(await tables(s.id)).toEqual([]);
    await readsLikeNeverExisted(s.id, s.client_secret);
  });

  it('work still due (a refund the provider has not taken yet) holds the deletion back', async () => {
    const s = await createSession();
    const { attempt } = await startAttempt(s);
    await postNotify(await signedNotify(transaction(attempt.id)));
    await runInDurableObject(stub(s.id), async (o: CheckoutSession) => {
      o.providerFetch = async () => new Response('unavailable', { status: 503 });
    });
    expect((await api('/v1/refunds', { method: 'POST', body: JSON.stringify({ session: s.id, amount: 100 }) })).status).toBe(201);
    await at(s.id, (DEFAULT_RETENTION_DAYS + 5) * DAY_MS);
    expect(await tables(s.id)).toContain('refunds');
    const due = await runInDurableObject(stub(s.id), async (o: CheckoutSession) => o.store.allDue().map((d) => d.kind));
    expect(due).toEqual(expect.arrayContaining(['refund', 'purge']));
  });

  it('no event body holds the client secret (stored, sent, or listed); the merchant API still gives it', async () => {
    const delivered = captureWebhooks();
    const s = await createSession();
    const { attempt } = await startAttempt(s);
    await postNotify(await signedNotify(transaction(attempt.id)));
    await at(s.id, 0);
    const stored = await runInDurableObject(stub(s.id), async (o: CheckoutSession) => o.store.events().map((e) => e.data));
    expect(stored.length).toBeGreaterThan(0);
    for (const body of stored) expect(body).not.toContain('client_secret');
    expect(delivered.length).toBeGreaterThan(0);
    for (const d of delivered) expect(d.body).not.toContain('_secret_');
    const listed = await (await api('/v1/events?limit=100')).text();
    expect(listed).toContain(s.id);
    expect(listed).not.toContain(s.client_secret);
    expect(((await (await api(`/v1/checkout/sessions/${s.id}`)).json()) as { client_secret: string }).client_secret).toBe(s.client_secret);
    // The widget's view never had it either.
    expect(await (await client(s, '')).text()).not.toContain('_secret_');
  });
});

describe('merchant-wide shards', () => {
  const shardAt = async (shard: DurableObjectStub<MerchantShard>, ms: number) => {
    await runInDurableObject(shard, async (o: MerchantShard) => {
      o.clock = { now: () => Date.now() + ms };
    });
    await runDurableObjectAlarm(shard);
  };
  const rows = (shard: DurableObjectStub<MerchantShard>, table: string) =>
    runInDurableObject(shard, async (_o: MerchantShard, state) => {
      const exists = state.storage.sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", table).toArray().length > 0;
      return exists ? Number(state.storage.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`).one().n) : 0;
    });

  it(`a day of the event log is listed for ${EVENT_LOG_DAYS} days and deleted the day after`, async () => {
    const s = await createSession();
    await api(`/v1/checkout/sessions/${s.id}/cancel`, { method: 'POST' });
    await at(s.id, 0);
    const shard = eventLogFor(env, 'demo', utcDay(Date.now()));
    expect(await rows(shard, 'events')).toBeGreaterThan(0);
    await shardAt(shard, (EVENT_LOG_DAYS - 1) * DAY_MS);
    expect(await rows(shard, 'events')).toBeGreaterThan(0);
    await shardAt(shard, (EVENT_LOG_DAYS + 2) * DAY_MS);
    expect(await rows(shard, 'events')).toBe(0);
  });

  it('a stored Idempotency-Key answer (with its client secret) is deleted after 24 h though the key is never used again', async () => {
    const key = `idem-${randomKey(12)}`;
    const res = await api('/v1/checkout/sessions', {
      method: 'POST',
      headers: { 'idempotency-key': key },
      body: JSON.stringify({ amount: 100, currency: 'CNY', description: 'x', merchant_order_id: `r${randomKey(10)}` }),
    });
    expect(res.status).toBe(201);
    const shard = shardFor(env, 'demo', 'idem', key);
    expect(await rows(shard, 'idempotency')).toBeGreaterThan(0);
    await shardAt(shard, 25 * 3600_000);
    expect(await rows(shard, 'idempotency')).toBe(0);
  });
});
