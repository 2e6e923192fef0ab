// Lists and search on the merchant API (secret key): `GET /v1/checkout/sessions`, `GET /v1/refunds`,
// `GET /v1/events/{id}`. Sessions and refunds are read from the merchant's list index
// (listing/store.ts), which every session keeps up to date from its outbox; each single session stays
// the truth (`GET /v1/checkout/sessions/{id}`). docs/merchant-api.md, "Lists and search".

import { createRoute } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { apiApp } from '../api/openapi';
import { errorResponses, notFoundResponse } from '../api/schemas/common';
import { EventIdParams, LoggedEventBody, RefundList, RefundListQuery, SessionList, SessionListQuery } from '../api/schemas/lists';
import type { Env } from '../env';
import { notFound } from '../lib/errors';
import { decodeCursor, filterKey, pageOf } from '../listing/cursor';
import type { LoggedEvent } from '../merchant-shard';
import { eventLogFor, listIndexFor, utcDay } from '../shards';
import { authenticateMerchant, type AppEnv } from './http';
import { EVENT_LOG_DAYS } from './merchant';

/** The merchant API's authentication, per route (these routes share /v1 with others). */
export const merchantAuth: MiddlewareHandler<AppEnv> = async (c, next) => {
  c.set('merchant', authenticateMerchant(c));
  await next();
};

export const listsApi = apiApp();

const seconds = (s: number | undefined): number | undefined => (s === undefined ? undefined : s * 1000);

listsApi.openapi(
  createRoute({
    method: 'get',
    path: '/checkout/sessions',
    summary: 'List and search checkout sessions',
    description: 'Newest first. Reflects every change of a session within seconds (docs/merchant-api.md, "How fresh a list is").',
    tags: ['Checkout sessions'],
    middleware: [merchantAuth],
    request: { query: SessionListQuery },
    responses: { 200: { description: 'A page of sessions.', content: { 'application/json': { schema: SessionList } } }, ...errorResponses },
  }),
  async (c) => {
    const merchant = c.get('merchant');
    const q = c.req.valid('query');
    const filters = filterKey({
      status: q.status,
      channel: q.channel,
      'created[gte]': q['created[gte]'],
      'created[lt]': q['created[lt]'],
      merchant_order_id: q.merchant_order_id,
    });
    const before = q.starting_after === undefined ? undefined : await decodeCursor(merchant.id, 'checkout_sessions', filters, q.starting_after);
    const rows = await listIndexFor(c.env, merchant.id).listSessions(merchant.id, {
      ...(q.status ? { status: q.status } : {}),
      ...(q.channel ? { channel: q.channel } : {}),
      ...(q.merchant_order_id ? { merchantOrderId: q.merchant_order_id } : {}),
      ...(q['created[gte]'] !== undefined ? { createdGte: seconds(q['created[gte]']) } : {}),
      ...(q['created[lt]'] !== undefined ? { createdLt: seconds(q['created[lt]']) } : {}),
      ...(before ? { before } : {}),
      limit: q.limit + 1,
    });
    const items = rows.map((r) => ({ id: r.id, created: r.created, item: JSON.parse(r.body) }));
    return c.json(await pageOf(items, q.limit, merchant.id, 'checkout_sessions', filters), 200);
  },
);

listsApi.openapi(
  createRoute({
    method: 'get',
    path: '/refunds',
    summary: 'List refunds',
    description: "Newest first: every refund of the merchant's sessions, automatic refunds of payment anomalies included.",
    tags: ['Refunds'],
    middleware: [merchantAuth],
    request: { query: RefundListQuery },
    responses: { 200: { description: 'A page of refunds.', content: { 'application/json': { schema: RefundList } } }, ...errorResponses },
  }),
  async (c) => {
    const merchant = c.get('merchant');
    const q = c.req.valid('query');
    const filters = filterKey({ session: q.session, status: q.status, 'created[gte]': q['created[gte]'], 'created[lt]': q['created[lt]'] });
    const before = q.starting_after === undefined ? undefined : await decodeCursor(merchant.id, 'refunds', filters, q.starting_after);
    const rows = await listIndexFor(c.env, merchant.id).listRefunds(merchant.id, {
      ...(q.session ? { session: q.session } : {}),
      ...(q.status ? { status: q.status } : {}),
      ...(q['created[gte]'] !== undefined ? { createdGte: seconds(q['created[gte]']) } : {}),
      ...(q['created[lt]'] !== undefined ? { createdLt: seconds(q['created[lt]']) } : {}),
      ...(before ? { before } : {}),
      limit: q.limit + 1,
    });
    const items = rows.map((r) => ({ id: r.id, created: r.created, item: JSON.parse(r.body) }));
    return c.json(await pageOf(items, q.limit, merchant.id, 'refunds', filters), 200);
  },
);

const EVENT_ID = /^evt_[0-9A-Za-z]{24}$/;

/** An event of the merchant's log (the last EVENT_LOG_DAYS UTC days), or null. The day shards are asked at once. */
export async function findEvent(env: Env, merchantId: string, id: string): Promise<LoggedEvent | null> {
  if (!EVENT_ID.test(id)) return null;
  const now = Date.now();
  const days = Array.from({ length: EVENT_LOG_DAYS }, (_, d) => utcDay(now - d * 86_400_000));
  const found = await Promise.all(days.map((day) => eventLogFor(env, merchantId, day).getEvent(merchantId, id)));
  return found.find((e) => e !== null) ?? null;
}

listsApi.openapi(
  createRoute({
    method: 'get',
    path: '/events/{id}',
    summary: 'Retrieve an event',
    description: 'One event of the last 7 days, exactly as its webhook carried it.',
    tags: ['Events'],
    middleware: [merchantAuth],
    request: { params: EventIdParams },
    responses: {
      200: { description: 'The event.', content: { 'application/json': { schema: LoggedEventBody } } },
      ...errorResponses,
      ...notFoundResponse,
    },
  }),
  async (c) => {
    const merchant = c.get('merchant');
    const { id } = c.req.valid('param');
    const e = await findEvent(c.env, merchant.id, id);
    if (!e) throw notFound('event', id);
    return c.json(JSON.parse(e.body), 200);
  },
);
