// The event types a webhook endpoint can subscribe to (`enabled_events`), documented in docs/webhooks.md
// ("Event types"). `*` subscribes to all of them, including types added later. Every event type but
// `reconciliation.completed`, which goes to the configured webhook (`we_config`) only
// (api/schemas/document.test.ts keeps this list and the document's event types together).

export const SUBSCRIBABLE_EVENT_TYPES = [
  'checkout.session.paid',
  'checkout.session.expired',
  'checkout.session.canceled',
  'payment.anomaly',
  'refund.succeeded',
  'refund.failed',
  'merchant.credentials_expiring',
  'apple.notification',
  'webhook_endpoint.disabled',
] as const;
