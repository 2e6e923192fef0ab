// Webhook endpoints and their deliveries on the merchant API: several endpoints per merchant, each
// with its event types, status and secret (rotated with an overlap); the delivery log per event and
// per endpoint; resending an event now. The configured `webhook` is listed as `we_config` and changed
// only in the configuration. docs/webhooks.md. Mounted inside merchantRoutes (routes/merchant.ts),
// behind whatever authenticates them (the secret key, or the dashboard's session).

import { createRoute } from '@hono/zod-openapi';
import { apiApp, defineRoute } from '../api/openapi';
import { BODY, IDEMPOTENCY, INTERNAL, MERCHANT_AUTH, errors, secretKeyAuth } from '../api/schemas/common';
import { EventIdParams } from '../api/schemas/lists';
import {
  CreateEndpointBody,
  DeletedEndpoint,
  DeliveryList,
  DeliveryListQuery,
  EndpointIdParams,
  EndpointList,
  EndpointListQuery,
  RetryBody,
  RotateSecretBody,
  UpdateEndpointBody,
  WebhookEndpoint,
} from '../api/schemas/webhook-endpoints';
import type { MerchantConfig } from '../config';
import { ErrorCode, ErrorType, ShouyinError, errorDataResponse, invalid, notFound } from '../lib/errors';
import { decodeCursor, filterKey, pageOf } from '../listing/cursor';
import { publicBaseUrl } from '../merchants';
import { issuedSessionStub } from '../session/ids';
import { webhooksFor } from '../shards';
import { DEFAULT_ROTATION_OVERLAP_S, MAX_ENDPOINTS, configEndpointView, deliveryView, type EndpointView } from '../webhooks/endpoints';
import { CONFIG_ENDPOINT_ID } from '../webhooks/fanout';
import { masterKeyring } from '../webhooks/secret-box';
import type { AppEnv } from './http';
import { idempotent } from './idempotency';
import { findEvent } from './lists';

export const webhookEndpointRoutes = apiApp();

const ENDPOINT_ID = /^we_[0-9A-Za-z]{24}$/;
const tags = ['Webhook endpoints'];
const json = <S>(schema: S, description: string) => ({ description, content: { 'application/json': { schema } } });
const body = <S>(schema: S, required = true) => ({ content: { 'application/json': { schema } }, required });

/** Secrets are shown once: what an Idempotency-Key replay gets back leaves the secret out. */
const withoutSecret = (text: string): string => {
  const o = JSON.parse(text) as { secret?: string };
  delete o.secret;
  return JSON.stringify(o);
};

const managedByConfig = (): ShouyinError =>
  new ShouyinError(
    ErrorType.invalid_request,
    ErrorCode.webhook.endpoint_managed_by_config,
    'we_config is the webhook of your configuration; change or remove it there (docs/configuration.md).',
  );

/** The endpoint a path names: `we_config` from the configuration, or one of the merchant's API endpoints. */
async function endpointOf(c: { env: AppEnv['Bindings'] }, merchant: MerchantConfig, id: string): Promise<EndpointView> {
  if (id === CONFIG_ENDPOINT_ID) {
    const v = configEndpointView(merchant);
    if (v) return v;
  } else if (ENDPOINT_ID.test(id)) {
    const v = await webhooksFor(c.env, merchant.id).getEndpoint(merchant.id, id);
    if (v) return v;
  }
  throw notFound('webhook endpoint', id);
}

/**
 * https for a live merchant, as for the configured webhook (docs/configuration.md), and never this
 * deployment itself: Shouyin's outbound fetch answers its own origin in-process (lib/outbound.ts).
 */
function checkUrl(env: AppEnv['Bindings'], merchant: MerchantConfig, url: string | undefined): void {
  if (url === undefined || !merchant.livemode) return;
  if (!url.startsWith('https://')) throw invalid('url', 'url must be an https URL for a live merchant.');
  if (new URL(url).origin === new URL(publicBaseUrl(env)).origin) throw invalid('url', 'url must be your server, not this Shouyin deployment.');
}

const NOT_FOUND: ErrorCode[] = ['resource_missing'];
const LIST_400: ErrorCode[] = ['parameter_invalid', 'parameter_unknown', 'invalid_cursor'];

