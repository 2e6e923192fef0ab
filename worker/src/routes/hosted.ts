// The hosted checkout page (docs/hosted-checkout.md): `GET /pay/:id#<client secret>`, the session's
// `url`. A page of Shouyin's own for merchants who redirect instead of embedding: the widget, a link
// back to the merchant's `cancel_url` while unpaid and to its `return_url` once paid.
//
// The server renders no session data: the page is the same shell for every session id, and everything
// the shopper sees (merchant name, description, amount) comes from the client API through the widget,
// with the client secret that only the fragment carries. Browsers never send a fragment, so the secret
// is in no request and no Referer; `Referrer-Policy: no-referrer` keeps the page's own address (the
// session id) out of the providers' logs too. The Content-Security-Policy allows scripts from this
// origin and the one inline script of this response (its nonce), no inline handlers, no framing.

import { Hono } from 'hono';
import type { Locale } from '../contract';
import { toBase64 } from '../crypto/encoding';
import { isIssuedSessionId } from '../session/ids';
import { localeOf } from '../session/links';
import type { AppEnv } from './http';

export const hostedRoutes = new Hono<AppEnv>();

const TEXT: Record<Locale, { title: string; back: string; noscript: string; missing: string }> = {
  'zh-CN': {
    title: '收银台',
    back: '返回商户',
    noscript: '请启用 JavaScript 以完成支付。',
    missing: '链接不完整：请回到商户页面重新打开付款链接。',
  },
  'zh-TW': {
    title: '收銀台',
    back: '返回商店',
    noscript: '請啟用 JavaScript 以完成付款。',
    missing: '連結不完整：請回到商店頁面重新開啟付款連結。',
  },
  en: {
    title: 'Checkout',
    back: 'Back to the shop',
    noscript: 'Please turn on JavaScript to pay.',
    missing: 'This link is incomplete: open the payment link from the shop again.',
  },
};

/**
 * The page's script. The client secret comes from the fragment (kept for this tab in sessionStorage, so
 * the page still works when a wallet or cashier sends the shopper back without it); the back link
 * follows the session: `cancel_url` while open, `return_url` once paid, none once the widget shows
 * its own end state. `{LOCALE}` in those URLs becomes the page's language.
 */
const PAGE_SCRIPT = (locale: Locale, missing: string): string => `
const id = location.pathname.split('/').pop();
const key = 'shouyin:' + id;
let secret = '';
try { secret = decodeURIComponent(location.hash.slice(1)); } catch {}
try { if (secret) sessionStorage.setItem(key, secret); else secret = sessionStorage.getItem(key) || ''; } catch {}
const main = document.querySelector('main');
const back = document.getElementById('back');
if (!/^cs_[A-Za-z0-9_-]+$/.test(secret)) {
  const p = document.createElement('p');
  p.className = 'missing';
  p.textContent = ${JSON.stringify(missing)};
  main.querySelector('h1').after(p);
} else {
  const el = document.createElement('shouyin-checkout');
  el.setAttribute('locale', ${JSON.stringify(locale)});
  // The client API under /pay: attempts started here send the shopper back here (session/links.ts).
  el.setAttribute('api-base', location.origin + '/pay');
  el.setAttribute('client-secret', secret);
  main.querySelector('h1').after(el);
  const links = { open: null, paid: null };
  const show = (status) => {
    const to = links[status];
    back.hidden = !to;
    if (to) back.querySelector('a').href = to;
  };
  const fill = (u) => {
    try {
      const url = new URL(u.replaceAll('{LOCALE}', ${JSON.stringify(locale)}));
      return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : null;
    } catch {
      return null;
    }
  };
  let status = 'open';
  el.addEventListener('shouyin-status', (e) => show((status = e.detail.status)));
  fetch('/v1/client/sessions/' + encodeURIComponent(id), { headers: { authorization: 'Bearer ' + secret } })
    .then((r) => (r.ok ? r.json() : null))
    .then((v) => {
      if (!v) return;
      links.open = v.cancel_url && fill(v.cancel_url);
      links.paid = v.return_url && fill(v.return_url);
      show(status);
    })
    .catch(() => {});
}
`;

const STYLE = `
*{box-sizing:border-box}
html{color-scheme:light}
body{margin:0;min-height:100vh;background:#f3f4f6;color:#1f2328;font:15px/1.5 system-ui,'PingFang SC','Microsoft YaHei','Noto Sans CJK SC',sans-serif}
main{max-width:420px;margin:0 auto;padding:24px 12px 40px}
h1{margin:0 0 12px;color:#4b5563;font-size:15px;font-weight:600;text-align:center}
shouyin-checkout{display:block;min-height:320px}
.back{margin:18px 0 0;text-align:center}
.back a{color:#1a56c4;font-weight:600}
.missing{padding:24px;border-radius:12px;background:#fff;text-align:center}
@media (min-width:600px){main{padding-top:8vh}}
`;

function nonce(): string {
  return toBase64(crypto.getRandomValues(new Uint8Array(16)));
}

/** The page's headers: a strict CSP for this response's nonce, no referrer, no framing, no caching. */
export function hostedHeaders(origin: string, n: string): Record<string, string> {
  const ws = origin.replace(/^http/, 'ws');
  return {
    'content-security-policy': [
      "default-src 'none'",
      `script-src 'self' 'nonce-${n}'`,
      `style-src 'nonce-${n}'`,
      // The client API and the status WebSocket ('self' covers ws: only in newer browsers).
      `connect-src 'self' ${ws}`,
      "img-src 'self'",
      // UnionPay's front page is a form post to the provider's (https) gateway.
      "form-action 'self' https:",
      "frame-ancestors 'none'",
      "base-uri 'none'",
    ].join('; '),
    'referrer-policy': 'no-referrer',
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'cache-control': 'no-store',
  };
}

hostedRoutes.get('/:id', async (c) => {
  const id = c.req.param('id');
  const locale = localeOf(c.req.query('locale')) ?? localeOf(c.req.header('accept-language')) ?? 'en';
  const t = TEXT[locale];
  const n = nonce();
  const headers = hostedHeaders(new URL(c.req.url).origin, n);
  // A made-up id is told apart here already, as at every entry point (session/ids.ts), with no object touched.
  if (!(await isIssuedSessionId(c.env, id))) {
    return c.html(`<!doctype html><html lang="${locale}"><meta charset="utf-8"><title>${t.title}</title><p>${t.missing}</p></html>`, 404, headers) as Response;
  }
  return c.html(
    `<!doctype html>
<html lang="${locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex">
<title>${t.title}</title>
<style nonce="${n}">${STYLE}</style>
<script type="module" src="/shouyin.js"></script>
<script type="module" nonce="${n}">${PAGE_SCRIPT(locale, t.missing)}</script>
</head>
<body>
<main>
<h1>${t.title}</h1>
<p class="back" id="back" hidden><a href="#" rel="noreferrer">← ${t.back}</a></p>
<noscript><p class="missing">${t.noscript}</p></noscript>
</main>
</body>
</html>`,
    200,
    headers,
  ) as Response;
});
