// How many provider orders a session, and a merchant, may start (docs/merchant-api.md#limits). Every
// attempt is a provider order with its close and queries scheduled; without a limit, a client secret
// could make orders without end, and in live mode use up the merchant's own rate limits at the
// provider. A payment-code charge is not an attempt here: the till's own endpoint is the merchant's.

import type { BucketSpec } from '../lib/token-bucket';

/** The most attempts one session makes in its life: a shopper switches channels a few times, not twenty. */
export const MAX_ATTEMPTS_PER_SESSION = 20;

/** Per session: a burst of 6 new attempts, then one every 10 s. */
export const SESSION_ATTEMPTS: BucketSpec = { capacity: 6, refillMs: 10_000 };

/** Per merchant, all its sessions together: a burst of 300 new attempts, then 50 a second. */
export const MERCHANT_ATTEMPTS: BucketSpec = { capacity: 300, refillMs: 20 };
