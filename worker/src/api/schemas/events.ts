// Events: what a webhook carries and `GET /v1/events` lists. Each event type has its own schema
// (`data.object`), documented as an OpenAPI 3.1 webhook of the same name (api/document.ts).

import { z } from '../openapi';
import { Channel, Timestamp } from './common';
import { AppleNotification } from './apple';
import { ReconciliationSummary } from './reconciliation';
import { Refund } from './refunds';
import { CheckoutSession } from './sessions';
import { WebhookEndpoint } from './webhook-endpoints';

/**
 * A session as events carry it (session/webhooks.ts eventObject): without its `client_secret` and its
 * hosted page `url`, which holds the secret (docs/data-retention.md).
 */
const EventSession = CheckoutSession.omit({ client_secret: true, url: true }).openapi('EventCheckoutSession', {
  description: 'The checkout session, without its client_secret and hosted page url: only the page needs those.',
});

export const PaymentAnomaly = z
  .object({
    object: z.literal('payment.anomaly'),
    session: z.string(),
    merchant_order_id: z.string(),
    attempt: z.string().openapi({ description: 'The provider order number the money (or the problem) is on.' }),
    reason: z
      .enum([
        'late_payment',
        'duplicate_payment',
        'amount_mismatch',
        'currency_mismatch',
        'app_mismatch',
        'merchant_mismatch',
        'channel_mismatch',
        'unknown_attempt',
        'reverse_window_closed',
      ])
      .openapi({
        description:
          "Why the money cannot be the session's payment (docs/reliability.md). `reverse_window_closed`: a payment-code order the till gave up on could not be reversed before the provider stopped accepting reversals; check the order in the provider's merchant platform and refund it there if it was paid. `channel_mismatch`: a verified payment from one rail named an order made on another (`channel` and `provider` are the rail the money is on); refund it on that rail.",
      }),
    channel: Channel.nullable(),
    provider: z.string().nullable(),
    amount: z.number().int().openapi({ description: 'Integer fen.' }),
    currency: z.string(),
    provider_transaction_id: z.string().nullable(),
    refund: z.union([
      z.object({ status: z.literal('pending'), id: z.string() }),
      z.object({ status: z.literal('disabled') }),
      z.object({ status: z.literal('not_applicable') }),
    ]),
    evidence: z.unknown().openapi({ description: "The provider's raw message." }),
  })
  .openapi('PaymentAnomaly');

/** `merchant.credentials_expiring`'s object: the certificates that just came within 30, 7 or 1 days of expiry. */
export const ExpiringCredentials = z
  .object({
    object: z.literal('merchant.credentials'),
    merchant: z.string(),
    credentials: z.array(
      z.object({
        channel: z.enum(['wechat_pay', 'alipay', 'unionpay', 'apple']),
        credential: z
          .string()
          .openapi({ description: 'The configuration field that holds it, relative to the merchant.', example: 'providers.alipay.alipay_root_cert[1]' }),
        subject: z.string().nullable(),
        serial: z.string(),
        not_after: z.string().openapi({ format: 'date-time' }),
        note: z.string().optional(),
        days_left: z.number().int(),
        threshold_days: z.union([z.literal(30), z.literal(7), z.literal(1)]),
      }),
    ),
  })
  .openapi('ExpiringCredentials');

