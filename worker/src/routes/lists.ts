// Lists and search on the merchant API: `GET /v1/checkout/sessions`, `GET /v1/refunds`,
// `GET /v1/events/{id}`. Sessions and refunds are read from the merchant's list index
// (listing/store.ts), which every session keeps up to date from its outbox; each single session stays
// the truth (`GET /v1/checkout/sessions/{id}`). docs/merchant-api.md, "Lists and search".
// Mounted inside merchantRoutes (routes/merchant.ts), behind whatever authenticates them.

import { createRoute } from '@hono/zod-openapi';
import { apiApp, defineRoute } from '../api/openapi';
import { INTERNAL, MERCHANT_AUTH, errors, secretKeyAuth } from '../api/schemas/common';
import { Event } from '../api/schemas/events';
import { EventIdParams, RefundList, RefundListQuery, SessionList, SessionListQuery } from '../api/schemas/lists';
import type { Env } from '../env';
import { notFound, type ErrorCode } from '../lib/errors';
import { decodeCursor, filterKey, pageOf } from '../listing/cursor';
import type { LoggedEvent } from '../merchant-shard';
import { EVENT_LOG_DAYS, eventLogFor, listIndexFor, utcDay } from '../shards';

export const listRoutes = apiApp();

const json = <S>(schema: S, description: string) => ({ description, content: { 'application/json': { schema } } });
const seconds = (s: number | undefined): number | undefined => (s === undefined ? undefined : s * 1000);
/** What a list's query can be refused for: a filter, `limit`, or a cursor of another list. */
const LIST_400: ErrorCode[] = ['parameter_invalid', 'parameter_unknown', 'invalid_cursor'];

defineRoute(
  listRoutes,
  createRoute({
    method: 'get',
    path: '/checkout/sessions',
    operationId: 'listCheckoutSessions',
    tags: ['Checkout sessions'],
    summary: 'List and search checkout sessions',
    description:
      'Newest first. Reflects every change of a session within seconds (docs/merchant-api.md, "How fresh a list is"). Items never carry the client secret nor the hosted page url: retrieve the session for them.',
    security: secretKeyAuth,
    request: { query: SessionListQuery },
    responses: { 200: json(SessionList, 'A page of sessions.'), ...errors({ 400: LIST_400, 401: MERCHANT_AUTH, 500: INTERNAL }) },
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
    const items = rows.map((r) => ({ id: r.id, created: r.created, item: JSON.parse(r.body) as unknown }));
    return c.json(await pageOf(items, q.limit, merchant.id, 'checkout_sessions', filters), 200);
  },
);

defineRoute(
  listRoutes,
  createRoute({
    method: 'get',
    path: '/refunds',
    operationId: 'listRefunds',
    tags: ['Refunds'],
    summary: 'List refunds',
    description: "Newest first: every refund of the merchant's sessions, automatic refunds of payment anomalies included.",
    security: secretKeyAuth,
    request: { query: RefundListQuery },
    responses: { 200: json(RefundList, 'A page of refunds.'), ...errors({ 400: LIST_400, 401: MERCHANT_AUTH, 500: INTERNAL }) },
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
    const items = rows.map((r) => ({ id: r.id, created: r.created, item: JSON.parse(r.body) as unknown }));
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

defineRoute(
  listRoutes,
  createRoute({
    method: 'get',
    path: '/events/{id}',
    operationId: 'retrieveEvent',
    tags: ['Events'],
    summary: 'Retrieve an event',
    description: 'One event of the last 7 days, exactly as its webhook carried it.',
    security: secretKeyAuth,
    request: { params: EventIdParams },
    responses: { 200: json(Event, 'The event.'), ...errors({ 401: MERCHANT_AUTH, 404: ['resource_missing'], 500: INTERNAL }) },
  }),
  async (c) => {
    const merchant = c.get('merchant');
    const { id } = c.req.valid('param');
    const e = await findEvent(c.env, merchant.id, id);
    if (!e) throw notFound('event', id);
    return new Response(e.body, { headers: { 'content-type': 'application/json' } });
  },
);
