// Attack: replaying a printed Native mode-1 QR's public fields as WeChat Pay's callback (SECURITY.md).
// The product link (`weixin://wxpay/bizpayurl?sign&appid&mch_id&product_id&time_stamp&nonce_str`) is
// signed with the merchant's APIv2 key by the same rule as the callback, so its fields, posted as
// XML, used to verify: anyone holding the printed QR could make a session and a WeChat order per
// product without WeChat. Only a callback in WeChat's shape (with the scanning payer's signed openid,
// https://pay.weixin.qq.com/wiki/doc/api/native.php?chapter=6_4) makes an order.

import { SELF, env, listDurableObjectIds } from 'cloudflare:test';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { sign } from '../../src/providers/wechat-v2/sign';
import { buildXml, parseFlatXml } from '../../src/providers/wechat-v2/xml';
import { WECHAT_TEST } from '../fixtures/config';
import { BASE } from '../helpers';
import { captureWebhooks, controlAs } from '../wechat-v2';

beforeEach(() => void captureWebhooks());
afterEach(() => vi.restoreAllMocks());

const CALLBACK = `${BASE}/wechat/native/${WECHAT_TEST.v2_merchant_id}`;

/** The printed QR's fields, as the merchant's link gives them. */
async function printedLink(productId: string): Promise<Record<string, string>> {
  const res = await SELF.fetch(`${CALLBACK}/link?product_id=${productId}`, { headers: { authorization: `Bearer ${WECHAT_TEST.v2_secret_key}` } });
  const { url } = (await res.json()) as { url: string };
  return Object.fromEntries(new URLSearchParams(url.slice(url.indexOf('?') + 1)));
}

async function post(fields: Record<string, string>): Promise<{ status: number; answer: Record<string, string> }> {
  const res = await SELF.fetch(CALLBACK, { method: 'POST', headers: { 'content-type': 'text/xml' }, body: buildXml(fields) });
  return { status: res.status, answer: parseFlatXml(await res.text()) };
}

const sessions = async (): Promise<number> => (await listDurableObjectIds(env.SESSIONS)).length;

describe('the printed QR alone makes no order', () => {
  it("the link's own signed fields posted as the callback are refused, and no session is made", async () => {
    const link = await printedLink('cola');
    const before = await sessions();
    for (let i = 0; i < 5; i++) {
      const { status, answer } = await post(link);
      expect(status).toBe(400);
      expect(answer.return_code).toBe('FAIL');
      expect(answer.prepay_id).toBeUndefined();
    }
    expect(await sessions()).toBe(before);
  });

  it('adding an openid (or dropping time_stamp) breaks the signature', async () => {
    const link = await printedLink('tea');
    expect((await post({ ...link, openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o', is_subscribe: 'N' })).answer.return_code).toBe('FAIL');
    const { time_stamp: _drop, ...withoutTime } = link;
    expect((await post({ ...withoutTime, openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o', is_subscribe: 'N' })).status).toBe(401);
  });

  it("a signed body without the payer's openid is refused even when nothing else is wrong", async () => {
    const fields = { appid: WECHAT_TEST.v2_appid, mch_id: WECHAT_TEST.v2_mch_id, is_subscribe: 'N', nonce_str: 'n1234567890abcdef', product_id: 'cola' };
    const { status, answer } = await post({ ...fields, sign: await sign(fields, WECHAT_TEST.apiv2_key, 'MD5') });
    expect(status).toBe(400);
    expect(answer.return_msg).toContain('openid missing');
  });

  it("WeChat's own callback (the payer's openid, signed) still gets its prepay_id", async () => {
    // A payer the sandbox knows under the merchant's AppID (the order names the scanning payer).
    const { openid } = (await (await controlAs(WECHAT_TEST.v2_secret_key, '/openid', { appid: WECHAT_TEST.v2_appid })).json()) as { openid: string };
    const fields = {
      appid: WECHAT_TEST.v2_appid,
      openid,
      mch_id: WECHAT_TEST.v2_mch_id,
      is_subscribe: 'Y',
      nonce_str: `n${Date.now()}abcdef`,
      product_id: 'cola',
    };
    const { status, answer } = await post({ ...fields, sign: await sign(fields, WECHAT_TEST.apiv2_key, 'MD5') });
    expect(status).toBe(200);
    expect(answer).toMatchObject({ return_code: 'SUCCESS', result_code: 'SUCCESS' });
    expect(answer.prepay_id).toMatch(/^wx\d{14}/);
  });
});
