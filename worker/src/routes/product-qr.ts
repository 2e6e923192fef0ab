// Static product QR codes, for a channel whose provider has the ProductQr capability (WeChat Pay APIv2's
// Native mode 1, mounted at `/wechat/native`):
//   GET  {mount}/:merchant/link?product_id=…  (secret key) → the QR content to print once
//   POST {mount}/:merchant                    ← the provider, after a shopper scans that QR
// The provider's capability checks the callback and answers it in its own format; this route only
// makes the order it asks for: a checkout session for the product, created through the merchant API
// in-process (so it is an ordinary session: query fallback, expiry, refunds, webhooks), and its QR
// attempt, which the capability hands back to the provider. The in-process calls run the merchant
// API's routes with the merchant already known (merchantRoutes, as the dashboard mounts them): no
// secret key is needed, so a merchant whose keys are stored only as hashes sells by product QR too.

import { Hono, type Context } from 'hono';
import type { Channel } from '../contract';
import type { MerchantConfig } from '../config';
import { ErrorType, ShouyinError } from '../lib/errors';
import { providerContext } from '../lib/outbound';
import { merchantById, publicBaseUrl } from '../merchants';
import { productQrOf, resolveProvider, type ResolvedProvider } from '../providers/registry';
import type { ProductQr } from '../providers/types';
import { authenticateMerchant, errorResponse, readBody, type AppEnv } from './http';
import { merchantRoutes } from './merchant';

/** The merchant API's routes at /v1, acting for `merchant`: for in-process calls only. */
function apiFor(merchant: MerchantConfig): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.onError((err) => errorResponse(err));
  app.use('*', async (c, next) => {
    c.set('merchant', merchant);
    await next();
  });
  app.route('/v1', merchantRoutes);
  return app;
}

/** The provider's callback is a small signed message; anything bigger is refused unread. */
const MAX_CALLBACK_BODY = 64 * 1024;

export function productQrRoutes(channel: Channel, mountPath: string): Hono<AppEnv> {
  const capability = productQrOf(channel);
  if (!capability) throw new TypeError(`No ${channel} provider has static product QR codes.`);
  const routes = new Hono<AppEnv>();

  /** The merchant's provider for the channel, when it has product QR codes. */
  async function found(c: Context<AppEnv>): Promise<{ merchant: MerchantConfig; resolved: ResolvedProvider; qr: ProductQr<unknown> } | null> {
    const merchant = await merchantById(c.env, c.req.param('merchant') ?? '');
    const resolved = merchant ? resolveProvider(merchant, channel) : null;
    const qr = resolved?.entry.productQr;
    return merchant && resolved && qr ? { merchant, resolved, qr } : null;
  }

  /** The product QR's content. Print it once; every scan makes a new checkout session. */
  routes.get('/:merchant/link', async (c) => {
    const key = await authenticateMerchant(c);
    const m = await found(c);
    if (!m || key.id !== m.merchant.id) {
      throw new ShouyinError(ErrorType.not_found, 'resource_missing', `${capability.name} needs ${capability.requires} on this merchant.`);
    }
    const base = publicBaseUrl(c.env);
    const productId = c.req.query('product_id') ?? '';
    const url = await m.qr.link(
      providerContext(base, m.merchant.livemode, () => Date.now()),
      m.resolved.config,
      productId,
    );
    return c.json({ product_id: productId, url, callback_url: `${base}${mountPath}/${m.merchant.id}` });
  });

  routes.post('/:merchant', async (c) => {
    const m = await found(c);
    if (!m) return c.text('unknown endpoint', 404);
    const { merchant, resolved, qr } = m;
    const base = publicBaseUrl(c.env);
    const internal = apiFor(merchant);
    const api = (path: string, body: unknown, idem: string) =>
      internal.fetch(
        new Request(`${base}${path}`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'Idempotency-Key': idem },
          body: JSON.stringify(body),
        }),
        c.env,
        c.executionCtx,
      );
    const ack = await qr.callback(
      providerContext(base, merchant.livemode, () => Date.now()),
      resolved.config,
      () => readBody(c.req.raw, MAX_CALLBACK_BODY, { keepBom: true }),
      async (scan) => {
        const created = await api(
          '/v1/checkout/sessions',
          {
            amount: scan.product.amount,
            currency: 'CNY',
            description: scan.product.description,
            merchant_order_id: scan.merchantOrderId,
            channels: [channel],
            metadata: scan.metadata,
          },
          scan.idempotencyKey,
        );
        if (created.status !== 201 && created.status !== 200) throw new Error(`session: ${created.status} ${await created.text()}`);
        const session = (await created.json()) as { id: string; amount: number; description: string; expires_at: number };
        const started = await api(`/v1/checkout/sessions/${session.id}/attempts`, { channel, flow: 'qr' }, `${scan.idempotencyKey}-attempt`);
        if (started.status !== 201 && started.status !== 200) throw new Error(`attempt: ${started.status} ${await started.text()}`);
        const { attempt } = (await started.json()) as { attempt: { id: string } };
        // The same order the session asked the provider for, so the provider answers with that order.
        return {
          attemptId: attempt.id,
          flow: 'qr',
          amount: session.amount,
          currency: 'CNY',
          description: session.description,
          expiresAt: session.expires_at * 1000,
          notifyUrl: `${base}/notify/${channel}/${merchant.id}`,
          returnUrl: `${base}/return/${session.id}`,
          client: {},
        };
      },
    );
    return new Response(ack.body === '' ? null : ack.body, { status: ack.status, headers: ack.headers });
  });

  return routes;
}
