// Schemas of the webhook endpoint and delivery routes (routes/webhook-endpoints.ts); the same schemas
// validate the requests and describe them in the OpenAPI document (docs/webhooks.md).

import { MAX_ROTATION_OVERLAP_S } from '../../webhooks/endpoints';
import { SUBSCRIBABLE_EVENT_TYPES } from '../../webhooks/event-types';
import { z } from '../openapi';
import { Timestamp, limitParam, listOf, says, startingAfterParam } from './common';

const EVENT_CHOICES = ['*', ...SUBSCRIBABLE_EVENT_TYPES] as const;

const url = z
  .string({ error: says('url must be an absolute http(s) URL of at most 2048 characters.') })
  .max(2048, { error: 'url must be at most 2048 characters.' })
  .refine(
    (v) => {
      try {
        const u = new URL(v);
        return u.protocol === 'https:' || u.protocol === 'http:';
      } catch {
        return false;
      }
    },
    { error: 'url must be an absolute http(s) URL (https for a live merchant).' },
  )
  .openapi({ example: 'https://shop.example.com/webhooks/shouyin', description: 'Where events are POSTed. https for a live merchant.' });

const enabledEvents = z
  .array(z.enum(EVENT_CHOICES, { error: `must be "*" or one of ${SUBSCRIBABLE_EVENT_TYPES.join(', ')}.` }), {
    error: says('enabled_events must be an array: ["*"] or event types.'),
  })
  .min(1, { error: 'enabled_events must name at least one event type, or be ["*"].' })
  .max(EVENT_CHOICES.length, { error: 'enabled_events names an event type twice.' })
  .refine((v) => new Set(v).size === v.length, { error: 'enabled_events names an event type twice.' })
  .refine((v) => !v.includes('*') || v.length === 1, { error: 'enabled_events: "*" already means every event type; send it alone.' })
  .openapi({ example: ['checkout.session.paid', 'refund.succeeded'], description: '`["*"]` for every event type, including ones added later.' });

const description = z
  .string({ error: says('description must be a string of 1–500 characters, or null.') })
  .min(1, { error: 'description must be a string of 1–500 characters, or null.' })
  .max(500, { error: 'description must be a string of 1–500 characters, or null.' })
  .nullable()
  .optional();

export const CreateEndpointBody = z.strictObject({ url, enabled_events: enabledEvents, description }).openapi('CreateWebhookEndpoint');

export const UpdateEndpointBody = z
  .strictObject({
    url: url.optional(),
    enabled_events: enabledEvents.optional(),
    description,
    status: z
      .enum(['enabled', 'disabled'], { error: 'status must be "enabled" or "disabled".' })
      .optional()
      .openapi({ description: 'Enabling an endpoint again restarts its 3-day failure count.' }),
  })
  .openapi('UpdateWebhookEndpoint');

export const RotateSecretBody = z
  .strictObject({
    expire_previous_in: z
      .number({ error: says(`expire_previous_in must be an integer number of seconds, 0–${MAX_ROTATION_OVERLAP_S}.`) })
      .int({ error: `expire_previous_in must be an integer number of seconds, 0–${MAX_ROTATION_OVERLAP_S}.` })
      .min(0, { error: `expire_previous_in must be an integer number of seconds, 0–${MAX_ROTATION_OVERLAP_S}.` })
      .max(MAX_ROTATION_OVERLAP_S, { error: `expire_previous_in must be an integer number of seconds, 0–${MAX_ROTATION_OVERLAP_S}.` })
      .optional()
      .openapi({ description: 'How long the current secret keeps signing beside the new one (seconds; default 86400; 0 retires it now).' }),
  })
  .openapi('RotateWebhookEndpointSecret');

export const RetryBody = z
  .strictObject({
    endpoint: z
      .string({ error: says('endpoint must be a webhook endpoint id (we_…).') })
      .regex(/^we_[0-9A-Za-z_]{1,30}$/, { error: 'endpoint must be a webhook endpoint id (we_…).' })
      .optional()
      .openapi({ description: 'Only this endpoint; by default every enabled endpoint subscribed to the event.' }),
  })
  .openapi('RetryEvent');

export const EndpointIdParams = z.object({
  id: z.string().openapi({
    param: { name: 'id', in: 'path' },
    description: "The endpoint's id (`we_…`, or `we_config` for the configured webhook). An unknown one, or another merchant's, is a 404.",
    example: 'we_0123456789ABCDEFGHIJabcd',
  }),
});

export const DeliveryListQuery = z.strictObject({
  status: z
    .enum(['succeeded', 'failed'], { error: 'status must be "succeeded" or "failed".' })
    .optional()
    .openapi({ param: { name: 'status', in: 'query' } }),
  limit: limitParam,
  starting_after: startingAfterParam,
});

export const EndpointListQuery = z.strictObject({ limit: limitParam, starting_after: startingAfterParam });

export const WebhookEndpoint = z
  .object({
    id: z.string().openapi({ example: 'we_0123456789ABCDEFGHIJabcd' }),
    object: z.literal('webhook_endpoint'),
    url: z.string(),
    enabled_events: z.array(z.enum(EVENT_CHOICES)).openapi({ description: '`["*"]` (every event type) or the event types it receives.' }),
    status: z.enum(['enabled', 'disabled']).openapi({ description: '`disabled`: sent nothing (by a PATCH, or by Shouyin after 3 days of failed tries).' }),
    description: z.string().nullable(),
    created: Timestamp.openapi({ description: 'Unix seconds; 0 for `we_config`, which comes from the configuration.' }),
    secret: z.string().optional().openapi({ description: 'The signing secret (`whsec_…`): only in the answers of create and rotate_secret, never again.' }),
  })
  .openapi('WebhookEndpoint');

export const DeletedEndpoint = z.object({ id: z.string(), object: z.literal('webhook_endpoint'), deleted: z.literal(true) }).openapi('DeletedWebhookEndpoint');

export const WebhookDelivery = z
  .object({
    id: z.string().openapi({ example: 'wd_0123456789ABCDEFGHIJabcd' }),
    object: z.literal('webhook_delivery'),
    event: z.string(),
    endpoint: z.string(),
    attempt: z.number().int().openapi({ description: 'Which try of this event to this endpoint (1 for the first).' }),
    status_code: z.number().int().nullable().openapi({ description: "The endpoint's HTTP status; null when nothing came back (`error` says why)." }),
    error: z.string().nullable(),
    duration_ms: z.number().int(),
    created: Timestamp,
    succeeded: z.boolean().openapi({ description: 'The endpoint answered 2xx.' }),
    next_retry_at: z.number().int().nullable().openapi({ description: 'When this endpoint is tried again (Unix seconds); null when it is not.' }),
  })
  .openapi('WebhookDelivery');

export const EndpointList = listOf(WebhookEndpoint, 'WebhookEndpointList');
export const DeliveryList = listOf(WebhookDelivery, 'WebhookDeliveryList');
