// The hosted checkout page (`GET /pay/:id`, the session's `url`), cancel_url, and the way back from a
// provider's page: the shopper's language and the hosted page survive the round trip (/return).

import { SELF } from 'cloudflare:test';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BASE, api, captureWebhooks, client, createSession, type SessionJson } from './helpers';

beforeEach(() => void captureWebhooks());
afterEach(() => vi.restoreAllMocks());

const page = (path: string, headers: Record<string, string> = {}) => SELF.fetch(`${BASE}${path}`, { headers, redirect: 'manual' });

/** The provider's return URL an Alipay PC cashier order was given (its return_url form field). */
async function alipayReturnUrl(s: SessionJson, headers: Record<string, string>, via = ''): Promise<URL> {
  const res = await SELF.fetch(`${BASE}${via}/v1/client/sessions/${s.id}/attempts`, {
    method: 'POST',
    headers: { ...headers, authorization: `Bearer ${s.client_secret}`, 'content-type': 'application/json' },
    body: JSON.stringify({ channel: 'alipay', flow: 'page' }),
  });
  expect(res.status).toBe(201);
  const { next_action } = (await res.json()) as { next_action: { type: string; url: string; fields: Record<string, string> } };
  expect(next_action.type).toBe('form_post');
  // Alipay's common parameters (return_url among them) ride in the gateway URL's query.
  return new URL(new URL(next_action.url).searchParams.get('return_url')!);
}

describe('session create: url and cancel_url', () => {
  it('answers with the hosted page, the client secret in the fragment only', async () => {
    const s = await createSession({ cancel_url: 'https://shop.test/cart?lang={LOCALE}', return_url: 'https://shop.test/done/{CHECKOUT_SESSION_ID}' });
    expect(s.url).toBe(`${BASE}/pay/${s.id}#${s.client_secret}`);
    expect(new URL(s.url as string).search).toBe('');
    expect(s.cancel_url).toBe('https://shop.test/cart?lang={LOCALE}');
    // The widget's view: the session id filled in, {LOCALE} left for the page that knows the language.
    const view = (await (await client(s, '')).json()) as Record<string, unknown>;
    expect(view).toMatchObject({ cancel_url: 'https://shop.test/cart?lang={LOCALE}', return_url: `https://shop.test/done/${s.id}` });
    expect(JSON.stringify(view)).not.toContain(s.client_secret);
  });

  it('refuses a cancel_url off the allowed origins, naming cancel_url', async () => {
    const res = await api('/v1/checkout/sessions', {
      method: 'POST',
      body: JSON.stringify({ amount: 100, currency: 'CNY', description: 'x', merchant_order_id: `T${Date.now()}c`, cancel_url: 'https://evil.test/' }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { param: string } }).error.param).toBe('cancel_url');
  });

  it('is null when not given', async () => {
    const s = await createSession();
    expect(s.cancel_url).toBeNull();
  });
});

