// The provider contract's adapter for WeChat Pay APIv2 (NATIVE unifiedorder) on the APIv2 test
// merchant: the WeChat Pay simulator's control surface (shared with APIv3), and v2 XML notifies
// signed with the provider's signing twin (wechat-v2/sign.ts, through ../wechat-v2).

import { expect } from 'vitest';
import { downloadStatement } from '../../src/providers/wechat-v2/bill';
import type { WechatPayV2Config } from '../../src/providers/wechat-v2/config';
import { signed } from '../../src/providers/wechat-v2/sign';
import { buildXml } from '../../src/providers/wechat-v2/xml';
import { RECON_TEST } from '../fixtures/config';
import { SUCCESS_ACK, V2, postV2Notify, v2NotifyXml, v2Payment } from '../wechat-v2';
import type { ContractSubject, Wire } from './provider-contract';
import { providersOf, testProviderContext } from './provider-config';
import { wechatSandbox } from './wechat-v3';

const xml = (body: string): Wire => ({ body, headers: { 'content-type': 'text/xml' } });
const flip = (s: string, i: number): string => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);

const sandbox = wechatSandbox(V2.key);

export const wechatV2Subject: ContractSubject = {
  provider: 'wechat-v2',
  channel: 'wechat_pay',
  flow: 'qr',
  merchant: { id: V2.merchant, key: V2.key },
  // Another APIv2 test merchant with the same APIv2 key and the same sign_type (MD5): the notify
  // verifies there, so only the URL is wrong. (At the HMAC-SHA256 merchant an MD5 sign is refused
  // before that: worker/test/wechat-v2-flow.test.ts.)
  otherMerchant: { id: RECON_TEST.v2_merchant_id, key: RECON_TEST.v2_secret_key },

  async expectCreated(next, attemptId) {
    expect(next).toMatchObject({ type: 'display_qr', data: expect.stringMatching(/^weixin:\/\/wxpay\/bizpayurl\?pr=[0-9A-Za-z]{10}$/) });
    if (next.type !== 'display_qr') return;
    expect(next.sandbox_wallet_url).toContain('/sandbox/wechatpay/wallet?code_url=');
    // Native mode 2: product_id is required, and is the order's own number.
    expect((await sandbox.ledger(attemptId))?.order).toMatchObject({
      api: 'v2',
      trade_type: 'NATIVE',
      state: 'NOTPAY',
      sign_type: 'MD5',
      product_id: attemptId,
    });
  },

  sandbox,

  notify: {
    signed: async (id, twist = {}) =>
      xml(
        await v2NotifyXml(
          v2Payment(id, {
            ...(twist.amount !== undefined ? { total_fee: String(twist.amount) } : {}),
            ...(twist.foreignCurrency ? { fee_type: 'USD' } : {}),
            ...(twist.foreignApp ? { appid: 'wx0000000000000000' } : {}),
            ...(twist.foreignMerchant ? { mch_id: '10009999' } : {}),
          }),
        ),
      ),
    async forgedSignature(id) {
      const f = await signed(v2Payment(id), V2.apiKey, 'MD5');
      return xml(buildXml({ ...f, sign: flip(f.sign!, 5) }));
    },
    // A valid MD5 sign, but with a key that is not the merchant's APIv2 key (v2 notifies name no serial).
    wrongSigner: async (id) => xml(await v2NotifyXml(v2Payment(id), 'MD5', 'ffffffffffffffffffffffffffffffff')),
    post: (w, merchant = V2.merchant) => postV2Notify(w.body, merchant),
    // Success is exactly the SUCCESS XML; anything else makes WeChat Pay send again.
    isSuccessAck: async (res) => res.status === 200 && (res.headers.get('content-type') ?? '').startsWith('text/xml') && (await res.text()) === SUCCESS_ACK,
  },

  bill: {
    download: (day) => downloadStatement(testProviderContext(), providersOf(V2.merchant).wechat_pay as WechatPayV2Config, day),
    refundRowsNameTheOrder: true,
  },
};
