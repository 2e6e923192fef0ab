// The widget against the real worker in `wrangler dev` (demo/e2e/global-setup.mjs) and the WeChat Pay
// sandbox: push over the session's WebSocket, the long-poll fallback, a socket that dies while the tab
// is hidden, keyboard only, both languages, a phone, accessibility, and the paid latency (p50/p99).

import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShopPage, WalletPage } from './pages';
import { baseUrl, createSession, DESKTOP, expectAccessible, launch, pageErrors, PHONE, recordEvents, sandbox, shot, UA, Widget } from './widget-harness';

let browser: Browser;

beforeAll(async () => {
  browser = await launch();
});

afterAll(async () => {
  await browser?.close();
});

async function context(opts = DESKTOP, locale = 'zh-CN'): Promise<BrowserContext> {
  return browser.newContext({ ...opts, locale });
}

/** Every client secret a test handed to a page: none may appear in a URL the page asks for. */
const secrets: string[] = [];

/** Opens the demo's checkout page for a new session; returns the widget with the channel list showing. */
async function openCheckout(page: Page, lang?: 'en'): Promise<{ w: Widget; sessionId: string }> {
  const s = await createSession();
  secrets.push(s.client_secret);
  await page.goto(`${baseUrl}/demo/checkout/${s.id}${lang ? `?lang=${lang}` : ''}`);
  const w = new Widget(page);
  await w.button(/微信支付|WeChat Pay/).waitFor();
  return { w, sessionId: s.id };
}

/** The attempt the widget started (from its `shouyin-attempt` event). */
async function attemptId(w: Widget): Promise<string> {
  for (let i = 0; i < 50; i++) {
    const e = (await w.events()).findLast((x) => x.type === 'shouyin-attempt');
    if (e) return e.detail.attempt_id as string;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('no shouyin-attempt event');
}

/**
 * Pays the attempt in the sandbox with the notify held back, then sends the notify and times it:
 * from just before the sandbox posts the notify (the worker accepts it within that request) to the
 * widget having rendered "paid" (its `shouyin-paid` event, then the render and a frame).
 */
async function payAndTime(page: Page, w: Widget, attempt: string): Promise<number> {
  await page.evaluate(() => {
    const w = window as unknown as { __paidRendered?: number };
    delete w.__paidRendered;
    const el = document.querySelector('shouyin-checkout') as HTMLElement & { updateComplete: Promise<boolean> };
    el.addEventListener('shouyin-paid', () => void el.updateComplete.then(() => requestAnimationFrame(() => (w.__paidRendered = Date.now()))), { once: true });
  });
  expect((await sandbox(`/orders/${attempt}/pay`, { notify: 'drop' })).status).toBe(200);
  const sent = Date.now();
  expect((await sandbox(`/orders/${attempt}/notify`, {})).status).toBe(200);
  await w.status.filter({ hasText: /支付成功|Payment successful/ }).waitFor({ timeout: 20_000 });
  const rendered = await page.waitForFunction(() => (window as unknown as { __paidRendered?: number }).__paidRendered);
  return ((await rendered.jsonValue()) as number) - sent;
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)]!;

