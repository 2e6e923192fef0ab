// WeChat Pay on a phone, end to end in real Chromium against the demo in `wrangler dev`:
// - inside WeChat (a MicroMessenger user agent): the widget starts JSAPI → Shouyin's JSAPI page runs the
//   official account's OAuth hop (the sandbox's snsapi_base) → the sandbox WeixinJSBridge shows its payment
//   sheet → 确认支付 → /return re-checks → back on the checkout page, paid;
// - in a phone browser: the widget starts H5 → the sandbox H5 cashier → 确认支付 → redirect_url → /return
//   re-checks → back on the checkout page, paid;
// - on Shouyin's hosted checkout page inside WeChat, in English: the same JSAPI hop, and the shopper comes
//   back to the hosted page (`/return/{id}/en.hosted`), still in English, paid; the JSAPI page is in English too.
// The sessions are made with the merchant API and a return_url to the demo's checkout page, as a merchant
// whose checkout page should be where the shopper lands. Screenshots go to test-output/e2e/wechat-*.png.

import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { baseUrl, secretKey, shot, useBrowser } from './browser';
import { CheckoutPage } from './pages';

const WECHAT_UA =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.49(0x18003129) NetType/WIFI Language/zh_CN';
const SAFARI_UA = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1';

const browser = useBrowser();

async function phone(userAgent: string, locale = 'zh-CN'): Promise<Page> {
  const context = await browser.newContext({ userAgent, locale, viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  return context.newPage();
}

/**
 * A session as the shop's server would make it, coming back to the demo's checkout page; `hosted`: one
 * for Shouyin's hosted page with no return_url, so a paid shopper stays on the hosted page.
 */
async function create(amount: number, description: string, hosted = false): Promise<{ id: string; url: string }> {
  const res = await fetch(`${baseUrl}/v1/checkout/sessions`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${secretKey}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({
      amount,
      currency: 'CNY',
      description,
      merchant_order_id: `e2e_wx_${Date.now().toString(36)}`,
      ...(hosted ? {} : { return_url: `${baseUrl}/demo/checkout/{CHECKOUT_SESSION_ID}` }),
    }),
  });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string; url: string };
}
const session = async (amount: number, description: string): Promise<string> => (await create(amount, description)).id;

async function merchantStatus(id: string): Promise<string> {
  const res = await fetch(`${baseUrl}/v1/checkout/sessions/${id}`, { headers: { Authorization: `Bearer ${secretKey}` } });
  return ((await res.json()) as { status: string }).status;
}

describe('WeChat Pay on a phone', () => {
  it('inside WeChat: OAuth hop → JSAPI bridge → paid, back on the checkout page', async () => {
    const id = await session(1999, '龙井茶 Longjing tea (JSAPI)');
    const page = await phone(WECHAT_UA);
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${baseUrl}/demo/checkout/${id}`);
    const checkout = new CheckoutPage(page);
    await checkout.channel('微信支付').waitFor();
    await shot(page, 'wechat-01-checkout-in-wechat.png');

    // The widget starts JSAPI (inside WeChat it is the first flow) and the page leaves for the hop.
    await Promise.all([page.waitForURL(/\/wechat\/jsapi\/[0-9A-Za-z]+\?exp=/, { timeout: 20_000 }), checkout.channel('微信支付').click()]);
    // The sandbox bridge's payment sheet: merchant, amount, 确认支付.
    const sheet = page.getByRole('dialog', { name: /微信支付/ });
    await sheet.waitFor({ timeout: 10_000 });
    await expect.poll(() => sheet.textContent()).toContain('19.99');
    await shot(page, 'wechat-02-jsapi-sheet.png');

    await Promise.all([page.waitForURL(new RegExp(`/demo/checkout/${id}`), { timeout: 20_000 }), sheet.getByRole('button', { name: /确认支付/ }).click()]);
    await checkout.paidStatus.waitFor({ timeout: 15_000 });
    await shot(page, 'wechat-03-jsapi-paid.png');
    expect(await merchantStatus(id)).toBe('paid');
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('the hosted page inside WeChat, in English: OAuth hop → JSAPI bridge → paid, back on the hosted page in English', async () => {
    const s = await create(2999, 'Longjing tea (hosted, JSAPI)', true);
    const page = await phone(WECHAT_UA, 'en-US');
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(s.url);
    const checkout = new CheckoutPage(page);
    await checkout.channel('WeChat Pay').waitFor();

    // The hosted page's attempt gives the provider /return/{id}/en.hosted; the JSAPI link carries it (the
    // authorize URL's #wechat_redirect stays on through the redirects, as browsers keep a fragment).
    await Promise.all([
      page.waitForURL(/\/wechat\/jsapi\/[0-9A-Za-z]+\?exp=\d+&sig=[0-9a-f]+&how=en\.hosted(#|$)/, { timeout: 20_000 }),
      checkout.channel('WeChat Pay').click(),
    ]);
    const back = `/return/${s.id}/en.hosted`;
    expect(await page.getByRole('link', { name: 'Back to the shop', exact: true }).getAttribute('href')).toBe(back);
    // The JSAPI page itself speaks the shopper's language (the link's how): English only, no Chinese beside it.
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    expect(await page.title()).toBe('WeChat Pay');
    await expect.poll(() => page.locator('#status').textContent()).toBe('Opening WeChat Pay…');
    const sheet = page.getByRole('dialog', { name: /微信支付/ });
    await sheet.waitFor({ timeout: 10_000 });
    await expect.poll(() => sheet.textContent()).toContain('29.99');

    // The bridge's ok → /return/{id}/en.hosted → the hosted page (no return_url), in English, paid.
    await Promise.all([page.waitForURL(`${baseUrl}/pay/${s.id}?locale=en`, { timeout: 20_000 }), sheet.getByRole('button', { name: /确认支付/ }).click()]);
    await checkout.widget.getByRole('status').filter({ hasText: 'Payment successful' }).waitFor({ timeout: 15_000 });
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    await shot(page, 'wechat-06-hosted-jsapi-paid-en.png');
    expect(await merchantStatus(s.id)).toBe('paid');
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('in a phone browser: H5 cashier → redirect_url → paid, back on the checkout page', async () => {
    const id = await session(6800, '龙井茶 Longjing tea (H5)');
    const page = await phone(SAFARI_UA);
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${baseUrl}/demo/checkout/${id}`);
    const checkout = new CheckoutPage(page);
    await checkout.channel('微信支付').waitFor();

    await Promise.all([page.waitForURL(/\/sandbox\/wechatpay\/h5\?prepay_id=/, { timeout: 20_000 }), checkout.channel('微信支付').click()]);
    await page.getByText('68.00').first().waitFor();
    await shot(page, 'wechat-04-h5-cashier.png');

    await Promise.all([page.waitForURL(new RegExp(`/demo/checkout/${id}`), { timeout: 20_000 }), page.getByRole('button', { name: /确认支付/ }).click()]);
    await checkout.paidStatus.waitFor({ timeout: 15_000 });
    await shot(page, 'wechat-05-h5-paid.png');
    expect(await merchantStatus(id)).toBe('paid');
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
