// The demo: Shouyin plus a tiny merchant shop in one Worker, for `npm start` and the browser tests. The
// provider sandbox is its own Worker beside it (sandbox/wrangler.toml), reached over SANDBOX.
//
//   GET  /                         the shop
//   POST /demo/checkout            the shop's server creates a checkout session (secret key, in-process)
//   GET  /demo/checkout/:id        the checkout page with <shouyin-checkout client-secret="…">
//   GET  /demo/checkout/:id/status the shop's server re-checks a session (the widget's event is a hint)
//   POST /demo/webhooks            the shop's webhook receiver (Standard Webhooks signature check)
//   GET  /demo/webhooks            what it received, as JSON
//   GET  /demo/pos                 the shop's till: scan a shopper's payment code (demo/pos.ts)
//   everything else                Shouyin itself (merchant API, client API, notify, /shouyin.js; /sandbox/… forwarded)
//
// The shop talks to Shouyin exactly as a merchant server would, over the merchant API with its secret
// key; it only skips the network hop by calling the app in-process. It is a localhost demo: anyone who
// can reach it can read /demo/webhooks.

import { Hono, type Context } from 'hono';
import shouyin, { app } from '../worker/src/index';
import type { Env } from '../worker/src/env';
import { PRODUCTS, orderDescription, productById } from './catalog';
import type { DemoInbox, InboxEntry } from './inbox';
import { checkoutPage, errorPage, shopPage, type Lang } from './pages';
import { verifyWebhook } from './webhook-verify';
import { posRoutes } from './pos';

export { CheckoutSession, MerchantShard, MerchantRegistry, SandboxMerchants } from '../worker/src/index';
export { DemoInbox } from './inbox';

export interface DemoEnv extends Env {
  DEMO_INBOX: DurableObjectNamespace<DemoInbox>;
  /** The shop's Shouyin secret key (sk_test_…). Server side only. */
  DEMO_SECRET_KEY?: string;
  /** The shop's webhook signing secret (whsec_…), the same as the merchant's webhook.secret in SHOUYIN_CONFIG. */
  DEMO_WEBHOOK_SECRET?: string;
}

type C = Context<{ Bindings: DemoEnv }>;

const MAX_WEBHOOK_BYTES = 256 * 1024;
const SESSION_ID = /^cs_[A-Za-z0-9_]{1,80}$/;
const NONCE = /^[a-z0-9]{12}$/;

interface SessionJson {
  id: string;
  status: string;
  amount: number;
  description: string;
  merchant_order_id: string;
  client_secret: string;
  metadata?: Record<string, string> | null;
}

function parseOrText(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function newNonce(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return Array.from(bytes, (b) => (b % 36).toString(36)).join('');
}

function missingSecret(c: C, name: string) {
  return c.html(
    errorPage(
      '演示店未配置 · The demo shop is not configured',
      `${name} is not set.`,
      'Start the demo with `npm start`: it generates .dev.vars with a test merchant, its secret key and webhook secret.',
    ),
    500,
  );
}

/** A merchant API call, in-process, authenticated with the shop's secret key. */
function merchantApi(c: C, path: string, init: { method?: string; body?: unknown; idempotencyKey?: string } = {}) {
  const headers: Record<string, string> = { Authorization: `Bearer ${c.env.DEMO_SECRET_KEY}`, Accept: 'application/json' };
  if (init.body !== undefined) headers['Content-Type'] = 'application/json';
  if (init.idempotencyKey) headers['Idempotency-Key'] = init.idempotencyKey;
  return app.request(
    path,
    { method: init.method ?? 'GET', headers, ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}) },
    c.env,
    c.executionCtx,
  );
}

async function apiError(res: Response): Promise<string> {
  const text = await res.text();
  try {
    const e = (JSON.parse(text) as { error?: { code?: string; message?: string } }).error;
    if (e?.message) return `${res.status} ${e.code ?? ''}: ${e.message}`;
  } catch {
    // not JSON: show the text
  }
  return `${res.status}: ${text.slice(0, 500)}`;
}

