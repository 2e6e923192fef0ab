// Merchant API (server to server, secret key): thin routes — validate, authenticate, get the stub, call.

import { Hono } from 'hono';
import { sha256Hex } from '../crypto/digest';
import { ErrorType, ShouyinError, errorDataResponse, invalid, notFound } from '../lib/errors';
import type { LoggedEvent } from '../merchant-shard';
import { eventLogFor, shardFor, utcDay } from '../shards';
import { refundNoFromApiId, sessionIdOfRefundNo } from '../session/refunds';
import { isSessionId, newClientSecret, newSessionId } from '../session/ids';
import { channelOfPaymentCode } from '../session/payment-code';
import { validateCreateSession } from '../session/validate';
import { authenticateMerchant, parseAttemptParams, parseJsonObject, readBody, type AppEnv } from './http';

export const MAX_API_BODY = 16 * 1024;

export const merchantApi = new Hono<AppEnv>();

merchantApi.use('*', async (c, next) => {
  c.set('merchant', authenticateMerchant(c));
  await next();
});

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
      expiresInSeconds: params.expires_in,
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
    if (!r.ok) return errorDataResponse(r.error);
    return c.json(r.value);
  });
});

/** The same attempt the widget starts, for a merchant's own app (e.g. the `app` flow's signed payload). */
merchantApi.post('/checkout/sessions/:id/attempts', async (c) => {
  const merchant = c.get('merchant');
  const id = c.req.param('id');
  const raw = await readBody(c.req.raw, MAX_API_BODY);
  const body = parseJsonObject(raw);
  const { channel, flow } = parseAttemptParams(body);
  if (!isSessionId(id)) throw notFound('checkout session', id);
  const ip = c.req.header('cf-connecting-ip');
  const r = await c.env.SESSIONS.getByName(id).merchantStartAttempt(merchant.id, channel, flow, ip ? { ip } : {});
  return r.ok ? c.json(r.value, 201) : errorDataResponse(r.error);
});

// ── in store: the till scans the shopper's payment code (docs/instore.md) ─────────────────────────

merchantApi.post('/checkout/sessions/:id/barcode', async (c) => {
  const merchant = c.get('merchant');
  const id = c.req.param('id');
  const raw = await readBody(c.req.raw, MAX_API_BODY);
  const body = parseJsonObject(raw);
  for (const k of Object.keys(body)) {
    // The amount, the order and the channel are the session's and the code's, never the till's to say.
    if (k !== 'auth_code') throw invalid(k, `Received unknown parameter: ${k}. A payment code charge takes only auth_code.`, 'parameter_unknown');
  }
  const code = channelOfPaymentCode(body.auth_code);
  if (!code.ok) throw invalid('auth_code', code.message, body.auth_code === undefined ? 'parameter_missing' : 'auth_code_invalid');
  if (!isSessionId(id)) throw notFound('checkout session', id);
  return idempotent(c, merchant.id, raw, async () => {
    const ip = c.req.header('cf-connecting-ip');
    const r = await c.env.SESSIONS.getByName(id).merchantBarcode(merchant.id, code.channel, code.code, ip ? { ip } : {});
    if (!r.ok) return errorDataResponse(r.error);
    // 202: the shopper is confirming (or the answer is being confirmed); GET …/barcode until it settles.
    return c.json(r.value, r.value.status === 'processing' ? 202 : 200);
  });
});

merchantApi.get('/checkout/sessions/:id/barcode', async (c) => {
  const id = c.req.param('id');
  if (!isSessionId(id)) throw notFound('checkout session', id);
  const view = await c.env.SESSIONS.getByName(id).merchantBarcodeView(c.get('merchant').id);
  if (!view) throw notFound('payment code charge for checkout session', id);
  return c.json(view);
});

// ── refunds ─────────────────────────────────────────────────────────────────────────────────────

