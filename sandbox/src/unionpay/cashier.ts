// The shopper's side of the UnionPay simulator: the bank-card cashier a front consume lands on
// (frontTransReq.do → 303 → here), and the page a 云闪付 scan of an applied QR code or an app's `tn`
// opens. A person (or a browser test) enters a test card and the SMS code, then pays or cancels.
// Paying sends the backUrl notify on UnionPay's schedule and offers the signed return to frontUrl.
//
// Test values (UnionPay test environment): card 6216261000000000018 (debit) or 6221558812340000
// (credit), SMS code 111111.

import { Hono } from 'hono';
import { loadConfig } from '../config';
import { parseForm } from '../../../worker/src/providers/unionpay/wire';
import { beijingCompact } from '../../../worker/src/providers/unionpay/time';
import type { SandboxEnv } from '../types';
import { TEST_CARDS, TEST_SMS_CODE, type OrderRow } from './model';
import { testMerchantByMerId, unionpayLedger, unionpayLedgerSettings, unionpayOrderBy } from './settings';

export const unionpayCashier = new Hono<SandboxEnv>();

const esc = (s: string): string => s.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch] as string);
const yuan = (fen: number): string => `${Math.floor(fen / 100)}.${String(fen % 100).padStart(2, '0')}`;
const beijing = (ms: number): string => beijingCompact(ms).replace(/^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/, '$1-$2-$3 $4:$5:$6');

const CSS = `
*{box-sizing:border-box}body{margin:0;min-height:100vh;background:#f3f4f6;font:16px/1.5 -apple-system,BlinkMacSystemFont,"PingFang SC","Noto Sans CJK SC","Microsoft YaHei",sans-serif;color:#1f2328}
header{background:#d7000f;color:#fff;padding:12px 20px;display:flex;align-items:center;gap:10px;font-weight:600}
.logo{display:inline-flex;gap:2px}.logo i{display:inline-block;width:10px;height:22px;transform:skewX(-12deg)}.logo i:nth-child(1){background:#e60012}.logo i:nth-child(2){background:#00508e}.logo i:nth-child(3){background:#009a44}
main{max-width:480px;margin:24px auto;padding:0 16px}.card{background:#fff;border-radius:10px;padding:24px 20px;box-shadow:0 1px 3px rgba(0,0,0,.08)}
.badge{display:inline-block;font-size:12px;color:#b26a00;background:#fff4e0;border-radius:4px;padding:1px 6px;margin-bottom:12px}
.amount{font-size:36px;font-weight:600;margin:4px 0 16px}.amount small{font-size:20px;margin-right:2px}
dl{margin:0 0 20px;border-top:1px solid #eee}dl div{display:flex;justify-content:space-between;gap:16px;padding:8px 0;border-bottom:1px solid #eee;font-size:14px}dt{color:#6b7280;flex:none}dd{margin:0;text-align:right;word-break:break-all}
label{display:block;font-size:14px;margin:12px 0 4px}input{width:100%;padding:10px 12px;font:inherit;border:1px solid #d1d5db;border-radius:6px}
input:focus-visible,button:focus-visible,a:focus-visible{outline:3px solid #00508e;outline-offset:2px}
.hint{font-size:12px;color:#6b7280;margin:4px 0 0}.error{color:#b91c1c;font-size:14px;margin:12px 0 0}
button,.link{display:block;width:100%;border:0;border-radius:6px;padding:12px 16px;font:inherit;font-weight:600;cursor:pointer;text-align:center;text-decoration:none;margin-top:16px}
.pay{background:#d7000f;color:#fff}.pay:hover{background:#b8000d}.cancel,.link{background:#eef0f3;color:#1f2328}
h1{font-size:22px;margin:0 0 4px}.sub{color:#6b7280;margin:0 0 16px;font-size:14px}.note{text-align:center;font-size:12px;color:#9ca3af;margin:16px 0}
`;

function page(title: string, inner: string, status: number, opts: { attrs?: string; formAction?: string; script?: string } = {}): Response {
  const nonce = crypto.randomUUID().replace(/-/g, '');
  const formAction = ["'self'", ...(opts.formAction ? [opts.formAction] : [])].join(' ');
  const html =
    `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">` +
    `<title>${esc(title)}</title><style>${CSS}</style></head><body><header><span class="logo" aria-hidden="true"><i></i><i></i><i></i></span>银联在线支付 UnionPay</header>` +
    `<main${opts.attrs ?? ''}><div class="card"><span class="badge">沙箱 · Sandbox</span>${inner}</div>` +
    `<p class="note">Shouyin 银联沙箱，不会产生真实扣款。<br>Shouyin UnionPay sandbox — no real money moves.</p></main>` +
    (opts.script ? `<script nonce="${nonce}">${opts.script}</script>` : '') +
    `</body></html>`;
  return new Response(html, {
    status,
    headers: {
      'Content-Type': 'text/html; charset=utf-8',
      'Cache-Control': 'no-store',
      'Referrer-Policy': 'no-referrer',
      'Content-Security-Policy': `default-src 'none'; style-src 'unsafe-inline'; script-src 'nonce-${nonce}'; form-action ${formAction}; base-uri 'none'`,
    },
  });
}