defineRoute(
  webhookEndpointRoutes,
  createRoute({
    method: 'post',
    path: '/webhook_endpoints',
    operationId: 'createWebhookEndpoint',
    tags,
    summary: 'Create a webhook endpoint',
    description: `At most ${MAX_ENDPOINTS} per merchant, besides \`we_config\`. The answer is the only time the secret is shown (an Idempotency-Key replay leaves it out).`,
    security: secretKeyAuth,
    request: { body: body(CreateEndpointBody) },
    responses: {
      201: json(WebhookEndpoint, 'The endpoint, with its secret.'),
      ...errors({
        400: [...BODY, 'endpoint_limit_reached', 'idempotency_key_invalid'],
        401: MERCHANT_AUTH,
        409: IDEMPOTENCY,
        413: ['body_too_large'],
        500: INTERNAL,
      }),
    },
  }),
  async (c) => {
    const merchant = c.get('merchant');
    const input = c.req.valid('json');
    checkUrl(c.env, merchant, input.url);
    // SHOUYIN_MASTER_KEY is read here, where its error keeps its type (crossing to the shard loses it).
    await masterKeyring(c.env);
    return idempotent(
      c,
      merchant.id,
      c.get('rawBody'),
      async () => {
        const created = await webhooksFor(c.env, merchant.id).createEndpoint(merchant.id, {
          url: input.url,
          enabled_events: input.enabled_events,
          description: input.description ?? null,
        });
        if (!created) {
          throw new ShouyinError(
            ErrorType.invalid_request,
            ErrorCode.webhook.endpoint_limit_reached,
            `A merchant has at most ${MAX_ENDPOINTS} webhook endpoints; delete one first.`,
          );
        }
        return c.json(created, 201);
      },
      withoutSecret,
    );
  },
);

defineRoute(
  webhookEndpointRoutes,
  createRoute({
    method: 'get',
    path: '/webhook_endpoints',
    operationId: 'listWebhookEndpoints',
    tags,
    summary: 'List webhook endpoints',
    description: 'Newest first; `we_config` (the configured webhook) comes last. Never the secrets.',
    security: secretKeyAuth,
    request: { query: EndpointListQuery },
    responses: { 200: json(EndpointList, 'A page of endpoints.'), ...errors({ 400: LIST_400, 401: MERCHANT_AUTH, 500: INTERNAL }) },
  }),
  async (c) => {
    const merchant = c.get('merchant');
    const q = c.req.valid('query');
    const filters = filterKey({});
    const before = q.starting_after === undefined ? undefined : await decodeCursor(merchant.id, 'webhook_endpoints', filters, q.starting_after);
    const rows = await webhooksFor(c.env, merchant.id).listEndpoints(merchant.id, before, q.limit + 1);
    const config = configEndpointView(merchant);
    // `we_config` sorts as created 0: after every API endpoint.
    if (config && (!before || before.created > 0 || (before.created === 0 && before.id > CONFIG_ENDPOINT_ID))) {
      rows.push({ id: CONFIG_ENDPOINT_ID, created: 0, item: config });
    }
    return c.json(await pageOf(rows, q.limit, merchant.id, 'webhook_endpoints', filters), 200);
  },
);

defineRoute(
  webhookEndpointRoutes,
  createRoute({
    method: 'get',
    path: '/webhook_endpoints/{id}',
    operationId: 'retrieveWebhookEndpoint',
    tags,
    summary: 'Retrieve a webhook endpoint',
    security: secretKeyAuth,
    request: { params: EndpointIdParams },
    responses: { 200: json(WebhookEndpoint, 'The endpoint, without its secret.'), ...errors({ 401: MERCHANT_AUTH, 404: NOT_FOUND, 500: INTERNAL }) },
  }),
  async (c) => c.json(await endpointOf(c, c.get('merchant'), c.req.valid('param').id), 200),
);

