// Refunds on the wire: what `POST /v1/refunds` takes and the refund object.

import { isSessionId } from '../../session/ids';
import type { RefundObject } from '../../session/refunds';
import { required, z } from '../openapi';
import { Channel, Timestamp } from './common';

const SESSION = 'session must be a checkout session id (cs_…).';

export const CreateRefundBody = z
  .strictObject({
    session: z
      .string({ error: required('session (the cs_… id of a paid checkout session).', SESSION) })
      .refine(isSessionId, { error: SESSION })
      .openapi({ description: 'The paid checkout session to refund.', example: 'cs_4sV0yIuR0mYqKcEo5JmZ2b7Q' }),
    amount: z
      .number({ error: 'amount must be a positive integer number of fen; omit it to refund everything that remains.' })
      .int({ error: 'amount must be a positive integer number of fen; omit it to refund everything that remains.' })
      .min(1, { error: 'amount must be a positive integer number of fen; omit it to refund everything that remains.' })
      .optional()
      .openapi({ description: 'Integer fen; defaults to everything that remains of the payment.', example: 1000 }),
    reason: z
      .string({ error: 'reason must be a string of 1–80 characters.' })
      .refine((r) => r.length > 0 && [...r].length <= 80, { error: 'reason must be a string of 1–80 characters.' })
      .optional()
      .openapi({ description: '1–80 characters, passed to the provider where it takes one.', minLength: 1, maxLength: 80, example: '退货 returned' }),
  })
  .openapi('CreateRefund');

export const Refund = z
  .object({
    id: z.string().openapi({ example: 're_4sV0yIuR0mYqKcEo5JmZ2b7QR1' }),
    object: z.literal('refund'),
    session: z.string(),
    merchant_order_id: z.string(),
    amount: z.number().int().openapi({ description: 'Integer fen.' }),
    currency: z.literal('CNY'),
    status: z.enum(['pending', 'succeeded', 'failed']),
    reason: z.string().nullable(),
    automatic: z.boolean().openapi({ description: "`true` for Shouyin's own refunds of late and duplicate payments (not counted in amount_refunded)." }),
    attempt: z.string().openapi({ description: 'The provider order the money is returned from.' }),
    channel: Channel.nullable(),
    provider: z.string().nullable(),
    provider_refund_id: z.string().nullable(),
    failure_reason: z.string().nullable(),
    created: Timestamp,
  })
  .openapi('Refund') satisfies z.ZodType<RefundObject>;
