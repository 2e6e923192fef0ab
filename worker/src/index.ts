// The Shouyin Worker: merchant API, client API, provider notifies and the widget; `/sandbox/*` is
// forwarded to the sandbox Worker when one is bound (SANDBOX).

import { OpenAPIHono } from '@hono/zod-openapi';
import { describeApi, serveOpenApi } from './api/document';
import type { Env } from './env';
import { ErrorType, ShouyinError } from './lib/errors';
import { withRegistryVersion } from './lib/outbound';
import { clientApi } from './routes/client';
import { streamRoute } from './routes/client-stream';
import { errorResponse, type AppEnv } from './routes/http';
import { adminApi } from './routes/admin';
import { appleRoutes } from './routes/apple';
import { dashboardRoutes } from './dashboard/routes';
import { merchantApi } from './routes/merchant';
import { scheduledReconciliation } from './bills/run';
import { adminCredentialsApi } from './routes/admin-credentials';
import { scheduledCredentialCheck } from './registry/health-alerts';
import { notifyRoutes } from './routes/notify';
import { returnRoutes } from './routes/return';
import { hostedRoutes } from './routes/hosted';
import { wechatRoutes } from './routes/wechat-oauth';
import { HOSTED_HEADER, HOSTED_PATH } from './session/links';

export { CheckoutSession } from './session/durable-object';
export { MerchantShard } from './merchant-shard';
export { MerchantRegistry } from './registry/durable-object';
export { SandboxMerchants } from './sandbox-merchants';

// An OpenAPIHono: every API app mounted on it (app.route) brings its routes into GET /openapi.json.
export const app = new OpenAPIHono<AppEnv>();

app.onError((err) => errorResponse(err));

// The status WebSocket: the client secret in Sec-WebSocket-Protocol, never in the URL (routes/client-stream.ts).
app.get('/v1/client/sessions/:id/stream', streamRoute);
// The hosted page's widget reaches the client API under /pay (its api-base): the same routes, marked so
// that the attempts it starts send the shopper back to the hosted page (session/links.ts).
app.all(`${HOSTED_PATH}v1/client/*`, (c) => {
  const url = new URL(c.req.url);
  url.pathname = url.pathname.slice(HOSTED_PATH.length - 1);
  const req = new Request(url, c.req.raw);
  req.headers.set(HOSTED_HEADER, '1');
  return app.fetch(req, c.env, c.executionCtx);
});
// Before /notify: /notify/apple/:merchant is Apple's, authenticated by its JWS.
app.route('/', appleRoutes);
app.route('/v1/admin/credentials', adminCredentialsApi);
// The merchant dashboard (/dashboard/…) and the operator's sign-in links for it; before /v1, whose
// middleware would ask /v1/admin/… for a merchant's secret key.
app.route('/', dashboardRoutes);
app.route('/v1/client', clientApi);
// The operator's API (admin keys, never a browser); admin routers are mounted above the catch-all, so
// no /v1/admin/… request reaches the merchant API's key check.
app.route('/v1/admin', adminApi);
app.all('/v1/admin/*', () => errorResponse(new ShouyinError(ErrorType.not_found, 'route_not_found', 'No such admin API route.')));
app.route('/v1', merchantApi);
app.route('/notify', notifyRoutes);
// The OpenAPI 3.1 document of everything mounted above and below (docs/api-reference.md renders it).
describeApi(app);
serveOpenApi(app);
app.route('/return', returnRoutes);
// The hosted checkout page, the session's `url` (docs/hosted-checkout.md).
app.route('/pay', hostedRoutes);
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
    return c.env.SANDBOX.fetch(await withRegistryVersion(new Request(c.req.raw, { body }), c.env));
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
const WIDGET_FILE = /^shouyin(\.iife)?(\.[0-9a-f]{8})?\.js$|^shouyin\.(licenses\.txt|manifest\.json|d\.ts|zh-TW\.json)$/;
app.get('/:file{shouyin[a-zA-Z0-9.-]*}', async (c, next) => {
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

app.notFound(() =>
  errorResponse(new ShouyinError(ErrorType.not_found, 'route_not_found', 'No such route. The API is described at /openapi.json (docs/api-reference.md).')),
);

export default {
  fetch: app.fetch,
  // The Cron Trigger ([triggers] crons in wrangler.toml): yesterday's reconciliation for every merchant,
  // and the daily credential expiry check (registry/health-alerts.ts).
  scheduled: (controller, env, ctx) => {
    ctx.waitUntil(scheduledReconciliation(env, controller.scheduledTime));
    ctx.waitUntil(scheduledCredentialCheck(env, controller.scheduledTime));
  },
} satisfies ExportedHandler<Env>;