defineRoute(
  webhookEndpointRoutes,
  createRoute({
    method: 'patch',
    path: '/webhook_endpoints/{id}',
    operationId: 'updateWebhookEndpoint',
    tags,
    summary: 'Update a webhook endpoint',
    description: '`we_config` is refused (400 `endpoint_managed_by_config`): change it in the configuration.',
    security: secretKeyAuth,
    request: { params: EndpointIdParams, body: body(UpdateEndpointBody) },
    responses: {
      200: json(WebhookEndpoint, 'The endpoint.'),
      ...errors({ 400: [...BODY, 'endpoint_managed_by_config'], 401: MERCHANT_AUTH, 404: NOT_FOUND, 413: ['body_too_large'], 500: INTERNAL }),
    },
  }),
  async (c) => {
    const merchant = c.get('merchant');
    const { id } = c.req.valid('param');
    const patch = c.req.valid('json');
    await endpointOf(c, merchant, id);
    if (id === CONFIG_ENDPOINT_ID) throw managedByConfig();
    checkUrl(c.env, merchant, patch.url);
    const updated = await webhooksFor(c.env, merchant.id).updateEndpoint(merchant.id, id, {
      ...(patch.url !== undefined ? { url: patch.url } : {}),
      ...(patch.enabled_events !== undefined ? { enabled_events: patch.enabled_events } : {}),
      ...(patch.description !== undefined ? { description: patch.description } : {}),
      ...(patch.status !== undefined ? { status: patch.status } : {}),
    });
    if (!updated) throw notFound('webhook endpoint', id);
    return c.json(updated, 200);
  },
);

defineRoute(
  webhookEndpointRoutes,
  createRoute({
    method: 'delete',
    path: '/webhook_endpoints/{id}',
    operationId: 'deleteWebhookEndpoint',
    tags,
    summary: 'Delete a webhook endpoint',
    description: 'Its pending retries stop; its delivery log stays until it ages out (30 days).',
    security: secretKeyAuth,
    request: { params: EndpointIdParams },
    responses: {
      200: json(DeletedEndpoint, 'Deleted.'),
      ...errors({ 400: ['endpoint_managed_by_config'], 401: MERCHANT_AUTH, 404: NOT_FOUND, 500: INTERNAL }),
    },
  }),
  async (c) => {
    const merchant = c.get('merchant');
    const { id } = c.req.valid('param');
    await endpointOf(c, merchant, id);
    if (id === CONFIG_ENDPOINT_ID) throw managedByConfig();
    if (!(await webhooksFor(c.env, merchant.id).deleteEndpoint(merchant.id, id))) throw notFound('webhook endpoint', id);
    return c.json({ id, object: 'webhook_endpoint' as const, deleted: true as const }, 200);
  },
);

defineRoute(
  webhookEndpointRoutes,
  createRoute({
    method: 'post',
    path: '/webhook_endpoints/{id}/rotate_secret',
    operationId: 'rotateWebhookEndpointSecret',
    tags,
    summary: "Rotate a webhook endpoint's secret",
    description:
      'A new secret, shown once (an Idempotency-Key replay leaves it out). Until `expire_previous_in` seconds have passed every delivery carries two signatures, `v1,<new> v1,<old>`.',
    security: secretKeyAuth,
    request: { params: EndpointIdParams, body: body(RotateSecretBody, false) },
    responses: {
      200: json(WebhookEndpoint, 'The endpoint, with its new secret.'),
      ...errors({
        400: [...BODY, 'endpoint_managed_by_config', 'idempotency_key_invalid'],
        401: MERCHANT_AUTH,
        404: NOT_FOUND,
        409: IDEMPOTENCY,
        413: ['body_too_large'],
        500: INTERNAL,
      }),
    },
  }),
  async (c) => {
    const merchant = c.get('merchant');
    const { id } = c.req.valid('param');
    const input = c.req.valid('json');
    await endpointOf(c, merchant, id);
    if (id === CONFIG_ENDPOINT_ID) throw managedByConfig();
    await masterKeyring(c.env);
    return idempotent(
      c,
      merchant.id,
      c.get('rawBody'),
      async () => {
        const rotated = await webhooksFor(c.env, merchant.id).rotateEndpointSecret(merchant.id, id, input.expire_previous_in ?? DEFAULT_ROTATION_OVERLAP_S);
        if (!rotated) throw notFound('webhook endpoint', id);
        return c.json(rotated, 200);
      },
      withoutSecret,
    );
  },
);

