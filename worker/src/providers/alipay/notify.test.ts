// notify_url parsing (https://opendocs.alipay.com/open/270/105902): rsaCheckV1 over the values as parsed once, then the
// trade_status mapping. The session, not this module, decides whether app_id / seller_id /
// total_amount belong to the order.

import { describe, expect, it } from 'vitest';
import type { AlipayConfig } from './config';
import { SANDBOX_ALIPAY_PRIVATE_KEY } from './fixtures/test-keys';
import vectors from './fixtures/vectors.json';
import { alipayAck, parseAlipayNotify } from './notify';
import { encodeForm, signNotify, type Params } from './sign';
import type { IncomingNotify, ProviderContext } from '../types';
import { alipayConfig } from '../../../../sandbox/src/alipay/testing';

const ctx: ProviderContext = {
  fetch: () => Promise.reject(new Error('no network')),
  now: () => Date.now(),
  testMode: true,
  sandboxBaseUrl: 'https://shouyin.test/sandbox',
};
const v1 = vectors.alipay_notify_rsacheckv1;
const vectorCfg: AlipayConfig = { app_id: v1.params.app_id, private_key: SANDBOX_ALIPAY_PRIVATE_KEY, alipay_public_key: v1.alipay_public_key_spki_base64 };
const cfg = alipayConfig('demo');
const certCfg = alipayConfig('certshop');

const notify = (body: string, over: Partial<IncomingNotify> = {}): IncomingNotify => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
  body,
  contentType: 'application/x-www-form-urlencoded; charset=utf-8',
  ...over,
});

function trade(over: Params = {}): Params {
  return {
    notify_time: '2026-11-28 18:00:01',
    notify_type: 'trade_status_sync',
    notify_id: '2026112800222180001',
    app_id: '2021000000000001',
    charset: 'utf-8',
    version: '1.0',
    trade_no: '2026112822001400000000000001',
    out_trade_no: 'A1',
    buyer_id: '2088102534368455',
    seller_id: '2088000000000001',
    trade_status: 'TRADE_SUCCESS',
    total_amount: '88.88',
    subject: '测试 Test',
    gmt_create: '2026-11-28 17:59:00',
    gmt_payment: '2026-11-28 18:00:00',
    fund_bill_list: '[{"amount":"88.88","fundChannel":"ALIPAYACCOUNT"}]',
    ...over,
  };
}
const signed = async (p: Params) => encodeForm(await signNotify(p, SANDBOX_ALIPAY_PRIVATE_KEY));

describe('the alipay_notify_rsacheckv1 vector', () => {
  it('verifies from the form body and maps to a payment', async () => {
    const e = await parseAlipayNotify(ctx, vectorCfg, notify(encodeForm(v1.params)));
    expect(e).toMatchObject({
      kind: 'payment',
      payment: {
        attemptId: '20190815155618536-564-57',
        providerTransactionId: '2019081522001468450512505578',
        amount: 10,
        currency: 'CNY',
        appId: '2019073166072302',
        providerMerchantId: '2088531891668739',
        paidAt: Date.UTC(2019, 7, 15, 7, 56, 24),
        payer: '2088102534368455',
      },
    });
  });

  it('a + in sign sent unencoded (and decoded to a space) still verifies', async () => {
    const body = encodeForm(v1.params).replace(/sign=([^&]+)/, (_m, s: string) => `sign=${decodeURIComponent(s)}`);
    expect(body).toMatch(/sign=[^&]*\+/);
    expect((await parseAlipayNotify(ctx, vectorCfg, notify(body))).kind).toBe('payment');
  });

  it('a value decoded twice (the old checkNotifySign bug) fails', async () => {
    // The form parser decodes once; a value that itself contains %xx must stay as received.
    const p = await signNotify(trade({ passback_params: 'a%3Db' }), SANDBOX_ALIPAY_PRIVATE_KEY);
    expect((await parseAlipayNotify(ctx, cfg, notify(encodeForm(p)))).kind).toBe('payment');
    const doubleDecoded = encodeForm({ ...p, passback_params: 'a=b' });
    await expect(parseAlipayNotify(ctx, cfg, notify(doubleDecoded))).rejects.toMatchObject({ code: 'bad_signature' });
  });
});

