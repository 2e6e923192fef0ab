// The H5 cashier behind `h5_url` (v3) and `mweb_url` (v2): what a phone browser outside WeChat opens.
// Real WeChat hands the payment to the WeChat app and then sends the browser to `redirect_url`,
// paid or not (https://pay.weixin.qq.com/wiki/doc/api/H5.php?chapter=9_20&index=1,
// https://pay.weixin.qq.com/doc/v3/merchant/4012791835); the merchant must re-check there. So does this page: both
// buttons end at redirect_url. Inside WeChat's own browser H5 is refused ("请在微信外打开订单").

import { Hono, type Context } from 'hono';
import { loadConfig } from '../config';
import { ledgerSettings } from '../settings';
import { wechatOrderBy, type wechatLedger, type SandboxEnv } from '../types';
import { testWechatMerchant } from './merchants';
import type { OrderRow } from './model';
import { sandboxOpenid, userFromCookie } from './openid';
import { esc, page } from './page';
import { amount, details, merchantName } from './wallet';

export const wechatH5 = new Hono<SandboxEnv>();

/**
 * The redirect_url the cashier follows: http(s) only (never `javascript:`), and only to the Shouyin
 * Worker (its /return page) or one of the order's merchant's allowed_origins. Real WeChat follows only
 * the H5 domain the merchant registered (https://pay.weixin.qq.com/wiki/doc/api/H5.php?chapter=15_4);
 * without the check the sandbox would be an open redirect on the payment domain.
 */
function safeRedirect(c: Context<SandboxEnv>, o: OrderRow, v: string | undefined): string | null {
  if (!v) return null;
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    return null;
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return null;
  const config = loadConfig(c.env);
  const allowed = [new URL(config.public_base_url).origin, ...(testWechatMerchant(config, o.mchid)?.merchant.allowed_origins ?? [])];
  return allowed.includes(u.origin) ? u.toString() : null;
}

const notFound = () => page('订单不存在', '<h1>订单不存在</h1><p class="sub">Unknown or expired H5 payment link</p>', 404, ' data-result="not_found"');

async function h5Order(c: Context<SandboxEnv>, prepayId: string): Promise<{ o: OrderRow; name: string; ledger: ReturnType<typeof wechatLedger> } | null> {
  const found = prepayId ? await wechatOrderBy(c.env, { prepay_id: prepayId }) : null;
  const o = found?.order ?? null;
  const name = merchantName(c.env, o);
  return found && o && name !== undefined && o.trade_type === 'MWEB' ? { o, name, ledger: found.ledger } : null;
}

wechatH5.get('/', async (c) => {
  const found = await h5Order(c, c.req.query('prepay_id') ?? '');
  if (!found) return notFound();
  const { o, name } = found;
  if (/MicroMessenger/i.test(c.req.header('User-Agent') ?? '')) {
    return page(
      '请在微信外打开订单',
      '<h1>请在微信外打开订单，进行支付</h1><p class="sub">H5 payments open outside WeChat; inside WeChat the merchant uses JSAPI.</p>',
      200,
      ' data-result="in_wechat"',
    );
  }
  const redirect = safeRedirect(c, o, c.req.query('redirect_url'));
  const hidden = `<input type="hidden" name="prepay_id" value="${esc(o.prepay_id)}">${redirect ? `<input type="hidden" name="redirect_url" value="${esc(redirect)}">` : ''}`;
  const base = new URL(c.req.url).pathname.replace(/\/$/, '');
  const state = o.state === 'NOTPAY' ? '' : `<p class="sub">${o.state === 'CLOSED' ? '订单已关闭 This order is closed' : '订单已支付 Already paid'}</p>`;
  return page(
    `${name} · 微信支付`,
    `${amount(o, name)}${details(o, name)}${state}` +
      (o.state === 'NOTPAY'
        ? `<form method="post" action="${esc(`${base}/pay`)}">${hidden}<button type="submit" class="pay">确认支付 Pay</button></form>`
        : '') +
      `<form method="post" action="${esc(`${base}/cancel`)}">${hidden}<button type="submit" class="cancel">${o.state === 'NOTPAY' ? '取消 Cancel' : '返回商户 Back to the shop'}</button></form>`,
    200,
    ` data-state="${o.state}" data-h5`,
    // Both forms end, after a 303, at redirect_url: the Worker's or one of the merchant's origins.
    "'self' https: http:",
  );
});

async function form(c: Context<SandboxEnv>): Promise<{ prepayId: string; redirectUrl: string | undefined }> {
  try {
    const b = await c.req.parseBody();
    return { prepayId: typeof b.prepay_id === 'string' ? b.prepay_id : '', redirectUrl: typeof b.redirect_url === 'string' ? b.redirect_url : undefined };
  } catch {
    return { prepayId: '', redirectUrl: undefined };
  }
}

/** Back to the merchant's redirect_url (303 after the POST), or a result page when there is none. */
function back(redirect: string | null, title: string, sub: string, result: string): Response {
  if (redirect) return new Response(null, { status: 303, headers: { Location: redirect, 'Cache-Control': 'no-store' } });
  return page(title, `<h1>${esc(title)}</h1><p class="sub">${esc(sub)}</p>`, 200, ` data-result="${result}"`);
}

wechatH5.post('/pay', async (c) => {
  const { prepayId, redirectUrl } = await form(c);
  const found = await h5Order(c, prepayId);
  const settings = ledgerSettings(loadConfig(c.env));
  if (!found || !settings) return notFound();
  const redirect = safeRedirect(c, found.o, redirectUrl);
  const user = userFromCookie(c.req.header('Cookie'));
  const r = await found.ledger.pay(settings, { prepay_id: prepayId }, user ? { payer: await sandboxOpenid(found.o.appid, user) } : {});
  if (r.result === 'closed') return back(redirect, '订单已关闭', 'This order is closed and can no longer be paid', 'closed');
  return back(redirect, '支付成功', 'Payment successful', r.result);
});

wechatH5.post('/cancel', async (c) => {
  const { prepayId, redirectUrl } = await form(c);
  const found = await h5Order(c, prepayId);
  if (!found) return notFound();
  const redirect = safeRedirect(c, found.o, redirectUrl);
  // The order stays NOTPAY, as in real WeChat; the merchant's page re-checks and sees that.
  return back(redirect, '已取消', 'Payment canceled — the order is still unpaid', 'canceled');
});