describe('status: push over the WebSocket, long-poll fallback', () => {
  const env = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env ?? {};
  const RUNS = Number(env.WIDGET_LATENCY_RUNS ?? 20);
  const results: Record<string, number[]> = {};

  for (const mode of ['push', 'long-poll'] as const) {
    it(`delivers paid over ${mode === 'push' ? 'the WebSocket' : 'the long-poll when the socket is refused'} (${RUNS} runs, timed)`, async () => {
      const ctx = await context();
      const page = await ctx.newPage();
      const errors = pageErrors(page);
      await recordEvents(page);
      const sockets: string[] = [];
      const polls: string[] = [];
      const urls: string[] = [];
      page.on('websocket', (ws) => sockets.push(ws.url()));
      page.on('request', (r) => {
        urls.push(r.url());
        if (r.url().includes('/status?wait=')) polls.push(r.url());
      });
      // A proxy or firewall that refuses WebSockets: the upgrade fails before the socket opens.
      if (mode === 'long-poll') await page.routeWebSocket(/\/stream/, (ws) => ws.close({ code: 1006 }));
      const times: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        const { w } = await openCheckout(page);
        await w.button('微信支付').click();
        await w.qr.waitFor();
        times.push(await payAndTime(page, w, await attemptId(w)));
      }
      results[mode] = times;
      if (mode === 'push') {
        expect(sockets.length).toBeGreaterThanOrEqual(RUNS);
        // The secret rides in Sec-WebSocket-Protocol; the socket only opens (no long-poll) when the
        // server selected shouyin.v1, which Chromium insists on.
        expect(sockets[0]).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/v1\/client\/sessions\/cs_\w+\/stream$/);
        expect(polls).toEqual([]);
      } else expect(polls.length).toBeGreaterThanOrEqual(RUNS);
      // No URL the page asked for (documents, scripts, API calls, sockets) carries a client secret.
      expect(urls.length).toBeGreaterThan(RUNS);
      for (const url of [...urls, ...sockets]) for (const secret of secrets) expect(url).not.toContain(secret);
      expect(urls.join('\n')).not.toMatch(/_secret_|client_secret=/);
      expect(errors).toEqual([]);
      await ctx.close();
    });
  }

  afterAll(() => {
    const line = (m: string) =>
      results[m]
        ? `  ${m.padEnd(9)} p50 ${pct(results[m], 50)} ms  p99 ${pct(results[m], 99)} ms  max ${Math.max(...results[m])} ms  (n=${results[m].length})`
        : '';
    console.log(['notify sent by the sandbox → widget rendered paid:', line('push'), line('long-poll')].join('\n'));
    // "Within a fraction of a second" of the worker accepting the notify.
    if (results.push) expect(pct(results.push, 50)).toBeLessThan(500);
  });

  it('re-checks when the tab is shown again, replacing a socket that died while it was hidden', async () => {
    const ctx = await context();
    const page = await ctx.newPage();
    await recordEvents(page);
    // A socket that looks open but delivers nothing from the server (a phone froze the page, a NAT
    // dropped the connection): the first one is a zombie, later ones are real.
    let n = 0;
    await page.routeWebSocket(/\/stream/, (ws) => {
      const server = ws.connectToServer();
      if (n++ === 0) server.onMessage(() => {});
    });
    const { w } = await openCheckout(page);
    await w.button('微信支付').click();
    await w.qr.waitFor();
    const attempt = await attemptId(w);
    await sandbox(`/orders/${attempt}/pay`, { notify: 'drop' });
    await sandbox(`/orders/${attempt}/notify`, {});
    // Nothing arrives through the zombie socket…
    await page.waitForTimeout(1500);
    await expect(w.status.textContent()).resolves.toMatch(/等待付款/);
    // …until the shopper comes back to the tab: the widget asks over the socket, hears nothing
    // within 5 s, and opens a new one, which gets the current status on connect.
    const shown = Date.now();
    await page.evaluate(() => {
      Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true });
      document.dispatchEvent(new Event('visibilitychange'));
      Object.defineProperty(document, 'visibilityState', { value: 'visible', configurable: true });
      document.dispatchEvent(new Event('visibilitychange'));
    });
    await w.status.filter({ hasText: '支付成功' }).waitFor({ timeout: 15_000 });
    expect(Date.now() - shown).toBeLessThan(10_000);
    expect(Date.now() - shown).toBeGreaterThanOrEqual(4_000);
    expect(n).toBe(2);
    await ctx.close();
  });
});

