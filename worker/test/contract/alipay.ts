// The provider contract's adapter for Alipay (alipay.trade.precreate QR) on the demo merchant: the
// Alipay simulator's control surface, and trade_status_sync notifies signed with the provider's
// signing twin (alipay/sign.ts signNotify, through ../alipay-notify).

import { expect } from 'vitest';
import type { AlipayConfig } from '../../src/providers/alipay/config';
import { downloadStatement } from '../../src/providers/alipay/bill';
import { SANDBOX_ALIPAY_PRIVATE_KEY, TEST_APP_PRIVATE_KEY_PKCS1 } from '../../src/providers/alipay/fixtures/test-keys';
import { encodeForm, signNotify } from '../../src/providers/alipay/sign';
import { alipayNotifyFields, postAlipayNotify, signedAlipayBody } from '../alipay-notify';
import { ALIPAY_TEST, TEST } from '../fixtures/config';
import { BASE, SK } from '../helpers';
import type { ContractSubject, ProviderOrder, Wire } from './provider-contract';
import { providersOf, testProviderContext } from './provider-config';
import { control, controlOk, openWalletLink } from './sandbox';

interface AlipayLedger {
  trade: { state: string };
  refunds: { out_request_no: string; amount: number }[];
  notifies: { kind: string; deliveries: { acked: boolean }[] }[];
}

const form = (body: string): Wire => ({ body, headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' } });
const flip = (s: string, i: number): string => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);
const yuan = (fen: number): string => (fen / 100).toFixed(2);

async function ledger(no: string): Promise<AlipayLedger | null> {
  const r = await control<AlipayLedger>('alipay', SK, `/orders/${no}`);
  return r.status === 404 ? null : r.json;
}

export const alipaySubject: ContractSubject = {
  provider: 'alipay',
  channel: 'alipay',
  flow: 'qr',
  merchant: { id: TEST.merchant_id, key: SK },
  // The certificate-mode test merchant: another app, verifying with its Alipay certificate.
  otherMerchant: { id: ALIPAY_TEST.cert_merchant_id, key: ALIPAY_TEST.cert_secret_key },

  async expectCreated(next, attemptId) {
    expect(next).toMatchObject({ type: 'display_qr', data: expect.stringMatching(/^https:\/\/qr\.alipay\.com\/bax0/) });
    if (next.type !== 'display_qr') return;
    expect(next.sandbox_wallet_url).toBe(`${BASE}/sandbox/alipay/cashier?qr_code=${encodeURIComponent(next.data)}`);
    // A precreated trade exists for Alipay once the shopper scans it.
    expect((await ledger(attemptId))?.trade.state).toBe('NOT_EXIST');
  },

  sandbox: {
    async order(no): Promise<ProviderOrder | null> {
      const l = await ledger(no);
      if (!l) return null;
      return {
        state: l.trade.state,
        // alipay.trade.refund moves the money on the call: a refund Alipay lists is done.
        refunds: l.refunds.map((r) => ({ no: r.out_request_no, amount: r.amount, settled: true })),
        refundNotifyAcked: l.notifies.some((n) => n.kind === 'refund' && n.deliveries.some((d) => d.acked)),
      };
    },
    pay: async (no, notify) => void (await controlOk('alipay', SK, `/orders/${no}/pay`, { notify, ...(notify === 'duplicate' ? { copies: 5 } : {}) })),
    flush: async () => void (await controlOk('alipay', SK, '/flush', {})),
    // The shopper scans the QR: from then on Alipay has a trade (WAIT_BUYER_PAY) that can be closed.
    async open(next) {
      if (next.type !== 'display_qr' || !next.sandbox_wallet_url) throw new Error('expected a display_qr with the sandbox cashier');
      await openWalletLink(next.sandbox_wallet_url);
    },
    expire: async (no) => void (await controlOk('alipay', SK, `/orders/${no}/expire`, {})),
    closed: async (no) => (await ledger(no))?.trade.state === 'TRADE_CLOSED',
  },

  notify: {
    signed: async (id, twist = {}) =>
      form(
        await signedAlipayBody(
          alipayNotifyFields(id, {
            ...(twist.amount !== undefined ? { total_amount: yuan(twist.amount), receipt_amount: yuan(twist.amount) } : {}),
            ...(twist.foreignCurrency ? { trans_currency: 'USD' } : {}),
            ...(twist.foreignApp ? { app_id: '2021999999999999', auth_app_id: '2021999999999999' } : {}),
            // The demo merchant configures seller_id, so it is checked.
            ...(twist.foreignMerchant ? { seller_id: '2088999999999999' } : {}),
          }),
        ),
      ),
    async forgedSignature(id) {
      const p = await signNotify(alipayNotifyFields(id), SANDBOX_ALIPAY_PRIVATE_KEY);
      return form(encodeForm({ ...p, sign: flip(p.sign!, 20) }));
    },
    // Signed with the app's own private key, not Alipay's.
    wrongSigner: async (id) => form(await signedAlipayBody(alipayNotifyFields(id), TEST_APP_PRIVATE_KEY_PKCS1)),
    post: (w, merchant = TEST.merchant_id) => postAlipayNotify(w.body, merchant),
    // Success is exactly the 7 bytes `success`, as text/plain.
    isSuccessAck: async (res) => res.status === 200 && (res.headers.get('content-type') ?? '').startsWith('text/plain') && (await res.text()) === 'success',
  },

  refundSettlesOnRequest: true,

  bill: {
    download: (day) => downloadStatement(testProviderContext(), providersOf(TEST.merchant_id).alipay as AlipayConfig, day),
    refundRowsNameTheOrder: true,
  },
};