merchantApi.post('/refunds', async (c) => {
  const merchant = c.get('merchant');
  const raw = await readBody(c.req.raw, MAX_API_BODY);
  const body = parseJsonObject(raw);
  for (const k of Object.keys(body)) {
    if (!['session', 'amount', 'reason'].includes(k)) throw invalid(k, `Received unknown parameter: ${k}.`, 'parameter_unknown');
  }
  const session = body.session;
  if (session === undefined) throw invalid('session', 'Missing required param: session (the cs_… id of a paid checkout session).', 'parameter_missing');
  if (typeof session !== 'string' || !isSessionId(session)) throw invalid('session', 'session must be a checkout session id (cs_…).');
  const amount = body.amount;
  if (amount !== undefined && (typeof amount !== 'number' || !Number.isInteger(amount) || amount < 1)) {
    throw invalid('amount', 'amount must be a positive integer number of fen; omit it to refund everything that remains.');
  }
  const reason = body.reason;
  if (reason !== undefined && (typeof reason !== 'string' || reason.length === 0 || [...reason].length > 80)) {
    throw invalid('reason', 'reason must be a string of 1–80 characters.');
  }
  return idempotent(c, merchant.id, raw, async () => {
    const r = await c.env.SESSIONS.getByName(session).createRefund(merchant.id, {
      ...(amount !== undefined ? { amount: amount as number } : {}),
      ...(reason !== undefined ? { reason: reason as string } : {}),
    });
    if (!r.ok) {
      if (r.error.type === ErrorType.not_found) throw invalid('session', `No such checkout session: '${session}'.`, 'resource_missing');
      return errorDataResponse(r.error);
    }
    return c.json(r.value, 201);
  });
});

merchantApi.get('/refunds/:id', async (c) => {
  const id = c.req.param('id');
  const refundNo = refundNoFromApiId(id);
  if (!refundNo) throw notFound('refund', id);
  const r = await c.env.SESSIONS.getByName(sessionIdOfRefundNo(refundNo)).retrieveRefund(c.get('merchant').id, refundNo);
  if (!r) throw notFound('refund', id);
  return c.json(r);
});

// ── events ──────────────────────────────────────────────────────────────────────────────────────

/** How far back `GET /v1/events` looks: the webhook retry window and a margin. */
export const EVENT_LOG_DAYS = 7;

merchantApi.get('/events', async (c) => {
  const merchant = c.get('merchant');
  const limitParam = c.req.query('limit') ?? '20';
  const limit = Number(limitParam);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw invalid('limit', 'limit must be an integer between 1 and 100.');
  const type = c.req.query('type');
  if (type !== undefined && !/^[a-z_.]{1,64}$/.test(type)) throw invalid('type', 'type must be an event type such as checkout.session.paid.');
  const cursorParam = c.req.query('starting_after');
  let before: { created: number; id: string } | undefined;
  if (cursorParam !== undefined) {
    const m = /^(\d{13})_(evt_[0-9A-Za-z]{24})$/.exec(cursorParam);
    if (!m) throw invalid('starting_after', 'starting_after must be the next_cursor of a previous page.');
    before = { created: Number(m[1]), id: m[2]! };
  }
  const now = Date.now();
  const out: LoggedEvent[] = [];
  for (let d = 0; d < EVENT_LOG_DAYS && out.length <= limit; d++) {
    const day = utcDay(now - d * 86_400_000);
    if (before && day > utcDay(before.created)) continue;
    const page = await eventLogFor(c.env, merchant.id, day).listEvents(merchant.id, {
      ...(before ? { before } : {}),
      ...(type ? { type } : {}),
      limit: limit + 1 - out.length,
    });
    out.push(...page);
  }
  const data = out.slice(0, limit);
  const last = data[data.length - 1];
  return c.json({
    object: 'list',
    data: data.map((e) => JSON.parse(e.body) as unknown),
    has_more: out.length > limit,
    next_cursor: out.length > limit && last ? `${last.created}_${last.id}` : null,
  });
});
