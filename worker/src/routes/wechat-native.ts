// WeChat Pay v2 Native mode 1 (static product QR, providers.md §1.4), mounted at `/wechat/native`:
//   GET  /wechat/native/:merchant/link?product_id=…  (secret key) → the signed bizpayurl to print once
//   POST /wechat/native/:merchant                    ← WeChat, after a shopper scans that QR
// The callback is verified (v2 sign), the product looked up in `wechat_pay.native_products`, and a
// checkout session created for it through the merchant API in-process — so it is an ordinary session:
// query fallback, expiry, refunds, webhooks. Its NATIVE order's prepay_id goes back to WeChat as signed
// XML, and the shopper pays it in WeChat. Repeating the unifiedorder with the same fields is how the
// prepay_id is read back (WeChat answers an identical re-request with the same order, §1.3).

import { Hono, type Context } from 'hono';
import { loadConfig, merchantById, type MerchantConfig } from '../config';
import { randomAlnum } from '../crypto/encoding';
import { ShouyinError, ErrorType, invalid } from '../lib/errors';
import { outboundFetch, providerContext } from '../lib/outbound';
import { unifiedOrder } from '../providers/wechat-v2';
import type { WechatPayV2Config } from '../providers/wechat-v2/config';
import { bizPayUrl, sign, verify } from '../providers/wechat-v2/sign';
import { XmlError, buildXml, parseFlatXml } from '../providers/wechat-v2/xml';
import { authenticateMerchant, readBody, type AppEnv } from './http';

export const wechatNative = new Hono<AppEnv>();

function v2Merchant(c: Context<AppEnv>): { merchant: MerchantConfig; cfg: WechatPayV2Config } | null {
  const merchant = merchantById(loadConfig(c.env), c.req.param('merchant') ?? '');
  const cfg = merchant?.providers.wechat_pay;
  return merchant && cfg?.api_version === 'v2' ? { merchant, cfg } : null;
}

/** The product QR's content. Print it once; every scan makes a new checkout session. */
wechatNative.get('/:merchant/link', async (c) => {
  const key = authenticateMerchant(c);
  const m = v2Merchant(c);
  if (!m || key.id !== m.merchant.id) throw new ShouyinError(ErrorType.not_found, 'resource_missing', 'Native mode 1 needs an APIv2 wechat_pay config on this merchant.');
  const productId = c.req.query('product_id') ?? '';
  if (!m.cfg.native_products?.[productId]) throw invalid('product_id', `product_id must be one of wechat_pay.native_products (${Object.keys(m.cfg.native_products ?? {}).join(', ') || 'none configured'}).`);
  const url = await bizPayUrl({ appid: m.cfg.appid, mchId: m.cfg.mch_id, productId, timeStamp: String(Math.floor(Date.now() / 1000)), nonceStr: randomAlnum(32), key: m.cfg.apiv2_key });
  return c.json({ product_id: productId, url, callback_url: `${loadConfig(c.env).public_base_url}/wechat/native/${m.merchant.id}` });
});

const xml = (body: string, status = 200): Response => new Response(body, { status, headers: { 'Content-Type': 'text/xml; charset=utf-8' } });

/** The signed answer WeChat expects (MD5, the safe choice per §1.4): prepay_id, or result_code FAIL with a reason it shows. */
async function answer(cfg: WechatPayV2Config, appid: string, r: { prepayId: string } | { error: string }): Promise<Response> {
  const f: Record<string, string> = { return_code: 'SUCCESS', appid, mch_id: cfg.mch_id, nonce_str: randomAlnum(32) };
  if ('prepayId' in r) Object.assign(f, { prepay_id: r.prepayId, result_code: 'SUCCESS' });
  else Object.assign(f, { result_code: 'FAIL', err_code_des: r.error });
  return xml(buildXml({ ...f, sign: await sign(f, cfg.apiv2_key, 'MD5') }));
}

wechatNative.post('/:merchant', async (c) => {
  const m = v2Merchant(c);
  if (!m) return c.text('unknown endpoint', 404);
  const { merchant, cfg } = m;
  let cb: Record<string, string>;
  try {
    cb = parseFlatXml(await readBody(c.req.raw, 64 * 1024));
  } catch (e) {
    const why = e instanceof XmlError ? e.code : 'too_large';
    return xml(buildXml({ return_code: 'FAIL', return_msg: `XML refused: ${why}` }), 400);
  }
  if (!(await verify(cb, cfg.apiv2_key))) return xml(buildXml({ return_code: 'FAIL', return_msg: '签名错误' }), 401);
  const appid = cb.appid ?? '';
  if (cb.mch_id !== cfg.mch_id || appid !== cfg.appid) return answer(cfg, appid, { error: '商户信息不匹配' });
  const productId = cb.product_id ?? '';
  const product = cfg.native_products?.[productId];
  if (!product) return answer(cfg, appid, { error: '商品不存在或已下架' });

  const config = loadConfig(c.env);
  const api = (path: string, body: unknown, idem: string) =>
    outboundFetch(config)(new Request(`${config.public_base_url}${path}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${merchant.secret_keys[0]}`, 'Content-Type': 'application/json', 'Idempotency-Key': idem },
      body: JSON.stringify(body),
    }));
  // A retried callback (same nonce) must not sell the product twice: the order id and the key follow the nonce.
  const tag = `${cb.nonce_str ?? ''}${cb.openid ?? ''}`.replace(/[^0-9A-Za-z]/g, '').slice(0, 12) || randomAlnum(12);
  const orderId = `wx1_${productId.replace(/[^0-9A-Za-z_-]/g, '').slice(0, 14)}_${tag}`;
  try {
    const created = await api('/v1/checkout/sessions', {
      amount: product.amount, currency: 'CNY', description: product.description, merchant_order_id: orderId, channels: ['wechat_pay'],
      metadata: { source: 'wechat_native_mode1', product_id: productId, ...(cb.openid ? { openid: cb.openid } : {}) },
    }, `wechat-native-mode1-${orderId}`);
    if (created.status !== 201 && created.status !== 200) throw new Error(`session: ${created.status} ${await created.text()}`);
    const session = (await created.json()) as { id: string; amount: number; description: string; expires_at: number };
    const started = await api(`/v1/checkout/sessions/${session.id}/attempts`, { channel: 'wechat_pay', flow: 'qr' }, `wechat-native-mode1-${orderId}-attempt`);
    if (started.status !== 201 && started.status !== 200) throw new Error(`attempt: ${started.status} ${await started.text()}`);
    const { attempt } = (await started.json()) as { attempt: { id: string } };
    const order = await unifiedOrder(providerContext(config, merchant.livemode, () => Date.now()), cfg, {
      attemptId: attempt.id, flow: 'qr', amount: session.amount, currency: 'CNY', description: session.description,
      expiresAt: session.expires_at * 1000, notifyUrl: `${config.public_base_url}/notify/wechat_pay/${merchant.id}`,
      returnUrl: `${config.public_base_url}/return/${session.id}`, client: {},
    });
    if (!order.prepay_id) throw new Error('unifiedorder gave no prepay_id');
    return answer(cfg, appid, { prepayId: order.prepay_id });
  } catch (e) {
    console.error(`native mode 1 (${merchant.id}, ${productId}): ${e instanceof Error ? e.message : String(e)}`);
    return answer(cfg, appid, { error: '系统繁忙，请稍后再试' });
  }
});
