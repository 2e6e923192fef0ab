// The demo shop's till (`/demo/pos`): the cashier types an amount in yuan, a USB scanner types the
// shopper's payment code (付款码) and Enter. The page asks this shop's server, which holds the secret
// key and calls the merchant API exactly as a till's back end would:
//
//   POST /demo/pos/charge               {amount: "12.80", auth_code, sale, scan}
//        → POST /v1/checkout/sessions (the sale) → POST /v1/checkout/sessions/:id/barcode (the scan)
//   GET  /demo/pos/sessions/:id/status  → GET /v1/checkout/sessions/:id/barcode (the page polls it)
//
// `sale` and `scan` are the page's nonces: the same sale is one session (Idempotency-Key), and each
// scan its own charge, so a double Enter or a retried request never charges twice.

import { Hono, type Context } from 'hono';
import { yuanToFen } from './money';
import { posPage } from './pos-page';
import type { DemoEnv } from './worker';

type C = Context<{ Bindings: DemoEnv }>;
export type MerchantCall = (c: C, path: string, init?: { method?: string; body?: unknown; idempotencyKey?: string }) => Promise<Response> | Response;

const NONCE = /^[a-z0-9]{12}$/;
const SESSION_ID = /^cs_[A-Za-z0-9_]{1,80}$/;

const refuse = (c: C, status: 400 | 500 | 502, param: string | null, message: string) =>
  c.json({ error: { type: 'invalid_request_error', code: 'pos_refused', message, ...(param ? { param } : {}) } }, status);

export function posRoutes(call: MerchantCall): Hono<{ Bindings: DemoEnv }> {
  const pos = new Hono<{ Bindings: DemoEnv }>();

  pos.get('/', (c) => {
    c.header('Cache-Control', 'no-store');
    return c.html(posPage());
  });

  pos.post('/charge', async (c) => {
    if (!c.env.DEMO_SECRET_KEY) return refuse(c, 500, null, 'DEMO_SECRET_KEY is not set: start the demo with `npm start`.');
    let b: Record<string, unknown>;
    try {
      b = (await c.req.json()) as Record<string, unknown>;
    } catch {
      return refuse(c, 400, null, 'The till sends JSON: {"amount": "12.80", "auth_code": "…", "sale": "…", "scan": "…"}.');
    }
    const money = yuanToFen(b.amount);
    if (!money.ok) return refuse(c, 400, 'amount', money.message);
    if (typeof b.sale !== 'string' || !NONCE.test(b.sale) || typeof b.scan !== 'string' || !NONCE.test(b.scan)) {
      return refuse(c, 400, null, "sale and scan must be the page's 12-character nonces.");
    }
    // One session per sale: a retried or repeated sale gets the same one back (same key, same body).
    const created = await call(c, '/v1/checkout/sessions', {
      method: 'POST',
      idempotencyKey: `pos-sale-${b.sale}-${money.fen}`,
      body: {
        amount: money.fen,
        currency: 'CNY',
        description: '门店收银 In-store sale',
        merchant_order_id: `pos_${b.sale}_${money.fen}`,
        expires_in: 300,
        metadata: { till: 'demo-pos' },
      },
    });
    if (!created.ok) return c.json(await created.json(), created.status === 409 ? 409 : 502);
    const session = (await created.json()) as { id: string };
    // The code goes to Shouyin as typed; Shouyin decides the wallet from its digits and says so (400 naming auth_code).
    const charged = await call(c, `/v1/checkout/sessions/${session.id}/barcode`, {
      method: 'POST',
      idempotencyKey: `pos-scan-${b.scan}`,
      body: { auth_code: b.auth_code },
    });
    const out = (await charged.json()) as Record<string, unknown>;
    return c.json({ session: session.id, ...out }, charged.status as 200);
  });

  pos.get('/sessions/:id/status', async (c) => {
    const id = c.req.param('id');
    if (!SESSION_ID.test(id)) return c.json({ error: { message: 'not found' } }, 404);
    const res = await call(c, `/v1/checkout/sessions/${id}/barcode`);
    c.header('Cache-Control', 'no-store');
    return c.json(await res.json(), res.status as 200);
  });

  return pos;
}
