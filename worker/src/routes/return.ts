// Where providers send the shopper back after a cashier or wallet page (`return_url`, `quit_url`,
// UnionPay's frontUrl). Coming back proves nothing: the session asks the provider first, then the
// shopper goes on to the merchant's page, whose widget shows the status the server holds.
//
// The query says how the shopper left (session/links.ts): `locale` is the widget's language, filled
// into `{LOCALE}` of the merchant's URLs and used for the page below; `via=hosted` sends an unpaid
// shopper back to the hosted checkout page; `quit=1` is Alipay's quit_url (the shopper left the
// cashier without paying), passed on as `shouyin_return=quit` so the widget can say so.

import { Hono, type Context } from 'hono';
import type { Locale, SessionStatus } from '../contract';
import { issuedSessionStub } from '../session/ids';
import { HOSTED_PATH, localeOf } from '../session/links';
import type { AppEnv } from './http';

export const returnRoutes = new Hono<AppEnv>();

const esc = (s: string): string => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

/** The statuses for which `/return/:id` sends the shopper on to the session's return_url (docs/merchant-api.md). */
const REDIRECTS: ReadonlySet<SessionStatus> = new Set<SessionStatus>(['open', 'paid']);

const TEXT: Record<string, Record<Locale, string>> = {
  paid: { 'zh-CN': '支付成功', 'zh-TW': '付款成功', en: 'Payment received' },
  open: { 'zh-CN': '正在确认支付结果', 'zh-TW': '正在確認付款結果', en: 'Confirming your payment' },
  expired: { 'zh-CN': '订单已过期', 'zh-TW': '訂單已過期', en: 'This payment has expired' },
  canceled: { 'zh-CN': '订单已取消', 'zh-TW': '訂單已取消', en: 'This payment was canceled' },
};
const BACK: Record<Locale, string> = { 'zh-CN': '返回商户', 'zh-TW': '返回商店', en: 'Back to the shop' };

/** A merchant URL (validated at session creation) with its placeholders filled in. */
const fill = (url: string, id: string, locale: Locale | undefined): string => url.replaceAll('{CHECKOUT_SESSION_ID}', id).replaceAll('{LOCALE}', locale ?? '');

async function handle(c: Context<AppEnv, '/:id'>): Promise<Response> {
  const id = c.req.param('id');
  const stub = await issuedSessionStub(c.env, id);
  const r = stub ? await stub.recheck() : null;
  if (!r) return c.html('<!doctype html><meta charset="utf-8"><title>Not found</title><p>No such checkout.</p>', 404) as Response;
  const locale = localeOf(c.req.query('locale'));
  const quit = c.req.query('quit') === '1';
  // Back to the hosted page while the payment is not confirmed (or paid, with no merchant page to go
  // to): its widget shows what the server holds.
  if (c.req.query('via') === 'hosted' && (r.status === 'open' || (r.status === 'paid' && !r.returnUrl))) {
    const q = new URLSearchParams({ ...(locale ? { locale } : {}), ...(quit ? { shouyin_return: 'quit' } : {}) }).toString();
    return Response.redirect(`${new URL(c.req.url).origin}${HOSTED_PATH}${id}${q ? `?${q}` : ''}`, 303);
  }
  // On to the merchant's page while the payment can still be made or has been made (a paid shopper may
  // come back late, from the cashier's history). Once the session is canceled or expired, the result is
  // shown here: otherwise the link would stay a redirect on the payment domain, for anyone, forever.
  if (r.returnUrl && REDIRECTS.has(r.status)) {
    const to = new URL(fill(r.returnUrl, id, locale));
    if (quit && r.status === 'open') to.searchParams.set('shouyin_return', 'quit');
    return Response.redirect(to.href, 303);
  }
  const text = TEXT[r.status] ?? TEXT.open!;
  // In the shopper's language when it came along; else Chinese with English beneath, as before.
  const [title, sub] = locale ? [text[locale], ''] : [text['zh-CN'], text.en];
  const back = r.cancelUrl && r.status !== 'paid' && r.status !== 'open' ? fill(r.cancelUrl, id, locale) : null;
  // No merchant page to go back to (none given, or the session is over): say what the server knows;
  // an open session re-checks itself.
  const refresh = r.status === 'open' ? '<meta http-equiv="refresh" content="3">' : '';
  return c.html(`<!doctype html><html lang="${locale ?? 'zh-CN'}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">${refresh}
<title>${esc(title)} · ${esc(r.merchantName)}</title>
<style>body{font:16px system-ui,'PingFang SC','Noto Sans CJK SC',sans-serif;display:grid;place-items:center;min-height:90vh;margin:0;color:#1f2328}main{text-align:center;padding:24px}h1{font-size:22px;margin:0 0 8px}p{color:#6b7280;margin:4px}a{color:#1a66e0}</style>
</head><body><main><p>${esc(r.merchantName)}</p><h1>${esc(title)}</h1>${sub ? `<p>${esc(sub)}</p>` : ''}<p>${esc(id)}</p>${back ? `<p><a href="${esc(back)}">${esc(BACK[locale ?? 'zh-CN'])}</a></p>` : ''}</main></body></html>`) as Response;
}

// Alipay returns with GET; UnionPay's front return is a browser POST.
returnRoutes.get('/:id', (c) => handle(c));
returnRoutes.post('/:id', (c) => handle(c));
