// The widget's flows in real Chromium with device emulation, against a scripted client API
// (widget-harness.ts: FakeApi answers in the contract's exact shapes) for what the provider
// sandboxes do not simulate yet: Alipay's web cashier and wap pay, WeChat JSAPI inside WeChat, a
// channel WeChat blocks, QR expiry, channel switching, failures. The page and the widget bundle are
// the real ones the demo worker serves. Every state is screenshotted at phone and desktop sizes and
// scanned with axe-core.

import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import vueSource from '../../node_modules/vue/dist/vue.esm-browser.prod.js?raw';
import plainHtml from '../../widget/examples/plain.html?raw';
import vueHtml from '../../widget/examples/vue.html?raw';
import { baseUrl, DESKTOP, expectAccessible, FakeApi, type FakeOptions, launch, pageErrors, PHONE, recordEvents, shot, UA, Widget } from './widget-harness';

let browser: Browser;

beforeAll(async () => {
  browser = await launch();
});

afterAll(async () => {
  await browser?.close();
});

async function open(o: FakeOptions, ctxOpts: BrowserContextOptions = DESKTOP, attrs = '', locale = 'zh-CN') {
  const ctx = await browser.newContext({ ...ctxOpts, locale });
  await ctx.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: baseUrl });
  const page = await ctx.newPage();
  const errors = pageErrors(page);
  await recordEvents(page);
  const api = new FakeApi(o);
  const url = await api.install(page, attrs);
  await page.goto(url);
  const w = new Widget(page);
  return { ctx, page, api, w, url, errors };
}

/** axe-core, then screenshots of one state at phone and desktop sizes (the context's own size last). */
async function state(page: Page, name: string): Promise<void> {
  await expectAccessible(page, name);
  const own = page.viewportSize()!;
  const other = own.width < 600 ? DESKTOP.viewport! : PHONE.viewport!;
  await page.setViewportSize(other);
  await shot(page, `widget-${name}-${other.width < 600 ? 'phone' : 'desktop'}-size.png`);
  await page.setViewportSize(own);
  await shot(page, `widget-${name}.png`);
}

