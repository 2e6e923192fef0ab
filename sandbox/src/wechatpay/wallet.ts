// The shopper's side of the simulator: what scanning a Native `code_url` opens. A person (or a
// browser test) pays or cancels here. Cancelling leaves the order NOTPAY, as in real WeChat:
// only the merchant's close or the order's time_expire closes it, and nothing is notified.

import { Hono } from 'hono';
import { loadConfig } from '../config';
import { ledgerSettings } from '../settings';
import { beijingRfc3339 } from '../time';
import { wechatOrderBy, type SandboxEnv } from '../types';
import { testWechatMerchant } from './merchants';
import type { OrderRow, TradeState } from './model';
import { scanProductQr } from './native-mode1';
import { esc, page } from './page';

export const wechatWallet = new Hono<SandboxEnv>();

/** Integer fen → `12.34` without floating point. */
export const yuan = (fen: number): string => `${Math.floor(fen / 100)}.${String(fen % 100).padStart(2, '0')}`;

const STATE: Record<TradeState, string> = {
  NOTPAY: '待支付 Unpaid',
  SUCCESS: '已支付 Paid',
  CLOSED: '已关闭 Closed',
  REFUND: '已退款 Refunded',
  USERPAYING: '输入密码中 Awaiting password',
  PAYERROR: '支付失败 Failed',
  REVOKED: '已撤销 Reversed',
};

export function details(o: OrderRow, merchantName: string): string {
  const rows: [string, string][] = [
    ['商品 Item', o.description],
    ['商户 Merchant', merchantName],
    ['订单号 Order', o.out_trade_no],
    ['状态 Status', STATE[o.state]],
  ];
  if (o.time_expire !== null && o.state === 'NOTPAY') rows.push(['有效期至 Expires', beijingRfc3339(o.time_expire).replace('T', ' ').slice(0, 19)]);
  if (o.transaction_id) rows.push(['交易单号 Transaction', o.transaction_id]);
  return `<dl>${rows.map(([k, v]) => `<div><dt>${esc(k)}</dt><dd>${esc(v)}</dd></div>`).join('')}</dl>`;
}

export const amount = (o: OrderRow, name: string) =>
  `<p class="merchant">${esc(name)}</p><p class="amount" aria-label="金额 ¥${yuan(o.total)}"><small>¥</small>${yuan(o.total)}</p>`;

function result(kind: 'paid' | 'already_paid' | 'canceled' | 'closed', o: OrderRow, name: string, walletPath: string): Response {
  const texts: Record<typeof kind, [string, string, string, string]> = {
    paid: ['✓', 'ok', '支付成功', 'Payment successful'],
    already_paid: ['✓', 'ok', '订单已支付', 'This order is already paid'],
    canceled: ['!', 'warn', '已取消', 'Payment canceled — the order is still unpaid'],
    closed: ['×', 'bad', '订单已关闭', 'This order is closed and can no longer be paid'],
  };
  const [icon, cls, title, sub] = texts[kind];
  const back =
    o.state === 'NOTPAY' && o.code_url
      ? `<a class="link" href="${esc(`${walletPath}?code_url=${encodeURIComponent(o.code_url)}`)}">返回订单 Back to order</a>`
      : '';
  return page(
    title,
    `<div class="icon ${cls}" aria-hidden="true">${icon}</div><h1>${esc(title)}</h1><p class="sub">${esc(sub)}</p>` +
      `<p class="amount"><small>¥</small>${yuan(o.total)}</p>${details(o, name)}${back}`,
    200,
    ` data-result="${kind}" data-state="${o.state}"`,
  );
}

const notFound = () =>
  page(
    '订单不存在',
    `<div class="icon bad" aria-hidden="true">×</div><h1>订单不存在</h1><p class="sub">Unknown or invalid payment code</p>`,
    404,
    ' data-result="not_found"',
  );

/** The test merchant owning the order (for its display name); undefined for anything else. */
export function merchantName(env: SandboxEnv['Bindings'], o: OrderRow | null): string | undefined {
  if (!o) return undefined;
  return testWechatMerchant(loadConfig(env), o.mchid)?.merchant.name;
}

/** `/…/wechatpay/wallet`, wherever the sandbox is mounted. */
const walletPathOf = (url: string) => new URL(url).pathname.replace(/\/(pay|cancel)$/, '');

wechatWallet.get('/', async (c) => {
  const codeUrl = c.req.query('code_url') ?? '';
  // A Native mode-1 product link (`weixin://wxpay/bizpayurl?sign=…&product_id=…`): the scan asks the
  // merchant's callback for an order first (https://pay.weixin.qq.com/wiki/doc/api/native.php?chapter=6_4).
  if (codeUrl.startsWith('weixin://wxpay/bizpayurl?') && new URLSearchParams(codeUrl.slice(codeUrl.indexOf('?') + 1)).has('product_id')) {
    return scanProductQr(c, codeUrl);
  }
  const o = codeUrl ? ((await wechatOrderBy(c.env, { code_url: codeUrl }))?.order ?? null) : null;
  const name = merchantName(c.env, o);
  if (!o || name === undefined) return notFound();
  if (o.state !== 'NOTPAY') return result(o.state === 'CLOSED' ? 'closed' : 'already_paid', o, name, walletPathOf(c.req.url));
  const base = walletPathOf(c.req.url);
  const hidden = `<input type="hidden" name="code_url" value="${esc(codeUrl)}">`;
  return page(
    `${name} · 微信支付`,
    `${amount(o, name)}${details(o, name)}` +
      `<form method="post" action="${esc(`${base}/pay`)}">${hidden}<button type="submit" class="pay">确认支付 Pay</button></form>` +
      `<form method="post" action="${esc(`${base}/cancel`)}">${hidden}<button type="submit" class="cancel">取消 Cancel</button></form>`,
    200,
    ` data-state="${o.state}"`,
  );
});

async function formCodeUrl(c: { req: { parseBody(): Promise<Record<string, unknown>> } }): Promise<string> {
  try {
    const v = (await c.req.parseBody()).code_url;
    return typeof v === 'string' ? v : '';
  } catch {
    return '';
  }
}

wechatWallet.post('/pay', async (c) => {
  const codeUrl = await formCodeUrl(c);
  const found = codeUrl ? await wechatOrderBy(c.env, { code_url: codeUrl }) : null;
  const o = found?.order ?? null;
  const name = merchantName(c.env, o);
  const settings = ledgerSettings(loadConfig(c.env));
  if (!found || !o || name === undefined || !settings) return notFound();
  const r = await found.ledger.pay(settings, { code_url: codeUrl });
  if (!r.order || r.result === 'not_found') return notFound();
  return result(r.result, r.order, name, walletPathOf(c.req.url));
});

wechatWallet.post('/cancel', async (c) => {
  const codeUrl = await formCodeUrl(c);
  const o = codeUrl ? ((await wechatOrderBy(c.env, { code_url: codeUrl }))?.order ?? null) : null;
  const name = merchantName(c.env, o);
  if (!o || name === undefined) return notFound();
  if (o.state === 'CLOSED') return result('closed', o, name, walletPathOf(c.req.url));
  if (o.state !== 'NOTPAY') return result('already_paid', o, name, walletPathOf(c.req.url));
  return result('canceled', o, name, walletPathOf(c.req.url));
});
