// A checkout session's whole story for its merchant (`GET /v1/checkout/sessions/{id}/timeline`,
// session/timeline.ts, docs/merchant-api.md#a-sessions-timeline): its attempts, the verified provider
// messages that reached it, anomalies, refunds, and every event with each webhook delivery try.

import type { SessionTimeline as SessionTimelineType } from '../../session/timeline';
import { z } from '../openapi';
import { Channel, Flow, Timestamp } from './common';
import { Refund } from './refunds';
import { CheckoutSession } from './sessions';

const TimelineAttempt = z
  .object({
    id: z.string().openapi({ description: 'The provider order number (out_trade_no / orderId).' }),
    channel: Channel,
    flow: Flow,
    provider: z.string().openapi({ example: 'wechat-v3' }),
    status: z.enum(['pending', 'succeeded', 'closed', 'failed']),
    created: Timestamp,
    next_action: z.string().nullable().openapi({
      description: 'What the shopper was shown (`display_qr`, `redirect`, `form_post`, `wechat_jsapi`, `app_payload`); null before the provider answered.',
    }),
    provider_transaction_id: z.string().nullable(),
    paid_amount: z.number().int().nullable().openapi({ description: 'Integer fen.' }),
    paid_at: Timestamp.nullable(),
    anomaly: z
      .string()
      .nullable()
      .openapi({ description: "Set when a payment on this attempt was not taken as the session's (late, duplicate, amount mismatch…)." }),
  })
  .openapi('TimelineAttempt');

const TimelineMessage = z
  .object({
    created: Timestamp.openapi({ description: 'Unix seconds; messages are listed in the order they arrived.' }),
    attempt: z.string(),
    source: z.string().openapi({ description: "`notify` (the provider called Shouyin), `query` (Shouyin asked), `pay` (a payment-code charge's answer)." }),
    outcome: z.string().openapi({
      description: "What Shouyin did with it: `paid`, `already_applied`, `anomaly:<reason>`, `reverse`, `refund:<state>`, or the provider's state.",
    }),
    raw: z.unknown().openapi({ description: "The verified message as decoded (the provider's own fields), as evidence." }),
  })
  .openapi('TimelineMessage');

const TimelineEvent = z
  .object({
    id: z.string().openapi({ example: 'evt_4sV0yIuR0mYqKcEo5JmZ2b7Q' }),
    type: z.string().openapi({ example: 'checkout.session.paid' }),
    created: Timestamp,
    delivery: z
      .enum(['pending', 'delivered', 'failed', 'none'])
      .openapi({ description: '`pending` (retrying), `delivered`, `failed` (gave up after about 3 days), `none` (no webhook configured).' }),
    deliveries: z.array(
      z.object({
        try: z.number().int(),
        created: Timestamp,
        status: z
          .number()
          .int()
          .nullable()
          .openapi({ description: "The HTTP status the merchant's endpoint answered; null when nothing came back (then `error`)." }),
        error: z.string().nullable(),
      }),
    ),
  })
  .openapi('TimelineEvent');

export const SessionTimeline = z
  .object({
    object: z.literal('checkout.session.timeline'),
    session: CheckoutSession.omit({ client_secret: true, url: true }).openapi('TimelineSession', {
      description: 'The checkout session, without its client secret nor the hosted page’s `url`, which carries it.',
    }),
    attempts: z.array(TimelineAttempt),
    provider_messages: z.array(TimelineMessage),
    anomalies: z.array(
      z.object({
        attempt: z.string(),
        reason: z.string().openapi({ example: 'late_payment' }),
        created: Timestamp,
        source: z.string(),
      }),
    ),
    // A copy of Refund's fields, not `.extend()`: that would be documented as allOf, which the tables cannot show.
    refunds: z.array(
      z.object({ ...Refund.shape, updated: Timestamp.openapi({ description: 'When its status last changed.' }) }).openapi('TimelineRefund', {
        description: 'A Refund, with `updated`: when its status last changed.',
      }),
    ),
    events: z.array(TimelineEvent),
  })
  .openapi('SessionTimeline') satisfies z.ZodType<SessionTimelineType>;
