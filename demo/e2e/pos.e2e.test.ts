// The demo till in real Chromium against `wrangler dev` (demo/e2e/global-setup.mjs): the cashier types
// an amount in yuan and Enter, a "USB scanner" types the shopper's payment code into the focused box and
// Enter, and the status line follows the charge to its end — paid at once (WeChat Pay), a password then
// paid (Alipay, confirmed by Shouyin's 5 s query), declined, and a wrong code. Every result is checked
// with the merchant API, the amount in fen exactly. Screenshots: test-output/e2e/pos-*.png.

import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { baseUrl, secretKey, shot, useBrowser } from './browser';
import { PosPage } from './pages';

const browser = useBrowser({ locale: 'zh-CN', viewport: { width: 900, height: 900 } });
let page: Page;

beforeAll(async () => {
  page = await browser.newPage();
});

/** A fresh sandbox payment code: the third digit is what the simulated shopper does (1 pays, 2 password, 4 declined). */
function sandboxCode(prefix: '13' | '28', story: 1 | 2 | 4): string {
  let digits = '';
  for (let i = 0; i < 15; i++) digits += String(Math.floor(Math.random() * 10));
  return `${prefix}${story}${digits}`;
}

async function merchant(path: string): Promise<Record<string, unknown>> {
  const res = await fetch(`${baseUrl}${path}`, { headers: { Authorization: `Bearer ${secretKey}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}

/** Waits for the status line (role=status) to say `text`. */
async function says(pos: PosPage, text: string, timeout = 5_000): Promise<void> {
  await pos.status.filter({ hasText: text }).waitFor({ timeout });
}

/** The session the till just charged: the shop's server put it in the status line. */
async function lastSession(pos: PosPage): Promise<string> {
  const text = (await pos.status.textContent()) ?? '';
  const m = /cs_[A-Za-z0-9_]+/.exec(text);
  if (!m) throw new Error(`no session id in the status line: ${text}`);
  return m[0];
}

describe('the demo till (in-store payments)', () => {
  it('WeChat Pay code, paid at once: amount typed in yuan, code scanned into the focused box, Enter', async () => {
    const pos = new PosPage(page, baseUrl);
    await pos.open();
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('amount');
    await pos.typeAmount('19.99');
    // Enter in the amount moves to the code box: the scanner types where the focus is.
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('auth-code');
    await shot(page, 'pos-01-ready.png');
    await pos.scan(sandboxCode('13', 1));
    await says(pos, '收款成功', 15_000);
    await says(pos, '¥19.99');
    await says(pos, '微信支付');
    await shot(page, 'pos-02-paid.png');
    const id = await lastSession(pos);
    const s = await merchant(`/v1/checkout/sessions/${id}`);
    // 19.99 yuan is 1999 fen, exactly (never 1998.9999…).
    expect(s).toMatchObject({ status: 'paid', amount: 1999, payment: { channel: 'wechat_pay', provider: 'wechat-v3', amount: 1999 } });
    expect(await merchant(`/v1/checkout/sessions/${id}/barcode`)).toMatchObject({ status: 'succeeded', channel: 'wechat_pay' });
    // Ready for the next sale: the amount box is empty and focused.
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('amount');
  });

  it("Alipay code with a password: waiting, then paid when Shouyin's 5 s query finds it", async () => {
    const pos = new PosPage(page, baseUrl);
    await pos.open();
    await pos.typeAmount('0.29');
    await pos.scan(sandboxCode('28', 2));
    await says(pos, '等待顾客确认', 15_000);
    await shot(page, 'pos-03-password.png');
    await says(pos, '收款成功', 30_000);
    await says(pos, '支付宝');
    const id = await lastSession(pos);
    expect(await merchant(`/v1/checkout/sessions/${id}`)).toMatchObject({ status: 'paid', amount: 29, payment: { channel: 'alipay' } });
  });

  it('a declined code, then another code on the same sale; a wrong code names auth_code', async () => {
    const pos = new PosPage(page, baseUrl);
    await pos.open();
    await pos.typeAmount('8');
    await pos.scan(sandboxCode('13', 4));
    await says(pos, '支付失败', 15_000);
    await says(pos, 'NOT_ENOUGH');
    await shot(page, 'pos-04-declined.png');
    const declined = await lastSession(pos);
    // The code box is cleared and focused again: the shopper shows another code.
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('auth-code');
    await pos.scan('12345');
    await says(pos, 'auth_code');
    // A sandbox code from the helper buttons, then Enter, as the cashier would.
    await pos.sandboxCode(/支付宝 · 直接成功/).click();
    await page.keyboard.press('Enter');
    await says(pos, '收款成功', 15_000);
    // The same sale: the declined code and the paid one are two charges on one session of ¥8.00.
    expect(await lastSession(pos)).toBe(declined);
    expect(await merchant(`/v1/checkout/sessions/${declined}`)).toMatchObject({ status: 'paid', amount: 800, payment: { channel: 'alipay' } });
    await shot(page, 'pos-05-paid-after-decline.png');
  });
});
