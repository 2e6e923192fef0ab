// The shopper's cashier: scanning a precreate QR, the page / wap cashier, Pay and Cancel, and the
// signed return_url redirect (https://opendocs.alipay.com/open/59da99d0_alipay.trade.page.pay?pathHash=8e24911d).

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { importRsaPublicKey } from '../../../worker/src/crypto/rsa';
import { SANDBOX_ALIPAY_PUBLIC_KEY } from '../../../worker/src/providers/alipay/fixtures/test-keys';
import { parseFormStrict, verifyNotifySignature } from '../../../worker/src/providers/alipay/sign';
import { ALIPAY_TEST } from '../../../worker/test/fixtures/config';
import { SANDBOX, control, gatewayCall, ledgerOf, precreateBiz, recordNotifies, sandboxFetch, tradeNo, verifiedAnswer, waitFor } from './testing';

let rec: ReturnType<typeof recordNotifies>;
beforeEach(() => (rec = recordNotifies()));
afterEach(() => rec.restore());

const CASHIER = `${SANDBOX}/alipay/cashier`;

function form(html: string, action: 'pay' | 'cancel'): { action: string; token: string } {
  const m = new RegExp(`<form method="post" action="([^"]+/${action})"><input type="hidden" name="token" value="([A-Za-z0-9]+)">`).exec(html);
  if (!m) throw new Error(`no ${action} form in ${html.slice(0, 200)}`);
  return { action: m[1] as string, token: m[2] as string };
}

const post = (path: string, token: string) =>
  sandboxFetch(`https://shouyin.test${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: `token=${token}`,
    redirect: 'manual',
  });

async function qrTrade(): Promise<{ no: string; qr: string; url: string }> {
  const no = tradeNo();
  const url = `https://merchant.test/alipay/${no}`;
  const { data } = await verifiedAnswer(
    await gatewayCall('alipay.trade.precreate', precreateBiz(no), { extra: { notify_url: url } }),
    'alipay.trade.precreate',
  );
  return { no, qr: data.qr_code as string, url };
}

async function cashierPage(method: 'alipay.trade.page.pay' | 'alipay.trade.wap.pay', extra: Record<string, string>, over: Record<string, unknown> = {}) {
  const no = tradeNo();
  const res = await gatewayCall(
    method,
    {
      out_trade_no: no,
      total_amount: '12.34',
      subject: '网页支付',
      product_code: method === 'alipay.trade.page.pay' ? 'FAST_INSTANT_TRADE_PAY' : 'QUICK_WAP_WAY',
      ...over,
    },
    { extra: { notify_url: `https://merchant.test/alipay/${no}`, ...extra } },
  );
  return { no, html: await res.text() };
}

describe('QR cashier', () => {
  it('scanning shows the merchant, item and amount with 确认付款 Pay and 取消 Cancel; the trade now exists', async () => {
    const { no, qr } = await qrTrade();
    const res = await sandboxFetch(`${CASHIER}?qr_code=${encodeURIComponent(qr)}`);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await res.text();
    for (const s of ['Demo Shop 演示商店', '测试商品 Test item', '88.88', no, '确认付款 Pay', '取消 Cancel', 'data-state="WAIT_BUYER_PAY"'])
      expect(html).toContain(s);
    expect((await ledgerOf(no)).trade.state).toBe('WAIT_BUYER_PAY');
  });

  it('Pay: paid page, and the notify goes out', async () => {
    const { no, qr, url } = await qrTrade();
    const html = await (await sandboxFetch(`${CASHIER}?qr_code=${encodeURIComponent(qr)}`)).text();
    const f = form(html, 'pay');
    const paid = await (await post(f.action, f.token)).text();
    expect(paid).toContain('支付成功');
    expect((await ledgerOf(no)).trade.state).toBe('TRADE_SUCCESS');
    await waitFor(
      async () => rec.received.filter((r) => r.url === url).length,
      (n) => n >= 1,
    );
    // Paying again from a stale page says so, and nothing new is sent.
    expect(await (await post(f.action, f.token)).text()).toContain('订单已支付');
  });

  it('Cancel leaves the trade unpaid and open', async () => {
    const { no, qr } = await qrTrade();
    const f = form(await (await sandboxFetch(`${CASHIER}?qr_code=${encodeURIComponent(qr)}`)).text(), 'cancel');
    expect(await (await post(f.action, f.token)).text()).toContain('已取消付款');
    expect((await ledgerOf(no)).trade.state).toBe('WAIT_BUYER_PAY');
  });

  it('an unknown code or token is a 404 page', async () => {
    const res = await sandboxFetch(`${CASHIER}?qr_code=${encodeURIComponent('https://qr.alipay.com/bax0nothing')}`);
    expect(res.status).toBe(404);
    expect((await post('/sandbox/alipay/cashier/pay', 'nope')).status).toBe(404);
  });
});

