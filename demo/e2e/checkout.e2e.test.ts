// The whole product, end to end, as a shopper and a merchant see it: the demo shop in `wrangler dev`
// (demo/e2e/global-setup.mjs), real Chromium, the WeChat Pay sandbox's wallet page, the merchant API
// and the shop's webhook receiver. Screenshots of every step go to test-output/e2e/.

import { describe, expect, it } from 'vitest';
import { sign } from '../webhook-verify';
import { baseUrl, secretKey, shot, useBrowser } from './browser';
import { eventually, merchantGet } from './merchant-api';
import { ShopPage } from './pages';

const browser = useBrowser();

interface InboxEntry {
  id: string;
  type: string | null;
  object_id: string | null;
  signature_valid: boolean;
  received_at: string;
  event: { id: string; type: string; data: { object: { id: string; status: string; amount: number } } } | null;
}

interface SandboxOrderView {
  now: string;
  notifies?: { deliveries?: { at: string; status: number }[] }[];
}

/** When the sandbox started sending the first notify its receiver acknowledged (wall clock, ms). */
function firstAcknowledgedNotify(view: SandboxOrderView): number | undefined {
  // The ledger's clock is the wall clock plus any offset a test moved it by; only use it unmoved.
  if (Math.abs(Date.parse(view.now) - Date.now()) > 2000) return undefined;
  const times = (view.notifies ?? [])
    .flatMap((n) => n.deliveries ?? [])
    .filter((d) => d.status >= 200 && d.status < 300)
    .map((d) => Date.parse(d.at));
  return times.length ? Math.min(...times) : undefined;
}

describe('demo checkout', () => {
  it('a shopper pays with WeChat Pay in the sandbox; the widget flips to paid and the shop gets a signed webhook', async () => {
    const page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));

    // 1. The shop.
    const shop = new ShopPage(page, baseUrl);
    await shop.open();
    await shot(page, '01-shop.png');

    // 2. Pay → the shop's server creates a session and shows the checkout page with the widget.
    const checkout = await shop.pay(/Longjing/);
    const sessionId = checkout.sessionId;
    await checkout.channel('微信支付').waitFor();
    await shot(page, '02-checkout.png');

    // 3. WeChat Pay → a QR code.
    await checkout.payWith('微信支付');
    await checkout.sandboxWalletLink.waitFor();
    await shot(page, '03-qr.png');

    // 4. The sandbox wallet (what scanning would open on a phone) shows the amount.
    const wallet = await checkout.openSandboxWallet();
    await wallet.amount('68.00').first().waitFor();
    await wallet.payButton.waitFor();
    await shot(wallet.page, '04-wallet.png');

    // 5. Pay in the wallet → the checkout page shows paid, pushed by the server.
    const clickedAt = Date.now();
    await wallet.pay();
    await checkout.paidStatus.waitFor({ timeout: 10_000 });
    const seenAt = Date.now();
    await checkout.thankYou.waitFor();
    await checkout.serverConfirmation.waitFor({ timeout: 10_000 });
    await page.bringToFront();
    await shot(page, '05-paid.png');
    const paidEventAt = await checkout.paidEventAt();

    // The merchant side: a verified webhook, and the session says paid when asked with the secret key.
    const entry = await eventually(async () => {
      const res = await fetch(`${baseUrl}/demo/webhooks?session=${sessionId}`);
      const list = (await res.json()) as { data: InboxEntry[] };
      return list.data.find((e) => e.type === 'checkout.session.paid');
    }, 'the checkout.session.paid webhook');
    expect(entry.signature_valid).toBe(true);
    expect(entry.event?.data.object.id).toBe(sessionId);
    expect(entry.event?.data.object.amount).toBe(6800);

    const session = await merchantGet<{ status: string; amount: number }>(`/v1/checkout/sessions/${sessionId}`);
    expect(session.status).toBe('paid');
    expect(session.amount).toBe(6800);

    // How long the shopper waited, and (when the sandbox exposes it) how much of that was after the notify.
    const clientSecret = await checkout.widget.getAttribute('client-secret');
    let notifyToPaid: number | undefined;
    const view = await fetch(`${baseUrl}/v1/client/sessions/${sessionId}`, { headers: { Authorization: `Bearer ${clientSecret}` } });
    const attemptId = view.ok ? ((await view.json()) as { active_attempt?: { id?: string } | null }).active_attempt?.id : undefined;
    if (attemptId) {
      const order = await fetch(`${baseUrl}/sandbox/wechatpay/_control/orders/${attemptId}`, { headers: { Authorization: `Bearer ${secretKey}` } });
      const notifiedAt = order.ok ? firstAcknowledgedNotify((await order.json()) as SandboxOrderView) : undefined;
      if (notifiedAt !== undefined && paidEventAt !== undefined) notifyToPaid = paidEventAt - notifiedAt;
    }
    const fmt = (ms: number | undefined) => (ms === undefined ? 'n/a' : `${ms} ms`);
    console.log(
      [
        'paid latency (sandbox notify_delay_seconds 0.2):',
        `  wallet 确认支付 click → widget 'shouyin-paid' event: ${fmt(paidEventAt === undefined ? undefined : paidEventAt - clickedAt)}`,
        `  wallet 确认支付 click → paid visible to Playwright:  ${fmt(seenAt - clickedAt)}`,
        `  sandbox notify sent → widget 'shouyin-paid':         ${fmt(notifyToPaid)}`,
      ].join('\n'),
    );
    expect(pageErrors).toEqual([]);
  });

  it('the shop refuses a webhook with a bad signature and keeps one with a good one', async () => {
    const body = JSON.stringify({ id: 'evt_e2e_probe', type: 'test.probe', created: 0, data: { object: { id: 'cs_e2e_probe' } } });
    const ts = Math.floor(Date.now() / 1000);
    const bad = await fetch(`${baseUrl}/demo/webhooks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'webhook-id': 'msg_e2e_bad', 'webhook-timestamp': String(ts), 'webhook-signature': 'v1,AAAA' },
      body,
    });
    expect(bad.status).toBe(400);

    // Signed with a key the shop does not have: still refused.
    const foreign = await sign(`whsec_${btoa('0123456789abcdef0123456789abcdef')}`, 'msg_e2e_foreign', ts, body);
    const refused = await fetch(`${baseUrl}/demo/webhooks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'webhook-id': 'msg_e2e_foreign', 'webhook-timestamp': String(ts), 'webhook-signature': foreign },
      body,
    });
    expect(refused.status).toBe(400);

    const list = (await (await fetch(`${baseUrl}/demo/webhooks`)).json()) as { data: InboxEntry[] };
    const stored = list.data.filter((e) => e.id === 'msg_e2e_bad' || e.id === 'msg_e2e_foreign');
    expect(stored.map((e) => e.signature_valid)).toEqual([false, false]);
    expect(stored.every((e) => e.event === null)).toBe(true);
  });

  it('a double-submitted Pay form gets the same checkout session (Idempotency-Key)', async () => {
    const page = await browser.newPage();
    await page.goto(`${baseUrl}/`);
    const form = page.locator('form').filter({ has: page.getByRole('button', { name: /mooncake/i }) });
    const fields = await form.evaluate((f: HTMLFormElement) => new URLSearchParams(new FormData(f) as unknown as Record<string, string>).toString());
    const post = () =>
      fetch(`${baseUrl}/demo/checkout`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: fields, redirect: 'manual' });
    const [a, b] = [await post(), await post()];
    expect(a.status).toBe(303);
    expect(b.headers.get('location')).toBe(a.headers.get('location'));
    await page.close();
  });
});