defineRoute(
  webhookEndpointRoutes,
  createRoute({
    method: 'get',
    path: '/webhook_endpoints/{id}/deliveries',
    operationId: 'listWebhookEndpointDeliveries',
    tags,
    summary: "An endpoint's deliveries",
    description: 'Every try to this endpoint, newest first (kept 30 days).',
    security: secretKeyAuth,
    request: { params: EndpointIdParams, query: DeliveryListQuery },
    responses: { 200: json(DeliveryList, 'A page of deliveries.'), ...errors({ 400: LIST_400, 401: MERCHANT_AUTH, 404: NOT_FOUND, 500: INTERNAL }) },
  }),
  async (c) => {
    const merchant = c.get('merchant');
    const { id } = c.req.valid('param');
    const q = c.req.valid('query');
    await endpointOf(c, merchant, id);
    const filters = filterKey({ endpoint: id, status: q.status });
    const before = q.starting_after === undefined ? undefined : await decodeCursor(merchant.id, 'endpoint_deliveries', filters, q.starting_after);
    const rows = await webhooksFor(c.env, merchant.id).listDeliveries(merchant.id, { endpoint: id }, q.status, before, q.limit + 1);
    return c.json(await pageOf(rows, q.limit, merchant.id, 'endpoint_deliveries', filters), 200);
  },
);

defineRoute(
  webhookEndpointRoutes,
  createRoute({
    method: 'get',
    path: '/events/{id}/deliveries',
    operationId: 'listEventDeliveries',
    tags: ['Events'],
    summary: "An event's deliveries",
    description: "Every try of this event to the merchant's endpoints, newest first.",
    security: secretKeyAuth,
    request: { params: EventIdParams, query: DeliveryListQuery },
    responses: { 200: json(DeliveryList, 'A page of deliveries.'), ...errors({ 400: LIST_400, 401: MERCHANT_AUTH, 404: NOT_FOUND, 500: INTERNAL }) },
  }),
  async (c) => {
    const merchant = c.get('merchant');
    const { id } = c.req.valid('param');
    const q = c.req.valid('query');
    if (!(await findEvent(c.env, merchant.id, id))) throw notFound('event', id);
    const filters = filterKey({ event: id, status: q.status });
    const before = q.starting_after === undefined ? undefined : await decodeCursor(merchant.id, 'event_deliveries', filters, q.starting_after);
    const rows = await webhooksFor(c.env, merchant.id).listDeliveries(merchant.id, { event: id }, q.status, before, q.limit + 1);
    return c.json(await pageOf(rows, q.limit, merchant.id, 'event_deliveries', filters), 200);
  },
);

defineRoute(
  webhookEndpointRoutes,
  createRoute({
    method: 'post',
    path: '/events/{id}/retry',
    operationId: 'retryEvent',
    tags: ['Events'],
    summary: 'Resend an event now',
    description:
      'Sends the event now, with the same `webhook-id` (the event id), to `endpoint` or to every enabled endpoint subscribed to it. Each send is a try of that endpoint; one that succeeds ends its retries.',
    security: secretKeyAuth,
    request: { params: EventIdParams, body: body(RetryBody, false) },
    responses: {
      200: json(DeliveryList, 'The tries just made.'),
      ...errors({
        400: [...BODY, 'resource_missing', 'endpoint_not_subscribed', 'idempotency_key_invalid'],
        401: MERCHANT_AUTH,
        404: NOT_FOUND,
        409: IDEMPOTENCY,
        413: ['body_too_large'],
        500: INTERNAL,
      }),
    },
  }),
  async (c) => {
    const merchant = c.get('merchant');
    const { id } = c.req.valid('param');
    const { endpoint } = c.req.valid('json');
    const event = await findEvent(c.env, merchant.id, id);
    if (!event) throw notFound('event', id);
    // A session's event is resent by its session (it keeps the event's tries); the others by the webhook shard.
    const session = event.session ? await issuedSessionStub(c.env, event.session) : null;
    if (event.session && !session) throw notFound('event', id);
    return idempotent(c, merchant.id, c.get('rawBody'), async () => {
      const r = session
        ? await session.retryWebhook(merchant.id, id, endpoint)
        : await webhooksFor(c.env, merchant.id).resendEvent(merchant.id, event, endpoint);
      if (!r.ok) return errorDataResponse(r.error);
      return c.json({ object: 'list' as const, data: r.value.map(deliveryView), has_more: false, next_cursor: null }, 200);
    });
  },
);
