// The shapes the dashboard reads from the merchant API (docs/merchant-api.md). Only what it shows; the
// wire contract's own types come from the worker as types (worker/src/contract.ts).

import type { WebhookEndpoint as SdkWebhookEndpoint, WebhookDelivery } from '../../packages/sdk/src/types';
import type { Channel, SessionStatus } from '../../worker/src/contract';

export type { Channel, SessionStatus };

export interface MerchantInfo {
  id: string;
  name: string;
  livemode: boolean;
  allowed_origins: string[];
  webhook: { url: string } | null;
  auto_refund_anomalies: boolean;
  channels: Channel[];
  apple: boolean;
  /** Each certificate of the configuration with its expiry, soonest first (worker/src/registry/health.ts). */
  credentials: Credential[];
}

export interface Credential {
  channel: Channel | 'apple';
  credential: string;
  subject: string | null;
  serial: string;
  /** ISO 8601, or null when the Worker cannot read the certificate (then `note` says where to look). */
  not_after: string | null;
  days_left: number | null;
  note?: string;
}

export interface DashboardSession {
  object: 'dashboard_session';
  email: string | null;
  csrf_token: string;
  idle_timeout_seconds: number;
  /** Unix seconds: the absolute end. */
  expires_at: number;
  merchant: MerchantInfo;
}

export interface Refund {
  id: string;
  object: 'refund';
  session: string;
  amount: number;
  status: 'pending' | 'succeeded' | 'failed';
  reason: string | null;
  automatic: boolean;
  channel: Channel | null;
  provider: string | null;
  provider_refund_id: string | null;
  failure_reason: string | null;
  created: number;
  updated?: number;
}

export interface Session {
  id: string;
  object: 'checkout.session';
  status: SessionStatus;
  amount: number;
  amount_refunded: number;
  currency: 'CNY';
  description: string;
  merchant_order_id: string;
  channels: Channel[];
  expires_at: number;
  created: number;
  livemode: boolean;
  metadata: Record<string, string>;
  payment: {
    attempt: string;
    channel: Channel;
    provider: string;
    provider_transaction_id: string | null;
    amount: number;
    paid_at: number | null;
  } | null;
  refunds: Refund[];
}

export interface List<T> {
  object: 'list';
  data: T[];
  has_more: boolean;
  next_cursor?: string | null;
}

export interface Timeline {
  object: 'checkout.session.timeline';
  session: Session;
  attempts: {
    id: string;
    channel: Channel;
    flow: string;
    provider: string;
    status: 'pending' | 'succeeded' | 'closed' | 'failed';
    created: number;
    next_action: string | null;
    provider_transaction_id: string | null;
    paid_amount: number | null;
    paid_at: number | null;
    anomaly: string | null;
  }[];
  provider_messages: { created: number; attempt: string; source: string; outcome: string; raw: unknown }[];
  anomalies: { attempt: string; reason: string; created: number; source: string }[];
  refunds: (Refund & { updated: number })[];
  events: {
    id: string;
    type: string;
    created: number;
    delivery: 'pending' | 'delivered' | 'failed' | 'none';
    deliveries: { try: number; created: number; status: number | null; error: string | null }[];
  }[];
}

export interface Event<T = Record<string, unknown>> {
  id: string;
  type: string;
  created: number;
  livemode: boolean;
  data: { object: T };
}

export interface AnomalyObject {
  session: string;
  merchant_order_id: string;
  attempt: string;
  reason: string;
  channel: Channel | null;
  provider: string | null;
  amount: number;
  provider_transaction_id: string;
  refund: { status: 'pending' | 'disabled' | 'not_applicable'; id?: string };
}

export interface ChannelDay {
  tried: number;
  paid: number;
  paid_amount: number;
}

export interface DayStats {
  date: string;
  ended: number;
  paid: number;
  expired: number;
  canceled: number;
  paid_amount: number;
  channels: Record<Channel, ChannelDay>;
}

export interface DailyReport {
  object: 'daily_report';
  from: string;
  to: string;
  days: DayStats[];
}

/**
 * Webhook endpoints and their deliveries as the merchant API answers them: the server SDK's types
 * (packages/sdk), which worker/test/sdk.test.ts keeps equal to the Worker's. `secret` is only in the
 * answers of create and rotate_secret.
 */
export type WebhookEndpoint = SdkWebhookEndpoint & { secret?: string };
export type Delivery = WebhookDelivery;

export interface Discrepancy {
  kind: string;
  label: string;
  object: string;
  provider: string | null;
  out_trade_no: string | null;
  out_refund_no: string | null;
  provider_transaction_id: string | null;
  provider_refund_id: string | null;
  session: string | null;
  amount_here: number | null;
  amount_provider: number | null;
  time: number | null;
  line: number | null;
  note: string | null;
}

interface Sum {
  count: number;
  amount: number;
}

export interface ReconciliationReport {
  object: 'reconciliation_report';
  date: string;
  status: 'balanced' | 'discrepancies' | 'incomplete';
  created: number;
  providers: {
    provider: string;
    channel: string;
    status: string;
    reason: string | null;
    file: string | null;
    statement: { payments: Sum; refunds: Sum; ignored: number };
    shouyin: { payments: Sum; refunds: Sum };
    matched: { payments: number; refunds: number };
    discrepancies: number;
  }[];
  counts: { discrepancies: number; anomalies: number; unchecked: number };
  discrepancies: Discrepancy[];
  anomalies: { session: string; attempt: string; reason: string; amount: number; provider: string | null; on_statement: boolean }[];
}
