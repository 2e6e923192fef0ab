// The client API on the wire (what the widget reads): the public session and its status.

import type { PublicSessionView, StatusView as StatusViewType } from '../../contract';
import { MAX_LONG_POLL_MS } from '../../session/durable-object';
import { z } from '../openapi';
import { orNull, Channel, Flow } from './common';
import { PublicAttempt, SessionStatus } from './sessions';

export const PublicSession = z
  .object({
    id: z.string(),
    object: z.literal('checkout.session.public'),
    status: SessionStatus,
    amount: z.number().int().openapi({ description: 'Integer fen.' }),
    currency: z.literal('CNY'),
    description: z.string(),
    merchant_name: z.string(),
    merchant_order_id: z.string(),
    expires_at: z.string().openapi({ format: 'date-time' }),
    livemode: z.boolean(),
    cancel_url: z.string().nullable().openapi({
      description:
        "The merchant's page to send the shopper back to while unpaid or once the session ended. `{CHECKOUT_SESSION_ID}` is filled in; `{LOCALE}` is left for the page to fill with the shopper's language.",
    }),
    return_url: z.string().nullable().openapi({ description: "The merchant's page once paid; placeholders as in `cancel_url`." }),
    channels: z.array(
      z.object({
        channel: Channel,
        flows: z.array(Flow).openapi({ description: "Usable in the shopper's environment, best first." }),
        notice: z
          .literal('open_in_browser')
          .optional()
          .openapi({ description: "The shopper's app blocks this channel (Alipay inside WeChat): guide them to a browser." }),
      }),
    ),
    active_attempt: orNull(PublicAttempt),
  })
  .openapi('PublicCheckoutSession', { description: 'Everything the widget may know of a session, nothing secret.' }) satisfies z.ZodType<PublicSessionView>;

export const StatusView = z
  .object({
    id: z.string(),
    status: SessionStatus,
    version: z.number().int().openapi({ description: 'Increments on every change the widget should re-render for.' }),
    active_attempt: orNull(PublicAttempt),
  })
  .openapi('SessionStatusView') satisfies z.ZodType<StatusViewType>;

const WAIT = `wait must be between 0 and ${MAX_LONG_POLL_MS / 1000} seconds.`;
export const StatusQuery = z.object({
  wait: z.coerce
    .number({ error: WAIT })
    .min(0, { error: WAIT })
    .max(MAX_LONG_POLL_MS / 1000, { error: WAIT })
    .optional()
    .openapi({
      param: { name: 'wait', in: 'query' },
      description: `Long-poll: hold the answer up to this many seconds (0–${MAX_LONG_POLL_MS / 1000}) until the version changes.`,
    }),
  version: z.coerce
    .number({ error: 'version must be an integer from a previous status response.' })
    .int({ error: 'version must be an integer from a previous status response.' })
    .optional()
    .openapi({ param: { name: 'version', in: 'query' }, description: 'The `version` of the status the page has.' }),
});
