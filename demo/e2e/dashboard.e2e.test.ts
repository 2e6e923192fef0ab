// The merchant dashboard in real Chromium against the demo in `wrangler dev` (global-setup.mjs): a
// one-time sign-in link made with the admin key (as `npm start` and an operator make one), search,
// a payment's timeline, a refund double-clicked (one refund), a webhook resend, a reconciliation report
// and its normalised statement, the other pages, a phone, English, the keyboard, sign-out. Every page
// is checked with axe-core (WCAG 2.2 AA) and screenshotted into test-output/e2e/dashboard-*.png.

import { readFileSync } from 'node:fs';
import type { BrowserContext, Download, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import axeSource from '../../node_modules/axe-core/axe.min.js?raw';
import { dashboardLink } from '../../scripts/lib.mjs';
import { adminKey, baseUrl, secretKey, shot, useBrowser } from './browser';
import { eventually } from './merchant-api';

const browser = useBrowser({ locale: 'zh-CN', viewport: { width: 1280, height: 900 } });
const PHONE = { locale: 'zh-CN', viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };

async function merchant<T>(
  path: string,
  init: { method?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: T }> {
  const res = await fetch(`${baseUrl}${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${secretKey}`, 'content-type': 'application/json', ...init.headers },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  return { status: res.status, body: (await res.json()) as T };
}

interface SessionJson {
  id: string;
  status: string;
  merchant_order_id: string;
  amount: number;
  payment: { provider_transaction_id: string; amount: number } | null;
  refunds: { id: string; amount: number; status: string }[];
}

/** A session paid at once with a WeChat Pay sandbox payment code (third digit 1: pays at once). */
async function paidSession(amount: number): Promise<SessionJson> {
  const order = `DASH${Date.now().toString(36).toUpperCase()}${Math.floor(Math.random() * 1e4)}`;
  const created = await merchant<SessionJson>('/v1/checkout/sessions', {
    method: 'POST',
    body: { amount, currency: 'CNY', description: '龙井茶 Longjing tea', merchant_order_id: order },
  });
  expect(created.status).toBe(201);
  const code = `131${String(Math.floor(Math.random() * 1e15)).padStart(15, '0')}`;
  const paid = await merchant<{ status: string }>(`/v1/checkout/sessions/${created.body.id}/barcode`, { method: 'POST', body: { auth_code: code } });
  expect(paid.status).toBe(200);
  return eventually(async () => {
    const s = await merchant<SessionJson>(`/v1/checkout/sessions/${created.body.id}`);
    return s.body.status === 'paid' ? s.body : undefined;
  }, 'the session paid');
}

/** axe-core on the whole page (WCAG 2.0–2.2 A and AA): no violation of any impact. */
async function expectAccessible(page: Page, what: string): Promise<void> {
  // Evaluated over the DevTools protocol: the dashboard's CSP (rightly) refuses an injected <script>.
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const axe = (
      window as unknown as {
        axe: {
          run: (ctx: unknown, opts: unknown) => Promise<{ violations: { id: string; impact: string; nodes: { target: unknown; failureSummary: string }[] }[] }>;
        };
      }
    ).axe;
    const r = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] } });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => `${JSON.stringify(n.target)}: ${n.failureSummary}`) }));
  });
  expect(violations, `${what}: ${JSON.stringify(violations, null, 2)}`).toEqual([]);
}

/** Errors the page reported (a CSP refusal, an exception), for a check that there are none. */
function watch(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of 40[14]/.test(m.text())) errors.push(m.text());
  });
  return errors;
}

async function signIn(page: Page): Promise<string> {
  const link = await dashboardLink({ baseUrl, adminKey, merchant: 'demo' });
  await page.goto(link.url);
  await page.getByRole('button', { name: /登录 · Sign in/ }).click();
  await page.waitForURL(`${baseUrl}/dashboard/`);
  await page.getByRole('heading', { level: 1, name: '概览' }).waitFor();
  return link.url;
}

const heading = (page: Page, name: string | RegExp) => page.getByRole('heading', { level: 1, name });