describe('page / wap cashier', () => {
  it('Pay on page.pay: 303 to return_url with the sync parameters, signed like a notify', async () => {
    const { no, html } = await cashierPage('alipay.trade.page.pay', { return_url: 'https://merchant.test/return/cs_x?lang=zh' });
    expect(html).toContain('电脑网站支付');
    const f = form(html, 'pay');
    const res = await post(f.action, f.token);
    expect(res.status).toBe(303);
    const loc = new URL(res.headers.get('location') as string);
    expect(`${loc.origin}${loc.pathname}`).toBe('https://merchant.test/return/cs_x');
    const params = parseFormStrict(loc.search.slice(1));
    expect(params).toMatchObject({
      lang: 'zh',
      out_trade_no: no,
      total_amount: '12.34',
      app_id: ALIPAY_TEST.app_id,
      seller_id: ALIPAY_TEST.seller_id,
      method: 'alipay.trade.page.pay.return',
      sign_type: 'RSA2',
    });
    const { lang: _l, ...signed } = params;
    expect(await verifyNotifySignature(signed, signed.sign!, await importRsaPublicKey(SANDBOX_ALIPAY_PUBLIC_KEY))).toBe(true);
    expect((await ledgerOf(no)).trade.state).toBe('TRADE_SUCCESS');
  });

  it('Cancel on wap.pay: 303 to quit_url; the trade stays open', async () => {
    const { no, html } = await cashierPage(
      'alipay.trade.wap.pay',
      { return_url: 'https://merchant.test/return/cs_y' },
      { quit_url: 'https://merchant.test/quit' },
    );
    expect(html).toContain('手机网站支付');
    const f = form(html, 'cancel');
    const res = await post(f.action, f.token);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('https://merchant.test/quit');
    expect((await ledgerOf(no)).trade.state).toBe('WAIT_BUYER_PAY');
  });

  it('Cancel on page.pay offers the way back to the merchant, unsigned', async () => {
    const { html } = await cashierPage('alipay.trade.page.pay', { return_url: 'https://merchant.test/return/cs_z' });
    const f = form(html, 'cancel');
    const page = await (await post(f.action, f.token)).text();
    expect(page).toContain('href="https://merchant.test/return/cs_z"');
  });

  it('the same signed form again shows the same trade; after payment, that it is paid', async () => {
    const no = tradeNo();
    const biz = { out_trade_no: no, total_amount: '1.00', subject: 'x', product_code: 'FAST_INSTANT_TRADE_PAY' };
    const first = form(await (await gatewayCall('alipay.trade.page.pay', biz)).text(), 'pay');
    const again = form(await (await gatewayCall('alipay.trade.page.pay', biz)).text(), 'pay');
    expect(again.token).toBe(first.token);
    await control(`/orders/${no}/pay`, { notify: 'drop' });
    expect(await (await gatewayCall('alipay.trade.page.pay', biz)).text()).toContain('ACQ.TRADE_HAS_SUCCESS');
  });
});
