// The shopper's wallet page: shows the order, pays or cancels, escapes everything it shows.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST } from '../../../worker/test/fixtures/config';
import { ledgerOf, prepay, recordNotifies, sandboxFetch, tradeNo, verifiedJson, WECHAT, wechatCall } from '../testing';

let restore: () => void;
beforeAll(() => {
  restore = recordNotifies().restore;
});
afterAll(() => restore());

async function order(over: Record<string, unknown> = {}): Promise<{ no: string; codeUrl: string }> {
  const no = tradeNo();
  const res = await wechatCall('POST', '/v3/pay/transactions/native', prepay(no, over));
  return { no, codeUrl: (await verifiedJson<{ code_url: string }>(res)).code_url };
}

const open = (codeUrl: string) => sandboxFetch(`${WECHAT}/wallet?code_url=${encodeURIComponent(codeUrl)}`);
const post = (action: 'pay' | 'cancel', codeUrl: string) =>
  sandboxFetch(`${WECHAT}/wallet/${action}`, { method: 'POST', body: new URLSearchParams({ code_url: codeUrl }) });

describe('wallet', () => {
  it('shows merchant, item, amount and state, with two labelled buttons posting the code_url', async () => {
    const { codeUrl } = await order({ description: '<script>alert("x")</script> & 茶', amount: { total: 1205 } });
    const res = await open(codeUrl);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    const html = await res.text();
    expect(html).toContain('<html lang="zh-CN">');
    expect(html).toContain('Demo Shop 演示商店');
    expect(html).toContain('12.05');
    expect(html).toContain('待支付');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; 茶');
    expect(html).not.toContain('<script>');
    expect(html).toMatch(
      /<form method="post" action="\/sandbox\/wechatpay\/wallet\/pay"><input type="hidden" name="code_url" value="weixin:\/\/wxpay\/bizpayurl\?pr=[0-9A-Za-z]{10}"><button type="submit" class="pay">确认支付 Pay<\/button><\/form>/,
    );
    expect(html).toContain('<button type="submit" class="cancel">取消 Cancel</button>');
    // Self-contained: no external assets.
    expect(html).not.toMatch(/<(link|script|img)\b/);
  });

  it('pay → 支付成功, the order is SUCCESS; paying again → 订单已支付', async () => {
    const { no, codeUrl } = await order();
    const res = await post('pay', codeUrl);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('支付成功');
    expect(html).toContain('data-result="paid"');
    const q = await wechatCall('GET', `/v3/pay/transactions/out-trade-no/${no}?mchid=${TEST.mchid}`);
    expect(await verifiedJson(q)).toMatchObject({ trade_state: 'SUCCESS' });
    expect(await (await post('pay', codeUrl)).text()).toContain('订单已支付');
    // The wallet page of a paid order shows it paid, without buttons.
    const again = await (await open(codeUrl)).text();
    expect(again).toContain('订单已支付');
    expect(again).not.toContain('确认支付');
  });

  it('cancel → 已取消; the order stays NOTPAY (WeChat notifies only on success)', async () => {
    const { no, codeUrl } = await order();
    const html = await (await post('cancel', codeUrl)).text();
    expect(html).toContain('已取消');
    expect(html).toContain('返回订单');
    const v = await ledgerOf(no);
    expect(v.order.state).toBe('NOTPAY');
    expect(v.notifies).toEqual([]);
  });

  it('a closed order → 订单已关闭, and it cannot be paid', async () => {
    const { no, codeUrl } = await order();
    await wechatCall('POST', `/v3/pay/transactions/out-trade-no/${no}/close`, { mchid: TEST.mchid });
    expect(await (await open(codeUrl)).text()).toContain('订单已关闭');
    const html = await (await post('pay', codeUrl)).text();
    expect(html).toContain('订单已关闭');
    expect((await ledgerOf(no)).order.state).toBe('CLOSED');
  });

  it('404 for an unknown or missing code_url', async () => {
    expect((await open('weixin://wxpay/bizpayurl?pr=nope000000')).status).toBe(404);
    expect((await sandboxFetch(`${WECHAT}/wallet`)).status).toBe(404);
    expect((await post('pay', 'weixin://wxpay/bizpayurl?pr=nope000000')).status).toBe(404);
  });
});
