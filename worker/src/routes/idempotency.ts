// Idempotency-Key on the merchant API's mutating calls (docs/merchant-api.md#idempotency): the stored
// answer of a key, its fingerprint and its 24 hours live in the merchant's `<m>:idem:<n>` shards.

import { sha256Hex } from '../crypto/digest';
import { ErrorType, ShouyinError } from '../lib/errors';
import { shardFor } from '../shards';
import type { AppEnv } from './http';

/**
 * Runs a mutating call under an Idempotency-Key: the same key and body replay the stored answer,
 * the same key with another body is a 409, a key still executing is a 409 to retry later.
 * `stored` is what is kept of a successful answer for replays (by default all of it): an answer that
 * shows a secret once keeps it out of the stored record (docs/webhooks.md).
 */
export async function idempotent(
  c: { env: AppEnv['Bindings']; req: { header(name: string): string | undefined; method: string; path: string } },
  merchantId: string,
  rawBody: string,
  run: () => Promise<Response>,
  stored: (body: string) => string = (body) => body,
): Promise<Response> {
  const key = c.req.header('idempotency-key');
  if (key === undefined) return run();
  if (key.length === 0 || key.length > 255) {
    throw new ShouyinError(ErrorType.invalid_request, 'idempotency_key_invalid', 'Idempotency-Key must be 1–255 characters.', 'Idempotency-Key');
  }
  const fingerprint = await sha256Hex(`${c.req.method} ${c.req.path}\n${rawBody}`);
  const shard = shardFor(c.env, merchantId, 'idem', key);
  const begin = await shard.beginIdempotent(merchantId, key, fingerprint, Date.now());
  if (begin.kind === 'replay') {
    return new Response(begin.body, { status: begin.status, headers: { 'content-type': 'application/json', 'idempotent-replayed': 'true' } });
  }
  if (begin.kind === 'mismatch') {
    throw new ShouyinError(
      ErrorType.idempotency,
      'idempotency_key_reused',
      'This Idempotency-Key was already used with a different request body.',
      'Idempotency-Key',
    );
  }
  if (begin.kind === 'in_flight') {
    throw new ShouyinError(
      ErrorType.idempotency,
      'idempotency_key_in_use',
      'A request with this Idempotency-Key is still being processed; retry shortly.',
      'Idempotency-Key',
    );
  }
  let res: Response;
  try {
    res = await run();
  } catch (e) {
    if (e instanceof ShouyinError && e.status < 500) {
      // A deterministic refusal (e.g. 409 merchant_order_id taken) is the answer for this key.
      await shard.finishIdempotent(merchantId, key, e.status, JSON.stringify(e.toBody()));
    } else {
      await shard.abandonIdempotent(merchantId, key);
    }
    throw e;
  }
  await shard.finishIdempotent(merchantId, key, res.status, stored(await res.clone().text()));
  return res;
}