const demo = new Hono<{ Bindings: DemoEnv }>();

demo.get('/', (c) => {
  c.header('Cache-Control', 'no-store');
  return c.html(shopPage(PRODUCTS, newNonce()));
});

demo.post('/demo/checkout', async (c) => {
  if (!c.env.DEMO_SECRET_KEY) return missingSecret(c, 'DEMO_SECRET_KEY');
  const form = await c.req.parseBody();
  const product = productById(typeof form.product === 'string' ? form.product : undefined);
  if (!product) return c.html(errorPage('没有这个商品 · No such product', String(form.product ?? ''), 'Pick an item on the shop page.'), 400);
  // One nonce per rendered shop page: a double-click or a resubmitted form reuses the same
  // Idempotency-Key and body, so it gets the same session instead of a second order.
  const nonce = typeof form.nonce === 'string' && NONCE.test(form.nonce) ? form.nonce : newNonce();
  const res = await merchantApi(c, '/v1/checkout/sessions', {
    method: 'POST',
    idempotencyKey: `demo-${nonce}-${product.id}`,
    body: {
      amount: product.amount,
      currency: 'CNY',
      description: orderDescription(product),
      merchant_order_id: `demo_${nonce}_${product.id.slice(0, 4)}`,
      metadata: { product: product.id },
      // After a cashier or wallet page (Alipay web, UnionPay, WeChat H5/JSAPI) Shouyin re-checks the
      // payment and then sends the shopper back here; the widget shows what the server holds.
      // {LOCALE}: the widget's language, so a shopper comes back from a cashier page in the language they left in.
      return_url: `${new URL(c.req.url).origin}/demo/checkout/{CHECKOUT_SESSION_ID}?lang={LOCALE}`,
    },
  });
  if (!res.ok) {
    return c.html(
      errorPage('无法创建订单 · Could not create the checkout session', await apiError(res), 'The merchant API refused the request. Check the worker log.'),
      502,
    );
  }
  const session = (await res.json()) as SessionJson;
  return c.redirect(`/demo/checkout/${encodeURIComponent(session.id)}`, 303);
});

async function retrieve(c: C, id: string): Promise<SessionJson | Response> {
  if (!SESSION_ID.test(id)) return c.html(errorPage('找不到订单 · Unknown checkout session', id, 'Start again from the shop.'), 404);
  const res = await merchantApi(c, `/v1/checkout/sessions/${id}`);
  if (res.status === 404) return c.html(errorPage('找不到订单 · Unknown checkout session', id, 'Start again from the shop.'), 404);
  if (!res.ok) return c.html(errorPage('无法读取订单 · Could not load the checkout session', await apiError(res), 'Check the worker log.'), 502);
  return (await res.json()) as SessionJson;
}

demo.get('/demo/checkout/:id', async (c) => {
  if (!c.env.DEMO_SECRET_KEY) return missingSecret(c, 'DEMO_SECRET_KEY');
  const s = await retrieve(c, c.req.param('id'));
  if (s instanceof Response) return s;
  const q = c.req.query('lang');
  const lang: Lang | undefined = q === 'en' || q === 'zh-CN' || q === 'zh-TW' ? q : undefined;
  c.header('Cache-Control', 'no-store');
  return c.html(
    checkoutPage({
      sessionId: s.id,
      clientSecret: s.client_secret,
      status: s.status,
      amount: s.amount,
      description: s.description,
      merchantOrderId: s.merchant_order_id,
      product: productById(s.metadata?.product),
      lang,
      // Test mode "inside WeChat": the sandbox's stand-in for WeChat's WeixinJSBridge, so the JSAPI
      // flow can be paid in a desktop browser that sends a MicroMessenger User-Agent.
      wechatBridge: /MicroMessenger/i.test(c.req.header('user-agent') ?? '') && !/WindowsWechat|MacWechat/i.test(c.req.header('user-agent') ?? ''),
    }),
  );
});