describe('desktop', () => {
  it('Alipay: QR first, and the "Pay on the Alipay website" button starts the web cashier (form post to the top window)', async () => {
    const { ctx, page, api, w, errors } = await open({
      channels: [
        { channel: 'wechat_pay', flows: ['qr'] },
        { channel: 'alipay', flows: ['qr', 'page'] },
      ],
      nextAction: (_c, flow) =>
        flow === 'page'
          ? { type: 'form_post', url: `${baseUrl}/__widget/cashier`, fields: { biz_content: '{"out_trade_no":"fakeA2"}', sign: 'abc' } }
          : { type: 'display_qr', data: 'https://qr.alipay.com/bax01fake', expires_at: new Date(Date.now() + 600_000).toISOString() },
    });
    await w.button('支付宝').click();
    await w.qr.waitFor();
    await w.el.getByText('请使用支付宝扫一扫').waitFor();
    await state(page, 'desktop-alipay-qr');
    // The Alipay engineer's browser test finds this button by its English name.
    const site = w.button(/Alipay website/);
    await expect(site.textContent()).resolves.toContain('在支付宝网页中支付');
    const posted = page.waitForRequest((r) => r.url().endsWith('/__widget/cashier') && r.method() === 'POST');
    await site.click();
    const req = await posted;
    expect(new URLSearchParams(req.postData() ?? '').get('biz_content')).toBe('{"out_trade_no":"fakeA2"}');
    expect(api.requests.filter((r) => r.method === 'POST').map((r) => r.body)).toEqual([
      { channel: 'alipay', flow: 'qr' },
      { channel: 'alipay', flow: 'page' },
    ]);
    expect(errors).toEqual([]);
    await ctx.close();
  });

  it('switches channel through the server and regenerates an expired QR code', async () => {
    const { ctx, page, api, w } = await open({
      channels: [
        { channel: 'wechat_pay', flows: ['qr'] },
        { channel: 'alipay', flows: ['qr'] },
      ],
      qrSeconds: 3,
    });
    await state(page, 'desktop-pick');
    await w.button('微信支付').click();
    await w.qr.waitFor();
    await w.el.getByText(/二维码 00:0\d 后失效/).waitFor();
    // Expiry while the session is open: the QR fades and a new one is one click away.
    await w.button('刷新二维码').waitFor({ timeout: 6000 });
    await w.el.getByText('二维码已失效').waitFor();
    await state(page, 'desktop-qr-expired');
    await w.button('刷新二维码').click();
    await expect.poll(() => api.attempts.length).toBe(2);
    await w.el.getByText(/二维码 00:0\d 后失效/).waitFor();
    // Another channel: a new attempt on the server, which closes the previous one.
    await w.button('更换支付方式').click();
    await w.button('支付宝').click();
    await w.el.getByText('请使用支付宝扫一扫').waitFor();
    expect(api.attempts.map((a) => [a.channel, a.status])).toEqual([
      ['wechat_pay', 'pending'],
      ['wechat_pay', 'closed'],
      ['alipay', 'pending'],
    ]);
    const events = await w.events();
    expect(events.filter((e) => e.type === 'shouyin-attempt').map((e) => [e.detail.channel, e.detail.flow, e.detail.next_action])).toEqual([
      ['wechat_pay', 'qr', 'display_qr'],
      ['wechat_pay', 'qr', 'display_qr'],
      ['alipay', 'qr', 'display_qr'],
    ]);
    await ctx.close();
  });

  it('an attempt that fails shows a message and a retry that works; never a spinner forever', async () => {
    const { ctx, page, w } = await open({ channels: [{ channel: 'wechat_pay', flows: ['qr'] }], attemptFailures: [502] });
    await w.button('微信支付').click();
    await w.status.filter({ hasText: '暂时无法发起支付' }).waitFor();
    await state(page, 'desktop-error');
    const err = (await w.events()).find((e) => e.type === 'shouyin-error');
    expect(err?.detail).toMatchObject({ type: 'api_error', code: 'provider_unavailable' });
    await w.button('重试').click();
    await w.qr.waitFor();
    await ctx.close();
  });

  it('end states: paid (with the order id), expired and canceled, each with its event', async () => {
    const { ctx, page, api, w } = await open({ channels: [{ channel: 'wechat_pay', flows: ['qr'] }] }, DESKTOP, '', 'en');
    await w.button('WeChat Pay').click();
    await w.qr.waitFor();
    api.set('paid');
    await w.status.filter({ hasText: 'Payment successful' }).waitFor();
    await w.status.filter({ hasText: 'fake_1001' }).waitFor();
    await state(page, 'desktop-paid-en');
    const types = (await w.events()).map((e) => e.type);
    expect(types).toEqual(['shouyin-ready', 'shouyin-status', 'shouyin-attempt', 'shouyin-status', 'shouyin-paid']);
    await ctx.close();

    for (const end of ['expired', 'canceled'] as const) {
      const o = await open({ channels: [{ channel: 'wechat_pay', flows: ['qr'] }] });
      await o.w.button('微信支付').waitFor();
      o.api.set(end);
      await o.w.status.filter({ hasText: end === 'expired' ? '订单已过期' : '订单已取消' }).waitFor();
      await o.w.status.filter({ hasText: '请返回商户页面重新下单' }).waitFor();
      await state(o.page, `desktop-${end}`);
      if (end === 'expired') {
        const e = (await o.w.events()).find((x) => x.type === 'shouyin-expired');
        expect(e?.detail).toEqual({ session_id: o.api.id, merchant_order_id: 'fake_1001' });
      }
      await o.ctx.close();
    }
  });

  it('theme="dark": the dark palette, still AA, the QR code still black on white', async () => {
    const { ctx, page, w } = await open(
      {
        channels: [
          { channel: 'wechat_pay', flows: ['qr'] },
          { channel: 'alipay', flows: ['qr', 'page'] },
        ],
      },
      DESKTOP,
      'theme="dark"',
    );
    await expect(w.el.locator('.card').evaluate((c) => getComputedStyle(c).backgroundColor)).resolves.toBe('rgb(22, 27, 34)');
    await state(page, 'desktop-dark-pick');
    await w.button('支付宝').click();
    await w.qr.waitFor();
    await expect(w.qr.locator('rect').getAttribute('fill')).resolves.toBe('#fff');
    await state(page, 'desktop-dark-qr');
    await ctx.close();
  });

  it('a missing or malformed client secret is an error to show and report, not a spinner', async () => {
    const ctx = await browser.newContext({ ...DESKTOP, locale: 'en' });
    const page = await ctx.newPage();
    await recordEvents(page);
    await page.route(`${baseUrl}/__widget/bare`, (route) =>
      route.fulfill({
        contentType: 'text/html; charset=utf-8',
        body: '<!doctype html><meta charset="utf-8"><shouyin-checkout></shouyin-checkout><script type="module" src="/shouyin.js"></script>',
      }),
    );
    await page.goto(`${baseUrl}/__widget/bare`);
    const w = new Widget(page);
    await w.status.filter({ hasText: 'This payment is no longer valid' }).waitFor();
    const e = (await w.events()).find((x) => x.type === 'shouyin-error');
    expect(e?.detail).toMatchObject({ code: 'invalid_client_secret', param: 'client-secret' });
    // Only the shop can fix a missing secret: no retry is offered.
    expect(await w.button('Try again').count()).toBe(0);
    await ctx.close();
  });

  it('works inside another component’s shadow root, and restarts on a new client secret', async () => {
    const ctx = await browser.newContext({ ...DESKTOP, locale: 'zh-CN' });
    const page = await ctx.newPage();
    const api = new FakeApi({ channels: [{ channel: 'wechat_pay', flows: ['qr'] }] });
    await api.install(page);
    await page.route(`${baseUrl}/__embed/shadow`, (route) =>
      route.fulfill({
        contentType: 'text/html; charset=utf-8',
        body: `<!doctype html><meta charset="utf-8"><body><my-shop></my-shop><script type="module">
          import '/shouyin.js';
          customElements.define('my-shop', class extends HTMLElement {
            constructor() { super(); this.attachShadow({ mode: 'open' }).innerHTML = '<section><h1>Shop</h1><shouyin-checkout></shouyin-checkout></section>'; }
            connectedCallback() { this.shadowRoot.querySelector('shouyin-checkout').clientSecret = '${api.secret}'; }
          });
        </script></body>`,
      }),
    );
    await page.goto(`${baseUrl}/__embed/shadow`);
    const w = new Widget(page);
    await w.button('微信支付').click();
    await w.qr.waitFor();
    await ctx.close();
  });
});

