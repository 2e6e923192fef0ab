// Merchant API (server to server, secret key): thin routes — validate, authenticate, get the stub, call.
// Each route is declared with its schemas (api/schemas), which both validate it and describe it in
// GET /openapi.json. `merchantRoutes` carries no authentication: `merchantApi` puts the secret-key
// check in front of it, and another front (a dashboard's session) can mount the same routes behind its own.

import { createRoute } from '@hono/zod-openapi';
import { apiApp, defineRoute, z } from '../api/openapi';
import { BODY, IDEMPOTENCY, INTERNAL, MERCHANT_AUTH, errors, secretKeyAuth } from '../api/schemas/common';
import { EventList, EventListQuery } from '../api/schemas/events';
import { CreateRefundBody, Refund } from '../api/schemas/refunds';
import { SessionTimeline } from '../api/schemas/timeline';
import { AttemptBody, AttemptCreated, BarcodeBody, BarcodePayment, CheckoutSession, CreateSessionBody, sessionParamsFor } from '../api/schemas/sessions';
import { ErrorType, ShouyinError, errorDataResponse, invalid, notFound } from '../lib/errors';
import type { LoggedEvent } from '../merchant-shard';
import { eventLogFor, shardFor, utcDay } from '../shards';
import { refundNoFromApiId, sessionIdOfRefundNo } from '../session/refunds';
import { issuedSessionStub, newClientSecret, newSessionId } from '../session/ids';
import { channelOfPaymentCode } from '../session/payment-code';
import { appleMerchantRoutes } from './apple';
import { authenticateMerchant, sessionErrorResponse } from './http';
import { idempotent } from './idempotency';
import { listRoutes } from './lists';
import { reconciliationRoutes } from './reconciliation';
import { reportRoutes } from './reports';
import { webhookEndpointRoutes } from './webhook-endpoints';

export const MAX_API_BODY = 16 * 1024;

/**
 * The merchant API's routes without authentication: whoever mounts them sets `c.var.merchant` first.
 * Mounted behind the secret key (merchantApi, below) and behind the dashboard's session cookie
 * (worker/src/dashboard).
 */
export const merchantRoutes = apiApp();

// ── what the routes share in the document ─────────────────────────────────────────────────────

// Documentation only: idempotent() reads the header (Hono's header validation sees lower-case names).
const idempotencyKey = z.object({
  'Idempotency-Key': z.string().optional().openapi({
    description: 'Any unique string of 1–255 characters: a retry with the same key and body replays the first answer (24 hours).',
    example: 'order-1001',
  }),
});
const sessionId = z.object({
  id: z.string().openapi({
    param: { name: 'id', in: 'path' },
    description: "The checkout session's id (`cs_…`). An unknown one, or another merchant's, is a 404.",
    example: 'cs_4sV0yIuR0mYqKcEo5JmZ2b7Q',
  }),
});
const json = <S extends z.ZodType>(schema: S, description: string) => ({ description, content: { 'application/json': { schema } } });
const body = <S extends z.ZodType>(schema: S) => ({ content: { 'application/json': { schema } }, required: true });

// ── checkout sessions ──────────────────────────────────────────────────────────────────────────

defineRoute(
  merchantRoutes,
  createRoute({
    method: 'post',
    path: '/checkout/sessions',
    operationId: 'createCheckoutSession',
    tags: ['Checkout sessions'],
    summary: 'Create a checkout session',
    security: secretKeyAuth,
    request: { headers: idempotencyKey, body: body(CreateSessionBody) },
    responses: {
      201: json(CheckoutSession, 'The new open session, with its client_secret for the page.'),
      ...errors({
        400: [...BODY, 'idempotency_key_invalid'],
        401: MERCHANT_AUTH,
        409: ['merchant_order_id_in_use', ...IDEMPOTENCY],
        413: ['body_too_large'],
        500: INTERNAL,
      }),
    },
  }),
  async (c) => {
    const merchant = c.get('merchant');
    const params = sessionParamsFor(c.req.valid('json'), merchant);
    return idempotent(c, merchant.id, c.get('rawBody'), async () => {
      const id = await newSessionId(c.env);
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
        cancelUrl: params.cancel_url,
        metadata: params.metadata,
      });
      return c.json(session, 201);
    });
  },
);

