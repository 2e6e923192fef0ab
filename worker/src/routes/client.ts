// Client API (the widget, per-session client secret). CORS allows exactly the merchant's configured
// origins. The browser never sends an amount: an attempt takes only a channel and a flow.

import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { ErrorType, ShouyinError, invalid, notFound } from '../lib/errors';
import { merchantById } from '../merchants';
import { MAX_LONG_POLL_MS } from '../session/durable-object';
import { issuedSessionStub } from '../session/ids';
import { HOSTED_HEADER } from '../session/links';
import { clientSecretOf, parseAttemptParams, parseJsonObject, readBody, sessionErrorResponse, type AppEnv } from './http';

export const clientApi = new Hono<AppEnv>();

const CORS_HEADERS = {
  'access-control-allow-methods': 'GET, POST, OPTIONS',
  'access-control-allow-headers': 'authorization, content-type',
  'access-control-max-age': '600',
};

/** The request's Origin when the session's merchant lists it in allowed_origins, else null. */
export async function allowedOrigin(c: Context<AppEnv>, sessionId: string): Promise<string | null> {
  const origin = c.req.header('origin');
  if (!origin) return null;
  const stub = await issuedSessionStub(c.env, sessionId);
  if (!stub) return null;
  const merchantId = await stub.merchantIdForCors();
  const merchant = merchantId ? await merchantById(c.env, merchantId) : undefined;
  return merchant?.allowed_origins.includes(origin) ? origin : null;
}

const cors: MiddlewareHandler<AppEnv> = async (c, next) => {
  const origin = await allowedOrigin(c, c.req.param('id') ?? '');
  if (c.req.method === 'OPTIONS') {
    const headers: Record<string, string> = origin ? { ...CORS_HEADERS, 'access-control-allow-origin': origin, vary: 'Origin' } : { vary: 'Origin' };
    return new Response(null, { status: 204, headers });
  }
  await next();
  c.res.headers.set('vary', 'Origin');
  c.res.headers.set('cache-control', 'no-store');
  if (origin) c.res.headers.set('access-control-allow-origin', origin);
};
clientApi.use('/sessions/:id', cors);
clientApi.use('/sessions/:id/*', cors);

/** The session's Durable Object; 404 before any object is touched when the id was not issued here. */
async function stubFor(c: Context<AppEnv>) {
  const id = c.req.param('id') ?? '';
  const stub = await issuedSessionStub(c.env, id);
  if (!stub) throw notFound('checkout session', id);
  return stub;
}

clientApi.get('/sessions/:id', async (c) => {
  const r = await (await stubFor(c)).clientView(clientSecretOf(c), c.req.header('user-agent'));
  return r.ok ? c.json(r.value) : sessionErrorResponse(r.error, c.req.param('id'));
});

clientApi.get('/sessions/:id/status', async (c) => {
  const waitParam = c.req.query('wait');
  const versionParam = c.req.query('version');
  let waitMs = 0;
  if (waitParam !== undefined) {
    const w = Number(waitParam);
    if (!Number.isFinite(w) || w < 0 || w > MAX_LONG_POLL_MS / 1000) throw invalid('wait', `wait must be between 0 and ${MAX_LONG_POLL_MS / 1000} seconds.`);
    waitMs = w * 1000;
  }
  const version = versionParam === undefined ? -1 : Number(versionParam);
  if (!Number.isInteger(version)) throw invalid('version', 'version must be an integer from a previous status response.');
  const r = await (await stubFor(c)).clientWait(clientSecretOf(c), version, waitMs);
  return r.ok ? c.json(r.value) : sessionErrorResponse(r.error, c.req.param('id'));
});

clientApi.post('/sessions/:id/attempts', async (c) => {
  const stub = await stubFor(c);
  const secret = clientSecretOf(c);
  const { channel, flow } = parseAttemptParams(parseJsonObject(await readBody(c.req.raw, 4096)));
  const ip = c.req.header('cf-connecting-ip');
  const ua = c.req.header('user-agent');
  // The widget's language comes back with the shopper from a cashier page; the hosted page (its widget
  // calls through /pay/v1/client) is where they come back to (session/links.ts).
  const locale = c.req.header('accept-language');
  const hosted = c.req.header(HOSTED_HEADER) === '1';
  const client = { ...(ip ? { ip } : {}), ...(ua ? { userAgent: ua } : {}), ...(locale ? { locale } : {}), ...(hosted ? { hosted } : {}) };
  const r = await stub.clientStartAttempt(secret, channel, flow, client);
  return r.ok ? c.json(r.value, 201) : sessionErrorResponse(r.error, c.req.param('id'));
});

clientApi.all('*', () => {
  throw new ShouyinError(ErrorType.not_found, 'route_not_found', 'No such client API route.');
});
