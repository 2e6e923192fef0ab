// Native mode 1 (静态二维码, WeChat Pay APIv2 "Native支付 模式一",
// pay.weixin.qq.com/wiki/doc/api/native.php?chapter=6_4): a printed QR holds the signed
// `weixin://wxpay/bizpayurl?…&product_id=…`; every scan makes WeChat Pay POST the product_id and the
// payer's openid to the merchant's callback URL, which answers with the prepay_id of an order for
// that product, as signed XML. Here the order is an ordinary checkout session (query fallback,
// expiry, refunds, webhooks): the route (worker/src/routes/product-qr.ts) makes it through the
// merchant API, and its NATIVE order's prepay_id is read back by repeating the unifiedorder with the
// same fields, which WeChat Pay answers with the same order.

import { randomAlnum } from '../../crypto/encoding';
import { ShouyinError, invalid } from '../../lib/errors';
import type { Ack, ProductQr } from '../types';
import type { WechatPayV2Config } from './config';
import { MODE1_SOURCE, unifiedOrder } from './index';
import { bizPayUrl, sign, verifyInferred } from './sign';
import { XmlError, buildXml, parseFlatXml } from './xml';

const xml = (body: string, status = 200): Ack => ({ status, headers: { 'Content-Type': 'text/xml; charset=utf-8' }, body });

/**
 * What WeChat Pay's callback carries (pay.weixin.qq.com/wiki/doc/api/native.php?chapter=6_4, the
 * callback's input parameters, all required): `appid, openid, mch_id, is_subscribe, nonce_str,
 * product_id, sign`. The printed link carries `appid, mch_id, product_id, time_stamp, nonce_str, sign`,
 * signed with the same key by the same rule, so its fields posted as a callback verify too: anyone
 * holding a printed QR could then make sessions and orders without WeChat. A callback is taken only
 * in WeChat's shape: the scanning payer's openid and is_subscribe present (and so signed), and no
 * time_stamp (a field only the link has).
 */
const CALLBACK_REQUIRED = ['appid', 'openid', 'mch_id', 'is_subscribe', 'nonce_str', 'product_id'] as const;
const OPENID = /^[\w-]{1,128}$/;

function callbackShapeError(cb: Record<string, string>): string | null {
  for (const f of CALLBACK_REQUIRED) if (!cb[f]) return `${f} missing`;
  if (cb.time_stamp !== undefined) return 'time_stamp is a product link field, not a callback field';
  if (!OPENID.test(cb.openid ?? '')) return 'openid malformed';
  if (cb.is_subscribe !== 'Y' && cb.is_subscribe !== 'N') return 'is_subscribe must be Y or N';
  return null;
}

/** The signed answer WeChat Pay expects (MD5, which every merchant key can sign): the prepay_id, or result_code FAIL with a reason it shows the shopper. */
async function answer(cfg: WechatPayV2Config, appid: string, r: { prepayId: string } | { error: string }): Promise<Ack> {
  const f: Record<string, string> = { return_code: 'SUCCESS', appid, mch_id: cfg.mch_id, nonce_str: randomAlnum(32) };
  if ('prepayId' in r) Object.assign(f, { prepay_id: r.prepayId, result_code: 'SUCCESS' });
  else Object.assign(f, { result_code: 'FAIL', err_code_des: r.error });
  return xml(buildXml({ ...f, sign: await sign(f, cfg.apiv2_key, 'MD5') }));
}

export const nativeMode1: ProductQr<WechatPayV2Config> = {
  name: 'Native mode 1',
  requires: 'an APIv2 wechat_pay config',

  async link(ctx, cfg, productId) {
    if (!cfg.native_products?.[productId]) {
      throw invalid(
        'product_id',
        `product_id must be one of wechat_pay.native_products (${Object.keys(cfg.native_products ?? {}).join(', ') || 'none configured'}).`,
      );
    }
    return bizPayUrl({
      appid: cfg.appid,
      mchId: cfg.mch_id,
      productId,
      timeStamp: String(Math.floor(ctx.now() / 1000)),
      nonceStr: randomAlnum(32),
      key: cfg.apiv2_key,
    });
  },

  async callback(ctx, cfg, body, order) {
    let cb: Record<string, string>;
    try {
      cb = parseFlatXml(await body());
    } catch (e) {
      // The route's reader refuses a body over its cap, not UTF-8 (param `body`) or compressed (docs/reliability.md, "Notify bodies").
      const why =
        e instanceof XmlError
          ? e.code
          : !(e instanceof ShouyinError) || e.code === 'body_too_large'
            ? 'too_large'
            : e.param === 'body'
              ? 'not_utf8'
              : 'encoded';
      return xml(buildXml({ return_code: 'FAIL', return_msg: `XML refused: ${why}` }), 400);
    }
    if (!(await verifyInferred(cb, cfg.apiv2_key))) return xml(buildXml({ return_code: 'FAIL', return_msg: '签名错误' }), 401);
    // Signed, but the printed link's own fields (or anything else that is not a scan): no order.
    const shape = callbackShapeError(cb);
    if (shape) {
      console.warn(`native mode 1 (${cfg.mch_id}): callback refused: ${shape}`);
      return xml(buildXml({ return_code: 'FAIL', return_msg: `参数错误: ${shape}` }), 400);
    }
    const appid = cb.appid ?? '';
    if (cb.mch_id !== cfg.mch_id || appid !== cfg.appid) return answer(cfg, appid, { error: '商户信息不匹配' });
    const productId = cb.product_id ?? '';
    const product = cfg.native_products?.[productId];
    if (!product) return answer(cfg, appid, { error: '商品不存在或已下架' });

    // A retried callback (same nonce) must not sell the product twice: the order id and the key follow the nonce.
    const tag = `${cb.nonce_str ?? ''}${cb.openid ?? ''}`.replace(/[^0-9A-Za-z]/g, '').slice(0, 12);
    const merchantOrderId = `wx1_${productId.replace(/[^0-9A-Za-z_-]/g, '').slice(0, 14)}_${tag}`;
    try {
      const input = await order({
        productId,
        product,
        merchantOrderId,
        idempotencyKey: `wechat-native-mode1-${merchantOrderId}`,
        metadata: { source: 'wechat_native_mode1', product_id: productId, openid: cb.openid ?? '' },
      });
      // The session's order named the scanned product and payer from its metadata (index.ts, mode1Scan); the
      // repeat names them too, and the merchant's order number, so WeChat Pay sees the same fields.
      const scan = { source: MODE1_SOURCE, product_id: productId, openid: cb.openid ?? '' };
      const made = await unifiedOrder(ctx, cfg, { ...input, merchantOrderId, metadata: scan });
      if (!made.prepay_id) throw new Error('unifiedorder gave no prepay_id');
      return answer(cfg, appid, { prepayId: made.prepay_id });
    } catch (e) {
      console.error(`native mode 1 (${cfg.mch_id}, ${productId}): ${e instanceof Error ? e.message : String(e)}`);
      return answer(cfg, appid, { error: '系统繁忙，请稍后再试' });
    }
  },
};
