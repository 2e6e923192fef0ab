// The shopper's side of the Alipay simulator: what scanning a precreate qr_code opens, and the PC
// (page.pay) / mobile (wap.pay) cashier the gateway renders. A person (or a browser test) pays or
// cancels here. Paying notifies the merchant (https://opendocs.alipay.com/open/270/105902) and, for page and wap
// trades, sends the browser to return_url with signed sync parameters — a hint for the merchant, never proof
// (https://opendocs.alipay.com/open/59da99d0_alipay.trade.page.pay?pathHash=8e24911d). Cancelling changes nothing at
// Alipay: the trade stays open until closed or expired.

import { Hono, type Context } from 'hono';
import { loadConfig } from '../config';
import { fenToYuan } from '../../../worker/src/providers/alipay/amount';
import { encodeForm, signNotify } from '../../../worker/src/providers/alipay/sign';
import { beijingDateTime } from '../../../worker/src/providers/alipay/time';
import type { SandboxEnv } from '../types';
import type { TradeRef } from './ledger';
import type { TradeRow, TradeState } from './model';
import { alipayLedgerSettings, alipayTradeBy, testMerchantByAppId } from './settings';

export const alipayCashier = new Hono<SandboxEnv>();

const esc = (s: string): string => s.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch] as string);

const STATE: Record<TradeState, string> = {
  NOT_EXIST: '待支付 Unpaid',
  WAIT_BUYER_PAY: '待支付 Unpaid',
  TRADE_SUCCESS: '已支付 Paid',
  TRADE_FINISHED: '已支付 Paid',
  TRADE_CLOSED: '已关闭 Closed',
};

const KIND: Record<TradeRow['method'], string> = {
  'alipay.trade.precreate': '扫码支付 QR',
  'alipay.trade.page.pay': '电脑网站支付 PC website',
  'alipay.trade.wap.pay': '手机网站支付 Mobile website',
  'alipay.trade.app.pay': 'App 支付 App',
  'alipay.trade.pay': '付款码支付 Payment code',
};

const CSS = `
*{box-sizing:border-box}body{margin:0;min-height:100vh;background:#f5f5f5;font:16px/1.5 -apple-system,BlinkMacSystemFont,"PingFang SC","Noto Sans CJK SC","Microsoft YaHei",sans-serif;color:#1f2329;display:flex;justify-content:center;align-items:flex-start}
main{width:100%;max-width:440px;margin:0 auto;padding:24px 16px 32px}
.card{background:#fff;border-radius:12px;padding:28px 20px 24px;box-shadow:0 1px 3px rgba(0,0,0,.06);text-align:center}
.brand{display:flex;align-items:center;justify-content:center;gap:8px;font-weight:600;color:#1677ff;margin:0 0 4px}
.logo{width:28px;height:28px;border-radius:6px;background:#1677ff;color:#fff;display:inline-flex;align-items:center;justify-content:center;font-size:16px}
.badge{display:inline-block;font-size:12px;color:#b26a00;background:#fff4e0;border-radius:4px;padding:1px 6px;margin-bottom:16px}
.merchant{margin:8px 0 0;color:#555}
.amount{margin:4px 0 20px;font-size:40px;font-weight:600;letter-spacing:.5px}.amount small{font-size:24px;margin-right:2px}
dl{margin:0 0 20px;text-align:left;border-top:1px solid #f0f0f0}
dl div{display:flex;justify-content:space-between;gap:16px;padding:10px 0;border-bottom:1px solid #f0f0f0;font-size:14px}
dt{color:#888;flex:none}dd{margin:0;text-align:right;word-break:break-all}
form{margin:0}button,.link{display:block;width:100%;border:0;border-radius:8px;padding:13px 16px;font:inherit;font-weight:600;cursor:pointer;text-decoration:none}
.pay{background:#1677ff;color:#fff;margin-bottom:12px}.pay:hover{background:#0958d9}
.cancel,.link{background:#f2f2f2;color:#1f2329}.cancel:hover{background:#e6e6e6}
button:focus-visible,.link:focus-visible{outline:3px solid #fa8c16;outline-offset:2px}
.icon{width:64px;height:64px;border-radius:50%;margin:8px auto 12px;display:flex;align-items:center;justify-content:center;font-size:34px;color:#fff}
.ok{background:#1677ff}.warn{background:#fa9d3b}.bad{background:#b2b2b2}
h1{font-size:22px;margin:0 0 4px}.sub{color:#888;margin:0 0 20px;font-size:14px}
.note{margin:16px 0 0;font-size:12px;color:#999;text-align:center}
`;