describe('GET /pay/:id', () => {
  it('sends a strict CSP with a fresh nonce, no referrer and no framing', async () => {
    const s = await createSession();
    const a = await page(`/pay/${s.id}`);
    const b = await page(`/pay/${s.id}`);
    expect(a.status).toBe(200);
    expect(a.headers.get('referrer-policy')).toBe('no-referrer');
    expect(a.headers.get('x-frame-options')).toBe('DENY');
    expect(a.headers.get('cache-control')).toBe('no-store');
    const csp = a.headers.get('content-security-policy')!;
    const nonce = /script-src 'self' 'nonce-([A-Za-z0-9+/=]+)'/.exec(csp)?.[1] ?? '';
    expect(nonce).toBeTruthy();
    expect(b.headers.get('content-security-policy')).not.toContain(nonce);
    for (const d of [
      "default-src 'none'",
      "frame-ancestors 'none'",
      "base-uri 'none'",
      `style-src 'nonce-${nonce}'`,
      "connect-src 'self' wss://shouyin.test",
    ]) {
      expect(csp).toContain(d);
    }
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
    const html = await a.text();
    // Every script is this origin's file or carries the nonce; no inline handler anywhere.
    for (const tag of html.match(/<script[^>]*>/g)!) expect(tag).toMatch(new RegExp(`src="/shouyin\\.js"|nonce="${nonce.replace(/[+/=]/g, '\\$&')}"`));
    expect(html).not.toMatch(/\son[a-z]+\s*=/i);
    expect(html).toContain('<meta name="referrer" content="no-referrer">');
  });

  it('reveals nothing of the session: no merchant, description, amount, order or secret', async () => {
    const s = await createSession({ description: 'Secret sauce 秘方', amount: 12345, return_url: 'https://shop.test/done' });
    const html = await (await page(`/pay/${s.id}`)).text();
    for (const x of ['Secret sauce', '秘方', '123.45', '12345', 'Demo Shop', String(s.merchant_order_id), s.client_secret, 'shop.test'])
      expect(html).not.toContain(x);
  });

  it('speaks the asked language, else the browser’s, else English', async () => {
    const s = await createSession();
    const lang = async (q: string, al?: string) =>
      /<html lang="([^"]+)"/.exec(await (await page(`/pay/${s.id}${q}`, al ? { 'accept-language': al } : {})).text())?.[1];
    expect(await lang('?locale=zh-TW')).toBe('zh-TW');
    expect(await lang('?locale=zh-CN', 'en')).toBe('zh-CN');
    expect(await lang('', 'zh-HK,zh;q=0.8')).toBe('zh-TW');
    expect(await lang('', 'zh-CN,en;q=0.5')).toBe('zh-CN');
    expect(await lang('', 'fr-FR,de')).toBe('en');
    expect(await lang('')).toBe('en');
  });

  it('404s on what cannot be a session id, with the same headers', async () => {
    const res = await page('/pay/not-a-session');
    expect(res.status).toBe(404);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
  });
});

describe('back from a provider page', () => {
  it('carries the widget’s language into {LOCALE} of return_url', async () => {
    const s = await createSession({ return_url: 'https://shop.test/done/{CHECKOUT_SESSION_ID}?lang={LOCALE}' });
    const back = await alipayReturnUrl(s, { 'accept-language': 'zh-TW', origin: 'https://shop.test' });
    expect(back.pathname).toBe(`/return/${s.id}`);
    expect(Object.fromEntries(back.searchParams)).toEqual({ locale: 'zh-TW' });
    const res = await page(`${back.pathname}${back.search}`);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`https://shop.test/done/${s.id}?lang=zh-TW`);
  });

  it('sends a hosted-page shopper back to the hosted page while unpaid, in their language', async () => {
    const s = await createSession({ return_url: 'https://shop.test/done' });
    // Same origin is not enough (a shop may embed the widget on Shouyin's origin): the hosted page calls through /pay.
    const embedded = await alipayReturnUrl(await createSession(), { 'accept-language': 'en', origin: BASE });
    expect(Object.fromEntries(embedded.searchParams)).toEqual({ locale: 'en' });
    const back = await alipayReturnUrl(s, { 'accept-language': 'en-GB,en;q=0.9', origin: BASE }, '/pay');
    expect(Object.fromEntries(back.searchParams)).toEqual({ locale: 'en', via: 'hosted' });
    const res = await page(`${back.pathname}${back.search}`);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`${BASE}/pay/${s.id}?locale=en`);
  });

  it('passes Alipay’s quit (the shopper left without paying) on to the page', async () => {
    const s = await createSession({ return_url: 'https://shop.test/done?x=1' });
    const res = await page(`/return/${s.id}?locale=en&quit=1`);
    expect(res.headers.get('location')).toBe('https://shop.test/done?x=1&shouyin_return=quit');
    const hosted = await page(`/return/${s.id}?via=hosted&quit=1`);
    expect(hosted.headers.get('location')).toBe(`${BASE}/pay/${s.id}?shouyin_return=quit`);
  });

  it('shows an ended session in the shopper’s language with a link to cancel_url', async () => {
    const s = await createSession({ cancel_url: 'https://shop.test/cart?lang={LOCALE}', return_url: 'https://shop.test/done' });
    expect((await api(`/v1/checkout/sessions/${s.id}/cancel`, { method: 'POST', body: '{}' })).status).toBe(200);
    const res = await page(`/return/${s.id}?locale=en`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('<html lang="en">');
    expect(html).toContain('This payment was canceled');
    expect(html).toContain('href="https://shop.test/cart?lang=en"');
    expect(html).not.toContain('订单已取消');
  });
});
