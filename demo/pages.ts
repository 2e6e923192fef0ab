// The demo shop's HTML. Server-rendered with hono/html (every interpolation is escaped), no build step,
// one inline stylesheet. The checkout page shows how a merchant embeds the widget.

import { html, raw } from 'hono/html';
import type { Product } from './catalog';

export type Lang = 'zh-CN' | 'zh-TW' | 'en';

const FAVICON =
  "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 32 32'%3E%3Crect width='32' height='32' rx='8' fill='%230f766e'/%3E%3Ctext x='16' y='23' font-size='18' text-anchor='middle' fill='white' font-family='sans-serif'%3E%C2%A5%3C/text%3E%3C/svg%3E";

const STYLE = raw(`
  :root {
    --ink: #1c2421; --muted: #5f6b66; --line: #e3e8e5; --paper: #f6f4ef; --jade: #0f766e; --jade-dark: #0b5c56;
    --red: #b42318; color-scheme: light;
  }
  * { box-sizing: border-box; }
  body {
    margin: 0; background: var(--paper); color: var(--ink);
    font: 15px/1.55 system-ui, -apple-system, 'PingFang SC', 'Hiragino Sans GB', 'Microsoft YaHei', 'Noto Sans CJK SC', sans-serif;
  }
  a { color: var(--jade); }
  .bar {
    display: flex; align-items: center; justify-content: space-between; gap: 12px;
    padding: 14px max(20px, calc((100vw - 960px) / 2)); background: #fff; border-bottom: 1px solid var(--line);
  }
  .brand { display: flex; align-items: center; gap: 10px; color: inherit; text-decoration: none; }
  .logo {
    display: grid; place-items: center; width: 36px; height: 36px; border-radius: 10px;
    background: var(--jade); color: #fff; font-weight: 700; font-size: 18px;
  }
  .brand b { display: block; font-size: 16px; }
  .brand small { display: block; color: var(--muted); font-size: 12px; }
  .test {
    padding: 2px 10px; border: 1px solid #e3b341; border-radius: 99px; background: #fff8db; color: #7a5200;
    font-size: 12px; font-weight: 600; white-space: nowrap;
  }
  main { max-width: 960px; margin: 0 auto; padding: 28px 20px 48px; }
  h1 { margin: 0 0 4px; font-size: 26px; }
  .lead { margin: 0 0 24px; color: var(--muted); }
  .grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(260px, 1fr)); gap: 20px; }
  .card { background: #fff; border: 1px solid var(--line); border-radius: 14px; overflow: hidden; display: flex; flex-direction: column; }
  .tile {
    display: grid; place-items: center; height: 168px; color: #fff;
    font: 700 76px/1 'Noto Serif CJK SC', 'Songti SC', serif; letter-spacing: 0.04em;
  }
  .tile.tea { background: radial-gradient(circle at 30% 25%, #3aa58a, #0f5f4f); }
  .tile.cake { background: radial-gradient(circle at 30% 25%, #e0a458, #9a5a1b); }
  .info { padding: 16px 18px 18px; display: flex; flex-direction: column; gap: 6px; flex: 1; }
  .info h2 { margin: 0; font-size: 17px; }
  .info .en { color: var(--muted); font-size: 13px; }
  .info p { margin: 0; color: var(--muted); font-size: 14px; flex: 1; }
  .buy { display: flex; align-items: center; justify-content: space-between; gap: 12px; margin-top: 10px; }
  .price { font-size: 22px; font-weight: 700; color: var(--red); font-variant-numeric: tabular-nums; }
  button.pay {
    padding: 10px 18px; border: 0; border-radius: 10px; background: var(--jade); color: #fff;
    font: inherit; font-weight: 600; cursor: pointer;
  }
  button.pay:hover { background: var(--jade-dark); }
  button.pay:focus-visible { outline: 3px solid #99d5cc; outline-offset: 2px; }
  .how {
    margin-top: 28px; padding: 16px 18px; border: 1px dashed #c9d3cf; border-radius: 12px; color: var(--muted); font-size: 14px;
  }
  .how ol { margin: 6px 0 0; padding-left: 20px; }
  .how code { font-size: 13px; background: #eef2f0; padding: 0 4px; border-radius: 4px; white-space: nowrap; }
  footer { max-width: 960px; margin: 0 auto; padding: 0 20px 32px; color: var(--muted); font-size: 13px; }
  .checkout { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 400px); gap: 28px; align-items: start; }
  /* On a phone the payment comes first; the order summary follows. */
  @media (max-width: 760px) { .checkout { grid-template-columns: minmax(0, 1fr); } .checkout shouyin-checkout { order: -1; } }
  .summary { background: #fff; border: 1px solid var(--line); border-radius: 14px; padding: 20px; }
  .summary h1 { font-size: 20px; margin-bottom: 14px; }
  .line { display: flex; gap: 14px; align-items: center; padding-bottom: 14px; border-bottom: 1px solid var(--line); }
  .line .tile { width: 64px; height: 64px; border-radius: 12px; font-size: 30px; flex: none; }
  .line .name { flex: 1; }
  .line .name small { display: block; color: var(--muted); }
  dl { display: grid; grid-template-columns: auto 1fr; gap: 6px 16px; margin: 14px 0 0; font-size: 14px; }
  dt { color: var(--muted); }
  dd { margin: 0; text-align: right; font-variant-numeric: tabular-nums; overflow-wrap: anywhere; }
  dd.total { font-size: 18px; font-weight: 700; }
  .thanks {
    margin-top: 16px; padding: 14px 16px; border-radius: 12px; background: #e7f6ef; border: 1px solid #a6dcc3; color: #0b4d3a;
  }
  .thanks[hidden] { display: none; }
  .thanks strong { display: block; font-size: 17px; }
  .thanks .en { display: block; font-weight: 600; }
  .thanks .detail { display: block; margin-top: 6px; font-size: 14px; }
  .thanks .detail:empty { display: none; }
  .note { margin-top: 14px; color: var(--muted); font-size: 13px; }
  .links { display: flex; flex-wrap: wrap; gap: 4px 16px; margin-top: 10px; font-size: 13px; }
  shouyin-checkout { --shouyin-accent: var(--jade); --shouyin-max-width: 400px; min-height: 300px; }
  .error { background: #fff; border: 1px solid #f2c4bf; border-radius: 14px; padding: 20px; }
  .error h1 { color: var(--red); font-size: 20px; }
  .error pre { white-space: pre-wrap; background: #fbf1f0; padding: 10px; border-radius: 8px; font-size: 13px; }
`);