describe('the merchant dashboard', () => {
  let page: Page;
  let errors: string[];
  let paid: SessionJson;

  beforeAll(async () => {
    paid = await paidSession(6800);
    page = await browser.newPage();
    errors = watch(page);
  });

  afterAll(() => {
    expect(errors, 'page errors').toEqual([]);
  });

  it('signs in with a one-time link from the admin API (the link works once), home in test mode', async () => {
    const link = await dashboardLink({ baseUrl, adminKey, merchant: 'demo' });
    await page.goto(link.url);
    await page.getByText('Shouyin Demo Shop 收银示例店').waitFor();
    await shot(page, 'dashboard-00-sign-in.png');
    await page.getByRole('button', { name: /登录 · Sign in/ }).click();
    await page.waitForURL(`${baseUrl}/dashboard/`);
    await heading(page, '概览').waitFor();
    await page.getByText('测试模式', { exact: true }).waitFor();
    // The numbers arrive: the chart, the per-channel table, what needs attention.
    await page.getByRole('img', { name: /近 30 天每日收款金额/ }).waitFor();
    await page.getByRole('heading', { name: '待处理' }).waitFor();
    await page
      .getByText(/近 7 天没有未处理的异常|未处理的异常/)
      .first()
      .waitFor();
    await expectAccessible(page, 'home');
    await shot(page, 'dashboard-01-home.png');
    // The cookie is HttpOnly: the page's script cannot read it.
    expect(await page.evaluate(() => document.cookie)).toBe('');
    const cookies = await page.context().cookies();
    expect(cookies.find((c) => c.name === 'shouyin_dashboard')).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Strict' });

    // The page is served locked down: its own script and styles only, never framed, never cached.
    const shell = await fetch(`${baseUrl}/dashboard/payments`);
    expect(shell.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(shell.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(shell.headers.get('x-frame-options')).toBe('DENY');
    expect(shell.headers.get('cache-control')).toBe('no-store');
    expect(shell.headers.get('access-control-allow-origin')).toBeNull();

    const again = await page.context().newPage();
    await again.goto(link.url);
    await again.getByText('此登录链接已被使用').waitFor();
    await again.close();
  });

  it('finds a payment by session id and by provider transaction id, and opens its timeline', async () => {
    await page.getByRole('link', { name: '收款' }).click();
    await heading(page, '收款').waitFor();
    const search = page.getByLabel('商户订单号、会话 ID 或支付机构交易号');
    await search.fill(paid.id);
    await search.press('Enter');
    await page.waitForURL(/\/dashboard\/payments\?q=cs_/);
    const row = page.getByRole('row', { name: new RegExp(paid.merchant_order_id) });
    await row.waitFor();
    await expect.poll(() => row.textContent()).toContain('¥68.00');
    await page.getByText('共 1 笔 · 合计 ¥68.00').waitFor();
    await expectAccessible(page, 'payments search');
    await shot(page, 'dashboard-02-search.png');

    // The state is in the URL: the same search, bookmarked, opens as it was.
    const txn = paid.payment!.provider_transaction_id;
    await page.goto(`${baseUrl}/dashboard/payments?q=${txn}`);
    await page.getByRole('row', { name: new RegExp(paid.merchant_order_id) }).waitFor();
    await page.getByRole('link', { name: paid.id }).click();
    await page.waitForURL(`${baseUrl}/dashboard/payments/${paid.id}`);
    await heading(page, /¥68\.00/).waitFor();
    const timeline = page.locator('ol.timeline');
    await timeline.getByText('创建收款会话').waitFor();
    await timeline.getByText(/发起支付：微信支付，barcode/).waitFor();
    await timeline.getByText('签名已验证').first().waitFor();
    await timeline.getByText('支付成功', { exact: true }).waitFor();
    await expect.poll(() => timeline.getByText(/事件 checkout\.session\.paid/).count()).toBe(1);
    // The demo shop's receiver answered the paid webhook 200.
    await eventually(async () => ((await timeline.locator('.deliveries .good').count()) > 0 ? true : (await page.reload(), undefined)), 'a delivered webhook');
    // The raw evidence of a provider message opens by keyboard.
    const raw = timeline.getByText('原始报文').first();
    await raw.focus();
    await page.keyboard.press('Enter');
    await timeline.locator('details[open] pre').first().waitFor();
    await expectAccessible(page, 'timeline');
    await shot(page, 'dashboard-03-timeline.png');
  });

  it('refunds part of the payment: the confirmation restates the amount, a double click refunds once, progress until final', async () => {
    await page.getByLabel('退款金额（元）').fill('12.00');
    await page.getByLabel('退款原因（选填，最多 80 字）').fill('顾客退回一盒');
    await page.getByRole('button', { name: '核对退款…' }).click();
    const dialog = page.getByRole('dialog', { name: '确认退款' });
    await dialog.waitFor();
    await dialog.getByText('通过微信支付向顾客退款 ¥12.00').waitFor();
    await expectAccessible(page, 'refund confirmation');
    await shot(page, 'dashboard-04-refund-confirm.png');
    await dialog.getByRole('button', { name: '退款 ¥12.00' }).dblclick();
    await page.getByText(/退款 re_\w+：成功。/).waitFor({ timeout: 30_000 });
    await page.locator('ol.timeline').getByText('退款 ¥12.00').waitFor();
    await shot(page, 'dashboard-05-refunded.png');
    const s = await merchant<SessionJson>(`/v1/checkout/sessions/${paid.id}`);
    expect(s.body.refunds.map((r) => [r.amount, r.status])).toEqual([[1200, 'succeeded']]);
    // What is left to refund is what the form offers now.
    await expect.poll(() => page.getByLabel('退款金额（元）').inputValue()).toBe('56.00');
  });

  it('resends a webhook from the timeline (POST /v1/events/:id/retry)', async () => {
    const resend = page.getByRole('button', { name: /重新发送 checkout\.session\.paid/ });
    const before = await page.locator('.deliveries tr').count();
    await resend.click();
    await page.getByText('已重新发送').first().waitFor();
    await expect.poll(async () => page.locator('.deliveries tr').count(), { timeout: 15_000 }).toBeGreaterThan(before);
    await shot(page, 'dashboard-06-resent.png');
  });

  it('reads a reconciliation report, its differences, and downloads a normalised statement', async () => {
    const today = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
    await page.getByRole('link', { name: '对账' }).click();
    await heading(page, /^对账 · /).waitFor();
    await page.getByLabel('日期（北京时间）').fill(today);
    await page.getByRole('button', { name: '查看', exact: true }).click();
    await page.waitForURL(`${baseUrl}/dashboard/reconciliation?date=${today}`);
    await heading(page, `对账 · ${today}`).waitFor();
    const providers = page.getByRole('region', { name: '支付机构' });
    await providers.getByRole('rowheader', { name: 'wechat-v3' }).waitFor({ timeout: 60_000 });
    await page.getByRole('heading', { name: '差异' }).waitFor();
    // The WeChat Pay sandbox's statement gains a payment Shouyin never saw (长款); downloaded again, the
    // report shows it row by row.
    const control = await merchant('/sandbox/wechatpay/_control/bills', {
      method: 'POST',
      body: { mutations: [{ kind: 'foreign_payment', out_trade_no: 'FOREIGNDASH0001', amount: 777 }] },
    });
    expect(control.status).toBe(200);
    try {
      await page.getByRole('button', { name: '重新下载对账单' }).click();
      const diff = page.getByRole('row', { name: /FOREIGNDASH0001/ });
      await diff.waitFor({ timeout: 60_000 });
      await expect.poll(() => diff.textContent()).toMatch(/长款[\s\S]*missing_here[\s\S]*wechat-v3[\s\S]*¥7\.77/);
      await page.getByText('存在差异').waitFor();
      await expectAccessible(page, 'reconciliation');
      await shot(page, 'dashboard-07-reconciliation.png');
    } finally {
      await merchant('/sandbox/wechatpay/_control/bills', { method: 'POST', body: { mutations: [] } });
    }
    const [download] = (await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: '标准化对账单：wechat-v3（CSV）' }).click()])) as [
      Download,
      unknown,
    ];
    expect(download.suggestedFilename()).toBe(`statement-demo-wechat-v3-${today}.csv`);
    const path = await download.path();
    const text = readFileSync(path, 'utf8');
    expect(text.replace(/^\ufeff/, '').split('\r\n')[0]).toBe(
      'kind,out_trade_no,out_refund_no,provider_transaction_id,provider_refund_id,amount_fen,amount_yuan,time_beijing,line',
    );
    expect(text).toContain(paid.payment!.provider_transaction_id);
  });

  it('lists payments with filters in the URL, counts and sums the filtered set, exports it as CSV', async () => {
    await page.goto(`${baseUrl}/dashboard/payments?status=paid&channel=wechat_pay`);
    await heading(page, '收款').waitFor();
    await page.getByRole('row', { name: new RegExp(paid.merchant_order_id) }).waitFor();
    await page.getByText(/^共 \d+ 笔 · 合计 ¥/).waitFor({ timeout: 30_000 });
    expect(await page.getByLabel('状态').inputValue()).toBe('paid');
    await expectAccessible(page, 'payments list');
    await shot(page, 'dashboard-08-payments.png');
    const [download] = (await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: '导出 CSV' }).click()])) as [Download, unknown];
    const text = readFileSync(await download.path(), 'utf8');
    expect(text).toContain(`${paid.id},${paid.merchant_order_id},paid,68.00,12.00`);
  });

  it('shows webhook endpoints with their deliveries, failures first', async () => {
    await page.getByRole('link', { name: 'Webhook' }).click();
    await heading(page, 'Webhook').waitFor();
    await page.locator('section.card h2 code').first().waitFor();
    await expectAccessible(page, 'webhooks');
    await shot(page, 'dashboard-09-webhooks.png');
  });

  it('anomalies and settings: read-only, accessible; no secret key anywhere', async () => {
    await page.getByRole('link', { name: '异常' }).click();
    await heading(page, '异常').waitFor();
    await page.getByRole('heading', { name: '失败的退款' }).waitFor();
    await page
      .getByText(/近 7 天没有失败的退款|re_/)
      .first()
      .waitFor();
    await expectAccessible(page, 'anomalies');
    await shot(page, 'dashboard-10-anomalies.png');
    await page.getByRole('link', { name: '设置' }).click();
    await heading(page, '设置').waitFor();
    await page
      .getByText(`http://127.0.0.1:${new URL(baseUrl).port}`)
      .first()
      .waitFor();
    // Credential health: the demo's UnionPay root and middle certificates, with their expiry.
    await page.getByRole('row', { name: /providers\.unionpay\.root_cert/ }).waitFor();
    await expectAccessible(page, 'settings');
    await shot(page, 'dashboard-11-settings.png');
    expect(await page.content()).not.toContain(secretKey);
  });

  it('works by keyboard: skip link, navigation, search', async () => {
    await page.goto(`${baseUrl}/dashboard/`);
    await heading(page, '概览').waitFor();
    await page.keyboard.press('Tab');
    await expect.poll(() => page.evaluate(() => document.activeElement?.textContent?.trim())).toBe('跳到正文');
    // Tab to the Payments link and follow it with Enter.
    for (let i = 0; i < 12; i++) {
      await page.keyboard.press('Tab');
      if ((await page.evaluate(() => document.activeElement?.textContent?.trim())) === '收款') break;
    }
    await page.keyboard.press('Enter');
    await heading(page, '收款').waitFor();
    await expect.poll(() => page.evaluate(() => document.activeElement?.tagName)).toBe('H1');
    await page.getByLabel('商户订单号、会话 ID 或支付机构交易号').focus();
    await page.keyboard.type(paid.id);
    await page.keyboard.press('Enter');
    await page.getByRole('link', { name: paid.id }).waitFor();
  });

  it('speaks English when asked, and remembers it', async () => {
    await page.getByRole('button', { name: '切换为英文界面' }).click();
    await heading(page, 'Payments').waitFor();
    await page.getByText('Test mode', { exact: true }).waitFor();
    await page.goto(`${baseUrl}/dashboard/payments/${paid.id}`);
    await page.getByRole('heading', { name: 'Timeline' }).waitFor();
    await expectAccessible(page, 'timeline in English');
    await shot(page, 'dashboard-12-timeline-en.png');
    await page.getByRole('button', { name: 'Switch the dashboard to Chinese' }).click();
    await page.getByRole('heading', { name: '时间线' }).waitFor();
  });

  it('signs out: the session is gone, the API answers nothing', async () => {
    await page.getByRole('button', { name: '退出登录' }).click();
    await page.getByRole('heading', { level: 1, name: '未登录' }).waitFor();
    await shot(page, 'dashboard-13-signed-out.png');
    const status = await page.evaluate(async () => (await fetch('/dashboard/api/session')).status);
    expect(status).toBe(401);
    await page.goto(`${baseUrl}/dashboard/payments`);
    await page.getByText('您尚未登录').waitFor();
  });
});

