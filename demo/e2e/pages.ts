// Page objects for the demo: what a shopper sees and does, by role and accessible name.
// Playwright's role locators pierce the widget's open shadow root, so the widget is driven like any page.

import type { Locator, Page } from 'playwright-core';

export class ShopPage {
  constructor(
    readonly page: Page,
    private readonly baseUrl: string,
  ) {}

  async open(): Promise<void> {
    await this.page.goto(`${this.baseUrl}/`);
    await this.page.getByRole('heading', { name: /今日好物/ }).waitFor();
  }

  /** The Pay button of the product whose accessible name mentions `product`. */
  payButton(product: RegExp): Locator {
    return this.page.getByRole('button', { name: product }).filter({ hasText: '立即支付' });
  }

  /** Clicks Pay and waits for the shop's server to redirect to the checkout page. */
  async pay(product: RegExp): Promise<CheckoutPage> {
    await Promise.all([this.page.waitForURL(/\/demo\/checkout\/cs_/), this.payButton(product).click()]);
    return new CheckoutPage(this.page);
  }
}

export class CheckoutPage {
  readonly widget: Locator;

  constructor(readonly page: Page) {
    this.widget = page.locator('shouyin-checkout');
  }

  get sessionId(): string {
    const m = /\/demo\/checkout\/(cs_[A-Za-z0-9_]+)/.exec(this.page.url());
    if (!m?.[1]) throw new Error(`not a checkout page: ${this.page.url()}`);
    return m[1];
  }

  channel(name: string | RegExp): Locator {
    return this.widget.getByRole('button', { name });
  }

  get qr(): Locator {
    return this.widget.getByRole('img', { name: /二维码|QR/ });
  }

  get sandboxWalletLink(): Locator {
    return this.widget.getByRole('link', { name: /打开沙箱钱包|Open sandbox wallet/ });
  }

  get paidStatus(): Locator {
    return this.widget.getByRole('status').filter({ hasText: /支付成功|Paid/ });
  }

  get thankYou(): Locator {
    return this.page.getByText(/谢谢惠顾/);
  }

  /** The shop's note once its own server has re-checked the session with the secret key. */
  get serverConfirmation(): Locator {
    return this.page.getByText(/Confirmed by the shop’s server/);
  }

  async payWith(name: string | RegExp): Promise<void> {
    await this.channel(name).click();
    await this.qr.waitFor();
  }

  /** Follows the sandbox wallet link, which opens in a new tab. */
  async openSandboxWallet(): Promise<WalletPage> {
    const [popup] = await Promise.all([this.page.context().waitForEvent('page'), this.sandboxWalletLink.click()]);
    await popup.waitForLoadState('domcontentloaded');
    return new WalletPage(popup);
  }

  /** When the page saw the widget's `shouyin-paid` event (ms since the epoch), if it did. */
  paidEventAt(): Promise<number | undefined> {
    return this.page.evaluate(() => (window as unknown as { __shouyinPaidAt?: number }).__shouyinPaidAt);
  }
}

export class WalletPage {
  constructor(readonly page: Page) {}

  amount(text: string): Locator {
    return this.page.getByText(text, { exact: false });
  }

  get payButton(): Locator {
    return this.page.getByRole('button', { name: /确认支付/ });
  }

  async pay(): Promise<void> {
    await this.payButton.click();
  }
}

/** The demo till (`/demo/pos`): an amount, the box a USB scanner types into, the status line. */
export class PosPage {
  constructor(
    readonly page: Page,
    private readonly baseUrl: string,
  ) {}

  async open(): Promise<void> {
    await this.page.goto(`${this.baseUrl}/demo/pos`);
    await this.page.getByRole('heading', { name: /门店收银台/ }).waitFor();
  }

  get amount(): Locator {
    return this.page.getByLabel(/金额/);
  }

  get code(): Locator {
    return this.page.getByLabel(/付款码/);
  }

  get status(): Locator {
    return this.page.getByRole('status');
  }

  sandboxCode(name: RegExp): Locator {
    return this.page.getByRole('button', { name });
  }

  /** What a cashier does: type the amount, Enter (focus moves to the code box). */
  async typeAmount(yuan: string): Promise<void> {
    await this.amount.click();
    await this.page.keyboard.type(yuan);
    await this.page.keyboard.press('Enter');
  }

  /** What a USB scanner does: it types the digits into the focused box, then Enter. */
  async scan(code: string): Promise<void> {
    await this.page.keyboard.type(code, { delay: 5 });
    await this.page.keyboard.press('Enter');
  }
}