describe('refused notifies', () => {
  it.each([
    ['a changed amount', (b: string) => b.replace('total_amount=88.88', 'total_amount=0.01'), 'bad_signature'],
    ['a changed out_trade_no', (b: string) => b.replace('out_trade_no=A1', 'out_trade_no=A2'), 'bad_signature'],
    ['an added field', (b: string) => `${b}&extra=1`, 'bad_signature'],
    ['a duplicated field', (b: string) => `${b}&total_amount=88.88`, 'duplicate_field'],
    ['no sign', (b: string) => b.replace(/&?sign=[^&]*/, ''), 'missing_signature'],
    ['sign_type RSA (the unsigned field cannot choose a weaker hash)', (b: string) => b.replace('sign_type=RSA2', 'sign_type=RSA'), 'unsupported_algorithm'],
    ['a malformed escape', (b: string) => `${b}&x=%E6`, 'malformed_notify'],
  ])('%s', async (_n, mutate, code) => {
    const body = mutate(await signed(trade()));
    await expect(parseAlipayNotify(ctx, cfg, notify(body))).rejects.toMatchObject({ code });
  });

  it('signed with the app key instead of Alipay’s', async () => {
    const body = encodeForm(await signNotify(trade(), cfg.private_key));
    await expect(parseAlipayNotify(ctx, cfg, notify(body))).rejects.toMatchObject({ code: 'bad_signature' });
  });

  it('a GET, and a charset other than utf-8', async () => {
    await expect(parseAlipayNotify(ctx, cfg, notify(await signed(trade()), { method: 'GET' }))).rejects.toMatchObject({ code: 'malformed_notify' });
    await expect(parseAlipayNotify(ctx, cfg, notify(await signed(trade({ charset: 'GBK' }))))).rejects.toMatchObject({ code: 'malformed_notify' });
  });

  it('an amount that is not yuan with two decimals', async () => {
    await expect(parseAlipayNotify(ctx, cfg, notify(await signed(trade({ total_amount: '88.888' }))))).rejects.toMatchObject({ code: 'malformed_notify' });
  });
});

describe('trade_status mapping', () => {
  it.each([
    ['TRADE_SUCCESS', 'payment'],
    ['TRADE_FINISHED', 'payment'],
    ['WAIT_BUYER_PAY', 'informational'],
    ['TRADE_CLOSED', 'informational'],
  ])('%s → %s', async (status, kind) => {
    const e = await parseAlipayNotify(ctx, cfg, notify(await signed(trade({ trade_status: status }))));
    expect(e.kind).toBe(kind);
    if (e.kind === 'informational') expect(e).toMatchObject({ attemptId: 'A1', state: status });
  });

  it('a refund (refund_fee, gmt_refund, out_biz_no) is a refund event, partial or full', async () => {
    const refund = { refund_fee: '8.88', gmt_refund: '2026-11-28 19:00:00', out_biz_no: 'R1' };
    expect(await parseAlipayNotify(ctx, cfg, notify(await signed(trade(refund))))).toMatchObject({
      kind: 'refund',
      attemptId: 'A1',
      refundId: 'R1',
      state: 'succeeded',
    });
    expect(await parseAlipayNotify(ctx, cfg, notify(await signed(trade({ ...refund, trade_status: 'TRADE_CLOSED' }))))).toMatchObject({
      kind: 'refund',
      refundId: 'R1',
    });
  });

  it('app_id and seller_id are reported as sent (the session compares them); no gmt_payment → notify_time', async () => {
    const { gmt_payment: _g, ...rest } = trade({ app_id: '2021999999999999', seller_id: '2088999999999999' });
    const e = await parseAlipayNotify(ctx, cfg, notify(await signed(rest)));
    expect(e).toMatchObject({
      kind: 'payment',
      payment: { appId: '2021999999999999', providerMerchantId: '2088999999999999', paidAt: Date.UTC(2026, 10, 28, 10, 0, 1) },
    });
  });

  it('an unknown trade_status, and a non-trade notify', async () => {
    await expect(parseAlipayNotify(ctx, cfg, notify(await signed(trade({ trade_status: 'NEW' }))))).rejects.toMatchObject({ code: 'malformed_notify' });
    expect(await parseAlipayNotify(ctx, cfg, notify(await signed(trade({ notify_type: 'servicemarket_order_notify' }))))).toMatchObject({
      kind: 'informational',
      state: 'servicemarket_order_notify',
    });
  });

  it('certificate mode verifies with the configured Alipay certificate', async () => {
    expect((await parseAlipayNotify(ctx, certCfg, notify(await signed(trade())))).kind).toBe('payment');
    await expect(parseAlipayNotify(ctx, certCfg, notify(encodeForm(await signNotify(trade(), certCfg.private_key))))).rejects.toMatchObject({
      code: 'bad_signature',
    });
  });
});

describe('ack', () => {
  it('success is exactly the 7 bytes `success`, text/plain, 200', () => {
    const a = alipayAck(true);
    expect(a).toEqual({ status: 200, headers: { 'Content-Type': 'text/plain; charset=utf-8' }, body: 'success' });
    expect(new TextEncoder().encode(a.body)).toHaveLength(7);
  });

  it.each([
    ['unverified', 401],
    ['unknown_order', 404],
    ['too_large', 413],
    ['not_stored', 500],
  ] as const)('%s → %d and anything but success', (reason, status) => {
    const a = alipayAck(false, { reason, message: 'x' });
    expect(a.status).toBe(status);
    expect(a.body).not.toBe('success');
  });
});