demo.get('/demo/checkout/:id/status', async (c) => {
  if (!c.env.DEMO_SECRET_KEY) return c.json({ error: 'DEMO_SECRET_KEY is not set' }, 500);
  const id = c.req.param('id');
  if (!SESSION_ID.test(id)) return c.json({ error: 'not found' }, 404);
  const res = await merchantApi(c, `/v1/checkout/sessions/${id}`);
  if (!res.ok) return c.json({ error: await apiError(res) }, res.status === 404 ? 404 : 502);
  const s = (await res.json()) as SessionJson;
  return c.json({ id: s.id, status: s.status }, 200, { 'Cache-Control': 'no-store' });
});

demo.post('/demo/webhooks', async (c) => {
  const secret = c.env.DEMO_WEBHOOK_SECRET;
  if (!secret) return c.json({ error: 'DEMO_WEBHOOK_SECRET is not set' }, 500);
  if (Number(c.req.header('content-length') ?? 0) > MAX_WEBHOOK_BYTES) return c.json({ error: 'body too large' }, 413);
  // Verify over the raw text exactly as received; parse only after the signature checks out.
  const body = await c.req.text();
  if (body.length > MAX_WEBHOOK_BYTES) return c.json({ error: 'body too large' }, 413);
  const inbox = c.env.DEMO_INBOX.getByName('inbox');
  const result = await verifyWebhook(secret, c.req.raw.headers, body);
  if (!result.ok) {
    await inbox.record({
      id: c.req.header('webhook-id') || `unsigned_${crypto.randomUUID()}`,
      type: null,
      object_id: null,
      signature_valid: false,
      error: result.reason,
      body: null,
    });
    console.warn(`demo shop: refused a webhook: ${result.reason}`);
    return c.json({ error: result.reason }, 400);
  }
  let event: { type?: unknown; data?: { object?: { id?: unknown } } };
  try {
    event = JSON.parse(body) as typeof event;
  } catch {
    return c.json({ error: 'body is not JSON' }, 400);
  }
  const objectId = event.data?.object?.id;
  await inbox.record({
    id: result.id,
    type: typeof event.type === 'string' ? event.type : null,
    object_id: typeof objectId === 'string' ? objectId : null,
    signature_valid: true,
    error: null,
    body,
  });
  // A real shop would fulfil the order here (idempotently, keyed by the session id), then answer 2xx.
  return c.body(null, 204);
});

demo.get('/demo/webhooks', async (c) => {
  const session = c.req.query('session');
  const entries: InboxEntry[] = await c.env.DEMO_INBOX.getByName('inbox').list(200);
  const data = entries
    .filter((e) => !session || e.object_id === session)
    .slice(0, 50)
    .map(({ body, ...e }) => ({ ...e, event: body === null ? null : parseOrText(body) }));
  const doc = {
    object: 'list',
    description: 'Webhooks received by the demo shop at POST /demo/webhooks, newest first. Refused deliveries have signature_valid: false.',
    data,
  };
  return new Response(`${JSON.stringify(doc, null, 2)}\n`, {
    headers: { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' },
  });
});

// In store: the till page and the shop server's two calls behind it.
demo.route('/demo/pos', posRoutes(merchantApi));

// Everything else is Shouyin: /v1/…, /notify/…, /sandbox/…, /shouyin.js.
demo.all('*', (c) => shouyin.fetch(c.req.raw, c.env, c.executionCtx));

export default {
  fetch: demo.fetch,
  // Shouyin's Cron Trigger (daily reconciliation), as in the worker's own export.
  scheduled: (controller, env, ctx) => shouyin.scheduled?.(controller, env, ctx),
} satisfies ExportedHandler<DemoEnv>;