/** Every event type, with what its `data.object` is and when it is sent. */
export const EVENT_TYPES = {
  'checkout.session.paid': { object: EventSession, when: 'A verified notify, a query or a payment-code charge moved the session to `paid` (once).' },
  'checkout.session.expired': { object: EventSession, when: '`expires_at` passed and every provider order was closed unpaid.' },
  'checkout.session.canceled': { object: EventSession, when: 'The merchant canceled the session.' },
  'payment.anomaly': {
    object: PaymentAnomaly,
    when: "Money arrived that cannot be the session's payment, or a payment-code order could not be reversed in the provider's window: a person should look.",
  },
  'refund.succeeded': { object: Refund, when: 'The provider settled a refund (automatic ones included).' },
  'refund.failed': { object: Refund, when: 'The provider refused a refund for good.' },
  'reconciliation.completed': { object: ReconciliationSummary, when: "Daily, after the day's statements were read (docs/reconciliation.md)." },
  'merchant.credentials_expiring': {
    object: ExpiringCredentials,
    when: 'A certificate of the merchant came within 30, 7 or 1 days of its expiry (the daily credential check, docs/deploy.md).',
  },
  'apple.notification': {
    object: AppleNotification,
    when: 'An App Store Server Notification V2 arrived and verified (docs/apple.md): a purchase, a renewal, a refund, an expiry…',
  },
  'webhook_endpoint.disabled': {
    object: WebhookEndpoint.omit({ secret: true }).openapi('DisabledWebhookEndpoint', { description: 'The endpoint, now `disabled`; never its secret.' }),
    data: {
      failing_since: Timestamp.openapi({ description: 'When the first of the failed tries since its last success was made (Unix seconds).' }),
      reason: z.enum(['failing_3_days', 'http_410_gone']).optional().openapi({
        description:
          '`failing_3_days`: every try failed for 3 days; `http_410_gone`: the endpoint answered 410 Gone, and was disabled at once. Absent on events raised before Shouyin sent it (2026-12-07), which were all `failing_3_days`.',
      }),
    },
    when: "Every try to one of the merchant's API webhook endpoints failed for 3 days, or it answered 410 Gone: Shouyin disabled it (sent to the merchant's other endpoints; docs/webhooks.md).",
  },
} as const;

export type EventType = keyof typeof EVENT_TYPES;

const schemaName = (type: string): string =>
  `${type
    .split(/[._]/)
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('')}Event`;

/** One event's envelope, typed by its `type`. */
export const eventSchemas = Object.fromEntries(
  Object.entries(EVENT_TYPES).map(([type, entry]) => [
    type,
    z
      .object({
        id: z
          .string()
          .openapi({ description: 'The event id; also the `webhook-id` header, the same on every retry.', example: 'evt_2Hk9sQm0yVb4Xc7Lp1Nd3Rf8' }),
        type: z.literal(type),
        created: Timestamp,
        livemode: z.boolean(),
        data: z.object({ object: entry.object, ...('data' in entry ? entry.data : {}) }),
      })
      .openapi(schemaName(type), { description: entry.when }),
  ]),
) as unknown as { [T in EventType]: z.ZodObject };

export const Event = z.discriminatedUnion('type', Object.values(eventSchemas) as [z.ZodObject, ...z.ZodObject[]]).openapi('Event');

export const EventList = z
  .object({
    object: z.literal('list'),
    data: z.array(Event),
    has_more: z.boolean(),
    next_cursor: z.string().nullable().openapi({ description: 'Pass as `starting_after` for the next page; null on the last page.' }),
  })
  .openapi('EventList');

export const EventListQuery = z.object({
  limit: z.coerce
    .number({ error: 'limit must be an integer between 1 and 100.' })
    .int({ error: 'limit must be an integer between 1 and 100.' })
    .min(1, { error: 'limit must be an integer between 1 and 100.' })
    .max(100, { error: 'limit must be an integer between 1 and 100.' })
    .optional()
    .openapi({ param: { name: 'limit', in: 'query' }, description: 'Events per page, 1–100 (default 20).', example: 20 }),
  type: z
    .string()
    .regex(/^[a-z_.]{1,64}$/, { error: 'type must be an event type such as checkout.session.paid.' })
    .optional()
    .openapi({ param: { name: 'type', in: 'query' }, description: 'Only events of this type.', example: 'checkout.session.paid' }),
  starting_after: z
    .string()
    .regex(/^\d{13}_evt_[0-9A-Za-z]{24}$/, { error: 'starting_after must be the next_cursor of a previous page.' })
    .optional()
    .openapi({ param: { name: 'starting_after', in: 'query' }, description: '`next_cursor` of the previous page.' }),
});
