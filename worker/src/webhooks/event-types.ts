// The event types a webhook endpoint can subscribe to (`enabled_events`), documented in docs/webhooks.md
// ("Event types"). `*` subscribes to all of them, including types added later.

export const SUBSCRIBABLE_EVENT_TYPES = [
  'checkout.session.paid',
  'checkout.session.expired',
  'checkout.session.canceled',
  'payment.anomaly',
  'refund.succeeded',
  'refund.failed',
  'webhook_endpoint.disabled',
] as const;