export function yuan(fen: number): string {
  return `¥${(fen / 100).toFixed(2)}`;
}

export function layout(title: string, body: unknown, lang: Lang = 'zh-CN', head: unknown = '') {
  return html`<!doctype html>
    <html lang="${lang}">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title}</title>
        <link rel="icon" href="${FAVICON}" />
        <style>
          ${STYLE}
        </style>
        ${head}
      </head>
      <body>
        <header class="bar">
          <a class="brand" href="/">
            <span class="logo" aria-hidden="true">¥</span>
            <span><b>收银示例店</b><small>Shouyin Demo Shop</small></span>
          </a>
          <span class="test" title="Sandbox providers only: no real money moves">测试模式 · Test mode</span>
        </header>
        ${body}
        <footer>
          <a href="/demo/webhooks">Webhook 日志 / Webhook log</a> · <a href="/demo/pos">门店收银台 / In-store cashier</a> ·
          Shouyin 收银 — open-source checkout for WeChat Pay, Alipay and UnionPay. Test mode: no account, no real money.
        </footer>
      </body>
    </html>`;
}

export function shopPage(products: readonly Product[], orderNonce: string) {
  return layout(
    '收银示例店 · Shouyin Demo Shop',
    html`<main>
      <h1>今日好物 · Today's picks</h1>
      <p class="lead">选好商品，用微信支付完成付款（沙箱环境，不会产生真实扣款）。<br />Pick an item and pay with WeChat Pay — in the sandbox, no real money moves.</p>
      <div class="grid">
        ${products.map(
          (p) => html`<article class="card" aria-labelledby="p-${p.id}">
            <div class="tile ${p.tile}" aria-hidden="true">${p.glyph}</div>
            <div class="info">
              <h2 id="p-${p.id}">${p.name}</h2>
              <span class="en">${p.name_en}</span>
              <p>${p.blurb}</p>
              <form class="buy" method="post" action="/demo/checkout">
                <span class="price">${yuan(p.amount)}</span>
                <input type="hidden" name="product" value="${p.id}" />
                <input type="hidden" name="nonce" value="${orderNonce}" />
                <button class="pay" type="submit" aria-label="立即支付 / Pay ${yuan(p.amount)} — ${p.name_en}">立即支付 / Pay</button>
              </form>
            </div>
          </article>`,
        )}
      </div>
      <section class="how">
        <strong>How this demo works · 演示流程</strong>
        <ol>
          <li>“立即支付” posts to this shop's server, which creates a checkout session with its secret key (<code>POST /v1/checkout/sessions</code>). The key never reaches the browser.</li>
          <li>The checkout page embeds <code>&lt;shouyin-checkout client-secret="…"&gt;</code>. Pick 微信支付 and a QR code appears.</li>
          <li>Instead of scanning, open the sandbox wallet and press 确认支付. The page turns to paid, and the shop receives a signed <code>checkout.session.paid</code> webhook.</li>
        </ol>
      </section>
    </main>`,
  );
}

