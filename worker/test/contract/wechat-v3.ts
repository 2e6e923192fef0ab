// The provider contract's adapter for WeChat Pay APIv3 (Native QR) on the demo merchant: the WeChat
// Pay simulator's control surface, and v3 notifies built with the provider's signing twins
// (encryptResource + signResponse, through ../wechat-notify).

import { expect } from 'vitest';
import type { WechatPayV3Config } from '../../src/providers/wechat-v3/config';
import { downloadStatement } from '../../src/providers/wechat-v3/bill';
import { SK } from '../helpers';
import { TEST, WECHAT_TEST } from '../fixtures/config';
import { postNotify, signedNotify, transaction } from '../wechat-notify';
import type { ContractSubject, ProviderOrder, Wire } from './provider-contract';
import { providersOf, testProviderContext } from './provider-config';
import { control, controlOk } from './sandbox';

/** What the WeChat Pay simulator shows of an order (APIv3 and APIv2 orders alike). */
export interface WechatLedger {
  order: { api: string; trade_type: string; state: string; sign_type: string | null; product_id: string | null };
  refunds: { out_refund_no: string; status: string; amount: { refund: number } }[];
  notifies: { event_type: string; state: string }[];
}

/** The WeChat Pay simulator as the merchant with secret key `key` (APIv3 and APIv2 share it). */
export function wechatSandbox(key: string): ContractSubject['sandbox'] & { ledger(no: string): Promise<WechatLedger | null> } {
  const ledger = async (no: string): Promise<WechatLedger | null> => {
    const r = await control<WechatLedger>('wechatpay', key, `/orders/${no}`);
    return r.status === 404 ? null : r.json;
  };
  return {
    ledger,
    async order(no): Promise<ProviderOrder | null> {
      const l = await ledger(no);
      if (!l) return null;
      return {
        state: l.order.state,
        refunds: l.refunds.map((r) => ({ no: r.out_refund_no, amount: r.amount.refund, settled: r.status === 'SUCCESS' })),
        refundNotifyAcked: l.notifies.some((n) => n.event_type === 'REFUND.SUCCESS' && n.state === 'delivered'),
      };
    },
    pay: async (no, notify) => void (await controlOk('wechatpay', key, `/orders/${no}/pay`, { notify, ...(notify === 'duplicate' ? { copies: 5 } : {}) })),
    flush: async () => void (await controlOk('wechatpay', key, '/flush', {})),
    // A Native QR is an order at WeChat Pay from the start: nothing for the shopper to do first.
    open: async () => undefined,
    expire: async (no) => void (await controlOk('wechatpay', key, `/orders/${no}/expire`, {})),
    closed: async (no) => (await ledger(no))?.order.state === 'CLOSED',
  };
}

const flip = (s: string, i: number): string => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);

const sandbox = wechatSandbox(SK);

export const wechatV3Subject: ContractSubject = {
  provider: 'wechat-v3',
  channel: 'wechat_pay',
  flow: 'qr',
  merchant: { id: TEST.merchant_id, key: SK },
  // Another APIv3 test merchant: same WeChat Pay public key and APIv3 key, so only the URL is wrong.
  otherMerchant: { id: WECHAT_TEST.v3oauth_merchant_id, key: WECHAT_TEST.v3oauth_secret_key },

  async expectCreated(next, attemptId) {
    expect(next).toMatchObject({ type: 'display_qr', data: expect.stringMatching(/^weixin:\/\/wxpay\/bizpayurl\?pr=[0-9A-Za-z]+$/) });
    if (next.type !== 'display_qr') return;
    expect(next.sandbox_wallet_url).toContain('/sandbox/wechatpay/wallet?code_url=');
    expect((await sandbox.ledger(attemptId))?.order).toMatchObject({ api: 'v3', trade_type: 'NATIVE', state: 'NOTPAY' });
  },

  sandbox,

  notify: {
    signed: (id, twist = {}) =>
      signedNotify(
        transaction(id, {
          ...(twist.amount !== undefined ? { amount: twist.amount } : {}),
          ...(twist.foreignCurrency ? { currency: 'USD' } : {}),
          ...(twist.foreignApp ? { appid: 'wx0000000000000000' } : {}),
          ...(twist.foreignMerchant ? { mchid: '1111111111' } : {}),
        }),
      ),
    async forgedSignature(id) {
      const n = await signedNotify(transaction(id));
      return { ...n, headers: { ...n.headers, 'Wechatpay-Signature': flip(n.headers['Wechatpay-Signature']!, 10) } };
    },
    // WeChat Pay refuses a Wechatpay-Timestamp 5 minutes or more away from now.
    staleTimestamp: (id) => signedNotify(transaction(id), { timestamp: Math.floor(Date.now() / 1000) - 301 }),
    async wrongSigner(id) {
      const n = await signedNotify(transaction(id));
      return { ...n, headers: { ...n.headers, 'Wechatpay-Serial': 'PUB_KEY_ID_0000000000000000000000000000' } };
    },
    post: (w: Wire, merchant = TEST.merchant_id) => postNotify(w, merchant),
    // Success is 2xx with no body needed; Shouyin answers 204.
    isSuccessAck: async (res) => res.status === 204 && (await res.text()) === '',
  },

  bill: {
    download: (day) => downloadStatement(testProviderContext(), providersOf(TEST.merchant_id).wechat_pay as WechatPayV3Config, day),
    refundRowsNameTheOrder: true,
  },
};
