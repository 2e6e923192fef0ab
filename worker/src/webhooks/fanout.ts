// One event, several endpoints (docs/webhooks.md, "Where fan-out happens, and why"). Whoever owns an
// event — the checkout session's Durable Object for the session's events, the merchant's webhook shard
// for its own (`webhook_endpoint.disabled`) and those handed to it (`apple.notification`,
// `merchant.credentials_expiring`) — keeps one target per endpoint subscribed when the event was first
// sent: its own tries, its own retry schedule (WEBHOOK_RETRY_MS), its own outcome. This module decides
// and sends; the owner stores what it returns, in one transaction, before the next try can start.
// At least once: a try whose answer was lost is sent again, with the same webhook-id (the event id).

import type { MerchantConfig } from '../config';
import { ErrorCode, ErrorType, ShouyinError } from '../lib/errors';
import { outboundFetch } from '../lib/outbound';
import { newDeliveryId } from '../session/ids';
import { WEBHOOK_RETRY_MS } from '../session/schedules';
import { webhookHeaders } from './standard-webhooks';

export const WEBHOOK_TIMEOUT_MS = 15_000;
/**
 * The longest a `Retry-After` can hold back a delivery's next try (ms): an hour. Never earlier than the
 * schedule (WEBHOOK_RETRY_MS) would retry; a receiver asking for longer is tried again after an hour,
 * so a hostile or mistaken header cannot park a delivery for days (docs/webhooks.md#delivery-and-retries).
 */
export const RETRY_AFTER_MAX_MS = 3_600_000;
/**
 * `410 Gone`: the receiver no longer wants this source's webhooks. Standard Webhooks, "Delivery success
 * and failure": the sender should disable the endpoint and stop sending it messages
 * (https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md).
 */
export const GONE = 410;
/** The endpoint id of the merchant's configured `webhook` (the merchant registry or SHOUYIN_CONFIG). */
export const CONFIG_ENDPOINT_ID = 'we_config';

/** An endpoint as a sender needs it: where, which events, and every secret to sign with (newest first). */
export interface DeliveryEndpoint {
  id: string;
  url: string;
  enabled_events: string[];
  status: 'enabled' | 'disabled';
  secrets: string[];
}

export type TargetState = 'pending' | 'delivered' | 'failed' | 'canceled';

export type TargetRow = {
  event_id: string;
  endpoint_id: string;
  /** Tries made so far. */
  tries: number;
  /** When the next automatic try is due (ms); null once the target is settled. */
  next_at: number | null;
  state: TargetState;
};

/** One try of one event to one endpoint, as stored and reported (times in ms). */
export interface DeliveryRecord {
  id: string;
  event_id: string;
  event_type: string;
  endpoint_id: string;
  attempt: number;
  at: number;
  status: number | null;
  error: string | null;
  duration_ms: number;
  /** When the next automatic try of this target is due (ms), or null: delivered, given up or a manual resend of a settled target. */
  next_retry_at: number | null;
}

export function configEndpoint(merchant: MerchantConfig): DeliveryEndpoint | null {
  return merchant.webhook
    ? { id: CONFIG_ENDPOINT_ID, url: merchant.webhook.url, enabled_events: ['*'], status: 'enabled', secrets: [merchant.webhook.secret] }
    : null;
}

export const subscribes = (e: { enabled_events: string[] }, type: string): boolean => e.enabled_events.includes('*') || e.enabled_events.includes(type);

/** The endpoints an event goes to when it is first sent: enabled, subscribed to its type. */
export function subscribed(endpoints: DeliveryEndpoint[], type: string): DeliveryEndpoint[] {
  return endpoints.filter((e) => e.status === 'enabled' && subscribes(e, type));
}

const succeeded = (status: number | null): boolean => status !== null && status >= 200 && status < 300;

/**
 * How long a `Retry-After` header asks the sender to wait (ms, from `now`), or null when there is none
 * or it is not one of the two forms HTTP allows: whole seconds, or an HTTP-date
 * (https://www.rfc-editor.org/rfc/rfc9110#field.retry-after).
 * A date in the past asks for no wait (0).
 */
