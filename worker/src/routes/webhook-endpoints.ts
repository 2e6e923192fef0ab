// Webhook endpoints and their deliveries on the merchant API (secret key): several endpoints per
// merchant, each with its event types, status and secret (rotated with an overlap); the delivery log per
// event and per endpoint; resending an event now. The configured `webhook` is listed as `we_config`
// and changed only in the configuration. docs/webhooks.md.

import { createRoute } from '@hono/zod-openapi';
import { apiApp } from '../api/openapi';
import { jsonBody, rawBody } from '../api/json-body';
import { ErrorBody, errorResponses, notFoundResponse } from '../api/schemas/common';
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
import { EventIdParams } from '../api/schemas/lists';
import { loadConfig, type MerchantConfig } from '../config';
import { ErrorCode, ErrorType, ShouyinError, errorDataResponse, invalid, notFound } from '../lib/errors';
import { decodeCursor, filterKey, pageOf } from '../listing/cursor';
import { webhooksFor } from '../shards';
import { DEFAULT_ROTATION_OVERLAP_S, MAX_ENDPOINTS, configEndpointView, deliveryView, type EndpointView } from '../webhooks/endpoints';
import { CONFIG_ENDPOINT_ID } from '../webhooks/fanout';
import { masterKeys } from '../webhooks/secret-box';
import type { AppEnv } from './http';
import { findEvent, merchantAuth } from './lists';
import { MAX_API_BODY, idempotent } from './merchant';

export const webhookEndpointsApi = apiApp();

const ENDPOINT_ID = /^we_[0-9A-Za-z]{24}$/;
const tags = ['Webhook endpoints'];
const json = <T>(schema: T) => ({ 'application/json': { schema } });

/**
 * An answer that may be an Idempotency-Key replay (a plain Response from the stored record), where the
 * route's typed answer is expected; the schema still documents it.
 */
const replayable = (r: Response): never => r as never;

/** Secrets are shown once: what an Idempotency-Key replay gets back leaves the secret out. */
const withoutSecret = (body: string): string => {
  const o = JSON.parse(body) as { secret?: string };
  delete o.secret;
  return JSON.stringify(o);
};

const managedByConfig = (): ShouyinError =>
  new ShouyinError(
    ErrorType.invalid_request,
    ErrorCode.webhook.endpoint_managed_by_config,
    'we_config is the webhook in SHOUYIN_CONFIG; change or remove it there (docs/configuration.md).',
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
  if (new URL(url).origin === new URL(loadConfig(env).public_base_url).origin) throw invalid('url', 'url must be your server, not this Shouyin deployment.');
}