defineRoute(
  merchantRoutes,
  createRoute({
    method: 'get',
    path: '/checkout/sessions/{id}',
    operationId: 'retrieveCheckoutSession',
    tags: ['Checkout sessions'],
    summary: 'Retrieve a checkout session',
    description: "The session, with `payment` once paid and its `refunds`. Another merchant's session is a 404, like one that does not exist.",
    security: secretKeyAuth,
    request: { params: sessionId },
    responses: { 200: json(CheckoutSession, 'The session.'), ...errors({ 401: MERCHANT_AUTH, 404: ['resource_missing'], 500: INTERNAL }) },
  }),
  async (c) => {
    const { id } = c.req.valid('param');
    const stub = await issuedSessionStub(c.env, id);
    if (!stub) throw notFound('checkout session', id);
    const session = await stub.retrieve(c.get('merchant').id);
    // Another merchant's session is indistinguishable from a missing one.
    if (!session) throw notFound('checkout session', id);
    return c.json(session);
  },
);

defineRoute(
  merchantRoutes,
  createRoute({
    method: 'get',
    path: '/checkout/sessions/{id}/timeline',
    operationId: 'retrieveCheckoutSessionTimeline',
    tags: ['Checkout sessions'],
    summary: "A checkout session's timeline",
    description:
      'Its attempts, every verified provider message with what Shouyin did with it, the anomalies, the refunds, and every event with each webhook delivery try (docs/merchant-api.md#a-sessions-timeline). Never the client secret.',
    security: secretKeyAuth,
    request: { params: sessionId },
    responses: { 200: json(SessionTimeline, 'The timeline.'), ...errors({ 401: MERCHANT_AUTH, 404: ['resource_missing'], 500: INTERNAL }) },
  }),
  async (c) => {
    const { id } = c.req.valid('param');
    const stub = await issuedSessionStub(c.env, id);
    if (!stub) throw notFound('checkout session', id);
    const timeline = await stub.timeline(c.get('merchant').id);
    if (!timeline) throw notFound('checkout session', id);
    return c.json(timeline);
  },
);

defineRoute(
  merchantRoutes,
  createRoute({
    method: 'post',
    path: '/checkout/sessions/{id}/cancel',
    operationId: 'cancelCheckoutSession',
    tags: ['Checkout sessions'],
    summary: 'Cancel an open checkout session',
    description: 'Closes its open provider orders first. A session that turns out paid while closing stays paid (409 `session_not_open`).',
    security: secretKeyAuth,
    request: { params: sessionId, headers: idempotencyKey, body: { ...body(z.strictObject({}).openapi('CancelCheckoutSession')), required: false } },
    responses: {
      200: json(CheckoutSession, 'The canceled session.'),
      ...errors({
        400: ['parameter_unknown', 'invalid_json', 'idempotency_key_invalid'],
        401: MERCHANT_AUTH,
        404: ['resource_missing'],
        409: ['session_not_open', ...IDEMPOTENCY],
        413: ['body_too_large'],
        500: INTERNAL,
        502: ['provider_unavailable'],
      }),
    },
  }),
  async (c) => {
    const merchant = c.get('merchant');
    const { id } = c.req.valid('param');
    const stub = await issuedSessionStub(c.env, id);
    if (!stub) throw notFound('checkout session', id);
    return idempotent(c, merchant.id, c.get('rawBody'), async () => {
      const r = await stub.cancel(merchant.id);
      if (!r.ok) return sessionErrorResponse(r.error, id);
      return c.json(r.value);
    });
  },
);

/** The same attempt the widget starts, for a merchant's own app (e.g. the `app` flow's signed payload). */
defineRoute(
  merchantRoutes,
  createRoute({
    method: 'post',
    path: '/checkout/sessions/{id}/attempts',
    operationId: 'createAttempt',
    tags: ['Checkout sessions'],
    summary: 'Start a payment attempt',
    description: "The attempt the widget would start, for a merchant's own app (the `app` flow's signed payload).",
    security: secretKeyAuth,
    request: { params: sessionId, body: body(AttemptBody) },
    responses: {
      201: json(AttemptCreated, 'The attempt and what to do next.'),
      ...errors({
        400: [...BODY, 'flow_unavailable', 'channel_unavailable'],
        401: MERCHANT_AUTH,
        404: ['resource_missing'],
        409: ['session_not_open', 'session_expired', 'channel_unavailable', 'barcode_in_progress', 'attempt_limit_reached'],
        413: ['body_too_large'],
        429: ['attempts_rate_limited'],
        500: INTERNAL,
        502: ['provider_unavailable'],
      }),
    },
  }),
  async (c) => {
    const merchant = c.get('merchant');
    const { id } = c.req.valid('param');
    const { channel, flow = 'qr' } = c.req.valid('json');
    const stub = await issuedSessionStub(c.env, id);
    if (!stub) throw notFound('checkout session', id);
    const ip = c.req.header('cf-connecting-ip');
    const r = await stub.merchantStartAttempt(merchant.id, channel, flow, ip ? { ip } : {});
    return r.ok ? c.json(r.value, 201) : sessionErrorResponse(r.error, id);
  },
);

