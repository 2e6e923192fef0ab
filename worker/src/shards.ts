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

/** The merchant's event log is sharded by UTC day: writes spread over time, reads walk back day by day. */
export const utcDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
export function eventLogFor(env: Env, merchantId: string, day: string): DurableObjectStub<MerchantShard> {
  return env.MERCHANT_SHARDS.getByName(`${merchantId}:events:${day}`);
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
