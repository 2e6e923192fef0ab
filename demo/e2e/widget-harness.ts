// Helpers for the widget's browser tests (widget*.e2e.test.ts): a browser, sessions made over the
// merchant API, a scripted client API for flows the sandboxes do not simulate yet, axe-core, and
// screenshots. The widget itself is always the real bundle the demo worker serves (/shouyin.js).

import type { BrowserContextOptions, Locator, Page, Route, WebSocketRoute } from 'playwright-core';
import { expect } from 'vitest';
// Vite's ?raw imports keep this file free of Node APIs (the repo type-checks demo/ for workerd).
import axeSource from '../../node_modules/axe-core/axe.min.js?raw';
import { qrMatrix } from '../../worker/src/lib/qr';
import { baseUrl, secretKey } from './browser';

export { baseUrl, launch, outDir, secretKey, shot } from './browser';

export const UA = {
  iphone: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  wechat:
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.49(0x18003137) NetType/WIFI Language/zh_CN',
  alipay:
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 AliApp(AP/10.5.96.6000) AlipayClient/10.5.96.6000 Language/zh-Hans',
};

/** Phone-sized contexts: Chromium device emulation (viewport, touch, DPR) with a phone's UA. */
export const PHONE: BrowserContextOptions = {
  viewport: { width: 390, height: 844 },
  deviceScaleFactor: 2,
  isMobile: true,
  hasTouch: true,
  userAgent: UA.iphone,
};
export const DESKTOP: BrowserContextOptions = { viewport: { width: 1120, height: 820 } };

/** Collects uncaught page errors; assert it stays empty. */
export function pageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  return errors;
}

export interface Session {
  id: string;
  client_secret: string;
  amount: number;
  merchant_order_id: string;
}

let orderSeq = 0;

/** A checkout session made over the merchant API, as a merchant's server would. */
export async function createSession(body: Record<string, unknown> = {}): Promise<Session> {
  const res = await fetch(`${baseUrl}/v1/checkout/sessions`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${secretKey}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({
      amount: 1234,
      currency: 'CNY',
      description: '测试商品 Test item',
      merchant_order_id: `w${Date.now().toString(36)}${orderSeq++}`,
      ...body,
    }),
  });
  expect(res.status, await res.clone().text()).toBe(201);
  return (await res.json()) as Session;
}