export function page(title: string, inner: string, status = 200, attrs = ''): Response {
  const html =
    `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">` +
    `<title>${esc(title)}</title><style>${CSS}</style></head><body><main${attrs}><div class="card">` +
    `<p class="brand"><span class="logo" aria-hidden="true">支</span>支付宝 Alipay</p><span class="badge">沙箱 · Sandbox</span>${inner}</div>` +
    `<p class="note">Shouyin 沙箱收银台，不会产生真实扣款。<br>Shouyin sandbox cashier — no real money moves.</p></main></body></html>`;
  return new Response(html, {
    status,
    headers: {
      'Content-Type': 'text/html; charset=utf-8',
      'Cache-Control': 'no-store',
      'Referrer-Policy': 'no-referrer',
      // form-action covers the redirects that follow a form post too: Pay and Cancel post here, then
      // 303 to return_url / quit_url, which may be on another origin.
      'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self' https: http:; base-uri 'none'",
    },
  });
}

/** An error page in the cashier's look, as Alipay shows for a refused page/wap request. */
export function errorPage(code: string, message: string): Response {
  return page(
    '支付宝 · 错误',
    `<div class="icon bad" aria-hidden="true">!</div><h1>调试错误，请回到请求来源地，重新发起请求。</h1>` +
      `<p class="sub">错误代码 <code>${esc(code)}</code> 错误原因: ${esc(message)}</p>`,
    200,
    ` data-error="${esc(code)}"`,
  );
}

function details(t: TradeRow, merchantName: string): string {
  const rows: [string, string][] = [
    ['商品 Item', t.subject],
    ['商户 Merchant', merchantName],
    ['订单号 Order', t.out_trade_no],
    ['方式 Flow', KIND[t.method]],
    ['状态 Status', STATE[t.state]],
  ];
  if (t.time_expire !== null && (t.state === 'NOT_EXIST' || t.state === 'WAIT_BUYER_PAY')) rows.push(['有效期至 Expires', beijingDateTime(t.time_expire)]);
  if (t.trade_no) rows.push(['交易号 Trade no.', t.trade_no]);
  return `<dl>${rows.map(([k, v]) => `<div><dt>${esc(k)}</dt><dd>${esc(v)}</dd></div>`).join('')}</dl>`;
}

const amount = (t: TradeRow, name: string) =>
  `<p class="merchant">${esc(name)}</p><p class="amount" aria-label="金额 ¥${fenToYuan(t.total)}"><small>¥</small>${fenToYuan(t.total)}</p>`;

/** The cashier for an open trade: amount, details, 确认付款 Pay and 取消 Cancel. */
export function cashierPage(t: TradeRow, merchantName: string, cashierPath: string): Response {
  const hidden = `<input type="hidden" name="token" value="${esc(t.cashier_token)}">`;
  return page(
    `${merchantName} · 支付宝收银台`,
    `${amount(t, merchantName)}${details(t, merchantName)}` +
      `<form method="post" action="${esc(`${cashierPath}/pay`)}">${hidden}<button type="submit" class="pay">确认付款 Pay</button></form>` +
      `<form method="post" action="${esc(`${cashierPath}/cancel`)}">${hidden}<button type="submit" class="cancel">取消 Cancel</button></form>`,
    200,
    ` data-state="${t.state}"`,
  );
}

type ResultKind = 'paid' | 'already_paid' | 'canceled' | 'closed' | 'expired';

function resultPage(kind: ResultKind, t: TradeRow, name: string, back?: string): Response {
  const texts: Record<ResultKind, [string, string, string, string]> = {
    paid: ['✓', 'ok', '支付成功', 'Payment successful'],
    already_paid: ['✓', 'ok', '订单已支付', 'This order is already paid'],
    canceled: ['×', 'warn', '已取消付款', 'Payment canceled — the order stays unpaid'],
    closed: ['×', 'bad', '交易已关闭', 'This order is closed'],
    expired: ['×', 'bad', '二维码已过期', 'This payment code has expired'],
  };
  const [icon, cls, title, sub] = texts[kind];
  const link = back ? `<a class="link" href="${esc(back)}">返回商家 Back to the merchant</a>` : '';
  return page(
    `${title} · ${name}`,
    `<div class="icon ${cls}" aria-hidden="true">${icon}</div><h1>${esc(title)}</h1><p class="sub">${esc(sub)}</p>` +
      `<p class="amount"><small>¥</small>${fenToYuan(t.total)}</p>${details(t, name)}${link}`,
    200,
    ` data-result="${kind}" data-state="${t.state}"`,
  );
}

export const notFoundPage = () =>
  page(
    '订单不存在',
    `<div class="icon bad" aria-hidden="true">×</div><h1>订单不存在</h1><p class="sub">Unknown or invalid payment code</p>`,
    404,
    ' data-result="not_found"',
  );