export function retryAfterMs(value: string | null, now: number): number | null {
  if (value === null) return null;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Math.min(Number(v), Number.MAX_SAFE_INTEGER / 1000) * 1000;
  // An HTTP-date names its day of the week (IMF-fixdate, or the two obsolete forms); a bare number or
  // anything else Date.parse would take is not one.
  if (!/^[A-Za-z]{3,9},? /.test(v)) return null;
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/**
 * The wait before the next automatic try after `tries` failed tries, or undefined once the schedule
 * has run out: the schedule's step, or longer when the receiver named a `Retry-After` — capped at
 * RETRY_AFTER_MAX_MS, and never shorter than the step.
 */
export function retryDelay(tries: number, retryAfter: number | null): number | undefined {
  const step = WEBHOOK_RETRY_MS[tries];
  if (step === undefined) return undefined;
  return retryAfter === null ? step : Math.max(step, Math.min(retryAfter, RETRY_AFTER_MAX_MS));
}

/**
 * Posts one signed webhook to `endpointId` (the configured webhook unless named) and says what came
 * back: the status, the wait a 429 or 503 asked for, or the error when nothing did. A 3xx
 * is returned as it is, never followed (redirect: 'manual'): a webhook goes only to the URL the
 * merchant configured, and a redirect is a failed try like any other non-2xx (docs/webhooks.md).
 * Followed, the signed body would reach a second URL and the try would count as delivered.
 * During a secret rotation `secrets` holds the new and the old one, and the request carries both
 * signatures (Standard Webhooks: space-separated `v1,` values, https://www.standardwebhooks.com/).
 */
export async function sendWebhook(
  publicBaseUrl: string,
  webhook: { url: string; secret: string | string[] },
  eventId: string,
  now: number,
  body: string,
  endpointId: string = CONFIG_ENDPOINT_ID,
): Promise<{ status: number | null; error: string | null; duration_ms: number; retry_after_ms: number | null }> {
  const started = Date.now();
  try {
    // Each try carries its own time: receivers check webhook-timestamp against a 5-minute tolerance.
    const headers = await webhookHeaders(webhook.secret, eventId, Math.floor(now / 1000), body);
    const res = await outboundFetch(
      publicBaseUrl,
      WEBHOOK_TIMEOUT_MS,
    )(new Request(webhook.url, { method: 'POST', headers: { ...headers, 'user-agent': 'Shouyin-Webhooks/0.1' }, body, redirect: 'manual' }));
    await res.body?.cancel();
    if (res.status === GONE && endpointId === CONFIG_ENDPOINT_ID) {
      // Nothing disables the configured webhook but its configuration (docs/webhooks.md): said loudly, every time.
      console.error(
        `webhook endpoint ${CONFIG_ENDPOINT_ID} answered 410 Gone for event ${eventId}: the configured webhook is not disabled automatically; change or remove webhook.url in the merchant's configuration`,
      );
    }
    // Standard Webhooks: a `Retry-After` (on 429 Too Many Requests, 503 Service Unavailable) should be
    // taken into account when scheduling the next try.
    const retryAfter = res.status === 429 || res.status === 503 ? retryAfterMs(res.headers.get('retry-after'), now) : null;
    return { status: res.status, error: null, duration_ms: Date.now() - started, retry_after_ms: retryAfter };
  } catch (e) {
    return { status: null, error: e instanceof Error ? e.message : String(e), duration_ms: Date.now() - started, retry_after_ms: null };
  }
}

export interface TryOutcome {
  record: DeliveryRecord;
  target: TargetRow;
}

/**
 * One try of `target` now. Automatic tries follow the schedule: a failure is retried after
 * WEBHOOK_RETRY_MS[tries] (or the answer's `Retry-After`, retryDelay) until it runs out. A manual
 * resend (`POST /v1/events/:id/retry`) counts as a try; it settles the target when it succeeds and
 * otherwise leaves the automatic schedule as it was (a target that had already settled stays settled).
 * A `410 Gone` from an API endpoint settles the target as failed, manual or not: no further try of this
 * event goes there, and the merchant's webhook shard disables the endpoint when the try reaches its
 * delivery log (endpoints.ts). The configured webhook (`we_config`) cannot be disabled that way — only
 * its configuration changes it — so its 410 is a failed try like any other, logged as an error.
 */
export async function tryTarget(
  publicBaseUrl: string,
  endpoint: DeliveryEndpoint,
  event: { id: string; type: string; body: string },
  target: TargetRow,
  now: number,
  manual = false,
): Promise<TryOutcome> {
  const sent = await sendWebhook(publicBaseUrl, { url: endpoint.url, secret: endpoint.secrets }, event.id, now, event.body, endpoint.id);
  const { status, error, duration_ms } = sent;
  const attempt = target.tries + 1;
  const gone = status === GONE && endpoint.id !== CONFIG_ENDPOINT_ID;
  let next: TargetRow;
  if (succeeded(status)) next = { ...target, tries: attempt, next_at: null, state: 'delivered' };
  else if (gone) next = { ...target, tries: attempt, next_at: null, state: 'failed' };
  else if (manual) next = { ...target, tries: attempt, state: target.state === 'pending' ? 'pending' : 'failed' };
  else {
    const delay = retryDelay(target.tries, sent.retry_after_ms);
    next =
      delay === undefined
        ? { ...target, tries: attempt, next_at: null, state: 'failed' }
        : { ...target, tries: attempt, next_at: now + delay, state: 'pending' };
  }
  return {
    record: {
      id: newDeliveryId(),
      event_id: event.id,
      event_type: event.type,
      endpoint_id: endpoint.id,
      attempt,
      at: now,
      status,
      error,
      duration_ms,
      next_retry_at: next.state === 'pending' ? next.next_at : null,
    },
    target: next,
  };
}

/** What an event's delivery column says, from its targets. */
export function deliveryState(targets: TargetRow[]): 'pending' | 'delivered' | 'failed' | 'none' {
  if (targets.length === 0) return 'none';
  if (targets.some((t) => t.state === 'pending')) return 'pending';
  return targets.every((t) => t.state === 'delivered') ? 'delivered' : 'failed';
}

/** When the event's next automatic try is due: the earliest pending target's. */
export function nextDue(targets: TargetRow[]): TargetRow | null {
  let first: TargetRow | null = null;
  for (const t of targets) if (t.state === 'pending' && t.next_at !== null && (first === null || t.next_at < first.next_at!)) first = t;
  return first;
}

/**
 * The automatic tries due now for one event: targets whose endpoint is gone or disabled are canceled
 * (no try), the others are sent concurrently (an event has at most MAX_ENDPOINTS + 1 targets).
 */
export async function runDueTargets(
  publicBaseUrl: string,
  endpoints: DeliveryEndpoint[],
  event: { id: string; type: string; body: string },
  targets: TargetRow[],
  now: number,
): Promise<{ records: DeliveryRecord[]; targets: TargetRow[] }> {
  const byId = new Map(endpoints.map((e) => [e.id, e]));
  const out = await Promise.all(
    targets.map(async (t): Promise<{ record?: DeliveryRecord; target: TargetRow }> => {
      if (t.state !== 'pending' || t.next_at === null || t.next_at > now) return { target: t };
      const endpoint = byId.get(t.endpoint_id);
      if (endpoint?.status !== 'enabled') return { target: { ...t, next_at: null, state: 'canceled' } };
      return tryTarget(publicBaseUrl, endpoint, event, t, now);
    }),
  );
  return { records: out.flatMap((o) => (o.record ? [o.record] : [])), targets: out.map((o) => o.target) };
}

/** The endpoints a resend goes to; a named one must exist, be enabled and take the event's type. */
export function chooseResendEndpoints(endpoints: DeliveryEndpoint[], type: string, endpointId: string | undefined): DeliveryEndpoint[] {
  if (endpointId === undefined) return subscribed(endpoints, type);
  const e = endpoints.find((x) => x.id === endpointId);
  if (!e) throw new ShouyinError(ErrorType.invalid_request, ErrorCode.request.resource_missing, `No such webhook endpoint: '${endpointId}'.`, 'endpoint');
  if (e.status !== 'enabled' || !subscribes(e, type)) {
    throw new ShouyinError(
      ErrorType.invalid_request,
      ErrorCode.webhook.endpoint_not_subscribed,
      `Webhook endpoint ${endpointId} is ${e.status === 'enabled' ? `not subscribed to ${type} events` : 'disabled'}; enable it or add the type to its enabled_events first.`,
      'endpoint',
    );
  }
  return [e];
}
