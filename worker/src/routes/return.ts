// Where providers send the shopper back after a cashier or wallet page (`return_url`, `quit_url`,
// UnionPay's frontUrl). Coming back proves nothing: the session asks the provider first, then the
// shopper goes on to the merchant's page, whose widget shows the status the server holds.

import { Hono, type Context } from 'hono';
import type { SessionStatus } from '../contract';
import { issuedSessionStub } from '../session/ids';
import type { AppEnv } from './http';

export const returnRoutes = new Hono<AppEnv>();

const esc = (s: string): string => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

/** The statuses for which `/return/:id` sends the shopper on to the session's return_url (docs/merchant-api.md). */
const REDIRECTS: ReadonlySet<SessionStatus> = new Set<SessionStatus>(['open', 'paid']);

const TEXT: Record<string, [string, string]> = {
  paid: ['支付成功', 'Payment received'],
  open: ['正在确认支付结果', 'Confirming your payment'],
  expired: ['订单已过期', 'This payment has expired'],
  canceled: ['订单已取消', 'This payment was canceled'],
};

async function handle(c: Context<AppEnv, '/:id'>): Promise<Response> {
  const id = c.req.param('id');
  const stub = await issuedSessionStub(c.env, id);
  const r = stub ? await stub.recheck() : null;
  if (!r) return c.html('<!doctype html><meta charset="utf-8"><title>Not found</title><p>No such checkout.</p>', 404) as Response;
  // On to the merchant's page while the payment can still be made or has been made (a paid shopper may
  // come back late, from the cashier's history). Once the session is canceled or expired, the result is
  // shown here: otherwise the link would stay a redirect on the payment domain, for anyone, forever.
  if (r.returnUrl && REDIRECTS.has(r.status)) return Response.redirect(r.returnUrl.replaceAll('{CHECKOUT_SESSION_ID}', id), 303);
  const [zh, en] = TEXT[r.status] ?? TEXT.open!;
  // No merchant page to go back to (none given, or the session is over): say what the server knows;
  // an open session re-checks itself.
  const refresh = r.status === 'open' ? '<meta http-equiv="refresh" content="3">' : '';
  return c.html(`<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">${refresh}
<title>${esc(zh)} · ${esc(r.merchantName)}</title>
<style>body{font:16px system-ui,'PingFang SC','Noto Sans CJK SC',sans-serif;display:grid;place-items:center;min-height:90vh;margin:0;color:#1f2328}main{text-align:center;padding:24px}h1{font-size:22px;margin:0 0 8px}p{color:#6b7280;margin:4px}</style>
</head><body><main><p>${esc(r.merchantName)}</p><h1>${esc(zh)}</h1><p>${esc(en)}</p><p>${esc(id)}</p></main></body></html>`) as Response;
}

// Alipay returns with GET; UnionPay's front return is a browser POST.
returnRoutes.get('/:id', (c) => handle(c));
returnRoutes.post('/:id', (c) => handle(c));
