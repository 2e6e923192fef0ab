// Events and merchant webhooks, sent from the session's Durable Object after the transition is
// stored (docs/webhooks.md): at-least-once, the same webhook-id (= event id) on every retry,
// exponential backoff for a little over three days, every try recorded. An event goes to every
// endpoint subscribed to its type when it is first sent — the configured `webhook` (`we_config`) and the
// merchant's API endpoints — each with its own tries and schedule (webhooks/fanout.ts). Each event is
// also indexed in the merchant's event log so `GET /v1/events` can replay what a merchant missed, and
// every try is reported to the merchant's delivery log (`report`).

import type { MerchantConfig } from '../config';
import { ErrorCode, ErrorType, ShouyinError } from '../lib/errors';
import {
  CONFIG_ENDPOINT_ID,
  chooseResendEndpoints,
  configEndpoint,
  deliveryState,
  nextDue,
  runDueTargets,
  subscribed,
  tryTarget,
  type DeliveryEndpoint,
  type DeliveryRecord,
  type TargetRow,
} from '../webhooks/fanout';
import { newEventId } from './ids';
import type { DueRow, SessionStore } from './store';

export { WEBHOOK_TIMEOUT_MS, retryDelay, sendWebhook } from '../webhooks/fanout';

export type EventType =
  | 'checkout.session.paid'
  | 'checkout.session.expired'
  | 'checkout.session.canceled'
  | 'payment.anomaly'
  | 'refund.succeeded'
  | 'refund.failed';

/**
/**
 * An event's object as stored, sent and logged: a session without its `client_secret`, nor its hosted
 * page `url`, which carries the secret in its fragment. The secret is the page's, for one session; an
 * event is kept for days, in more than one place (docs/data-retention.md), and a webhook receiver never
 * needs it.
 */
export function eventObject(object: unknown): unknown {
  if (typeof object !== 'object' || object === null || !('client_secret' in object)) return object;
  const { client_secret: _secret, url: _url, ...rest } = object as Record<string, unknown>;
  return rest;
}

/**
 * Stores an event, its first webhook delivery and its indexing — inside the caller's transaction. Which
 * endpoints it goes to is settled when the delivery first runs (the API endpoints live in the merchant's
 * webhook shard, out of reach of a synchronous transaction); until then the event's delivery is pending.
 */
export function recordEvent(store: SessionStore, merchant: MerchantConfig, type: EventType, now: number, object: unknown): string {
  const id = newEventId();
  const body = JSON.stringify({ id, type, created: Math.floor(now / 1000), livemode: merchant.livemode, data: { object: eventObject(object) } });
  store.insertEvent({ id, type, created: now, data: body, delivery: 'pending' });
  store.schedule(`webhook:${id}`, 'webhook', now, { event: id });
  store.schedule(`index:${id}`, 'index', now, { event: id });
  return id;
}

/** The merchant's endpoints as a sender sees them: the configured one and those made over the API. */
export type EndpointDirectory = () => Promise<DeliveryEndpoint[]>;

async function allEndpoints(merchant: MerchantConfig, directory: EndpointDirectory): Promise<DeliveryEndpoint[]> {
  const config = configEndpoint(merchant);
  return [...(config ? [config] : []), ...(await directory())];
}

/** Stores the outcome of tries (one transaction) and re-schedules the event's next due try. */
function settle(store: SessionStore, eventId: string, records: DeliveryRecord[], targets: TargetRow[], transaction: (fn: () => void) => void): void {
  transaction(() => {
    for (const r of records) store.recordDelivery(r);
    for (const t of targets) store.putWebhookTarget(t);
    store.setEventDelivery(eventId, deliveryState(targets));
    const next = nextDue(targets);
    if (next) store.schedule(`webhook:${eventId}`, 'webhook', next.next_at!, { event: eventId }, next.tries);
    else store.unschedule(`webhook:${eventId}`);
  });
}

