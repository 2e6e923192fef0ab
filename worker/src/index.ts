// The Shouyin Worker: merchant API, client API, provider notifies, the test-mode sandbox and the widget.

import { Hono } from 'hono';
import type { Env } from './env';
import { ErrorType, ShouyinError } from './lib/errors';
import { clientApi } from './routes/client';
import { errorResponse, type AppEnv } from './routes/http';
import { merchantApi } from './routes/merchant';
import { notifyRoutes } from './routes/notify';
import { returnRoutes } from './routes/return';
import { isSessionId } from './session/ids';
import { sandboxApp } from './sandbox';

export { CheckoutSession } from './session/durable-object';
export { MerchantShard } from './merchant-shard';
export { SandboxLedger } from './sandbox/ledger';

export const app = new Hono<AppEnv>();

app.onError((err) => errorResponse(err));

// The status WebSocket: browsers cannot send headers here, so the client secret is a query parameter,
// checked by the session's Durable Object before it accepts the socket.
app.get('/v1/client/sessions/:id/stream', (c) => {
  const id = c.req.param('id');
  if (!isSessionId(id)) return errorResponse(new ShouyinError(ErrorType.not_found, 'resource_missing', `No such checkout session: '${id}'.`));
  if (c.req.header('upgrade')?.toLowerCase() !== 'websocket') {
    return errorResponse(new ShouyinError(ErrorType.invalid_request, 'websocket_expected', 'This endpoint takes a WebSocket upgrade.', undefined, 426));
  }
  return c.env.SESSIONS.getByName(id).fetch(c.req.raw);
});
app.route('/v1/client', clientApi);
app.route('/v1', merchantApi);
app.route('/notify', notifyRoutes);
app.route('/return', returnRoutes);
// The simulators answer only for test merchants (each route checks the merchant is sk_test_).
app.route('/sandbox', sandboxApp);

// The widget bundle. Module scripts load cross-origin only with CORS, and the file holds nothing secret.
app.get('/shouyin.js', (c) => widgetAsset(c.env, c.req.raw));
app.get('/shouyin.iife.js', (c) => widgetAsset(c.env, c.req.raw));
app.get('/shouyin.licenses.txt', (c) => widgetAsset(c.env, c.req.raw));

async function widgetAsset(env: Env, req: Request): Promise<Response> {
  if (!env.ASSETS) return new Response('widget not built: run `npm run build:widget`', { status: 404 });
  const res = await env.ASSETS.fetch(req);
  const out = new Response(res.body, res);
  out.headers.set('access-control-allow-origin', '*');
  if (new URL(req.url).pathname.endsWith('.js')) out.headers.set('content-type', 'text/javascript; charset=utf-8');
  out.headers.set('cache-control', 'public, max-age=300');
  return out;
}

app.get('/healthz', (c) => c.json({ ok: true }));

app.notFound(() => errorResponse(new ShouyinError(ErrorType.not_found, 'route_not_found', 'No such route. See the README for the API.')));

export default { fetch: app.fetch } satisfies ExportedHandler<Env>;