export interface CheckoutView {
  sessionId: string;
  clientSecret: string;
  status: string;
  amount: number;
  description: string;
  merchantOrderId: string;
  product: Product | undefined;
  /** The language asked for (`?lang=`); without one the widget follows the shopper's browser. */
  lang: Lang | undefined;
  /** Load the sandbox's test WeixinJSBridge (test mode, MicroMessenger User-Agent). */
  wechatBridge?: boolean;
}

export function checkoutPage(v: CheckoutView) {
  const paid = v.status === 'paid';
  const script = raw(`
    ${v.wechatBridge ? '<script src="/sandbox/wechatpay/jsbridge.js"></script>' : ''}
    <script type="module" src="/shouyin.js"></script>
    <script type="module">
      const widget = document.querySelector('shouyin-checkout');
      const thanks = document.getElementById('thanks');
      const detail = document.getElementById('thanks-detail');
      widget.addEventListener('shouyin-paid', async () => {
        window.__shouyinPaidAt = Date.now();
        thanks.hidden = false;
        // The widget's event is only a hint: ask the shop's own server, which asks Shouyin with its
        // secret key. Orders are fulfilled from the webhook, never from the browser.
        try {
          const res = await fetch(location.pathname + '/status', { headers: { accept: 'application/json' } });
          const s = await res.json();
          detail.textContent = s.status === 'paid'
            ? '商户服务器已确认 · Confirmed by the shop’s server (status: paid).'
            : '正在确认… · Confirming with the shop’s server (status: ' + s.status + ').';
        } catch {
          detail.textContent = '正在确认… · Confirming with the shop’s server.';
        }
      });
    </script>`);
  return layout(
    v.lang === 'en' ? 'Checkout · Shouyin Demo Shop' : '结账 · 收银示例店',
    html`<main>
      <div class="checkout">
        <section class="summary" aria-labelledby="summary-title">
          <h1 id="summary-title">订单信息 · Your order</h1>
          <div class="line">
            ${v.product ? html`<div class="tile ${v.product.tile}" aria-hidden="true">${v.product.glyph}</div>` : ''}
            <div class="name">${v.description}${v.product ? html`<small>${v.product.name_en}</small>` : ''}</div>
            <strong>${yuan(v.amount)}</strong>
          </div>
          <dl>
            <dt>订单号 · Order</dt>
            <dd>${v.merchantOrderId}</dd>
            <dt>会话 · Session</dt>
            <dd><code>${v.sessionId}</code></dd>
            <dt>合计 · Total</dt>
            <dd class="total">${yuan(v.amount)}</dd>
          </dl>
          <div class="thanks" id="thanks" role="status" ${paid ? '' : raw('hidden')}>
            <strong>谢谢惠顾！订单已支付</strong>
            <span class="en">Thank you — your order is paid.</span>
            <span class="detail" id="thanks-detail">${paid ? '商户服务器已确认 · Confirmed by the shop’s server (status: paid).' : ''}</span>
            <div class="links"><a href="/demo/webhooks?session=${v.sessionId}">查看收到的 webhook · See the webhook the shop received</a><a href="/">继续购物 · Back to the shop</a></div>
          </div>
          <p class="note">This page got only the session's client secret from the shop's server; the secret key stays server side.</p>
        </section>
        <shouyin-checkout client-secret="${v.clientSecret}" ${v.lang ? raw(`locale="${v.lang}"`) : ''}></shouyin-checkout>
      </div>
    </main>`,
    v.lang ?? 'zh-CN',
    script,
  );
}

export function errorPage(title: string, detail: string, hint: string) {
  return layout(
    '出错了 · Something went wrong',
    html`<main>
      <section class="error">
        <h1>${title}</h1>
        <p>${hint}</p>
        <pre>${detail}</pre>
        <p><a href="/">返回商店 · Back to the shop</a></p>
      </section>
    </main>`,
  );
}