webhookEndpointsApi.openapi(
  createRoute({
    method: 'post',
    path: '/webhook_endpoints',
    summary: 'Create a webhook endpoint',
    description: `At most ${MAX_ENDPOINTS} per merchant, besides \`we_config\`. The answer is the only time the secret is shown.`,
    tags,
    middleware: [merchantAuth, jsonBody(MAX_API_BODY)],
    request: { body: { content: json(CreateEndpointBody), required: true } },
    responses: {
      201: { description: 'The endpoint, with its secret.', content: json(WebhookEndpoint) },
      ...errorResponses,
      500: { description: 'SHOUYIN_MASTER_KEY is not set (`master_key_missing`): secrets could not be stored encrypted.', content: json(ErrorBody) },
    },
  }),
  async (c) => {
    const merchant = c.get('merchant');
    const body = c.req.valid('json');
    checkUrl(c.env, merchant, body.url);
    // Checked here, where the error keeps its type (a thrown error loses it crossing to the shard).
    masterKeys(c.env);
    return replayable(
      await idempotent(
        c,
        merchant.id,
        rawBody(c),
        async () => {
          const created = await webhooksFor(c.env, merchant.id).createEndpoint(merchant.id, {
            url: body.url,
            enabled_events: body.enabled_events,
            description: body.description ?? null,
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
      ),
    );
  },
);

webhookEndpointsApi.openapi(
  createRoute({
    method: 'get',
    path: '/webhook_endpoints',
    summary: 'List webhook endpoints',
    description: 'Newest first; `we_config` (the configured webhook) comes last. Never the secrets.',
    tags,
    middleware: [merchantAuth],
    request: { query: EndpointListQuery },
    responses: { 200: { description: 'A page of endpoints.', content: json(EndpointList) }, ...errorResponses },
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

webhookEndpointsApi.openapi(
  createRoute({
    method: 'get',
    path: '/webhook_endpoints/{id}',
    summary: 'Retrieve a webhook endpoint',
    tags,
    middleware: [merchantAuth],
    request: { params: EndpointIdParams },
    responses: { 200: { description: 'The endpoint, without its secret.', content: json(WebhookEndpoint) }, ...errorResponses, ...notFoundResponse },
  }),
  async (c) => c.json(await endpointOf(c, c.get('merchant'), c.req.valid('param').id), 200),
);

webhookEndpointsApi.openapi(
  createRoute({
    method: 'patch',
    path: '/webhook_endpoints/{id}',
    summary: 'Update a webhook endpoint',
    description: '`we_config` is refused (400 `endpoint_managed_by_config`): change it in the configuration.',
    tags,
    middleware: [merchantAuth, jsonBody(MAX_API_BODY)],
    request: { params: EndpointIdParams, body: { content: json(UpdateEndpointBody), required: true } },
    responses: { 200: { description: 'The endpoint.', content: json(WebhookEndpoint) }, ...errorResponses, ...notFoundResponse },
  }),
  async (c) => {
    const merchant = c.get('merchant');
    const { id } = c.req.valid('param');
    const body = c.req.valid('json');
    await endpointOf(c, merchant, id);
    if (id === CONFIG_ENDPOINT_ID) throw managedByConfig();
    checkUrl(c.env, merchant, body.url);
    const updated = await webhooksFor(c.env, merchant.id).updateEndpoint(merchant.id, id, {
      ...(body.url !== undefined ? { url: body.url } : {}),
      ...(body.enabled_events !== undefined ? { enabled_events: body.enabled_events } : {}),
      ...(body.description !== undefined ? { description: body.description } : {}),
      ...(body.status !== undefined ? { status: body.status } : {}),
    });
    if (!updated) throw notFound('webhook endpoint', id);
    return c.json(updated, 200);
  },
);

webhookEndpointsApi.openapi(
  createRoute({
    method: 'delete',
    path: '/webhook_endpoints/{id}',
    summary: 'Delete a webhook endpoint',
    description: 'Its pending retries stop; its delivery log stays until it ages out.',
    tags,
    middleware: [merchantAuth],
    request: { params: EndpointIdParams },
    responses: { 200: { description: 'Deleted.', content: json(DeletedEndpoint) }, ...errorResponses, ...notFoundResponse },
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

webhookEndpointsApi.openapi(
  createRoute({
    method: 'post',
    path: '/webhook_endpoints/{id}/rotate_secret',
    summary: "Rotate a webhook endpoint's secret",
    description: 'A new secret, shown once. Until `expire_previous_in` seconds have passed every delivery carries two signatures, `v1,<new> v1,<old>`.',
    tags,
    middleware: [merchantAuth, jsonBody(MAX_API_BODY)],
    request: { params: EndpointIdParams, body: { content: json(RotateSecretBody), required: false } },
    responses: { 200: { description: 'The endpoint, with its new secret.', content: json(WebhookEndpoint) }, ...errorResponses, ...notFoundResponse },
  }),
  async (c) => {
    const merchant = c.get('merchant');
    const { id } = c.req.valid('param');
    const body = c.req.valid('json');
    await endpointOf(c, merchant, id);
    if (id === CONFIG_ENDPOINT_ID) throw managedByConfig();
    masterKeys(c.env);
    return replayable(
      await idempotent(
        c,
        merchant.id,
        rawBody(c),
        async () => {
          const rotated = await webhooksFor(c.env, merchant.id).rotateEndpointSecret(merchant.id, id, body.expire_previous_in ?? DEFAULT_ROTATION_OVERLAP_S);
          if (!rotated) throw notFound('webhook endpoint', id);
          return c.json(rotated, 200);
        },
        withoutSecret,
      ),
    );
  },
);

webhookEndpointsApi.openapi(
  createRoute({
    method: 'get',
    path: '/webhook_endpoints/{id}/deliveries',
    summary: "An endpoint's deliveries",
    description: 'Every try to this endpoint, newest first (kept 30 days).',
    tags,
    middleware: [merchantAuth],
    request: { params: EndpointIdParams, query: DeliveryListQuery },
    responses: { 200: { description: 'A page of deliveries.', content: json(DeliveryList) }, ...errorResponses, ...notFoundResponse },
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

webhookEndpointsApi.openapi(
  createRoute({
    method: 'get',
    path: '/events/{id}/deliveries',
    summary: "An event's deliveries",
    description: 'Every try of this event, to every endpoint, newest first.',
    tags: ['Events'],
    middleware: [merchantAuth],
    request: { params: EventIdParams, query: DeliveryListQuery },
    responses: { 200: { description: 'A page of deliveries.', content: json(DeliveryList) }, ...errorResponses, ...notFoundResponse },
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

webhookEndpointsApi.openapi(
  createRoute({
    method: 'post',
    path: '/events/{id}/retry',
    summary: 'Resend an event now',
    description:
      'Sends the event now, with the same `webhook-id` (the event id), to `endpoint` or to every enabled endpoint subscribed to it. Each send is a try of that endpoint; one that succeeds ends its retries.',
    tags: ['Events'],
    middleware: [merchantAuth, jsonBody(MAX_API_BODY)],
    request: { params: EventIdParams, body: { content: json(RetryBody), required: false } },
    responses: { 200: { description: 'The tries just made.', content: json(DeliveryList) }, ...errorResponses, ...notFoundResponse },
  }),
  async (c) => {
    const merchant = c.get('merchant');
    const { id } = c.req.valid('param');
    const { endpoint } = c.req.valid('json');
    const event = await findEvent(c.env, merchant.id, id);
    if (!event) throw notFound('event', id);
    return replayable(
      await idempotent(c, merchant.id, rawBody(c), async () => {
        const r = event.session
          ? await c.env.SESSIONS.getByName(event.session).retryWebhook(merchant.id, id, endpoint)
          : await webhooksFor(c.env, merchant.id).resendEvent(merchant.id, event, endpoint);
        if (!r.ok) return errorDataResponse(r.error);
        return c.json({ object: 'list' as const, data: r.value.map(deliveryView), has_more: false, next_cursor: null }, 200);
      }),
    );
  },
);
