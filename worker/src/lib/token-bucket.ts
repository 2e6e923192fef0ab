// A token bucket (the classic rate limiter): `capacity` tokens, one more every `refillMs`, one taken
// per action. Pure: the state is stored by the caller (the session Durable Object for a session's
// attempts, the merchant's limiter shard for the merchant's), and time is passed in.

export interface BucketSpec {
  /** The most tokens the bucket holds: the burst it allows. */
  capacity: number;
  /** One token comes back every this many ms: the sustained rate. */
  refillMs: number;
}

export interface BucketState {
  tokens: number;
  /** When `tokens` was last brought up to date. */
  at: number;
}

export type Take = { ok: true; state: BucketState } | { ok: false; state: BucketState; retryAfterMs: number };

/** Takes one token at `now` from `state` (a full bucket when there is none yet). */
export function takeToken(state: BucketState | null, spec: BucketSpec, now: number): Take {
  const prev = state ?? { tokens: spec.capacity, at: now };
  // A clock that went backwards refills nothing (and never drains).
  const elapsed = Math.max(0, now - prev.at);
  const tokens = Math.min(spec.capacity, prev.tokens + elapsed / spec.refillMs);
  if (tokens >= 1) return { ok: true, state: { tokens: tokens - 1, at: now } };
  return { ok: false, state: { tokens, at: now }, retryAfterMs: Math.ceil((1 - tokens) * spec.refillMs) };
}
