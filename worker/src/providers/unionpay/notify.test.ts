// parseNotify / ack (https://open.unionpay.com/tjweb/acproduct/APIList?acpAPIId=754&apiservId=448&version=V2.2): verify
// first, then map consume, refund and other notifies.
import { describe, expect, it } from 'vitest';
import { VerificationError } from '../../lib/errors';
import { UNIONPAY_TEST } from '../../../test/fixtures/config';
import { UNIONPAY_SANDBOX_SIGN_CERT, UNIONPAY_SANDBOX_SIGN_KEY } from '../../../test/fixtures/unionpay-certs';
import { providerCtx, unionpayConfig } from '../../../../sandbox/src/unionpay/testing';
import type { IncomingNotify } from '../types';
import { unionpay } from './index';
import { notifyFields } from './notify';
import { signAsUnionpay } from './sign';
import { encodeForm, type Fields } from './wire';

const cfg = unionpayConfig();
const signer = { sign_key: UNIONPAY_SANDBOX_SIGN_KEY, sign_cert: UNIONPAY_SANDBOX_SIGN_CERT };
const base: Fields = {
  accessType: '0',
  bizType: '000201',
  currencyCode: '156',
  encoding: 'UTF-8',
  merId: UNIONPAY_TEST.mer_id,
  orderId: 'ABCDEFGHIJKLMNOPQRSTUVWXA1',
  queryId: '261128180000123456789',
  respCode: '00',
  respMsg: '成功[0000000]',
  txnAmt: '8888',
  txnSubType: '01',
  txnTime: '20261128180000',
  txnType: '01',
  version: '5.1.0',
  signMethod: '01',
};
const incoming = async (f: Fields): Promise<IncomingNotify> => ({
  method: 'POST',
  headers: {},
  contentType: 'application/x-www-form-urlencoded',
  body: encodeForm(await signAsUnionpay(f, signer)),
});
const parse = async (f: Fields) => unionpay.parseNotify(providerCtx(), cfg, await incoming(f));

describe('parseNotify', () => {
  it('a successful consume (00 or A6) is a payment with orderId, queryId, txnAmt, merId', async () => {
    for (const respCode of ['00', 'A6']) {
      const e = await parse({ ...base, respCode });
      expect(e.kind).toBe('payment');
      if (e.kind === 'payment') {
        expect(e.payment).toMatchObject({
          attemptId: base.orderId,
          providerTransactionId: base.queryId,
          amount: 8888,
          currency: 'CNY',
          providerMerchantId: UNIONPAY_TEST.mer_id,
        });
      }
    }
  });

  it('another currency is passed on for the session to record as a mismatch', async () => {
    const e = await parse({ ...base, currencyCode: '840' });
    expect(e.kind === 'payment' && e.payment.currency).toBe('ISO4217:840');
  });

  it('a failed consume is informational: acknowledged, moves nothing', async () => {
    expect(await parse({ ...base, respCode: '01' })).toMatchObject({ kind: 'informational', attemptId: base.orderId, state: 'consume:01' });
  });

  it('a refund (04) names its own orderId and the attempt it refunds (reqReserved); 00 succeeded, else failed', async () => {
    const refund = {
      ...base,
      txnType: '04',
      txnSubType: '00',
      orderId: 'ABCDEFGHIJKLMNOPQRSTUVWXR1',
      origQryId: base.queryId!,
      queryId: '261128190000123456789',
      reqReserved: base.orderId!,
    };
    expect(await parse(refund)).toMatchObject({
      kind: 'refund',
      attemptId: base.orderId,
      refundId: refund.orderId,
      state: 'succeeded',
      providerRefundId: refund.queryId,
    });
    expect(await parse({ ...refund, respCode: '30' })).toMatchObject({ kind: 'refund', state: 'failed' });
  });

  it('an undo (31) is informational', async () => {
    expect(await parse({ ...base, txnType: '31', txnSubType: '00' })).toMatchObject({ kind: 'informational', state: 'txnType:31:00' });
  });

  it('refuses a non-UTF-8 encoding and a body that is not a form, before anything else', async () => {
    expect(() => notifyFields('encoding=GBK&respCode=00')).toThrow(VerificationError);
    expect(() => notifyFields('a=%E4')).toThrow(VerificationError);
    await expect(unionpay.parseNotify(providerCtx(), cfg, { method: 'POST', headers: {}, contentType: '', body: encodeForm(base) })).rejects.toMatchObject({
      code: 'missing_signature',
    });
  });
});

describe('ack', () => {
  it('success is HTTP 200 with the body ok; failures are anything else, so UnionPay sends again', () => {
    expect(unionpay.ack(true)).toEqual({ status: 200, headers: { 'Content-Type': 'text/plain; charset=utf-8' }, body: 'ok' });
    expect(unionpay.ack(false, { reason: 'unverified', message: 'verification failed: bad_signature' }).status).toBe(401);
    expect(unionpay.ack(false, { reason: 'not_stored', message: 'x' }).status).toBe(500);
    expect(unionpay.ack(false, { reason: 'unknown_order', message: 'x' }).body).not.toBe('ok');
  });
});