/**
 * The due tries of one event (the `webhook:<event>` due item). `answered` runs between the tries' answers
 * and storing them (the fault point `webhook.afterSend`): a crash there leaves the targets as they were,
 * due, and they are sent again with the same webhook-id.
 */
export async function deliverWebhook(
  store: SessionStore,
  merchant: MerchantConfig,
  item: DueRow,
  now: number,
  publicBaseUrl: string,
  directory: EndpointDirectory,
  transaction: (fn: () => void) => void,
  answered: () => void = () => {},
): Promise<void> {
  const { event: eventId } = JSON.parse(item.payload) as { event: string };
  const event = store.event(eventId);
  if (!event) return store.unschedule(item.key);
  let targets = store.webhookTargets(event.id);
  // Retries that only the configured webhook is still waiting for need nothing from the webhook shard.
  const onlyConfig = targets.length > 0 && targets.every((t) => t.state !== 'pending' || t.endpoint_id === CONFIG_ENDPOINT_ID);
  const endpoints = onlyConfig ? [configEndpoint(merchant)].filter((e) => e !== null) : await allEndpoints(merchant, directory);
  if (targets.length === 0) {
    // First run: the endpoints subscribed now are the event's. A due item from before endpoints existed
    // carries the configured webhook's tries, so its schedule goes on where it was.
    targets = subscribed(endpoints, event.type).map((e) => ({
      event_id: event.id,
      endpoint_id: e.id,
      tries: e.id === CONFIG_ENDPOINT_ID ? item.tries : 0,
      next_at: now,
      state: 'pending',
    }));
    if (targets.length === 0) {
      store.setEventDelivery(event.id, 'none');
      return store.unschedule(item.key);
    }
    transaction(() => {
      for (const t of targets) store.putWebhookTarget(t);
    });
  }
  const ran = await runDueTargets(publicBaseUrl, endpoints, { id: event.id, type: event.type, body: event.data }, targets, now);
  answered();
  settle(store, event.id, ran.records, ran.targets, transaction);
}

/**
 * `POST /v1/events/:id/retry`: sends the event now, with its own webhook-id, to one endpoint or to every
 * enabled endpoint subscribed to its type. Each send is a try of that endpoint's target (created when
 * the endpoint was not among the event's first ones).
 */
export async function resendWebhook(
  store: SessionStore,
  merchant: MerchantConfig,
  eventId: string,
  endpointId: string | undefined,
  now: number,
  publicBaseUrl: string,
  directory: EndpointDirectory,
  transaction: (fn: () => void) => void,
): Promise<DeliveryRecord[]> {
  const event = store.event(eventId);
  if (!event) throw new ShouyinError(ErrorType.not_found, ErrorCode.request.resource_missing, `No such event: '${eventId}'.`);
  const endpoints = await allEndpoints(merchant, directory);
  const chosen = chooseResendEndpoints(endpoints, event.type, endpointId);
  const existing = new Map(store.webhookTargets(event.id).map((t) => [t.endpoint_id, t]));
  if (existing.size === 0) {
    // Resent before its first automatic run: the subscribed endpoints still get it on schedule.
    for (const e of subscribed(endpoints, event.type)) existing.set(e.id, { event_id: event.id, endpoint_id: e.id, tries: 0, next_at: now, state: 'pending' });
  }
  const outcomes = await Promise.all(
    chosen.map((e) =>
      tryTarget(
        publicBaseUrl,
        e,
        { id: event.id, type: event.type, body: event.data },
        existing.get(e.id) ?? { event_id: event.id, endpoint_id: e.id, tries: 0, next_at: null, state: 'failed' },
        now,
        true,
      ),
    ),
  );
  for (const o of outcomes) existing.set(o.target.endpoint_id, o.target);
  settle(
    store,
    event.id,
    outcomes.map((o) => o.record),
    [...existing.values()],
    transaction,
  );
  return outcomes.map((o) => o.record);
}
