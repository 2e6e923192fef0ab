// The provider contract's adapter for UnionPay ACP 5.1.0 on the demo merchant, with the `app` flow
// (appTransReq.do: the order exists at UnionPay from the start, with payTimeout = the session's
// expiry): the UnionPay simulator's control surface, and consume notifies signed with the provider's
// signing twin (unionpay/sign.ts signAsUnionpay, through ../unionpay-helpers). The `qr` flow's
// applied QR also exists from the start with payTimeout = the session's expiry; its expiry is tested in
// worker/src/providers/unionpay/provider.test.ts and ../unionpay-flow.test.ts.

import { expect } from 'vitest';
import { downloadStatement } from '../../src/providers/unionpay/bill';
import type { UnionpayConfig } from '../../src/providers/unionpay/config';
import { RECON_TEST, TEST } from '../fixtures/config';
import { FORGER_KEY, SELF_SIGNED_CERT } from '../fixtures/unionpay-certs';
import { SK } from '../helpers';
import { consumeNotify, postNotify, signedNotify, tampered } from '../unionpay-helpers';
import type { ContractSubject, ProviderOrder, Wire } from './provider-contract';
import { providersOf, testProviderContext } from './provider-config';
import { control, controlOk } from './sandbox';

interface UnionpayLedger {
  order: { state: string; pay_timeout: number | null };
  refunds: { order_id: string; txn_amt: number; state: string }[];
  notifies: { kind: string; state: string }[];
}

const form = (body: string): Wire => ({ body, headers: { 'content-type': 'application/x-www-form-urlencoded;charset=UTF-8' } });
const flip = (s: string, i: number): string => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);

async function ledger(orderId: string): Promise<UnionpayLedger | null> {
  const r = await control<UnionpayLedger>('unionpay', SK, `/orders/${orderId}`);
  return r.status === 404 ? null : r.json;
}

export const unionpaySubject: ContractSubject = {
  provider: 'unionpay-acp',
  channel: 'unionpay',
  flow: 'app',
  merchant: { id: TEST.merchant_id, key: SK },
  // Another test merchant on UnionPay, trusting the same sandbox chain: the notify verifies there,
  // so only the URL is wrong. (It is the reconciliation merchant; a refused notify leaves its
  // statements untouched.)
  otherMerchant: { id: RECON_TEST.merchant_id, key: RECON_TEST.secret_key },

  async expectCreated(next, attemptId) {
    expect(next).toMatchObject({ type: 'app_payload', payload: { tn: expect.stringMatching(/^\d{21}$/) } });
    expect((await ledger(attemptId))?.order.state).toBe('UNPAID');
  },

  sandbox: {
    async order(orderId): Promise<ProviderOrder | null> {
      const l = await ledger(orderId);
      if (!l) return null;
      return {
        state: l.order.state,
        refunds: l.refunds.map((r) => ({ no: r.order_id, amount: r.txn_amt, settled: r.state === 'SUCCESS' })),
        refundNotifyAcked: l.notifies.some((n) => n.kind === 'refund' && n.state === 'delivered'),
      };
    },
    pay: async (orderId, notify) =>
      void (await controlOk('unionpay', SK, `/orders/${orderId}/pay`, { notify, ...(notify === 'duplicate' ? { copies: 5 } : {}) })),
    flush: async () => void (await controlOk('unionpay', SK, '/flush', {})),
    // appTransReq made the order: nothing for the shopper to do first.
    open: async () => undefined,
    expire: async (orderId) => void (await controlOk('unionpay', SK, `/orders/${orderId}/expire`, {})),
    // UnionPay has no close for an unpaid consume: the gateway refuses it after payTimeout, which
    // Shouyin sets to the session's expiry.
    async closed(orderId, session) {
      const o = (await ledger(orderId))?.order;
      return o !== undefined && o.pay_timeout !== null && o.pay_timeout <= session.expires_at * 1000;
    },
  },

  notify: {
    signed: async (id, twist = {}) =>
      form(
        (
          await signedNotify(
            consumeNotify(id, {
              ...(twist.amount !== undefined ? { txnAmt: String(twist.amount), settleAmt: String(twist.amount) } : {}),
              // ISO 4217 numeric: 840 = USD (156 = CNY).
              ...(twist.foreignCurrency ? { currencyCode: '840' } : {}),
              ...(twist.foreignMerchant ? { merId: '777290058199999' } : {}),
            }),
          )
        ).body,
      ),
    async forgedSignature(id) {
      return form(tampered(await signedNotify(consumeNotify(id)), (f) => void (f.signature = flip(f.signature!, 20))));
    },
    // Signed by a certificate with UnionPay's CN pattern that no trusted root vouches for.
    wrongSigner: async (id) => form((await signedNotify(consumeNotify(id), { sign_key: FORGER_KEY, sign_cert: SELF_SIGNED_CERT })).body),
    post: (w, merchant = TEST.merchant_id) => postNotify(w.body, merchant),
    // Success is HTTP 200 (body `ok` by convention).
    isSuccessAck: async (res) => res.status === 200 && (await res.text()) === 'ok',
  },

  bill: {
    download: (day) => downloadStatement(testProviderContext(), providersOf(TEST.merchant_id).unionpay as UnionpayConfig, day),
    // A ZM refund record names its own orderId and the payment's queryId (origQryId), not the order.
    refundRowsNameTheOrder: false,
  },
};