/** The gateway's refusal of a front request, as a page (the browser posted it). */
export function errorPage(respCode: string, respMsg: string, status: number): Response {
  return page(
    '交易失败',
    `<h1>交易失败</h1><p class="sub">The payment request was refused</p><dl><div><dt>respCode</dt><dd>${esc(respCode)}</dd></div><div><dt>respMsg</dt><dd>${esc(respMsg)}</dd></div></dl>`,
    status,
    { attrs: ` data-result="error" data-resp-code="${esc(respCode)}"` },
  );
}

function details(o: OrderRow, merchant: string): string {
  const rows: [string, string][] = [
    ['商户 Merchant', merchant],
    ['商品 Item', o.order_desc ?? '—'],
    ['订单号 Order', o.order_id],
  ];
  if (o.pay_timeout !== null && o.state === 'UNPAID') rows.push(['支付截止 Pay before', beijing(o.pay_timeout)]);
  if (o.query_id) rows.push(['交易流水号 queryId', o.query_id]);
  return `<dl>${rows.map(([k, v]) => `<div><dt>${esc(k)}</dt><dd>${esc(v)}</dd></div>`).join('')}</dl>`;
}

const amount = (o: OrderRow) => `<p class="amount" aria-label="金额 ¥${yuan(o.txn_amt)}"><small>¥</small>${yuan(o.txn_amt)}</p>`;

/** `/…/unionpay`, wherever the sandbox is mounted, from a cashier URL. */
const baseOf = (url: string): string => new URL(url).pathname.replace(/\/(cashier(\/pay|\/cancel)?|qr|app)$/, '');

function cashierPage(o: OrderRow, merchant: string, base: string, error?: string): Response {
  const cards = Object.entries(TEST_CARDS)
    .map(([n, t]) => `${n} (${t})`)
    .join('，');
  const hidden = `<input type="hidden" name="ref" value="${esc(o.ref)}">`;
  return page(
    `${merchant} · 银联支付`,
    `<h1>银行卡支付</h1><p class="sub">Pay with a UnionPay card</p>${amount(o)}${details(o, merchant)}` +
      `<form method="post" action="${esc(`${base}/cashier/pay`)}">${hidden}` +
      `<label for="accNo">卡号 Card number</label><input id="accNo" name="accNo" inputmode="numeric" autocomplete="off" required>` +
      `<p class="hint">测试卡 Test cards: ${esc(cards)}</p>` +
      `<label for="smsCode">短信验证码 SMS code</label><input id="smsCode" name="smsCode" inputmode="numeric" autocomplete="one-time-code" required>` +
      `<p class="hint">沙箱验证码 Sandbox code: ${TEST_SMS_CODE}</p>` +
      (error ? `<p class="error" role="alert">${esc(error)}</p>` : '') +
      `<button type="submit" class="pay">确认付款 Pay</button></form>` +
      `<form method="post" action="${esc(`${base}/cashier/cancel`)}">${hidden}<button type="submit" class="cancel">取消 Cancel</button></form>`,
    error ? 400 : 200,
    { attrs: ` data-state="${o.state}"` },
  );
}

/** After paying: the result, and for a front consume the signed return to frontUrl (auto after 5 s). */
function resultPage(
  kind: 'paid' | 'already_paid' | 'failed' | 'canceled',
  o: OrderRow,
  merchant: string,
  returnFields: Record<string, string> | null,
): Response {
  const texts = {
    paid: ['支付成功', 'Payment successful'],
    already_paid: ['订单已支付', 'This order is already paid'],
    failed: ['订单已失效', 'This order can no longer be paid (payTimeout passed)'],
    canceled: ['已取消支付', 'Payment canceled — the order is still unpaid'],
  } as const;
  const [title, sub] = texts[kind];
  let back = '';
  let script: string | undefined;
  let formAction: string | undefined;
  if (o.front_url && returnFields) {
    // UnionPay posts the same signed fields as the backUrl notify to frontUrl
    // (https://open.unionpay.com/tjweb/acproduct/APIList?acpAPIId=754&apiservId=448&version=V2.2): display only.
    formAction = new URL(o.front_url).origin;
    back =
      `<form id="back" method="post" action="${esc(o.front_url)}">` +
      Object.entries(returnFields)
        .map(([k, v]) => `<input type="hidden" name="${esc(k)}" value="${esc(v)}">`)
        .join('') +
      `<button type="submit" class="pay">返回商户 Return to merchant</button></form><p class="hint">5 秒后自动返回商户 · Returning to the merchant in 5 s</p>`;
    script = `setTimeout(function(){document.getElementById('back').submit()},5000)`;
  } else if (o.front_url) {
    back = `<a class="link" href="${esc(o.front_url)}">返回商户 Return to merchant</a>`;
  }
  return page(title, `<h1>${esc(title)}</h1><p class="sub">${esc(sub)}</p>${amount(o)}${details(o, merchant)}${back}`, 200, {
    attrs: ` data-result="${kind}" data-state="${o.state}"`,
    ...(formAction ? { formAction } : {}),
    ...(script ? { script } : {}),
  });
}

