// What WeChat's own client does with the parameters a merchant signs for it
// (https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=7_7&index=6,
// https://pay.weixin.qq.com/doc/v3/merchant/4012791857):
// - `/jsbridge.js`: a test WeixinJSBridge for pages that run "as if inside WeChat" (the demo, Shouyin's
//   JSAPI page in test mode). `invoke('getBrandWCPayRequest', params, cb)` shows a payment sheet;
//   confirming posts the params to `/jsbridge/pay`, which checks them as WeChat does — the prepay
//   exists and is JSAPI, appId is the order's, paySign verifies (RSA for v3, MD5/HMAC-SHA256 for v2)
//   — and pays the order as its own openid. The callback gets `get_brand_wcpay_request:ok|cancel|fail`.
// - `/app/pay`: the WeChat SDK's side of an APP payment: the PayReq a merchant app would hand over
//   (appid, partnerid, prepayid, package, noncestr, timestamp, sign), checked the same way.

import { Hono, type Context } from 'hono';
import { loadConfig } from '../config';
import { publicKeyFromPrivate, rsaVerify } from '../../../worker/src/crypto/rsa';
import { timingSafeEqual } from '../../../worker/src/crypto/timing-safe';
import { sign as v2Sign, signTypeOf, type SignType } from '../../../worker/src/providers/wechat-v2/sign';
import { ledgerSettings } from '../settings';
import { wechatOrderBy, type SandboxEnv } from '../types';
import { testWechatMerchant } from './merchants';
import type { OrderRow } from './model';
import { merchantName } from './wallet';

export const wechatClientPay = new Hono<SandboxEnv>();

const CORS = { 'Access-Control-Allow-Origin': '*', 'Cache-Control': 'no-store' };

async function jsonOf(c: Context<SandboxEnv>): Promise<Record<string, string>> {
  try {
    const v: unknown = JSON.parse(await c.req.text());
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return {};
    return Object.fromEntries(Object.entries(v).filter(([, x]) => typeof x === 'string')) as Record<string, string>;
  } catch {
    return {};
  }
}

/** Checks a client signature as WeChat would: RSA with the merchant's key (v3) or the v2 rule with its APIv2 key. */
async function signatureOk(
  c: Context<SandboxEnv>,
  o: OrderRow,
  v3Message: string,
  v2Params: Record<string, string>,
  given: string,
  v2Type: SignType | null,
): Promise<boolean> {
  const m = testWechatMerchant(loadConfig(c.env), o.mchid);
  if (!m || m.api !== o.api) return false;
  if (m.api === 'v3') return rsaVerify(await publicKeyFromPrivate(m.cfg.private_key), v3Message, given);
  return v2Type !== null && timingSafeEqual(await v2Sign(v2Params, m.cfg.apiv2_key, v2Type), given.toUpperCase());
}

const prepayOf = (pkg: string | undefined): string => (pkg?.startsWith('prepay_id=') ? pkg.slice('prepay_id='.length) : '');

wechatClientPay.get('/jsbridge.js', (c) => c.body(BRIDGE_JS, 200, { 'Content-Type': 'text/javascript; charset=utf-8', ...CORS }));

/** What the payment sheet shows: merchant, item, amount. */
wechatClientPay.get('/jsbridge/order', async (c) => {
  const o = (await wechatOrderBy(c.env, { prepay_id: prepayOf(c.req.query('package')) }))?.order ?? null;
  const name = merchantName(c.env, o);
  if (!o || name === undefined || o.trade_type !== 'JSAPI' || o.appid !== c.req.query('appId')) return c.json({ error: 'unknown prepay' }, 404, CORS);
  return c.json({ merchant: name, description: o.description, total: o.total, state: o.state }, 200, CORS);
});

wechatClientPay.post('/jsbridge/pay', async (c) => {
  const p = await jsonOf(c);
  const fail = (desc: string) => c.json({ err_msg: 'get_brand_wcpay_request:fail', err_desc: desc }, 200, CORS);
  const settings = ledgerSettings(loadConfig(c.env));
  const found = await wechatOrderBy(c.env, { prepay_id: prepayOf(p.package) });
  const o = found?.order;
  if (!found || !o || !settings || o.trade_type !== 'JSAPI') return fail('prepay_id 无效或不是 JSAPI 订单');
  if (p.appId !== o.appid) return fail('appId 与下单的 appid 不一致');
  const five = { appId: p.appId ?? '', timeStamp: p.timeStamp ?? '', nonceStr: p.nonceStr ?? '', package: p.package ?? '', signType: p.signType ?? '' };
  const v3 = o.api === 'v3' && p.signType === 'RSA';
  const v2Type = p.signType === 'MD5' || p.signType === 'HMAC-SHA256' ? p.signType : null;
  if (!v3 && !(o.api === 'v2' && v2Type)) return fail('signType 错误');
  const ok = await signatureOk(c, o, `${five.appId}\n${five.timeStamp}\n${five.nonceStr}\n${five.package}\n`, five, p.paySign ?? '', v2Type);
  if (!ok) return fail('支付验证签名失败');
  // The order's own openid pays (JSAPI binds the payer at prepay).
  const r = await found.ledger.pay(settings, { prepay_id: o.prepay_id });
  if (r.result === 'closed') return fail('订单已关闭');
  return c.json({ err_msg: 'get_brand_wcpay_request:ok' }, 200, CORS);
});

wechatClientPay.options('/jsbridge/*', (c) =>
  c.body(null, 204, { ...CORS, 'Access-Control-Allow-Methods': 'GET, POST', 'Access-Control-Allow-Headers': 'content-type' }),
);