// ── in store: the till scans the shopper's payment code (docs/instore.md) ─────────────────────────

defineRoute(
  merchantRoutes,
  createRoute({
    method: 'post',
    path: '/checkout/sessions/{id}/barcode',
    operationId: 'chargePaymentCode',
    tags: ['In store'],
    summary: "Charge a shopper's payment code",
    description:
      '202 while the shopper confirms (or the answer is being confirmed): ask again with GET. After 30 s an unconfirmed code is reversed, so nothing stays charged (docs/instore.md).',
    security: secretKeyAuth,
    request: { params: sessionId, headers: idempotencyKey, body: body(BarcodeBody) },
    responses: {
      200: json(BarcodePayment, 'The charge settled: `succeeded` or `failed`.'),
      202: json(BarcodePayment, 'The charge is `processing`.'),
      ...errors({
        400: [...BODY, 'auth_code_invalid', 'channel_unavailable', 'idempotency_key_invalid'],
        401: MERCHANT_AUTH,
        404: ['resource_missing'],
        409: ['session_not_open', 'session_expired', 'barcode_in_progress', ...IDEMPOTENCY],
        413: ['body_too_large'],
        500: INTERNAL,
      }),
    },
  }),
  async (c) => {
    const merchant = c.get('merchant');
    const { id } = c.req.valid('param');
    // The schema accepted the code, so this names its wallet.
    const code = channelOfPaymentCode(c.req.valid('json').auth_code);
    if (!code.ok) throw invalid('auth_code', code.message, 'auth_code_invalid');
    const stub = await issuedSessionStub(c.env, id);
    if (!stub) throw notFound('checkout session', id);
    return idempotent(c, merchant.id, c.get('rawBody'), async () => {
      const ip = c.req.header('cf-connecting-ip');
      const r = await stub.merchantBarcode(merchant.id, code.channel, code.code, ip ? { ip } : {});
      if (!r.ok) return sessionErrorResponse(r.error, id);
      // 202: the shopper is confirming (or the answer is being confirmed); GET …/barcode until it settles.
      return c.json(r.value, r.value.status === 'processing' ? 202 : 200);
    });
  },
);

defineRoute(
  merchantRoutes,
  createRoute({
    method: 'get',
    path: '/checkout/sessions/{id}/barcode',
    operationId: 'retrievePaymentCodeCharge',
    tags: ['In store'],
    summary: "The session's newest payment-code charge",
    security: secretKeyAuth,
    request: { params: sessionId },
    responses: { 200: json(BarcodePayment, 'The charge.'), ...errors({ 401: MERCHANT_AUTH, 404: ['resource_missing'], 500: INTERNAL }) },
  }),
  async (c) => {
    const { id } = c.req.valid('param');
    const stub = await issuedSessionStub(c.env, id);
    if (!stub) throw notFound('checkout session', id);
    const view = await stub.merchantBarcodeView(c.get('merchant').id);
    if (!view) throw notFound('payment code charge for checkout session', id);
    return c.json(view);
  },
);

// ── refunds ─────────────────────────────────────────────────────────────────────────────────────

