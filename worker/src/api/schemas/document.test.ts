// The list, webhook endpoint and delivery routes describe themselves from the schemas they validate
// with: every path, every query parameter by its wire name, and the components the SDK reads. The event
// types an endpoint can subscribe to are the document's, but `reconciliation.completed`.

import { describe, expect, it } from 'vitest';
import { listRoutes } from '../../routes/lists';
import { webhookEndpointRoutes } from '../../routes/webhook-endpoints';
import { SUBSCRIBABLE_EVENT_TYPES } from '../../webhooks/event-types';
import { EVENT_TYPES } from './events';

const info = { openapi: '3.1.0', info: { title: 'Shouyin', version: 'test' } };

describe('the OpenAPI description of lists, webhook endpoints and deliveries', () => {
  const lists = listRoutes.getOpenAPI31Document(info);
  const hooks = webhookEndpointRoutes.getOpenAPI31Document(info);

  it('has every route', () => {
    expect(Object.keys(lists.paths ?? {}).sort()).toEqual(['/checkout/sessions', '/events/{id}', '/refunds']);
    expect(Object.keys(hooks.paths ?? {}).sort()).toEqual([
      '/events/{id}/deliveries',
      '/events/{id}/retry',
      '/webhook_endpoints',
      '/webhook_endpoints/{id}',
      '/webhook_endpoints/{id}/deliveries',
      '/webhook_endpoints/{id}/rotate_secret',
    ]);
    expect(Object.keys(hooks.paths?.['/webhook_endpoints/{id}'] ?? {}).sort()).toEqual(['delete', 'get', 'patch']);
  });

  it('names the query parameters as they are sent, bracketed ones included', () => {
    const params = (lists.paths?.['/checkout/sessions']?.get?.parameters ?? []) as { name: string; in: string }[];
    expect(params.map((p) => `${p.in}:${p.name}`).sort()).toEqual(
      ['channel', 'created[gte]', 'created[lt]', 'limit', 'merchant_order_id', 'starting_after', 'status'].map((n) => `query:${n}`),
    );
  });

  it('describes the objects and the list envelope', () => {
    const names = Object.keys({ ...lists.components?.schemas, ...hooks.components?.schemas });
    for (const n of [
      'ListedCheckoutSession',
      'Refund',
      'CheckoutSessionList',
      'RefundList',
      'Event',
      'WebhookEndpoint',
      'WebhookDelivery',
      'WebhookDeliveryList',
    ]) {
      expect(names).toContain(n);
    }
    const listed = lists.components?.schemas?.ListedCheckoutSession as { properties: Record<string, unknown> };
    expect(Object.keys(listed.properties)).not.toContain('client_secret');
    expect(Object.keys(listed.properties)).not.toContain('url');
    const endpoint = hooks.components?.schemas?.WebhookEndpoint as { properties: Record<string, unknown>; required: string[] };
    expect(endpoint.required).not.toContain('secret');
    expect(Object.keys(endpoint.properties)).toContain('secret');
  });

  it('lets an endpoint subscribe to every event type of the document but reconciliation.completed', () => {
    expect([...SUBSCRIBABLE_EVENT_TYPES].sort()).toEqual(
      Object.keys(EVENT_TYPES)
        .filter((t) => t !== 'reconciliation.completed')
        .sort(),
    );
  });
});