const notFound = () =>
  page('订单不存在', '<h1>订单不存在</h1><p class="sub">Unknown or invalid payment reference</p>', 404, { attrs: ' data-result="not_found"' });

function merchantName(env: SandboxEnv['Bindings'], o: OrderRow | null): string | undefined {
  return o ? testMerchantByMerId(loadConfig(env), o.mer_id)?.merchant.name : undefined;
}

async function show(c: { env: SandboxEnv['Bindings']; req: { url: string } }, o: OrderRow | null): Promise<Response> {
  const name = merchantName(c.env, o);
  if (!o || name === undefined) return notFound();
  if (o.state === 'UNPAID') return cashierPage(o, name, baseOf(c.req.url));
  const settings = unionpayLedgerSettings(loadConfig(c.env));
  const body = o.state === 'PAID' && settings ? await unionpayLedger(c.env, o.mer_id).frontReturnBody(settings, o.mer_id, o.order_id) : null;
  return resultPage(o.state === 'PAID' ? 'already_paid' : 'failed', o, name, body ? parseForm(body) : null);
}

const orderBy = async (env: SandboxEnv['Bindings'], by: { ref: string } | { qr_code: string }) => (await unionpayOrderBy(env, by))?.order ?? null;

unionpayCashier.get('/cashier', async (c) => show(c, await orderBy(c.env, { ref: c.req.query('ref') ?? '' })));
/** What scanning an applied QR code with 云闪付 opens. */
unionpayCashier.get('/qr', async (c) => show(c, await orderBy(c.env, { qr_code: c.req.query('code') ?? '' })));
/** What the UnionPay app SDK shows for a `tn`. */
unionpayCashier.get('/app', async (c) => show(c, await orderBy(c.env, { ref: c.req.query('tn') ?? '' })));

async function form(c: { req: { arrayBuffer(): Promise<ArrayBuffer> } }): Promise<Record<string, string>> {
  try {
    // Bytes, decoded as UTF-8 (what .text() does): workerd warns that a form body "does not appear to be text".
    return parseForm(new TextDecoder().decode(await c.req.arrayBuffer()));
  } catch {
    return {};
  }
}

unionpayCashier.post('/cashier/pay', async (c) => {
  const f = await form(c);
  const found = f.ref ? await unionpayOrderBy(c.env, { ref: f.ref }) : null;
  const o = found?.order ?? null;
  const name = merchantName(c.env, o);
  const settings = unionpayLedgerSettings(loadConfig(c.env));
  if (!found || !o || name === undefined || !settings) return notFound();
  const ledger = found.ledger;
  if (o.state !== 'UNPAID') return show(c, o);
  const acc = (f.accNo ?? '').replace(/\s+/g, '');
  if (!TEST_CARDS[acc]) return cashierPage(o, name, baseOf(c.req.url), '卡号无效：沙箱只接受测试卡 · Use a sandbox test card');
  if ((f.smsCode ?? '').trim() !== TEST_SMS_CODE)
    return cashierPage(o, name, baseOf(c.req.url), `短信验证码错误：沙箱验证码为 ${TEST_SMS_CODE} · Wrong SMS code`);
  const r = await ledger.pay(settings, { ref: o.ref }, { accNo: acc });
  if (!r.order || r.result === 'not_found') return notFound();
  if (r.result !== 'paid') return show(c, r.order);
  const body = await ledger.frontReturnBody(settings, r.order.mer_id, r.order.order_id);
  return resultPage('paid', r.order, name, body ? parseForm(body) : null);
});

/** Cancel leaves the order unpaid (it fails at payTimeout); nothing is notified for a front consume. */
unionpayCashier.post('/cashier/cancel', async (c) => {
  const f = await form(c);
  const o = f.ref ? await orderBy(c.env, { ref: f.ref }) : null;
  const name = merchantName(c.env, o);
  if (!o || name === undefined) return notFound();
  if (o.state !== 'UNPAID') return show(c, o);
  return resultPage('canceled', o, name, null);
});
