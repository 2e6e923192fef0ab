// The Shouyin Worker: merchant API, client API, provider notifies and the widget; `/sandbox/*` is
// forwarded to the sandbox Worker when one is bound (SANDBOX).

import { Hono } from 'hono';
import type { Env } from './env';
import { ErrorType, ShouyinError } from './lib/errors';
import { allowedOrigin, clientApi } from './routes/client';
import { errorResponse, type AppEnv } from './routes/http';
import { appleRoutes } from './routes/apple';
import { listsApi } from './routes/lists';
import { merchantApi } from './routes/merchant';
import { reconciliationApi } from './routes/reconciliation';
import { scheduledReconciliation } from './bills/run';
import { notifyRoutes } from './routes/notify';
import { returnRoutes } from './routes/return';
import { webhookEndpointsApi } from './routes/webhook-endpoints';
import { wechatRoutes } from './routes/wechat-oauth';
import { isSessionId } from './session/ids';

export { CheckoutSession } from './session/durable-object';
export { MerchantShard } from './merchant-shard';

export const app = new Hono<AppEnv>();

app.onError((err) => errorResponse(err));

// The status WebSocket: browsers cannot send headers here, so the client secret is a query parameter,
// checked by the session's Durable Object before it accepts the socket.
app.get('/v1/client/sessions/:id/stream', async (c) => {
  const id = c.req.param('id');
  if (!isSessionId(id)) return errorResponse(new ShouyinError(ErrorType.not_found, 'resource_missing', `No such checkout session: '${id}'.`));
  if (c.req.header('upgrade')?.toLowerCase() !== 'websocket') {
    return errorResponse(new ShouyinError(ErrorType.invalid_request, 'websocket_expected', 'This endpoint takes a WebSocket upgrade.'));
  }
  // Browsers send Origin on WebSocket upgrades; a page the merchant did not list gets no socket,
  // on top of the client secret the Durable Object checks.
  const origin = c.req.header('origin');
  if (origin && origin !== new URL(c.req.url).origin && (await allowedOrigin(c, id)) === null) {
    return errorResponse(new ShouyinError(ErrorType.authentication, 'origin_not_allowed', `Origin ${origin} is not in this merchant's allowed_origins.`));
  }
  return c.env.SESSIONS.getByName(id).fetch(c.req.raw);
});
// Before /v1 and /notify: /v1/apple/* authenticates itself, /notify/apple/:merchant is Apple's.
app.route('/', appleRoutes);
app.route('/v1/client', clientApi);
app.route('/v1/reconciliation', reconciliationApi);
// Lists and search, webhook endpoints and deliveries (docs/merchant-api.md, docs/webhooks.md).
app.route('/v1', listsApi);
app.route('/v1', webhookEndpointsApi);
app.route('/v1', merchantApi);
app.route('/notify', notifyRoutes);
app.route('/return', returnRoutes);
// WeChat Pay: the JSAPI openid hop (official account OAuth) and the Native mode-1 callback.
app.route('/wechat', wechatRoutes);
// The provider simulators are a Worker of their own (sandbox/), reached over the SANDBOX service
// binding on this same origin, so shoppers and merchants see the same URLs. They answer only for test
// merchants (each route checks the merchant is sk_test_). A deployment without them answers 404.
app.all('/sandbox/*', async (c) => {
  if (c.env.SANDBOX) {
    // The body is read here, not streamed on: a simulator that answers before reading it (a refused
    // signature, say) would otherwise leave the runtime reading this request after our response.
    const body = c.req.method === 'GET' || c.req.method === 'HEAD' ? null : await c.req.arrayBuffer();
    return c.env.SANDBOX.fetch(new Request(c.req.raw, { body }));
  }
  return errorResponse(
    new ShouyinError(
      ErrorType.not_found,
      'sandbox_not_deployed',
      'The provider sandbox is not deployed with this Worker (no SANDBOX service binding). See sandbox/README.md.',
    ),
  );
});

// The widget bundle. Module scripts load cross-origin only with CORS, and the files hold nothing secret.
// Content-addressed copies (`shouyin.<hash>.js`, listed with SRI hashes in shouyin.manifest.json) never
// change, so they are cached for a year; the plain names follow releases.
const WIDGET_FILE = /^shouyin(\.iife)?(\.[0-9a-f]{8})?\.js$|^shouyin\.(licenses\.txt|manifest\.json|d\.ts)$/;
app.get('/:file{shouyin[a-z0-9.]*}', async (c, next) => {
  const file = c.req.param('file');
  if (!WIDGET_FILE.test(file)) return next();
  return widgetAsset(c.env, c.req.raw, file);
});

async function widgetAsset(env: Env, req: Request, file: string): Promise<Response> {
  if (!env.ASSETS) return new Response('widget not built: run `npm run build:widget`', { status: 404 });
  const res = await env.ASSETS.fetch(req);
  if (!res.ok) return res;
  const out = new Response(res.body, res);
  out.headers.set('access-control-allow-origin', '*');
  if (file.endsWith('.js')) out.headers.set('content-type', 'text/javascript; charset=utf-8');
  if (file.endsWith('.d.ts')) out.headers.set('content-type', 'text/plain; charset=utf-8');
  const hashed = /\.[0-9a-f]{8}\.js$/.test(file);
  out.headers.set('cache-control', hashed ? 'public, max-age=31536000, immutable' : 'public, max-age=300');
  return out;
}

app.get('/healthz', (c) => c.json({ ok: true }));

app.notFound(() => errorResponse(new ShouyinError(ErrorType.not_found, 'route_not_found', 'No such route. See the README for the API.')));

export default {
  fetch: app.fetch,
  // The Cron Trigger ([triggers] crons in wrangler.toml): yesterday's reconciliation for every merchant.
  scheduled: (controller, env, ctx) => ctx.waitUntil(scheduledReconciliation(env, controller.scheduledTime)),
} satisfies ExportedHandler<Env>;