describe('phone browser (device emulation: 390×844, touch, iPhone UA)', () => {
  it('Alipay wap (h5) first: redirects the top window, and the return re-reads the server (a return alone never shows paid)', async () => {
    const o: FakeOptions = {
      channels: [
        { channel: 'alipay', flows: ['h5', 'qr'] },
        { channel: 'wechat_pay', flows: ['qr'] },
      ],
    };
    const { ctx, page, api, w, url, errors } = await open(o, PHONE);
    await state(page, 'phone-pick');
    await page.route(`${baseUrl}/__widget/cashier*`, (route) =>
      route.fulfill({
        contentType: 'text/html; charset=utf-8',
        body: '<!doctype html><meta charset="utf-8"><title>Alipay cashier</title><h1>支付宝收银台 (fake)</h1>',
      }),
    );
    await Promise.all([page.waitForURL(/\/__widget\/cashier\?flow=h5/), w.button('支付宝').click()]);
    expect(api.requests.find((r) => r.method === 'POST')?.body).toEqual({ channel: 'alipay', flow: 'h5' });
    // Back from the cashier (the return route sent the shopper to the merchant's page): the
    // attempt is still pending on the server, so the widget waits for the server's word.
    await page.goto(url);
    await w.status.filter({ hasText: '已付款？结果会自动显示在此页' }).waitFor();
    await expect(w.status.textContent()).resolves.not.toContain('支付成功');
    await state(page, 'phone-returned');
    api.set('paid');
    await w.status.filter({ hasText: '支付成功' }).waitFor();
    await state(page, 'phone-paid');
    expect(errors).toEqual([]);
    await ctx.close();
  });

  it('a wallet redirect that cannot start offers the same channel’s QR code', async () => {
    const { ctx, page, api, w } = await open({ channels: [{ channel: 'alipay', flows: ['h5', 'qr'] }], attemptFailures: [502] }, PHONE);
    await w.button('支付宝').click();
    await w.status.filter({ hasText: '暂时无法发起支付' }).waitFor();
    await state(page, 'phone-error');
    await w.button('改用二维码付款').click();
    await w.qr.waitFor();
    expect(api.requests.filter((r) => r.method === 'POST').map((r) => r.body)).toEqual([
      { channel: 'alipay', flow: 'h5' },
      { channel: 'alipay', flow: 'qr' },
    ]);
    await ctx.close();
  });

  it('a QR shown on a phone offers "open the app" for an app link, and copy-link', async () => {
    const { ctx, page, w } = await open({ channels: [{ channel: 'alipay', flows: ['qr'] }] }, PHONE);
    await w.button('支付宝').click();
    await w.qr.waitFor();
    const app = w.link('打开支付宝 App 付款');
    await expect(app.getAttribute('href')).resolves.toBe('https://qr.alipay.com/bax01fake');
    await w.button('复制付款链接').click();
    await w.status.filter({ hasText: '已复制' }).waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe('https://qr.alipay.com/bax01fake');
    await state(page, 'phone-alipay-qr');
    await ctx.close();
  });
});