/** The WeChat SDK's BaseResp: errCode 0 = paid, -1 = error (with errStr). */
wechatClientPay.post('/app/pay', async (c) => {
  const p = await jsonOf(c);
  const fail = (errStr: string) => c.json({ errCode: -1, errStr }, 200);
  const settings = ledgerSettings(loadConfig(c.env));
  const found = await wechatOrderBy(c.env, { prepay_id: p.prepayid ?? '' });
  const o = found?.order;
  if (!found || !o || !settings || o.trade_type !== 'APP') return fail('prepayid 无效或不是 APP 订单');
  if (p.appid !== o.appid || p.partnerid !== o.mchid || p.package !== 'Sign=WXPay') return fail('appid、partnerid 或 package 不正确');
  const six = {
    appid: p.appid ?? '',
    partnerid: p.partnerid ?? '',
    prepayid: p.prepayid ?? '',
    package: p.package ?? '',
    noncestr: p.noncestr ?? '',
    timestamp: p.timestamp ?? '',
  };
  const ok = await signatureOk(
    c,
    o,
    `${six.appid}\n${six.timestamp}\n${six.noncestr}\n${six.prepayid}\n`,
    six,
    p.sign ?? '',
    signTypeOf({ sign: p.sign ?? '' }),
  );
  if (!ok) return fail('签名错误');
  const r = await found.ledger.pay(settings, { prepay_id: o.prepay_id });
  return r.result === 'closed' ? fail('订单已关闭') : c.json({ errCode: 0, errStr: '' }, 200);
});

/**
 * The test bridge. Defines `window.WeixinJSBridge` (unless a real one exists) and then fires
 * `WeixinJSBridgeReady` on document, as WeChat does a moment after the page loads.
 */
const BRIDGE_JS = `(() => {
  if (window.WeixinJSBridge) return;
  const src = (document.currentScript && document.currentScript.src) || '';
  const base = src.replace(/\\/jsbridge\\.js(\\?.*)?$/, '');
  const yuan = (f) => Math.floor(f / 100) + '.' + String(f % 100).padStart(2, '0');
  function sheet(info) {
    return new Promise((resolve) => {
      const host = document.createElement('div');
      host.setAttribute('data-sandbox-wechat-sheet', '');
      const root = host.attachShadow({ mode: 'open' });
      root.innerHTML = '<style>.back{position:fixed;inset:0;background:rgba(0,0,0,.5);display:flex;align-items:flex-end;justify-content:center;z-index:2147483647;font:16px -apple-system,"PingFang SC","Noto Sans CJK SC",sans-serif}' +
        '.sheet{background:#fff;width:100%;max-width:480px;border-radius:12px 12px 0 0;padding:20px 20px 28px;text-align:center;color:#191919}' +
        '.brand{color:#07c160;font-weight:600;margin:0}.badge{font-size:12px;color:#b26a00}.amount{font-size:36px;font-weight:600;margin:8px 0}.muted{color:#888;margin:4px 0 16px}' +
        'button{display:block;width:100%;border:0;border-radius:8px;padding:13px;font:inherit;font-weight:600;margin-top:10px;cursor:pointer}.pay{background:#07c160;color:#fff}.cancel{background:#f2f2f2}</style>' +
        '<div class="back"><div class="sheet" role="dialog" aria-modal="true" aria-label="微信支付 WeChat Pay"><p class="brand">微信支付 WeChat Pay</p><span class="badge">沙箱 · Sandbox</span>' +
        '<p class="muted merchant"></p><p class="amount"></p><p class="muted desc"></p>' +
        '<button class="pay" type="button">确认支付 Pay</button><button class="cancel" type="button">取消 Cancel</button></div></div>';
      root.querySelector('.merchant').textContent = info.merchant;
      root.querySelector('.amount').textContent = '¥' + yuan(info.total);
      root.querySelector('.desc').textContent = info.description;
      const done = (v) => { host.remove(); resolve(v); };
      root.querySelector('.pay').addEventListener('click', () => done('pay'));
      root.querySelector('.cancel').addEventListener('click', () => done('cancel'));
      document.body.appendChild(host);
      root.querySelector('.pay').focus();
    });
  }
  async function pay(params) {
    const q = new URLSearchParams({ appId: params.appId || '', package: params.package || '' });
    const info = await fetch(base + '/jsbridge/order?' + q).then((r) => (r.ok ? r.json() : null)).catch(() => null);
    if (!info) return 'get_brand_wcpay_request:fail';
    if ((await sheet(info)) !== 'pay') return 'get_brand_wcpay_request:cancel';
    const r = await fetch(base + '/jsbridge/pay', { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: JSON.stringify(params) })
      .then((x) => x.json()).catch(() => ({ err_msg: 'get_brand_wcpay_request:fail' }));
    return r.err_msg || 'get_brand_wcpay_request:fail';
  }
  window.WeixinJSBridge = {
    invoke(api, params, cb) {
      const answer = (m) => { try { if (typeof cb === 'function') cb({ err_msg: m }); } catch (e) { console.error(e); } };
      if (api !== 'getBrandWCPayRequest') return answer('system:function_not_exist');
      pay(params || {}).then(answer);
    },
    on() {},
    call() {},
  };
  const ready = () => setTimeout(() => document.dispatchEvent(new Event('WeixinJSBridgeReady')), 30);
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', ready, { once: true });
  else ready();
})();
`;
