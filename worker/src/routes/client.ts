// Client API (the widget, per-session client secret). The browser never sends an amount: an attempt
// takes only a channel and a flow.
//
// CORS: every origin's preflight is answered, so that the real request reaches us and its answer says
// what is wrong — `origin_not_allowed` for a page the merchant did not list in allowed_origins,
// `session_not_found` for an id that is no session — instead of a preflight failure the browser
// reports as a network error. A request from an origin the merchant did not list is refused before
// anything of the session is read (403), and only its error is readable to that page: the session and its
// attempts are answered to listed origins only (docs/widget.md#errors).
//
// Existence is told to the holder of the client secret only (SECURITY.md, "Client secrets"): a missing
// or malformed secret is refused before the session is looked up (alike for every id), and a
// well-formed wrong one — from any origin — is answered exactly like a session that does not exist.

import { createRoute } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import { apiApp, defineRoute, z } from '../api/openapi';
import { BODY, INTERNAL, clientSecretAuth, errors } from '../api/schemas/common';
import { PublicSession, StatusQuery, StatusView } from '../api/schemas/client';
import { AttemptBody, AttemptCreated } from '../api/schemas/sessions';
import type { ErrorCode, ErrorData } from '../lib/errors';
import { ErrorType, ShouyinError, errorDataResponse } from '../lib/errors';
import { merchantById } from '../merchants';
import { issuedSessionStub } from '../session/ids';
import { HOSTED_HEADER } from '../session/links';
import { clientSecretOf, errorResponse, type AppEnv } from './http';

export const clientApi = apiApp();

const CORS_HEADERS = {
  'access-control-allow-methods': 'GET, POST, OPTIONS',
  'access-control-allow-headers': 'authorization, content-type',
  'access-control-max-age': '600',
};

const sessionNotFound = (id: string) => new ShouyinError(ErrorType.not_found, 'session_not_found', `No such checkout session: '${id}'.`);

/**
 * Where the request's Origin stands with the session's merchant: `none` (no Origin header, or this
 * Worker's own origin), `allowed`, `refused`, or `missing` (no such session, or `secret` is not its
 * client secret: the two read alike). Creates nothing for an unknown id.
 */
export async function originCheck(c: Context<AppEnv>, sessionId: string, secret: string): Promise<'none' | 'allowed' | 'refused' | 'missing'> {
  const origin = c.req.header('origin');
  if (!origin || origin === new URL(c.req.url).origin) return 'none';
  // A made-up id (its tag does not verify, session/ids.ts) is missing without any object touched.
  const stub = await issuedSessionStub(c.env, sessionId);
  if (!stub) return 'missing';
  const merchantId = await stub.merchantIdForClient(secret);
  if (!merchantId) return 'missing';
  return (await merchantById(c.env, merchantId))?.allowed_origins.includes(origin) ? 'allowed' : 'refused';
}

/** The refusal a page on an unlisted origin reads: it names the setting to change, never the listed origins. */
export const originRefused = (origin: string) =>
  new ShouyinError(
    ErrorType.authentication,
    'origin_not_allowed',
    `The page's origin ${origin} is not in this merchant's allowed_origins. Add it to allowed_origins in the merchant's configuration (docs/configuration.md).`,
  );

const cors: MiddlewareHandler<AppEnv> = async (c, next) => {
  const origin = c.req.header('origin');
  // Readable by the page that asked, whatever the answer: the body says what is wrong.
  const withCors = (res: Response): Response => {
    res.headers.set('vary', 'Origin');
    res.headers.set('cache-control', 'no-store');
    if (origin) res.headers.set('access-control-allow-origin', origin);
    return res;
  };
  if (c.req.method === 'OPTIONS') {
    // A preflight carries no credentials and proves nothing: it is answered alike for every origin
    // and every id, and nothing is looked up for it.
    return new Response(null, {
      status: 204,
      headers: origin ? { ...CORS_HEADERS, 'access-control-allow-origin': origin, vary: 'Origin' } : { vary: 'Origin' },
    });
  }
  const id = c.req.param('id') ?? '';
  let secret: string;
  try {
    secret = clientSecretOf(c);
  } catch (e) {
    return withCors(errorResponse(e));
  }
  const check = await originCheck(c, id, secret);
  if (check === 'missing') return withCors(errorResponse(sessionNotFound(id)));
  if (check === 'refused') return withCors(errorResponse(originRefused(origin!)));
  await next();
  withCors(c.res);
};
clientApi.use('/sessions/:id', cors);
clientApi.use('/sessions/:id/*', cors);

/** The session's Durable Object; `session_not_found` before any object is touched when the id was not issued here. */
async function stubFor(c: { env: AppEnv['Bindings'] }, id: string) {
  const stub = await issuedSessionStub(c.env, id);
  if (!stub) throw sessionNotFound(id);
  return stub;
}