describe('the merchant dashboard on a phone', () => {
  let ctx: BrowserContext;
  afterAll(async () => ctx?.close());

  it('home, search and a timeline fit a 390 px screen and pass axe', async () => {
    ctx = await browser.newContext(PHONE);
    const page = await ctx.newPage();
    const errors = watch(page);
    const s = await paidSession(1999);
    await signIn(page);
    await page.getByRole('img', { name: /近 30 天每日收款金额/ }).waitFor();
    await expectAccessible(page, 'phone home');
    await shot(page, 'dashboard-phone-01-home.png');
    await page.goto(`${baseUrl}/dashboard/payments?q=${s.id}`);
    await page.getByRole('link', { name: s.id }).waitFor();
    await expectAccessible(page, 'phone search');
    await shot(page, 'dashboard-phone-02-search.png');
    await page.getByRole('link', { name: s.id }).click();
    await page.getByRole('heading', { name: '时间线' }).waitFor();
    await expectAccessible(page, 'phone timeline');
    await shot(page, 'dashboard-phone-03-timeline.png');
    // Nothing wider than the screen but the scrollable tables.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    expect(errors).toEqual([]);
  });
});

/**
 * The pages built on routes this deployment may not have yet (API.md: lists, webhook endpoints,
 * deliveries, retry), against that contract answered inside the browser: the real app, its real
 * requests, answers in the contract's shapes. 10,000 sessions, 25 a page.
 */
