// One checkout session's whole story for its merchant (`GET /v1/checkout/sessions/:id/timeline`,
// docs/merchant-api.md#a-sessions-timeline): its attempts, every provider message that reached it with
// the outcome Shouyin gave it and the message itself, the anomalies, the refunds, and every event with
// each webhook delivery try. Only what the session's Durable Object stored; a notify whose signature
// did not verify never reaches a session (docs/reliability.md), so it is not here.

import type { Channel, Flow } from '../contract';
import { refundObject, type RefundObject } from './refunds';
import type { AttemptRow, EventRow, RefundRow, SessionRow } from './store';
import { merchantSession, type MerchantSession, type SessionLinks } from './views';

const seconds = (ms: number): number => Math.floor(ms / 1000);

export interface TimelineAttempt {
  id: string;
  channel: Channel;
  flow: Flow;
  provider: string;
  status: AttemptRow['status'];
  /** Unix seconds. */
  created: number;
  /** What the shopper was shown: display_qr, redirect, form_post, wechat_jsapi, app_payload; null before the provider answered. */
  next_action: string | null;
  provider_transaction_id: string | null;
  paid_amount: number | null;
  /** Unix seconds. */
  paid_at: number | null;
  /** Set when a payment on this attempt was not taken as the session's (late, duplicate, amount mismatch…). */
  anomaly: string | null;
}

export interface TimelineMessage {
  /** Unix seconds. Messages are listed in the order they arrived. */
  created: number;
  attempt: string;
  /** `notify` (the provider called us), `query` (we asked), `pay` (a payment-code charge's answer). */
  source: string;
  /** What Shouyin did with it: `paid`, `already_applied`, `anomaly:<reason>`, `reverse`, `refund:<state>`, or the provider's state. */
  outcome: string;
  /** The verified message as decoded (the provider's fields), for evidence. */
  raw: unknown;
}

export interface TimelineAnomaly {
  attempt: string;
  reason: string;
  /** Unix seconds. */
  created: number;
  source: string;
}

export interface TimelineDelivery {
  try: number;
  /** Unix seconds. */
  created: number;
  /** The HTTP status the merchant's endpoint answered; null when nothing came back (then `error`). */
  status: number | null;
  error: string | null;
}

export interface TimelineEvent {
  id: string;
  type: string;
  /** Unix seconds. Events are listed in the order they happened. */
  created: number;
  /** `pending` (retrying), `delivered`, `failed` (gave up), `none` (no webhook configured). */
  delivery: EventRow['delivery'];
  deliveries: TimelineDelivery[];
}

export interface SessionTimeline {
  object: 'checkout.session.timeline';
  session: Omit<MerchantSession, 'client_secret' | 'url'>;
  attempts: TimelineAttempt[];
  provider_messages: TimelineMessage[];
  anomalies: TimelineAnomaly[];
  /** Each with `updated` (unix seconds): when its status last changed. */
  refunds: (RefundObject & { updated: number })[];
  events: TimelineEvent[];
}

export function sessionTimeline(
  s: SessionRow,
  attempts: AttemptRow[],
  refunds: RefundRow[],
  messages: { at: number; attempt_id: string; source: string; outcome: string; raw: string }[],
  anomalies: { attempt_id: string; reason: string; created: number; source: string }[],
  events: (EventRow & { deliveries: { try: number; at: number; status: number | null; error: string | null }[] })[],
  links: SessionLinks,
): SessionTimeline {
  // The client secret is the shopper's browser's to hold; a timeline has no use for it, nor for the
  // hosted page's address, which carries it.
  const { client_secret: _secret, url: _url, ...session } = merchantSession(s, attempts, refunds, links);
  return {
    object: 'checkout.session.timeline',
    session,
    attempts: attempts.map((a) => ({
      id: a.id,
      channel: a.channel,
      flow: a.flow,
      provider: a.provider,
      status: a.status,
      created: seconds(a.created),
      next_action: a.next_action ? ((JSON.parse(a.next_action) as { type?: string }).type ?? null) : null,
      provider_transaction_id: a.provider_transaction_id,
      paid_amount: a.paid_amount,
      paid_at: a.paid_at === null ? null : seconds(a.paid_at),
      anomaly: a.anomaly,
    })),
    provider_messages: messages.map((m) => ({ created: seconds(m.at), attempt: m.attempt_id, source: m.source, outcome: m.outcome, raw: parseOr(m.raw) })),
    anomalies: anomalies.map((a) => ({ attempt: a.attempt_id, reason: a.reason, created: seconds(a.created), source: a.source })),
    refunds: refunds.map((r) => ({ ...refundObject(r, s, attempts.find((a) => a.id === r.attempt_id) ?? null), updated: seconds(r.updated) })),
    events: events.map((e) => ({
      id: e.id,
      type: e.type,
      created: seconds(e.created),
      delivery: e.delivery,
      deliveries: e.deliveries.map((d) => ({ try: d.try, created: seconds(d.at), status: d.status, error: d.error })),
    })),
  };
}

function parseOr(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
