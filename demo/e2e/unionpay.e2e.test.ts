// UnionPay in the real demo, in real Chromium: the shop → 银联 → the widget posts the signed front
// form in the top window → the sandbox's bank-card cashier → 确认付款 → the signed return to
// frontUrl (`/return/:id`, which re-checks with UnionPay before saying anything) → paid, with the
// merchant's signed webhook. And the QR flow through the sandbox's scan page. Screenshots go to
// test-output/e2e/unionpay-*.png.

import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { baseUrl, shot, useBrowser } from './browser';
import { eventually, merchantGet } from './merchant-api';
import { ShopPage } from './pages';

const browser = useBrowser();

/** The sandbox's bank-card cashier (what UnionPay's gateway page is in test mode), by role and label. */
class UnionpayCashierPage {
  constructor(readonly page: Page) {}

  amount(text: string) {
    return this.page.getByText(text, { exact: false });
  }

  async pay(card = '6216261000000000018', sms = '111111'): Promise<void> {
    await this.page.getByLabel(/卡号|Card number/).fill(card);
    await this.page.getByLabel(/短信验证码|SMS code/).fill(sms);
    await this.page.getByRole('button', { name: /确认付款|Pay/ }).click();
  }

  get paid() {
    return this.page.getByRole('heading', { name: '支付成功' });
  }

  get returnToMerchant() {
    return this.page.getByRole('button', { name: /返回商户|Return to merchant/ });
  }
}

interface InboxEntry {
  type: string | null;
  signature_valid: boolean;
  event: { data: { object: { id: string; status: string; amount: number } } } | null;
}

async function paidWebhook(sessionId: string): Promise<InboxEntry> {
  return eventually(async () => {
    const list = (await (await fetch(`${baseUrl}/demo/webhooks?session=${sessionId}`)).json()) as { data: InboxEntry[] };
    return list.data.find((e) => e.type === 'checkout.session.paid');
  }, 'the checkout.session.paid webhook');
}

describe('UnionPay in the demo', () => {
  it('front consumption: widget → 银联 → form post → cashier → 确认付款 → frontUrl return → paid', async () => {
    const page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));

    const shop = new ShopPage(page, baseUrl);
    await shop.open();
    const checkout = await shop.pay(/Longjing/);
    const sessionId = checkout.sessionId;
    await checkout.channel(/银联/).click();

    // The web cashier: the widget posts the signed form to frontTransReq.do in the top window.
    const onSite = checkout.widget.getByRole('button', { name: /在银联网页中支付|Pay on the UnionPay website/ });
    await onSite.waitFor();
    await shot(page, 'unionpay-01-widget.png');
    await Promise.all([page.waitForURL(/\/sandbox\/unionpay\/cashier\?ref=\d{21}$/), onSite.click()]);
    const cashier = new UnionpayCashierPage(page);
    await cashier.amount('68.00').first().waitFor();
    await page.getByText('Shouyin Demo Shop').first().waitFor();
    await shot(page, 'unionpay-02-cashier.png');

    await cashier.pay();
    await cashier.paid.waitFor();
    await shot(page, 'unionpay-03-paid-at-unionpay.png');

    // Back to the merchant: a signed POST to frontUrl (`/return/<session>`), which only makes the
    // session ask UnionPay, then sends the shopper on to the shop's return_url (its checkout page),
    // where the widget shows what the server holds.
    await Promise.all([page.waitForURL(new RegExp(`/demo/checkout/${sessionId}(\\?lang=zh-CN)?$`)), cashier.returnToMerchant.click()]);
    await page.getByText('支付成功').first().waitFor({ timeout: 10_000 });
    await shot(page, 'unionpay-04-returned.png');

    const session = await merchantGet<{ status: string; amount: number; payment: { channel: string; provider: string } }>(`/v1/checkout/sessions/${sessionId}`);
    expect(session).toMatchObject({ status: 'paid', amount: 6800, payment: { channel: 'unionpay', provider: 'unionpay-acp' } });
    const hook = await paidWebhook(sessionId);
    expect(hook.signature_valid).toBe(true);
    expect(hook.event?.data.object).toMatchObject({ id: sessionId, status: 'paid', amount: 6800 });
    expect(pageErrors).toEqual([]);
    await page.close();
  });

  it('QR: the sandbox scan page pays it, and the widget flips to paid on its own', async () => {
    const page = await browser.newPage();
    const shop = new ShopPage(page, baseUrl);
    await shop.open();
    const checkout = await shop.pay(/mooncake/i);
    await checkout.channel(/银联/).click();
    await checkout.qr.waitFor();
    await shot(page, 'unionpay-05-qr.png');

    const [scan] = await Promise.all([page.context().waitForEvent('page'), checkout.sandboxWalletLink.click()]);
    await scan.waitForLoadState('domcontentloaded');
    expect(scan.url()).toContain('/sandbox/unionpay/qr?code=');
    const cashier = new UnionpayCashierPage(scan);
    await cashier.pay();
    await cashier.paid.waitFor();
    // No frontUrl on a QR consume: the checkout page learns it from the notify.
    await checkout.paidStatus.waitFor({ timeout: 15_000 });
    await page.bringToFront();
    await shot(page, 'unionpay-06-qr-paid.png');
    const session = await merchantGet<{ status: string }>(`/v1/checkout/sessions/${checkout.sessionId}`);
    expect(session.status).toBe('paid');
    await scan.close();
    await page.close();
  });
});