describe('shopper journeys', () => {
  it('keyboard only: shop → Pay → WeChat Pay → sandbox wallet → paid, with a visible focus ring', async () => {
    const ctx = await context();
    const page = await ctx.newPage();
    const errors = pageErrors(page);
    const shop = new ShopPage(page, baseUrl);
    await shop.open();
    // Tab to the first Pay button and press Enter.
    for (let i = 0; i < 10; i++) {
      await page.keyboard.press('Tab');
      if (await page.evaluate(() => document.activeElement?.textContent?.includes('立即支付'))) break;
    }
    await Promise.all([page.waitForURL(/\/demo\/checkout\/cs_/), page.keyboard.press('Enter')]);
    const w = new Widget(page);
    await w.button('微信支付').waitFor();
    const focused = () =>
      page.evaluate(() => {
        let a = document.activeElement;
        while (a?.shadowRoot?.activeElement) a = a.shadowRoot.activeElement;
        return a ? { text: a.textContent?.trim() ?? '', outline: getComputedStyle(a).outlineStyle, tag: a.tagName } : null;
      });
    for (let i = 0; i < 30; i++) {
      await page.keyboard.press('Tab');
      if ((await focused())?.text.includes('微信支付')) break;
    }
    expect(await focused()).toMatchObject({ tag: 'BUTTON', outline: 'solid' });
    await shot(page, 'widget-keyboard-focus.png');
    await page.keyboard.press('Enter');
    await w.qr.waitFor();
    // Focus moved into the new view; Tab reaches the sandbox wallet link next.
    for (let i = 0; i < 10; i++) {
      await page.keyboard.press('Tab');
      if ((await focused())?.text.includes('打开沙箱钱包')) break;
    }
    expect((await focused())?.tag).toBe('A');
    const [popup] = await Promise.all([ctx.waitForEvent('page'), page.keyboard.press('Enter')]);
    const wallet = new WalletPage(popup);
    await wallet.payButton.waitFor();
    for (let i = 0; i < 20; i++) {
      await popup.keyboard.press('Tab');
      if (await popup.evaluate(() => document.activeElement?.textContent?.includes('确认支付'))) break;
    }
    await popup.keyboard.press('Enter');
    await w.status.filter({ hasText: '支付成功' }).waitFor({ timeout: 15_000 });
    // The paid view takes focus (the link that had it is gone), so a screen reader continues there.
    await expect.poll(async () => (await focused())?.tag).toBe('DIV');
    expect(errors).toEqual([]);
    await ctx.close();
  });

  for (const lang of ['zh-CN', 'en'] as const) {
    it(`speaks ${lang}: channel list, QR view and paid view, accessible (axe-core, WCAG 2.2 AA)`, async () => {
      const ctx = await context(DESKTOP, lang);
      const page = await ctx.newPage();
      await recordEvents(page);
      const { w } = await openCheckout(page, lang === 'en' ? 'en' : undefined);
      const t =
        lang === 'en'
          ? { method: 'WeChat Pay', choose: 'Choose a payment method', scan: 'Scan with WeChat', waiting: 'Waiting for payment…', paid: 'Payment successful' }
          : { method: '微信支付', choose: '选择支付方式', scan: '请使用微信扫一扫', waiting: '等待付款…', paid: '支付成功' };
      await w.el.getByText(t.choose).waitFor();
      await expectAccessible(page, `${lang} channel list`);
      await shot(page, `widget-desktop-pick-${lang}.png`);
      await w.button(t.method).click();
      await w.qr.waitFor();
      await w.el.getByText(t.scan).waitFor();
      await expect(w.status.textContent()).resolves.toContain(t.waiting);
      await expect(
        w.el
          .getByText(/¥12\.34/)
          .first()
          .isVisible(),
      ).resolves.toBe(true);
      await expectAccessible(page, `${lang} QR view`);
      await shot(page, `widget-desktop-qr-${lang}.png`);
      await w.link(/打开沙箱钱包|Open sandbox wallet/).waitFor();
      await sandbox(`/orders/${await attemptId(w)}/pay`, {});
      await w.status.filter({ hasText: t.paid }).waitFor({ timeout: 15_000 });
      await expectAccessible(page, `${lang} paid view`);
      await shot(page, `widget-desktop-paid-${lang}.png`);
      await ctx.close();
    });
  }

  it('on a phone (device emulation): the flow the server puts first for a phone, and the QR fallback tools', async () => {
    const ctx = await context(PHONE);
    await ctx.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: baseUrl });
    const page = await ctx.newPage();
    const errors = pageErrors(page);
    await recordEvents(page);
    const { w, sessionId } = await openCheckout(page);
    await shot(page, 'widget-phone-pick-zh-CN.png');
    const secret = (await w.el.getAttribute('client-secret'))!;
    const res = await fetch(`${baseUrl}/v1/client/sessions/${sessionId}`, { headers: { Authorization: `Bearer ${secret}`, 'User-Agent': UA.iphone } });
    const first = ((await res.json()) as { channels: { channel: string; flows: string[] }[] }).channels.find((c) => c.channel === 'wechat_pay')!.flows[0];
    if (first === 'h5') {
      // WeChat Pay H5: the top window goes to the wallet's cashier; coming back, only the server decides.
      const checkoutUrl = page.url();
      await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/demo/checkout/')), w.button('微信支付').click()]);
      await shot(page, 'widget-phone-h5-cashier.png');
      await page.goto(checkoutUrl);
      await w.status.filter({ hasText: '已付款？结果会自动显示在此页' }).waitFor();
      const back = await fetch(`${baseUrl}/v1/client/sessions/${sessionId}`, { headers: { Authorization: `Bearer ${secret}` } });
      const attempt = ((await back.json()) as { active_attempt: { id: string; flow: string } }).active_attempt;
      expect(attempt.flow).toBe('h5');
      await sandbox(`/orders/${attempt.id}/pay`, {});
      await w.status.filter({ hasText: '支付成功' }).waitFor({ timeout: 15_000 });
    } else {
      // Native QR only: shown on the phone with the tools a phone needs.
      expect(first).toBe('qr');
      await w.button('微信支付').click();
      await w.qr.waitFor();
      await w.el.getByText(/截屏保存/).waitFor();
      await w.button('复制付款链接').click();
      await w.status.filter({ hasText: '已复制' }).waitFor();
      expect(await page.evaluate(() => navigator.clipboard.readText())).toMatch(/^weixin:\/\/wxpay\/bizpayurl\?pr=/);
      await expectAccessible(page, 'phone QR view');
      await shot(page, 'widget-phone-qr-zh-CN.png');
    }
    expect(errors).toEqual([]);
    await ctx.close();
  });
});

describe('the server offers flows by environment (README decision table)', () => {
  it('answers each User-Agent with the channels and flows usable there', async () => {
    const s = await createSession();
    const view = async (ua: string) => {
      const res = await fetch(`${baseUrl}/v1/client/sessions/${s.id}`, { headers: { Authorization: `Bearer ${s.client_secret}`, 'User-Agent': ua } });
      expect(res.status).toBe(200);
      return ((await res.json()) as { channels: { channel: string; flows: string[]; notice?: string }[] }).channels;
    };
    const desktop = await view('Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36');
    const phone = await view(UA.iphone);
    const wechat = await view(UA.wechat);
    const alipay = await view(UA.alipay);
    const flows = (list: typeof desktop, c: string) => list.find((x) => x.channel === c);
    // The demo merchant has WeChat Pay; its Native QR works everywhere except inside Alipay.
    expect(flows(desktop, 'wechat_pay')?.flows[0]).toBe('qr');
    expect(flows(phone, 'wechat_pay')?.flows).toContain('qr');
    expect(flows(wechat, 'wechat_pay')?.flows.at(-1)).toBe('qr');
    expect(flows(alipay, 'wechat_pay')).toMatchObject({ flows: [], notice: 'open_in_browser' });
  });
});