/** The sandbox's control surface (test merchants only). */
export async function sandbox(path: string, body?: unknown): Promise<Response> {
  return fetch(`${baseUrl}/sandbox/wechatpay/_control${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { Authorization: `Bearer ${secretKey}`, 'Content-Type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

/** The widget on the page, by role and name (Playwright's locators pierce its open shadow root). */
export class Widget {
  readonly el: Locator;
  constructor(readonly page: Page) {
    this.el = page.locator('shouyin-checkout');
  }
  button(name: string | RegExp): Locator {
    return this.el.getByRole('button', { name });
  }
  link(name: string | RegExp): Locator {
    return this.el.getByRole('link', { name });
  }
  get qr(): Locator {
    return this.el.getByRole('img', { name: /二维码|QR/ });
  }
  get status(): Locator {
    return this.el.getByRole('status');
  }
  /** Events the element dispatched, recorded on `window.__shouyinEvents` by `recordEvents`. */
  events(): Promise<{ type: string; detail: Record<string, unknown>; at: number }[]> {
    return this.page.evaluate(() => (window as unknown as { __shouyinEvents?: [] }).__shouyinEvents ?? []);
  }
}

/** Records every `shouyin-*` event (type, detail, time) on `window.__shouyinEvents`, from page start. */
export async function recordEvents(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const w = window as unknown as { __shouyinEvents: unknown[] };
    w.__shouyinEvents = [];
    for (const type of ['ready', 'attempt', 'paid', 'expired', 'ended', 'status', 'error']) {
      document.addEventListener(`shouyin-${type}`, (e) => {
        w.__shouyinEvents.push({ type: e.type, detail: (e as CustomEvent).detail, at: Date.now() });
      });
    }
  });
}

/**
 * Runs axe-core (WCAG 2.0/2.1/2.2 A and AA rules) on the widget, open shadow root included, and
 * fails on any serious or critical violation.
 */
export async function expectAccessible(page: Page, what: string): Promise<void> {
  const loaded = await page.evaluate(() => 'axe' in window);
  if (!loaded) await page.addScriptTag({ content: axeSource });
  const violations = await page.evaluate(async () => {
    const axe = (
      window as unknown as {
        axe: {
          run: (
            ctx: unknown,
            opts: unknown,
          ) => Promise<{ violations: { id: string; impact: string; help: string; nodes: { target: unknown; failureSummary: string }[] }[] }>;
        };
      }
    ).axe;
    const r = await axe.run(
      { include: [['shouyin-checkout']] },
      { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] } },
    );
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => `${JSON.stringify(n.target)}: ${n.failureSummary}`),
    }));
  });
  const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(serious, `${what}: ${JSON.stringify(serious, null, 2)}`).toEqual([]);
}

// ── A scripted client API ──────────────────────────────────────────────────────────────────────
// For flows whose provider sandbox is not there yet (Alipay page/wap, WeChat JSAPI inside WeChat, a
// blocked channel), the page's client API calls are answered by this script instead of the worker,
// exactly in the contract's shapes (worker/src/contract.ts). Everything else — the page, the widget
// bundle — is real.

type Flow = 'qr' | 'h5' | 'jsapi' | 'page' | 'app';
type Channel = 'wechat_pay' | 'alipay' | 'unionpay';

export interface FakeChannel {
  channel: Channel;
  flows: Flow[];
  notice?: 'open_in_browser';
}

export interface FakeOptions {
  channels: FakeChannel[];
  /** The next_action for each channel/flow; default a QR (or a redirect to /__return for h5/page). */
  nextAction?: (channel: Channel, flow: Flow, n: number) => Record<string, unknown>;
  /** QR lifetime in seconds (default 600). */
  qrSeconds?: number;
  status?: 'open' | 'paid' | 'expired' | 'canceled';
  /** Attempt left pending by an earlier page (a return from a redirect). */
  activeAttempt?: Record<string, unknown> | null;
  /** Answer POST /attempts with this HTTP status and error body instead (once per entry). */
  attemptFailures?: number[];
  /** Let the WebSocket connect (default) or refuse it. */
  socket?: boolean;
  /** The merchant's pages, as the public view carries them. */
  cancelUrl?: string;
  returnUrl?: string;
}

/** A display_qr as the Worker serves it: with the QR matrix it encodes (worker/src/lib/qr.ts). */
function withMatrix(na: Record<string, unknown>): Record<string, unknown> {
  return na.type === 'display_qr' && !na.qr ? { ...na, qr: qrMatrix(na.data as string) } : na;
}

export class FakeApi {
  readonly id = 'cs_fake0000000000000000000000';
  readonly secret = `${this.id}_secret_e2etest`;
  status: 'open' | 'paid' | 'expired' | 'canceled';
  version = 1;
  attempts: Record<string, unknown>[] = [];
  requests: { method: string; path: string; body?: unknown }[] = [];
  private sockets: WebSocketRoute[] = [];
  private waiters: (() => void)[] = [];

  constructor(private readonly o: FakeOptions) {
    this.status = o.status ?? 'open';
    if (o.activeAttempt) {
      const na = o.activeAttempt.next_action as Record<string, unknown> | null;
      this.attempts.push(na ? { ...o.activeAttempt, next_action: withMatrix(na) } : o.activeAttempt);
    }
  }

  get active(): Record<string, unknown> | null {
    return this.attempts.at(-1) ?? null;
  }

  statusView(): Record<string, unknown> {
    return { id: this.id, status: this.status, version: this.version, active_attempt: this.active };
  }

  sessionView(): Record<string, unknown> {
    return {
      id: this.id,
      object: 'checkout.session.public',
      status: this.status,
      amount: 8800,
      currency: 'CNY',
      description: '明前龙井 Longjing tea',
      merchant_name: '收银示例店 Demo Shop',
      merchant_order_id: 'fake_1001',
      expires_at: new Date(Date.now() + 900_000).toISOString(),
      livemode: false,
      cancel_url: this.o.cancelUrl ?? null,
      return_url: this.o.returnUrl ?? null,
      channels: this.o.channels,
      active_attempt: this.active,
    };
  }

  /** The server's side of a change: bump the version, wake long-polls, push to sockets. */
  set(status: FakeApi['status']): void {
    this.status = status;
    this.version++;
    for (const w of this.waiters.splice(0)) w();
    for (const s of this.sockets) s.send(JSON.stringify(this.statusView()));
  }

  /** Serves the test page at `${baseUrl}/__widget/…` (same origin as the worker) and the fake API. */
  async install(page: Page, attrs = ''): Promise<string> {
    const url = `${baseUrl}/__widget/checkout`;
    await page.route(`${baseUrl}/__widget/**`, (route) =>
      route.fulfill({
        contentType: 'text/html; charset=utf-8',
        body: `<!doctype html><html lang="zh-CN"><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>widget test</title><body style="margin:0;padding:16px;background:#f6f4ef;font-family:sans-serif">
<main><h1 style="font-size:18px">Widget test page</h1>
<shouyin-checkout client-secret="${this.secret}" ${attrs}></shouyin-checkout></main>
<script type="module" src="/shouyin.js"></script></body></html>`,
      }),
    );
    await page.route(new RegExp(`/v1/client/sessions/${this.id}(/.*)?(\\?.*)?$`), (route) => this.handle(route));
    await page.routeWebSocket(/\/v1\/client\/sessions\/cs_fake[^/]*\/stream/, (ws) => {
      if (this.o.socket === false) return ws.close({ code: 1006 });
      this.sockets.push(ws);
      ws.send(JSON.stringify(this.statusView()));
      ws.onMessage((m) => {
        if (m === 'ping') ws.send('pong');
        if (m === 'status') ws.send(JSON.stringify(this.statusView()));
      });
      ws.onClose(() => (this.sockets = this.sockets.filter((s) => s !== ws)));
    });
    return url;
  }

  private async handle(route: Route): Promise<void> {
    const req = route.request();
    const u = new URL(req.url());
    const path = u.pathname.replace(`/v1/client/sessions/${this.id}`, '') || '/';
    const body = req.postData() ? (JSON.parse(req.postData()!) as Record<string, unknown>) : undefined;
    this.requests.push({ method: req.method(), path: path + u.search, ...(body ? { body } : {}) });
    const json = (status: number, b: unknown) => route.fulfill({ status, contentType: 'application/json', body: JSON.stringify(b) });
    if (req.method() === 'GET' && path === '/') return json(200, this.sessionView());
    if (req.method() === 'GET' && path === '/status') {
      const v = Number(u.searchParams.get('version') ?? -1);
      if (v === this.version) await new Promise<void>((r) => (this.waiters.push(r), setTimeout(r, 2000)));
      return json(200, this.statusView());
    }
    if (req.method() === 'POST' && path === '/attempts') {
      const failure = this.o.attemptFailures?.shift();
      if (failure) return json(failure, { error: { type: 'api_error', code: 'provider_unavailable', message: 'The provider did not answer.' } });
      const channel = body!.channel as Channel;
      const flow = body!.flow as Flow;
      const n = this.attempts.length + 1;
      const next_action = withMatrix(
        this.o.nextAction?.(channel, flow, n) ??
          (flow === 'qr'
            ? {
                type: 'display_qr',
                data: channel === 'alipay' ? `https://qr.alipay.com/bax0${n}fake` : `weixin://wxpay/bizpayurl?pr=fake${n}`,
                expires_at: new Date(Date.now() + (this.o.qrSeconds ?? 600) * 1000).toISOString(),
              }
            : { type: 'redirect', url: `${baseUrl}/__widget/cashier?flow=${flow}` }),
      );
      const attempt = { id: `fakeA${n}`, channel, flow, status: 'pending', created: Math.floor(Date.now() / 1000), next_action };
      // Another channel closes the previous attempt (as the server does).
      const prev = this.active;
      if (prev && prev.channel !== channel) prev.status = 'closed';
      this.attempts.push(attempt);
      this.version++;
      return json(201, { attempt, next_action });
    }
    return json(404, { error: { type: 'not_found_error', code: 'route_not_found', message: 'no such route' } });
  }
}