describe('inside WeChat (WeChat in-app UA)', () => {
  const inWechat: BrowserContextOptions = { ...PHONE, userAgent: UA.wechat };

  /** A stand-in for WeChat's WeixinJSBridge, announced a moment after load like the real one. */
  async function bridge(page: Page, answer: string): Promise<void> {
    await page.addInitScript((answer) => {
      const w = window as unknown as { __bridgeCalls: unknown[]; WeixinJSBridge?: unknown };
      w.__bridgeCalls = [];
      setTimeout(() => {
        w.WeixinJSBridge = {
          invoke(api: string, params: unknown, cb: (r: { err_msg: string }) => void) {
            w.__bridgeCalls.push([api, params]);
            setTimeout(() => cb({ err_msg: `get_brand_wcpay_request:${answer}` }), 200);
          },
        };
        document.dispatchEvent(new Event('WeixinJSBridgeReady'));
      }, 300);
    }, answer);
  }

  const params = {
    appId: 'wxd678efh567hg6787',
    timeStamp: '1764352000',
    nonceStr: 'n0nce',
    package: 'prepay_id=wx201410272009395522657a690389285100',
    signType: 'RSA',
    paySign: 'c2lnbg==',
  };
  const channels: FakeOptions['channels'] = [
    { channel: 'wechat_pay', flows: ['jsapi', 'qr'] },
    { channel: 'alipay', flows: [], notice: 'open_in_browser' },
  ];

  it('WeChat Pay runs JSAPI through WeixinJSBridge; its "ok" only makes the widget ask; the server says paid', async () => {
    const ctx = await browser.newContext({ ...inWechat, locale: 'zh-CN' });
    const page = await ctx.newPage();
    await bridge(page, 'ok');
    await recordEvents(page);
    const api = new FakeApi({ channels, nextAction: () => ({ type: 'wechat_jsapi', params }) });
    await page.goto(await api.install(page));
    const w = new Widget(page);
    await w.button('微信支付').click();
    await w.status.filter({ hasText: '正在确认支付结果' }).waitFor();
    expect(await page.evaluate(() => (window as unknown as { __bridgeCalls: unknown[] }).__bridgeCalls)).toEqual([['getBrandWCPayRequest', params]]);
    await state(page, 'wechat-confirming');
    // Not paid on the bridge's word.
    await page.waitForTimeout(500);
    await expect(w.status.textContent()).resolves.not.toContain('支付成功');
    api.set('paid');
    await w.status.filter({ hasText: '支付成功' }).waitFor();
    await ctx.close();
  });

  it('a canceled payment sheet returns to the choices', async () => {
    const ctx = await browser.newContext({ ...inWechat, locale: 'zh-CN' });
    const page = await ctx.newPage();
    await bridge(page, 'cancel');
    const api = new FakeApi({ channels, nextAction: () => ({ type: 'wechat_jsapi', params }) });
    await page.goto(await api.install(page));
    const w = new Widget(page);
    await w.button('微信支付').click();
    // The choices again, and a line that says the payment was not completed (it names the choices too).
    await w.el.getByRole('heading', { name: '选择支付方式' }).waitFor();
    await w.status.filter({ hasText: '支付未完成' }).waitFor();
    await ctx.close();
  });

  it('Alipay inside WeChat: a guide to open the page in a browser, with copy-link, instead of a dead end', async () => {
    const { ctx, page, w } = await open({ channels }, inWechat);
    await w.button(/支付宝.*在浏览器中打开/).click();
    await w.el.getByRole('heading', { name: '微信内无法使用支付宝' }).waitFor();
    await w.el.getByText(/点击右上角“···”/).waitFor();
    await w.button('复制本页链接').click();
    await w.status.filter({ hasText: '已复制' }).waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(page.url());
    await state(page, 'wechat-alipay-guide');
    await w.button('返回').click();
    await w.button('微信支付').waitFor();
    await ctx.close();
  });
});

