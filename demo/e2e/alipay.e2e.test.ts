// Alipay in the demo, end to end, as a shopper sees it: the widget's 支付宝 channel, the QR code and
// the sandbox cashier behind it; and the PC cashier flow (page.pay) — a form posted in the top
// window, the cashier, Pay, the return to Shouyin's /return route, which re-checks with Alipay.
// Real Chromium against `wrangler dev` (demo/e2e/global-setup.mjs). Screenshots: test-output/e2e/alipay-*.

import type { Locator, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { baseUrl, secretKey, shot, useBrowser } from './browser';
import { eventually } from './merchant-api';
import { ShopPage, type CheckoutPage } from './pages';

const browser = useBrowser();

/** The sandbox's Alipay cashier: what scanning the QR (or the PC cashier) shows the shopper. */
class AlipayCashierPage {
  constructor(readonly page: Page) {}

  get payButton(): Locator {
    return this.page.getByRole('button', { name: /确认付款|Pay/ });
  }

  get cancelButton(): Locator {
    return this.page.getByRole('button', { name: /取消|Cancel/ });
  }

  amount(text: string): Locator {
    return this.page.getByText(text, { exact: false });
  }
}

const ALIPAY = /支付宝|Alipay/;

function alipayWebsiteButton(checkout: CheckoutPage): Locator {
  return checkout.widget.getByRole('button', { name: /Alipay website/ });
}

async function sessionStatus(id: string): Promise<string> {
  const res = await fetch(`${baseUrl}/v1/checkout/sessions/${id}`, { headers: { Authorization: `Bearer ${secretKey}` } });
  expect(res.status).toBe(200);
  return ((await res.json()) as { status: string }).status;
}

describe('Alipay in the demo', () => {
  it('QR: 支付宝 → QR code → the sandbox cashier → 确认付款 → the checkout page turns paid', async () => {
    const page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    const shop = new ShopPage(page, baseUrl);
    await shop.open();
    const checkout = await shop.pay(/Longjing/);
    const sessionId = checkout.sessionId;

    await checkout.channel(ALIPAY).waitFor();
    await checkout.payWith(ALIPAY);
    await checkout.sandboxWalletLink.waitFor();
    await shot(page, 'alipay-01-qr.png');

    // The QR encodes Alipay's qr_code; the sandbox link opens what scanning it opens.
    const [popup] = await Promise.all([page.context().waitForEvent('page'), checkout.sandboxWalletLink.click()]);
    await popup.waitForLoadState('domcontentloaded');
    const cashier = new AlipayCashierPage(popup);
    await cashier.amount('68.00').first().waitFor();
    await cashier.payButton.waitFor();
    await shot(popup, 'alipay-02-cashier.png');
    await cashier.payButton.click();
    await popup.getByText('支付成功').first().waitFor();

    await checkout.paidStatus.waitFor({ timeout: 10_000 });
    await checkout.serverConfirmation.waitFor({ timeout: 10_000 });
    await page.bringToFront();
    await shot(page, 'alipay-03-paid.png');
    expect(await sessionStatus(sessionId)).toBe('paid');
    // The shop's webhook receiver got the signed checkout.session.paid.
    const entry = await eventually(async () => {
      const list = (await (await fetch(`${baseUrl}/demo/webhooks?session=${sessionId}`)).json()) as {
        data: { type: string | null; signature_valid: boolean }[];
      };
      return list.data.find((e) => e.type === 'checkout.session.paid');
    }, 'the checkout.session.paid webhook');
    expect(entry.signature_valid).toBe(true);
    expect(pageErrors).toEqual([]);
    await page.close();
  });

  it('page: 在支付宝网页中支付 → the PC cashier in the top window → 确认付款 → back through /return → paid', async () => {
    const page = await browser.newPage();
    const shop = new ShopPage(page, baseUrl);
    await shop.open();
    const checkout = await shop.pay(/mooncake/i);
    const sessionId = checkout.sessionId;

    await checkout.channel(ALIPAY).waitFor();
    await checkout.payWith(ALIPAY);
    const website = alipayWebsiteButton(checkout);
    await website.waitFor();
    // The widget posts the signed form to the gateway in the top window: the page leaves the shop.
    await Promise.all([page.waitForURL(/\/sandbox\/alipay\/gateway\.do/), website.click()]);
    const cashier = new AlipayCashierPage(page);
    await cashier.payButton.waitFor();
    await expect(page.getByText('电脑网站支付').first().isVisible()).resolves.toBe(true);
    await shot(page, 'alipay-04-page-cashier.png');

    // Pay → Alipay sends the browser to return_url = Shouyin's /return/<session>, which asks Alipay
    // (query) before showing anything: the return itself proves nothing.
    await Promise.all([page.waitForURL(new RegExp(`/return/${sessionId}|/demo/checkout/${sessionId}`)), cashier.payButton.click()]);
    await page
      .getByText(/支付成功|Payment received|Paid/)
      .first()
      .waitFor({ timeout: 10_000 });
    await shot(page, 'alipay-05-returned.png');
    expect(await sessionStatus(sessionId)).toBe('paid');
    await page.close();
  });
});
