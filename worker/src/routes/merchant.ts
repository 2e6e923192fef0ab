// Merchant API (server to server, secret key): thin routes — validate, authenticate, get the stub, call.

import { Hono } from 'hono';
import { sha256Hex } from '../crypto/digest';
import { ErrorType, ShouyinError, notFound } from '../lib/errors';
import { shardFor } from '../merchant-shard';
import { isSessionId, newClientSecret, newSessionId } from '../session/ids';
import { validateCreateSession } from '../session/validate';
import { authenticateMerchant, parseJsonObject, readBody, rpcErrorResponse, type AppEnv } from './http';

export const MAX_API_BODY = 16 * 1024;

export const merchantApi = new Hono<AppEnv>();

merchantApi.use('*', async (c, next) => {
  c.set('merchant', authenticateMerchant(c));
  await next();
});

/**
 * Runs a mutating call under an Idempotency-Key: the same key and body replay the stored answer,
 * the same key with another body is a 409, a key still executing is a 409 to retry later.
 */
async function idempotent(
  c: { env: AppEnv['Bindings']; req: { header(name: string): string | undefined; method: string; path: string } },
  merchantId: string,
  rawBody: string,
  run: () => Promise<Response>,
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
    throw new ShouyinError(ErrorType.idempotency, 'idempotency_key_reused', 'This Idempotency-Key was already used with a different request body.', 'Idempotency-Key');
  }
  if (begin.kind === 'in_flight') {
    throw new ShouyinError(ErrorType.idempotency, 'idempotency_key_in_use', 'A request with this Idempotency-Key is still being processed; retry shortly.', 'Idempotency-Key');
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
  await shard.finishIdempotent(merchantId, key, res.status, await res.clone().text());
  return res;
}

merchantApi.post('/checkout/sessions', async (c) => {
  const merchant = c.get('merchant');
  const raw = await readBody(c.req.raw, MAX_API_BODY);
  const params = validateCreateSession(parseJsonObject(raw), merchant);
  return idempotent(c, merchant.id, raw, async () => {
    const id = newSessionId();
    const claim = await shardFor(c.env, merchant.id, 'order', params.merchant_order_id).claimOrderId(merchant.id, params.merchant_order_id, id);
    if (claim.kind === 'taken') {
      throw new ShouyinError(
        ErrorType.conflict,
        'merchant_order_id_in_use',
        `merchant_order_id '${params.merchant_order_id}' already belongs to ${claim.status} session ${claim.sessionId}.`,
        'merchant_order_id',
      );
    }
    const session = await c.env.SESSIONS.getByName(id).create({
      id,
      merchantId: merchant.id,
      livemode: merchant.livemode,
      amount: params.amount,
      description: params.description,
      merchantOrderId: params.merchant_order_id,
      channels: params.channels,
      clientSecret: newClientSecret(id),
      expiresAt: Date.now() + params.expires_in * 1000,
      returnUrl: params.return_url,
      metadata: params.metadata,
    });
    return c.json(session, 201);
  });
});

merchantApi.get('/checkout/sessions/:id', async (c) => {
  const id = c.req.param('id');
  if (!isSessionId(id)) throw notFound('checkout session', id);
  const session = await c.env.SESSIONS.getByName(id).retrieve(c.get('merchant').id);
  // Another merchant's session is indistinguishable from a missing one.
  if (!session) throw notFound('checkout session', id);
  return c.json(session);
});

merchantApi.post('/checkout/sessions/:id/cancel', async (c) => {
  const merchant = c.get('merchant');
  const id = c.req.param('id');
  const raw = await readBody(c.req.raw, MAX_API_BODY);
  if (Object.keys(parseJsonObject(raw)).length > 0) {
    throw new ShouyinError(ErrorType.invalid_request, 'parameter_unknown', 'cancel takes no parameters.');
  }
  if (!isSessionId(id)) throw notFound('checkout session', id);
  return idempotent(c, merchant.id, raw, async () => {
    const r = await c.env.SESSIONS.getByName(id).cancel(merchant.id);
    if (!r.ok) return rpcErrorResponse(r.error);
    return c.json(r.value);
  });
});
