// Events and merchant webhooks, sent from the session's Durable Object after the transition is
// stored (docs/webhooks.md): at-least-once, the same webhook-id (= event id) on every retry,
// exponential backoff for a little over three days, every try recorded. Each event is also
// indexed in the merchant's event log so `GET /v1/events` can replay what a merchant missed.

import type { MerchantConfig } from '../config';
import { outboundFetch } from '../lib/outbound';
import { webhookHeaders } from '../webhooks/standard-webhooks';
import { newEventId } from './ids';
import { WEBHOOK_RETRY_MS } from './schedules';
import type { DueRow, SessionStore } from './store';

export const WEBHOOK_TIMEOUT_MS = 15_000;

export type EventType =
  | 'checkout.session.paid'
  | 'checkout.session.expired'
  | 'checkout.session.canceled'
  | 'payment.anomaly'
  | 'refund.succeeded'
  | 'refund.failed';

/** Stores an event, its first webhook delivery and its indexing — inside the caller's transaction. */
export function recordEvent(store: SessionStore, merchant: MerchantConfig, type: EventType, now: number, object: unknown): string {
  const id = newEventId();
  const body = JSON.stringify({ id, type, created: Math.floor(now / 1000), livemode: merchant.livemode, data: { object } });
  store.insertEvent({ id, type, created: now, data: body, delivery: merchant.webhook ? 'pending' : 'none' });
  if (merchant.webhook) store.schedule(`webhook:${id}`, 'webhook', now, { event: id });
  store.schedule(`index:${id}`, 'index', now, { event: id });
  return id;
}

/**
 * Posts one signed webhook and says what came back: the status, or the error when nothing did. A 3xx
 * is returned as it is, never followed (redirect: 'manual'): a webhook goes only to the URL the
 * merchant configured, and a redirect is a failed try like any other non-2xx (docs/webhooks.md).
 * Followed, the signed body would reach a second URL and the try would count as delivered.
 */
export async function sendWebhook(
  publicBaseUrl: string,
  webhook: { url: string; secret: string },
  eventId: string,
  now: number,
  body: string,
): Promise<{ status: number | null; error: string | null }> {
  try {
    // Each try carries its own time: receivers check webhook-timestamp against a 5-minute tolerance.
    const headers = await webhookHeaders(webhook.secret, eventId, Math.floor(now / 1000), body);
    const res = await outboundFetch(
      publicBaseUrl,
      WEBHOOK_TIMEOUT_MS,
    )(new Request(webhook.url, { method: 'POST', headers: { ...headers, 'user-agent': 'Shouyin-Webhooks/0.1' }, body, redirect: 'manual' }));
    await res.body?.cancel();
    return { status: res.status, error: null };
  } catch (e) {
    return { status: null, error: e instanceof Error ? e.message : String(e) };
  }
}

/** One delivery try. Returns what happened; the caller re-schedules. */
export async function deliverWebhook(store: SessionStore, merchant: MerchantConfig, item: DueRow, now: number, publicBaseUrl: string): Promise<void> {
  const { event: eventId } = JSON.parse(item.payload) as { event: string };
  const event = store.event(eventId);
  if (!event || !merchant.webhook) {
    store.unschedule(item.key);
    return;
  }
  const tryNo = item.tries + 1;
  const { status, error } = await sendWebhook(publicBaseUrl, merchant.webhook, event.id, now, event.data);
  store.recordDelivery(event.id, tryNo, now, status, error);
  // Standard Webhooks: 2xx is success; anything else (3xx included, see sendWebhook) is retried.
  if (status !== null && status >= 200 && status < 300) {
    store.setEventDelivery(event.id, 'delivered');
    store.unschedule(item.key);
    return;
  }
  const delay = WEBHOOK_RETRY_MS[item.tries];
  if (delay === undefined) {
    store.setEventDelivery(event.id, 'failed');
    store.unschedule(item.key);
    return;
  }
  store.schedule(item.key, 'webhook', now + delay, { event: event.id }, tryNo);
}
