// How the merchant-wide Durable Objects (merchant-shard.ts) are addressed: by name, so every caller —
// the routes, the session Durable Object, the reconciliation run inside a shard — reaches the same
// object without importing the shard's code.

import type { Env } from './env';
import type { MerchantShard } from './merchant-shard';

/** Idempotency keys and merchant_order_id claims are spread over this many objects per merchant. */
export const SHARDS = 16;

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function shardFor(env: Env, merchantId: string, kind: 'idem' | 'order', key: string): DurableObjectStub<MerchantShard> {
  return env.MERCHANT_SHARDS.getByName(`${merchantId}:${kind}:${fnv1a(key) % SHARDS}`);
}

/**
 * How far back `GET /v1/events` looks (today and the 6 days before, UTC): the webhook retry window and
 * a margin. A day's shard is deleted the day after it leaves that window (docs/data-retention.md).
 */
export const EVENT_LOG_DAYS = 7;

/** The merchant's event log is sharded by UTC day: writes spread over time, reads walk back day by day. */
export const utcDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
export function eventLogFor(env: Env, merchantId: string, day: string): DurableObjectStub<MerchantShard> {
  return env.MERCHANT_SHARDS.getByName(`${merchantId}:events:${day}`);
}

/**
 * The merchant's list index (listing/store.ts): every session and refund, written by the sessions'
 * outboxes, read by `GET /v1/checkout/sessions` and `GET /v1/refunds` (docs/architecture.md, "State").
 */
export function listIndexFor(env: Env, merchantId: string): DurableObjectStub<MerchantShard> {
  return env.MERCHANT_SHARDS.getByName(`${merchantId}:index`);
}

/** The merchant's webhook endpoints, delivery log and its own events (webhooks/endpoints.ts). */
export function webhooksFor(env: Env, merchantId: string): DurableObjectStub<MerchantShard> {
  return env.MERCHANT_SHARDS.getByName(`${merchantId}:webhooks`);
}

/**
 * Dashboard sign-in links and sessions (worker/src/dashboard), found by a hash of their token: the
 * cookie or link carries no merchant id. `~` cannot start a merchant id, so these names never meet a
 * merchant's own shards.
 */
export function dashboardShardFor(env: Env, kind: 'links' | 'sessions', tokenHash: string): DurableObjectStub<MerchantShard> {
  return env.MERCHANT_SHARDS.getByName(`~dashboard:${kind}:${fnv1a(tokenHash) % SHARDS}`);
}

/** Per merchant and Beijing day: how the day's checkout sessions ended, by channel (worker/src/reports). */
export const statsShardName = (merchantId: string, day: string): string => `${merchantId}:stats:${day}`;

/** Which session a provider's transaction id belongs to (worker/src/reports), sharded by the id. */
export function paymentIndexFor(env: Env, merchantId: string, providerTransactionId: string): DurableObjectStub<MerchantShard> {
  return env.MERCHANT_SHARDS.getByName(`${merchantId}:txn:${fnv1a(providerTransactionId) % SHARDS}`);
}

/** The merchant-wide rate limiter (attempt creation, session/limits.ts): one object per merchant. */
export function limiterFor(env: Env, merchantId: string): DurableObjectStub<MerchantShard> {
  return env.MERCHANT_SHARDS.getByName(`${merchantId}:limits`);
}