/**
 * A session's refusal: "no such session" reads the same for a made-up id, a session deleted by
 * retention and a well-formed client secret that is not the session's (the Durable Object answers it
 * not found).
 */
const clientError = (e: ErrorData, id: string): Response => (e.type === ErrorType.not_found ? errorResponse(sessionNotFound(id)) : errorDataResponse(e));

const sessionId = z.object({
  id: z.string().openapi({
    param: { name: 'id', in: 'path' },
    description: 'The session id: the client secret (`cs_…_secret_…`) begins with it.',
    example: 'cs_4sV0yIuR0mYqKcEo5JmZ2b7Q',
  }),
});
const json = <S extends z.ZodType>(schema: S, description: string) => ({ description, content: { 'application/json': { schema } } });
/** What every client call can refuse with; none of these is worth retrying, so the widget does not offer it. */
const CLIENT: { 401: ErrorCode[]; 403: ErrorCode[]; 404: ErrorCode[]; 500: ErrorCode[] } = {
  401: ['missing_client_secret', 'invalid_client_secret'],
  403: ['origin_not_allowed'],
  404: ['session_not_found'],
  500: INTERNAL,
};

defineRoute(
  clientApi,
  createRoute({
    method: 'get',
    path: '/sessions/{id}',
    operationId: 'clientRetrieveSession',
    tags: ['Client API'],
    summary: 'The session as the widget may see it',
    description: "Channels and flows usable in the shopper's environment (from the User-Agent), the amount and the active attempt; nothing secret.",
    security: clientSecretAuth,
    request: { params: sessionId },
    responses: { 200: json(PublicSession, 'The public view of the session.'), ...errors(CLIENT) },
  }),
  async (c) => {
    const r = await (await stubFor(c, c.req.valid('param').id)).clientView(clientSecretOf(c), c.req.header('user-agent'));
    return r.ok ? c.json(r.value) : clientError(r.error, c.req.valid('param').id);
  },
);

defineRoute(
  clientApi,
  createRoute({
    method: 'get',
    path: '/sessions/{id}/status',
    operationId: 'clientSessionStatus',
    tags: ['Client API'],
    summary: "The session's status (long-poll)",
    description:
      'With `wait` and `version`: answered as soon as the status changes from `version`, or after `wait` seconds. The WebSocket at `…/stream` pushes the same view.',
    security: clientSecretAuth,
    request: { params: sessionId, query: StatusQuery },
    responses: { 200: json(StatusView, 'The status.'), ...errors({ ...CLIENT, 400: ['parameter_invalid'] }) },
  }),
  async (c) => {
    const { wait = 0, version = -1 } = c.req.valid('query');
    const r = await (await stubFor(c, c.req.valid('param').id)).clientWait(clientSecretOf(c), version, wait * 1000);
    return r.ok ? c.json(r.value) : clientError(r.error, c.req.valid('param').id);
  },
);

defineRoute(
  clientApi,
  createRoute({
    method: 'post',
    path: '/sessions/{id}/attempts',
    operationId: 'clientCreateAttempt',
    tags: ['Client API'],
    summary: 'Start a payment attempt',
    description:
      "The provider order for a channel and flow, and what the page does next. The amount is the session's: the body takes only `channel` and `flow`.",
    security: clientSecretAuth,
    bodyLimit: 4096,
    request: { params: sessionId, body: { content: { 'application/json': { schema: AttemptBody } }, required: true } },
    responses: {
      201: json(AttemptCreated, 'The attempt and what to do next.'),
      ...errors({
        ...CLIENT,
        400: [...BODY, 'flow_unavailable'],
        409: ['session_not_open', 'session_expired', 'channel_unavailable', 'barcode_in_progress', 'attempt_limit_reached'],
        413: ['body_too_large'],
        429: ['attempts_rate_limited'],
        502: ['provider_unavailable'],
      }),
    },
  }),
  async (c) => {
    const stub = await stubFor(c, c.req.valid('param').id);
    const secret = clientSecretOf(c);
    const { channel, flow = 'qr' } = c.req.valid('json');
    const ip = c.req.header('cf-connecting-ip');
    const ua = c.req.header('user-agent');
    // The widget's language comes back with the shopper from a cashier page; the hosted page (its widget
    // calls through /pay/v1/client) is where they come back to (session/links.ts).
    const locale = c.req.header('accept-language');
    const hosted = c.req.header(HOSTED_HEADER) === '1';
    const client = { ...(ip ? { ip } : {}), ...(ua ? { userAgent: ua } : {}), ...(locale ? { locale } : {}), ...(hosted ? { hosted } : {}) };
    const r = await stub.clientStartAttempt(secret, channel, flow, client);
    return r.ok ? c.json(r.value, 201) : clientError(r.error, c.req.valid('param').id);
  },
);

clientApi.all('*', () => {
  throw new ShouyinError(ErrorType.not_found, 'route_not_found', 'No such client API route.');
});