describe('example pages (widget/examples)', () => {
  /** Serves an example with its placeholders pointed at this run: the bundle, a session, Vue. */
  async function example(page: Page, name: string, api: FakeApi): Promise<void> {
    await page.route(`${baseUrl}/__examples/vue.esm-browser.prod.js`, (r) => r.fulfill({ contentType: 'text/javascript', body: vueSource }));
    const html = (name === 'vue.html' ? vueHtml : plainHtml)
      .replace('https://pay.example.com/shouyin.js', '/shouyin.js')
      .replace('cs_from_your_server_secret_xxx', api.secret);
    await page.route(`${baseUrl}/__examples/${name}`, (r) => r.fulfill({ contentType: 'text/html; charset=utf-8', body: html }));
    await page.goto(`${baseUrl}/__examples/${name}`);
  }

  it('plain HTML: styled through custom properties and parts, narrowed by the channels attribute', async () => {
    const ctx = await browser.newContext({ ...DESKTOP, locale: 'zh-CN' });
    const page = await ctx.newPage();
    const api = new FakeApi({
      channels: [
        { channel: 'wechat_pay', flows: ['qr'] },
        { channel: 'alipay', flows: ['qr'] },
        { channel: 'unionpay', flows: ['qr'] },
      ],
    });
    await api.install(page);
    await example(page, 'plain.html', api);
    const w = new Widget(page);
    await w.button('支付宝').waitFor();
    await expect(w.button(/银联/).count()).resolves.toBe(0);
    const method = w.button('微信支付');
    await expect(method.evaluate((b) => getComputedStyle(b).minHeight)).resolves.toBe('56px');
    await method.click();
    await w.qr.waitFor();
    await expect(w.link(/沙箱/).count()).resolves.toBe(0); // no sandbox_wallet_url in this attempt
    api.set('paid');
    await page.getByText(/Your order fake_1001 is paid/).waitFor();
    await shot(page, 'widget-example-plain.png');
    await ctx.close();
  });

  it('Vue 3: binds the client secret and listens to the element’s events', async () => {
    const ctx = await browser.newContext({ ...DESKTOP, locale: 'en' });
    const page = await ctx.newPage();
    const api = new FakeApi({ channels: [{ channel: 'wechat_pay', flows: ['qr'] }] });
    await api.install(page);
    await example(page, 'vue.html', api);
    const w = new Widget(page);
    await w.button('WeChat Pay').click();
    await w.qr.waitFor();
    api.set('paid');
    await page.getByText('Vue saw shouyin-paid for order fake_1001').waitFor();
    await shot(page, 'widget-example-vue.png');
    await ctx.close();
  });
});