/** The page for a trade the shopper reached: its cashier while it can be paid, else what became of it. */
export function pageFor(t: TradeRow, name: string, cashierPath: string, expired: boolean): Response {
  if (t.state === 'TRADE_SUCCESS' || t.state === 'TRADE_FINISHED') return resultPage('already_paid', t, name);
  if (t.state === 'TRADE_CLOSED') return resultPage('closed', t, name);
  if (expired) return resultPage('expired', t, name);
  return cashierPage(t, name, cashierPath);
}

/**
 * The signed parameters Alipay appends to return_url
 * (https://opendocs.alipay.com/open/59da99d0_alipay.trade.page.pay?pathHash=8e24911d): signed like a notify (sign_type
 * not in the string). The `method` value `alipay.trade.page.pay.return` is UNVERIFIED
 * (https://opendocs.alipay.com/open/59da99d0_alipay.trade.page.pay?pathHash=8e24911d).
 */
export async function returnUrlFor(t: TradeRow, signerKey: string, now: number): Promise<string> {
  const params = await signNotify(
    {
      charset: 'utf-8',
      out_trade_no: t.out_trade_no,
      method: `${t.method}.return`,
      total_amount: fenToYuan(t.total),
      trade_no: t.trade_no ?? '',
      auth_app_id: t.app_id,
      version: '1.0',
      app_id: t.app_id,
      seller_id: t.seller_id,
      timestamp: beijingDateTime(now),
    },
    signerKey,
  );
  const base = t.return_url as string;
  return `${base}${base.includes('?') ? '&' : '?'}${encodeForm(params)}`;
}

/** `/…/alipay/cashier`, wherever the sandbox is mounted. */
export const cashierPathOf = (url: string): string => new URL(url).pathname.replace(/\/(pay|cancel)$/, '').replace(/\/gateway\.do$/, '/cashier');

function merchantName(env: SandboxEnv['Bindings'], t: TradeRow | undefined): string | undefined {
  return t ? testMerchantByAppId(loadConfig(env), t.app_id)?.merchant.name : undefined;
}

/** Scanning the precreate QR: the trade comes into existence and its cashier shows. */
alipayCashier.get('/', async (c) => {
  const qr = c.req.query('qr_code') ?? '';
  const found = qr ? await alipayTradeBy(c.env, { qr_code: qr }) : null;
  const v = found ? await found.ledger.openCashier({ qr_code: qr }) : null;
  const name = merchantName(c.env, v?.trade);
  if (!v || name === undefined) return notFoundPage();
  return pageFor(v.trade, name, cashierPathOf(c.req.url), v.expired);
});

async function tokenOf(c: Context<SandboxEnv>): Promise<TradeRef | null> {
  try {
    const v = (await c.req.parseBody()).token;
    return typeof v === 'string' && v !== '' ? { token: v } : null;
  } catch {
    return null;
  }
}

alipayCashier.post('/pay', async (c) => {
  const ref = await tokenOf(c);
  const found = ref && 'token' in ref ? await alipayTradeBy(c.env, ref) : null;
  const name = merchantName(c.env, found?.trade);
  const settings = alipayLedgerSettings(loadConfig(c.env));
  if (!ref || !found || name === undefined || !settings) return notFoundPage();
  const r = await found.ledger.pay(settings, ref);
  if (!r.trade || r.result === 'not_found') return notFoundPage();
  if (r.result === 'paid' && r.trade.return_url) {
    return new Response(null, {
      status: 303,
      headers: { Location: await returnUrlFor(r.trade, settings.signer_private_key, Date.now()), 'Cache-Control': 'no-store' },
    });
  }
  return resultPage(r.result, r.trade, name);
});

alipayCashier.post('/cancel', async (c) => {
  const ref = await tokenOf(c);
  const t = ref && 'token' in ref ? (await alipayTradeBy(c.env, ref))?.trade : undefined;
  const name = merchantName(c.env, t);
  if (!t || name === undefined) return notFoundPage();
  if (t.state === 'TRADE_SUCCESS' || t.state === 'TRADE_FINISHED') return resultPage('already_paid', t, name);
  if (t.state === 'TRADE_CLOSED') return resultPage('closed', t, name);
  // wap.pay: quit_url is where a shopper who gives up goes
  // (https://opendocs.alipay.com/open/29ae8cb6_alipay.trade.wap.pay?pathHash=0a6313c7). page.pay has none; the shopper
  // may go back to the merchant by hand. Either way the trade stays open.
  if (t.quit_url) return new Response(null, { status: 303, headers: { Location: t.quit_url, 'Cache-Control': 'no-store' } });
  return resultPage('canceled', t, name, t.return_url ?? undefined);
});
