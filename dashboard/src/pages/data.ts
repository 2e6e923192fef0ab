// Data that more than one page reads: the anomalies of the last 7 days with their refunds' present
// status, and the webhook endpoints with their latest deliveries.

import { api, isMissingRoute, isNotFound, walk } from '../api';
import type { AnomalyObject, Delivery, Event, List, Refund, WebhookEndpoint } from '../types';

export interface AnomalyRow {
  event: Event<AnomalyObject>;
  /** The automatic refund's status now: pending, succeeded, failed, or disabled / not_applicable. */
  refund: string;
  /** Nothing more will happen by itself: the money did not go back (refunds off, not applicable, or the refund failed). */
  needsPerson: boolean;
}

/** The merchant event log keeps 7 days (GET /v1/events). */
export async function anomalies(signal: AbortSignal): Promise<AnomalyRow[]> {
  const events = await walk<Event<AnomalyObject>>('/events', { type: 'payment.anomaly' }, signal);
  return Promise.all(
    events.map(async (event): Promise<AnomalyRow> => {
      const r = event.data.object.refund;
      let refund: string = r.status;
      if (r.status === 'pending' && r.id) {
        const now = await api<Refund>(`/refunds/${r.id}`, { signal }).catch(() => null);
        if (now) refund = now.status;
      }
      return { event, refund, needsPerson: refund === 'failed' || refund === 'disabled' || refund === 'not_applicable' };
    }),
  );
}

export interface EndpointRow {
  endpoint: WebhookEndpoint;
  deliveries: Delivery[];
  /** Disabled, or its latest delivery failed. */
  failing: boolean;
}

/** Endpoints with their recent deliveries, failures first; null when this deployment has no endpoint API. */
export async function endpoints(signal: AbortSignal, perEndpoint = 20): Promise<EndpointRow[] | null> {
  let list: List<WebhookEndpoint>;
  try {
    list = await api<List<WebhookEndpoint>>('/webhook_endpoints', { query: { limit: 100 }, signal });
  } catch (e) {
    if (isMissingRoute(e)) return null;
    throw e;
  }
  return Promise.all(
    list.data.map(async (endpoint): Promise<EndpointRow> => {
      const d = await api<List<Delivery>>(`/webhook_endpoints/${endpoint.id}/deliveries`, { query: { limit: perEndpoint }, signal }).catch((e: unknown) => {
        if (isMissingRoute(e) || isNotFound(e)) return { object: 'list' as const, data: [], has_more: false };
        throw e;
      });
      const latest = d.data[0];
      const deliveries = [...d.data].sort((a, b) => Number(a.succeeded) - Number(b.succeeded) || b.created - a.created);
      return { endpoint, deliveries, failing: endpoint.status === 'disabled' || (latest !== undefined && !latest.succeeded) };
    }),
  );
}
