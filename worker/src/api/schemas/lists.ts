// Schemas of the list and search routes (routes/lists.ts): `GET /v1/checkout/sessions`,
// `GET /v1/refunds` and `GET /v1/events/{id}`. The same schemas validate the requests and describe them
// in the OpenAPI document (docs/merchant-api.md, "Lists and search").

import { CHANNELS } from '../../contract';
import type { ListedSessionView } from '../../session/views';
import { z } from '../openapi';
import { limitParam, listOf, says, startingAfterParam, unixSecondsParam } from './common';
import { Refund } from './refunds';
import { CheckoutSession } from './sessions';

const SESSION_STATUSES = ['open', 'paid', 'expired', 'canceled'] as const;
const REFUND_STATUSES = ['pending', 'succeeded', 'failed'] as const;

const createdGte = unixSecondsParam('created[gte]', 'Only objects created at or after this time (Unix seconds).');
const createdLt = unixSecondsParam('created[lt]', 'Only objects created before this time (Unix seconds).');

export const SessionListQuery = z.strictObject({
  status: z
    .enum(SESSION_STATUSES, { error: `status must be one of ${SESSION_STATUSES.join(', ')}.` })
    .optional()
    .openapi({ param: { name: 'status', in: 'query' }, description: 'Only sessions in this state.' }),
  channel: z
    .enum(CHANNELS, { error: `channel must be one of ${CHANNELS.join(', ')}.` })
    .optional()
    .openapi({
      param: { name: 'channel', in: 'query' },
      description: "The paid attempt's channel; for a session not paid, its newest attempt's. Sessions without an attempt have none.",
    }),
  'created[gte]': createdGte,
  'created[lt]': createdLt,
  merchant_order_id: z
    .string({ error: says('merchant_order_id must be 1–32 characters of letters, digits, _ or -.') })
    .regex(/^[A-Za-z0-9_-]{1,32}$/, { error: 'merchant_order_id must be 1–32 characters of letters, digits, _ or -.' })
    .optional()
    .openapi({ param: { name: 'merchant_order_id', in: 'query' }, description: 'Your own order number: every session made for it, newest first.' }),
  limit: limitParam,
  starting_after: startingAfterParam,
});

export const RefundListQuery = z.strictObject({
  session: z
    .string({ error: says('session must be a checkout session id (cs_…).') })
    .regex(/^cs_[0-9A-Za-z]{24}$/, { error: 'session must be a checkout session id (cs_…).' })
    .optional()
    .openapi({ param: { name: 'session', in: 'query' }, description: "Only this session's refunds." }),
  status: z
    .enum(REFUND_STATUSES, { error: `status must be one of ${REFUND_STATUSES.join(', ')}.` })
    .optional()
    .openapi({ param: { name: 'status', in: 'query' }, description: 'Only refunds in this state.' }),
  'created[gte]': createdGte,
  'created[lt]': createdLt,
  limit: limitParam,
  starting_after: startingAfterParam,
});

/** An event id path parameter: an unknown or malformed one is a 404. */
export const EventIdParams = z.object({
  id: z.string().openapi({
    param: { name: 'id', in: 'path' },
    description: "The event's id (`evt_…`): its `webhook-id`. One of the last 7 days; an older, unknown or another merchant's is a 404.",
    example: 'evt_2Hk9sQm0yVb4Xc7Lp1Nd3Rf8',
  }),
});

/** A session as a list shows it: what its retrieve returns, without the client secret nor the hosted page url. */
export const ListedCheckoutSession = CheckoutSession.omit({ client_secret: true, url: true }).openapi('ListedCheckoutSession', {
  description:
    'A checkout session as a list shows it: the retrieve shape without `client_secret` and without the hosted page `url`, whose fragment is the secret (retrieve the session for them).',
}) satisfies z.ZodType<ListedSessionView>;

export const SessionList = listOf(ListedCheckoutSession, 'CheckoutSessionList');
export const RefundList = listOf(Refund, 'RefundList');