describe('the dashboard against the list and webhook-endpoint contract (answered in the browser)', () => {
  const N = 10_000;
  const NOW = Math.floor(Date.now() / 1000);
  const CH = ['wechat_pay', 'alipay', 'unionpay'] as const;
  const sessions = Array.from({ length: N }, (_, i) => {
    const status = i % 10 === 3 ? 'expired' : 'paid';
    const channel = CH[i % 3]!;
    const amount = 100 + (i % 997);
    return {
      id: `cs_${String(i).padStart(24, 'A')}`,
      object: 'checkout.session',
      status,
      amount,
      amount_refunded: 0,
      currency: 'CNY',
      description: `Item ${i}`,
      merchant_order_id: `ORD${String(i).padStart(5, '0')}`,
      channels: [...CH],
      expires_at: NOW - i * 60 + 900,
      created: NOW - i * 60,
      livemode: false,
      metadata: {},
      payment:
        status === 'paid'
          ? { attempt: `A${i}`, channel, provider: 'sandbox', provider_transaction_id: `T${i}`, amount, currency: 'CNY', paid_at: NOW - i * 60 }
          : null,
      refunds: [],
    };
  });
  const endpoints = [
    {
      id: 'we_ok0000000000000000000000',
      object: 'webhook_endpoint',
      url: 'https://shop.example/hooks/ok',
      enabled_events: ['*'],
      status: 'enabled',
      description: null,
      created: NOW - 86400,
    },
    {
      id: 'we_bad000000000000000000000',
      object: 'webhook_endpoint',
      url: 'https://shop.example/hooks/broken',
      enabled_events: ['checkout.session.paid'],
      status: 'enabled',
      description: 'ERP',
      created: NOW - 86400,
    },
  ];
  const delivery = (i: number, endpoint: string, ok: boolean) => ({
    id: `wd_${String(i).padStart(24, '0')}`,
    object: 'webhook_delivery',
    event: `evt_${String(i).padStart(24, '0')}`,
    endpoint,
    attempt: 1,
    status_code: ok ? 200 : 503,
    error: null,
    duration_ms: 40 + i,
    created: NOW - i * 30,
    succeeded: ok,
    next_retry_at: ok ? null : NOW + 300,
  });
  const calls: string[] = [];

  async function fakeContract(page: Page): Promise<void> {
    await page.route(
      (u) =>
        u.pathname.startsWith('/dashboard/api/v1/') &&
        /^\/dashboard\/api\/v1\/(checkout\/sessions$|webhook_endpoints|events\/evt_[0-9A-Za-z]+\/retry$)/.test(u.pathname),
      async (route) => {
        const url = new URL(route.request().url());
        const path = url.pathname.slice('/dashboard/api/v1'.length);
        const q = url.searchParams;
        calls.push(`${route.request().method()} ${path}${url.search}`);
        const json = (body: unknown, status = 200) => route.fulfill({ status, contentType: 'application/json', body: JSON.stringify(body) });
        const page_ = <T>(all: T[], key: (x: T) => string) => {
          const limit = Number(q.get('limit') ?? 20);
          const after = q.get('starting_after');
          const start = after ? all.findIndex((x) => key(x) === after) + 1 : 0;
          const data = all.slice(start, start + limit);
          const more = start + limit < all.length;
          return { object: 'list', data, has_more: more, next_cursor: more ? key(data[data.length - 1]!) : null };
        };
        if (path === '/checkout/sessions') {
          const gte = Number(q.get('created[gte]') ?? 0);
          const lt = Number(q.get('created[lt]') ?? Number.MAX_SAFE_INTEGER);
          const rows = sessions.filter(
            (s) =>
              (!q.get('status') || s.status === q.get('status')) &&
              (!q.get('channel') || s.payment?.channel === q.get('channel')) &&
              (!q.get('merchant_order_id') || s.merchant_order_id === q.get('merchant_order_id')) &&
              s.created >= gte &&
              s.created < lt,
          );
          return json(page_(rows, (s) => `cur_${s.id}`));
        }
        if (path === '/webhook_endpoints') return json(page_(endpoints, (e) => e.id));
        const deliveries = /^\/webhook_endpoints\/(we_\w+)\/deliveries$/.exec(path);
        if (deliveries) {
          const ok = deliveries[1] === endpoints[0]!.id;
          return json(
            page_(
              [0, 1, 2, 3].map((i) => delivery(i, deliveries[1]!, ok || i === 3)),
              (d) => d.id,
            ),
          );
        }
        const rotate = /^\/webhook_endpoints\/(we_\w+)\/rotate_secret$/.exec(path);
        if (rotate) return json({ ...endpoints.find((e) => e.id === rotate[1]), secret: 'whsec_bmV3IHNlY3JldCBmb3IgdGhlIHRlc3Q=' });
        if (path.endsWith('/retry')) return json({ object: 'list', data: [delivery(99, JSON.parse(route.request().postData() ?? '{}').endpoint, true)] });
        return json({ error: { type: 'invalid_request_error', code: 'route_not_found', message: 'not in the fake' } }, 404);
      },
    );
  }

  let ctx: BrowserContext;
  let page: Page;
  beforeAll(async () => {
    ctx = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1280, height: 900 } });
    page = await ctx.newPage();
    await fakeContract(page);
    await signIn(page);
  });
  afterAll(async () => ctx?.close());

  it('10,000 payments: 25 a page from the server, the cursor in the URL, count and sum of the whole set, CSV of the filtered set', async () => {
    await page.goto(`${baseUrl}/dashboard/payments`);
    await page.getByRole('row', { name: /ORD00000/ }).waitFor();
    expect(await page.locator('table.payments tbody tr').count()).toBe(25);
    const total = sessions.reduce((n, s) => n + (s.payment?.amount ?? s.amount), 0);
    const yuan = `¥${(total / 100).toLocaleString('zh-CN', { minimumFractionDigits: 2 })}`;
    await page.getByText(`共 10,000 笔 · 合计 ${yuan}`).waitFor({ timeout: 60_000 });
    // Only pages were asked for, 100 at a time for the count: never the whole set at once.
    expect(calls.filter((c) => c.startsWith('GET /checkout/sessions')).every((c) => /limit=(25|100)/.test(c))).toBe(true);
    await expectAccessible(page, 'payments (contract)');
    await shot(page, 'dashboard-contract-01-payments.png');

    await page.getByRole('button', { name: '下一页' }).click();
    await page.waitForURL(/after=cur_cs_/);
    await page.getByRole('row', { name: /ORD00025/ }).waitFor();
    await page.getByRole('button', { name: '上一页' }).click();
    await page.getByRole('row', { name: /ORD00000/ }).waitFor();

    await page.getByLabel('状态').selectOption('expired');
    await page.getByRole('button', { name: '搜索', exact: true }).click();
    await page.waitForURL(/status=expired/);
    await page.getByRole('row', { name: /ORD00003/ }).waitFor();
    await page.getByText(/^共 1,000 笔/).waitFor({ timeout: 60_000 });
    // The filtered list, bookmarked, opens filtered.
    await page.goto(page.url());
    expect(await page.getByLabel('状态').inputValue()).toBe('expired');
    await page.getByText(/^共 1,000 笔/).waitFor({ timeout: 60_000 });
    const [download] = (await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: '导出 CSV' }).click()])) as [Download, unknown];
    const lines = readFileSync(await download.path(), 'utf8')
      .replace(/^\ufeff/, '')
      .trim()
      .split('\r\n');
    expect(lines).toHaveLength(1001);
    expect(lines[0]).toBe(
      'session,merchant_order_id,status,amount_yuan,amount_refunded_yuan,currency,channel,provider,provider_transaction_id,created_beijing,paid_at_beijing,description',
    );
    expect(lines.slice(1).every((l) => l.split(',')[2] === 'expired')).toBe(true);
    expect(lines[1]).toMatch(/^cs_\w+,ORD00003,expired,1\.03,0\.00,CNY,/);
    // A merchant order number is searched with the list's merchant_order_id filter.
    await page.goto(`${baseUrl}/dashboard/payments?q=ORD09999`);
    await page.getByRole('row', { name: /ORD09999/ }).waitFor();
    expect(calls.some((c) => c.includes('merchant_order_id=ORD09999'))).toBe(true);
  });

  it('webhooks: failing endpoint first, failures first, resend, rotate the secret (shown once); home lists the failing one', async () => {
    await page.goto(`${baseUrl}/dashboard/webhooks`);
    const first = page.locator('section.card h2').first();
    await expect.poll(() => first.textContent()).toContain('https://shop.example/hooks/broken');
    await page.getByText('503').first().waitFor();
    await expectAccessible(page, 'webhooks (contract)');
    await shot(page, 'dashboard-contract-02-webhooks.png');
    await page
      .getByRole('button', { name: `重新发送 evt_${'0'.repeat(24)}` })
      .first()
      .click();
    await page.getByText('已重新发送').waitFor();
    expect(calls).toContain(`POST /events/evt_${'0'.repeat(24)}/retry`);
    await page.getByRole('button', { name: '轮换签名密钥…' }).first().click();
    const dialog = page.getByRole('dialog', { name: '轮换签名密钥' });
    await dialog.getByRole('button', { name: '轮换', exact: true }).click();
    await dialog.getByText('whsec_bmV3IHNlY3JldCBmb3IgdGhlIHRlc3Q=').waitFor();
    await expectAccessible(page, 'rotated secret');
    await shot(page, 'dashboard-contract-03-rotated.png');
    await dialog.getByRole('button', { name: '关闭' }).click();
    await expect.poll(() => page.getByText('whsec_bmV3IHNlY3JldCBmb3IgdGhlIHRlc3Q=').count()).toBe(0);
    await page.getByRole('link', { name: '概览' }).click();
    await page.getByText('https://shop.example/hooks/broken').waitFor();
  });
});
