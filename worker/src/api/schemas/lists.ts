// Schemas of the list and search routes (routes/lists.ts): `GET /v1/checkout/sessions`,
// `GET /v1/refunds` and `GET /v1/events/{id}`. The same schemas validate the requests and describe them
// in the OpenAPI document (docs/merchant-api.md, "Lists and search").

import { CHANNELS } from '../../contract';
import { z } from '../openapi';
import { limitParam, listOf, says, startingAfterParam, unixSecondsParam } from './common';

const SESSION_STATUSES = ['open', 'paid', 'expired', 'canceled'] as const;
const REFUND_STATUSES = ['pending', 'succeeded', 'failed'] as const;

const createdGte = unixSecondsParam('created[gte]', 'Only objects created at or after this time (Unix seconds).');
const createdLt = unixSecondsParam('created[lt]', 'Only objects created before this time (Unix seconds).');

export const SessionListQuery = z.strictObject({
  status: z
    .enum(SESSION_STATUSES, { error: `status must be one of ${SESSION_STATUSES.join(', ')}.` })
    .optional()
    .openapi({ param: { name: 'status', in: 'query' } }),
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
    .openapi({ param: { name: 'status', in: 'query' } }),
  'created[gte]': createdGte,
  'created[lt]': createdLt,
  limit: limitParam,
  starting_after: startingAfterParam,
});

export const EventIdParams = z.object({
  id: z.string().openapi({ param: { name: 'id', in: 'path' }, example: 'evt_0123456789ABCDEFGHIJabcd' }),
});

const Payment = z
  .object({
    attempt: z.string(),
    channel: z.enum(CHANNELS),
    provider: z.string(),
    provider_transaction_id: z.string().nullable(),
    amount: z.number().int(),
    currency: z.literal('CNY'),
    paid_at: z.number().int().nullable(),
  })
  .openapi('ListedSessionPayment');

export const ListedRefund = z
  .object({
    id: z.string().openapi({ example: 're_0123456789ABCDEFGHIJabcdR1' }),
    object: z.literal('refund'),
    session: z.string(),
    merchant_order_id: z.string(),
    amount: z.number().int(),
    currency: z.literal('CNY'),
    status: z.enum(REFUND_STATUSES),
    reason: z.string().nullable(),
    automatic: z.boolean(),
    attempt: z.string(),
    channel: z.enum(CHANNELS).nullable(),
    provider: z.string().nullable(),
    provider_refund_id: z.string().nullable(),
    failure_reason: z.string().nullable(),
    created: z.number().int(),
  })
  .openapi('ListedRefund');

export const ListedCheckoutSession = z
  .object({
    id: z.string().openapi({ example: 'cs_0123456789ABCDEFGHIJabcd' }),
    object: z.literal('checkout.session'),
    status: z.enum(SESSION_STATUSES),
    amount: z.number().int(),
    amount_refunded: z.number().int(),
    currency: z.literal('CNY'),
    description: z.string(),
    merchant_order_id: z.string(),
    channels: z.array(z.enum(CHANNELS)),
    expires_at: z.number().int(),
    created: z.number().int(),
    livemode: z.boolean(),
    return_url: z.string().nullable(),
    metadata: z.record(z.string(), z.string()),
    payment: Payment.nullable(),
    refunds: z.array(ListedRefund),
  })
  .openapi('ListedCheckoutSession', {
    description: 'A checkout session as a list shows it: the retrieve shape without `client_secret` (retrieve the session for it).',
  });

export const LoggedEventBody = z
  .object({
    id: z.string(),
    type: z.string(),
    created: z.number().int(),
    livemode: z.boolean(),
    data: z.object({ object: z.unknown() }).passthrough(),
  })
  .openapi('Event', { description: 'An event exactly as its webhook carried it.' });

export const SessionList = listOf(ListedCheckoutSession, 'CheckoutSessionList');
export const RefundList = listOf(ListedRefund, 'RefundList');