defineRoute(
  merchantRoutes,
  createRoute({
    method: 'post',
    path: '/refunds',
    operationId: 'createRefund',
    tags: ['Refunds'],
    summary: "Refund a paid session's payment",
    description:
      'The refund is `pending` until the provider settles it (`refund.succeeded` / `refund.failed`). An unknown session is a 400 `resource_missing` naming `session`.',
    security: secretKeyAuth,
    request: { headers: idempotencyKey, body: body(CreateRefundBody) },
    responses: {
      201: json(Refund, 'The refund, usually `pending`.'),
      ...errors({
        400: [...BODY, 'resource_missing', 'amount_too_large', 'idempotency_key_invalid'],
        401: MERCHANT_AUTH,
        409: ['session_not_paid', 'already_refunded', ...IDEMPOTENCY],
        413: ['body_too_large'],
        500: INTERNAL,
      }),
    },
  }),
  async (c) => {
    const merchant = c.get('merchant');
    const { session, amount, reason } = c.req.valid('json');
    const stub = await issuedSessionStub(c.env, session);
    return idempotent(c, merchant.id, c.get('rawBody'), async () => {
      if (!stub) throw invalid('session', `No such checkout session: '${session}'.`, 'resource_missing');
      const r = await stub.createRefund(merchant.id, {
        ...(amount !== undefined ? { amount } : {}),
        ...(reason !== undefined ? { reason } : {}),
      });
      if (!r.ok) {
        if (r.error.type === ErrorType.not_found) throw invalid('session', `No such checkout session: '${session}'.`, 'resource_missing');
        return errorDataResponse(r.error);
      }
      return c.json(r.value, 201);
    });
  },
);

defineRoute(
  merchantRoutes,
  createRoute({
    method: 'get',
    path: '/refunds/{id}',
    operationId: 'retrieveRefund',
    tags: ['Refunds'],
    summary: 'Retrieve a refund',
    security: secretKeyAuth,
    request: {
      params: z.object({
        id: z.string().openapi({ param: { name: 'id', in: 'path' }, description: "The refund's id (`re_…`).", example: 're_4sV0yIuR0mYqKcEo5JmZ2b7QR1' }),
      }),
    },
    responses: { 200: json(Refund, 'The refund.'), ...errors({ 401: MERCHANT_AUTH, 404: ['resource_missing'], 500: INTERNAL }) },
  }),
  async (c) => {
    const { id } = c.req.valid('param');
    const refundNo = refundNoFromApiId(id);
    const stub = refundNo ? await issuedSessionStub(c.env, sessionIdOfRefundNo(refundNo)) : null;
    if (!refundNo || !stub) throw notFound('refund', id);
    const r = await stub.retrieveRefund(c.get('merchant').id, refundNo);
    if (!r) throw notFound('refund', id);
    return c.json(r);
  },
);

// ── events ──────────────────────────────────────────────────────────────────────────────────────

/** How far back `GET /v1/events` looks: the webhook retry window and a margin. */
export const EVENT_LOG_DAYS = 7;

defineRoute(
  merchantRoutes,
  createRoute({
    method: 'get',
    path: '/events',
    operationId: 'listEvents',
    tags: ['Events'],
    summary: 'List events',
    description: 'The last 7 days of events, newest first; each item is exactly the body its webhook carried.',
    security: secretKeyAuth,
    request: { query: EventListQuery },
    responses: { 200: json(EventList, 'A page of events.'), ...errors({ 400: ['parameter_invalid'], 401: MERCHANT_AUTH, 500: INTERNAL }) },
  }),
  async (c) => {
    const merchant = c.get('merchant');
    const { limit = 20, type, starting_after } = c.req.valid('query');
    let before: { created: number; id: string } | undefined;
    if (starting_after !== undefined) {
      const [created, id] = starting_after.split(/_(?=evt_)/) as [string, string];
      before = { created: Number(created), id };
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
  },
);

// ── lists, webhook endpoints, reports and reconciliation, declared in their own files ────────────

// Lists and search, webhook endpoints and deliveries (docs/merchant-api.md, docs/webhooks.md).
merchantRoutes.route('/', listRoutes);
merchantRoutes.route('/', webhookEndpointRoutes);
merchantRoutes.route('/', reportRoutes);
merchantRoutes.route('/reconciliation', reconciliationRoutes);

/**
 * The merchant API as deployed: the secret key in front of every route. Apple's verification calls
 * are the app's server's only, so they are here and not in merchantRoutes, which the dashboard mounts.
 */
export const merchantApi = apiApp();
merchantApi.use('*', async (c, next) => {
  c.set('merchant', await authenticateMerchant(c));
  await next();
});
merchantApi.route('/', merchantRoutes);
merchantApi.route('/apple', appleMerchantRoutes);
