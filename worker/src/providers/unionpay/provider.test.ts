// The UnionPay adapter against the built-in sandbox: every flow, query with the original txnTime,
// close, refund and refund query, and answers it must not believe.
import { afterEach, describe, expect, it } from 'vitest';
import { ProviderError } from '../../lib/errors';
import { UNIONPAY_TEST } from '../../../test/fixtures/config';
import {
  FRONT_URL,
  BACK_URL,
  GATEWAY,
  control,
  orderNo,
  providerCtx,
  recordNotifies,
  sandboxFetch,
  unionpayConfig,
} from '../../../../sandbox/src/unionpay/testing';
import type { CreateAttemptInput } from '../types';
import { unionpay } from './index';
import { signFields } from './sign';
import { beijingCompact } from './time';
import { encodeForm, formatRawResponse, parseRawResponse, type Fields } from './wire';

const cfg = unionpayConfig();
const input = (attemptId: string, over: Partial<CreateAttemptInput> = {}): CreateAttemptInput => ({
  attemptId,
  flow: 'page',
  amount: 8888,
  currency: 'CNY',
  description: '机械键盘 & {Mechanical} keyboard',
  expiresAt: Date.now() + 15 * 60_000,
  notifyUrl: BACK_URL,
  returnUrl: FRONT_URL,
  client: {},
  ...over,
});

let rec: ReturnType<typeof recordNotifies> | null = null;
afterEach(() => {
  rec?.restore();
  rec = null;
});

/** What a browser does with a form_post next_action. */
async function submitForm(url: string, fields: Record<string, string>): Promise<Response> {
  return sandboxFetch(url, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: encodeForm(fields), redirect: 'manual' });
}

describe('createAttempt', () => {
  it('page: a signed form_post to frontTransReq.do (07), txnTime = Beijing now, txnAmt in fen, nothing sent yet', async () => {
    const now = Date.UTC(2026, 10, 28, 16, 30, 0);
    let sent = 0;
    const ctx = providerCtx({ now: () => now, wrap: (r, send) => ((sent += 1), send(r)) });
    const id = orderNo();
    const r = await unionpay.createAttempt(ctx, cfg, input(id));
    expect(sent).toBe(0);
    expect(r.nextAction.type).toBe('form_post');
    if (r.nextAction.type !== 'form_post') return;
    expect(r.nextAction.url).toBe(`${GATEWAY}/frontTransReq.do`);
    const f = r.nextAction.fields;
    expect(f).toMatchObject({
      version: '5.1.0',
      encoding: 'UTF-8',
      signMethod: '01',
      certId: UNIONPAY_TEST.sign_cert_id,
      accessType: '0',
      merId: UNIONPAY_TEST.mer_id,
      txnType: '01',
      txnSubType: '01',
      bizType: '000201',
      channelType: '07',
      orderId: id,
      currencyCode: '156',
      txnAmt: '8888',
      txnTime: '20261129003000',
      frontUrl: FRONT_URL,
      backUrl: BACK_URL,
    });
    expect(f.payTimeout).toBe(beijingCompact(input(id).expiresAt));
    // orderDesc loses the characters that upset raw k=v& parsing.
    expect(f.orderDesc).toBe('机械键盘 Mechanical keyboard');
    expect(r.providerData).toMatchObject({ txnTime: '20261129003000', orderId: id });
    expect(f.signature).toBe((await signFields({ ...f, signature: '' }, cfg.sign_key)).signature);
  });

  it('h5: the same form with channelType 08; the browser post reaches the sandbox cashier', async () => {
    const r = await unionpay.createAttempt(providerCtx(), cfg, input(orderNo(), { flow: 'h5' }));
    if (r.nextAction.type !== 'form_post') throw new Error('expected form_post');
    expect(r.nextAction.fields.channelType).toBe('08');
    const res = await submitForm(r.nextAction.url, r.nextAction.fields);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toContain('/sandbox/unionpay/cashier?ref=');
  });

  it('app: the tn from appTransReq.do, as an app_payload', async () => {
    const r = await unionpay.createAttempt(providerCtx(), cfg, input(orderNo(), { flow: 'app' }));
    expect(r.nextAction).toMatchObject({ type: 'app_payload', payload: { tn: expect.stringMatching(/^\d{21}$/) } });
    expect(r.providerData?.tn).toBeDefined();
  });

  it('qr: the qrCode of an applied QR (01/07), with the sandbox page for it', async () => {
    const r = await unionpay.createAttempt(providerCtx(), cfg, input(orderNo(), { flow: 'qr' }));
    expect(r.nextAction).toMatchObject({ type: 'display_qr', data: expect.stringMatching(/^https:\/\/qr\.95516\.com\//) });
    if (r.nextAction.type === 'display_qr') expect(r.nextAction.sandbox_wallet_url).toContain('/sandbox/unionpay/qr?code=');
  });

  it("qr: the apply-QR request carries payTimeout = the session's expiry, in Beijing time", async () => {
    const sent: Fields[] = [];
    const ctx = providerCtx({
      wrap: async (r, send) => {
        sent.push(Object.fromEntries(new URLSearchParams(await r.clone().text())));
        return send(r);
      },
    });
    const expiresAt = Date.now() + 10 * 60_000;
    await unionpay.createAttempt(ctx, cfg, input(orderNo(), { flow: 'qr', expiresAt }));
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ txnType: '01', txnSubType: '07', payTimeout: beijingCompact(expiresAt) });
    expect(sent[0]!.payTimeout).toMatch(/^\d{14}$/);
  });

  it('qr: once payTimeout has passed, the QR cannot be paid (scanned or otherwise) and the order is closed', async () => {
    const id = orderNo();
    const created = await unionpay.createAttempt(providerCtx(), cfg, input(id, { flow: 'qr', expiresAt: Date.now() + 2 * 60_000 }));
    if (created.nextAction.type !== 'display_qr') throw new Error(`expected display_qr, got ${created.nextAction.type}`);
    const wallet = created.nextAction.sandbox_wallet_url!;
    expect(await (await sandboxFetch(wallet)).text()).toContain('data-state="UNPAID"');
    // The simulator's clock, 3 minutes on: past the session's expiry.
    await control('/clock', { advance_seconds: 3 * 60 });
    try {
      expect(await (await sandboxFetch(wallet)).text()).toContain('data-result="failed"');
      const paid = await control<{ result: string }>(`/orders/${id}/pay`, { notify: 'drop' });
      expect(paid).toMatchObject({ status: 400, json: { result: 'failed' } });
      expect((await unionpay.query(providerCtx(), cfg, id, created.providerData)).state).toBe('closed');
    } finally {
      await control('/clock', { reset: true });
    }
  });

  it('refuses an orderId that is not 8–40 letters and digits, and a non-integer amount', async () => {
    await expect(unionpay.createAttempt(providerCtx(), cfg, input('abc_1234'))).rejects.toMatchObject({ code: 'order_id_invalid' });
    await expect(unionpay.createAttempt(providerCtx(), cfg, input('ABC1234'))).rejects.toMatchObject({ code: 'order_id_invalid' });
    await expect(unionpay.createAttempt(providerCtx(), cfg, input(orderNo(), { amount: 88.8 }))).rejects.toMatchObject({ code: 'amount_invalid' });
  });

  it('live merchants go to gateway.95516.com; a configured gateway is used as is', async () => {
    const urls: string[] = [];
    const ctx = { ...providerCtx({ testMode: false }), fetch: async (r: Request) => (urls.push(r.url), new Response('', { status: 503 })) };
    const live = await unionpay.createAttempt(ctx, unionpayConfig('live'), input(orderNo()));
    if (live.nextAction.type === 'form_post') expect(live.nextAction.url).toBe('https://gateway.95516.com/gateway/api/frontTransReq.do');
    const viaTest = await unionpay.createAttempt(providerCtx(), { ...cfg, gateway: 'https://gateway.test.95516.com' }, input(orderNo()));
    if (viaTest.nextAction.type === 'form_post') expect(viaTest.nextAction.url).toBe('https://gateway.test.95516.com/gateway/api/frontTransReq.do');
    await expect(unionpay.createAttempt(ctx, unionpayConfig('live'), input(orderNo(), { flow: 'app' }))).rejects.toMatchObject({
      code: 'provider_unavailable',
      retryable: true,
    });
    expect(urls).toEqual(['https://gateway.95516.com/gateway/api/appTransReq.do']);
  });
});

describe('query and close (orderId + the original txnTime)', () => {
  it('not_found before the browser posted the form, pending after, paid once paid; close follows', async () => {
    rec = recordNotifies();
    const id = orderNo();
    const created = await unionpay.createAttempt(providerCtx(), cfg, input(id));
    const data = created.providerData;
    expect((await unionpay.query(providerCtx(), cfg, id, data)).state).toBe('not_found');
    expect((await unionpay.close(providerCtx(), cfg, id, data)).state).toBe('not_found');
    if (created.nextAction.type === 'form_post') await submitForm(created.nextAction.url, created.nextAction.fields);
    expect((await unionpay.query(providerCtx(), cfg, id, data)).state).toBe('pending');
    expect((await unionpay.close(providerCtx(), cfg, id, data)).state).toBe('closed');
    await control(`/orders/${id}/pay`, { notify: 'drop' });
    const q = await unionpay.query(providerCtx(), cfg, id, data);
    expect(q.state).toBe('paid');
    if (q.state === 'paid') {
      expect(q.payment).toMatchObject({ attemptId: id, amount: 8888, currency: 'CNY', providerMerchantId: UNIONPAY_TEST.mer_id });
      expect(q.payment.providerTransactionId).toMatch(/^\d{21}$/);
    }
    expect((await unionpay.close(providerCtx(), cfg, id, data)).state).toBe('already_paid');
  });

  it('a query sent with "now" instead of the original txnTime finds nothing', async () => {
    const id = orderNo();
    const created = await unionpay.createAttempt(providerCtx(), cfg, input(id, { flow: 'app' }));
    expect((await unionpay.query(providerCtx(), cfg, id, { txnTime: beijingCompact(Date.now() + 1000) })).state).toBe('not_found');
    expect((await unionpay.query(providerCtx(), cfg, id, created.providerData)).state).toBe('pending');
  });

  it('closed once payTimeout passed; a query without the stored txnTime is refused', async () => {
    const id = orderNo();
    const created = await unionpay.createAttempt(providerCtx(), cfg, input(id, { flow: 'app' }));
    await control(`/orders/${id}/expire`, {});
    expect((await unionpay.query(providerCtx(), cfg, id, created.providerData)).state).toBe('closed');
    await expect(unionpay.query(providerCtx(), cfg, id)).rejects.toMatchObject({ code: 'txn_time_missing', retryable: false });
  });
});

describe('answers that are not believed', () => {
  const tamper = (edit: (f: Fields) => void) => async (r: Request, send: (r: Request) => Promise<Response>) => {
    const res = await send(r);
    const f = parseRawResponse(await res.text());
    edit(f);
    return new Response(formatRawResponse(f), { status: 200 });
  };

  it('a changed field, a stripped signature, an LF-normalised certificate → response_unverified (retryable)', async () => {
    for (const edit of [
      (f: Fields) => void (f.tn = '1'),
      (f: Fields) => void delete f.signature,
      (f: Fields) => void (f.signPubKeyCert = f.signPubKeyCert!.replace(/\r\n/g, '\n')),
    ]) {
      const e = await unionpay.createAttempt(providerCtx({ wrap: tamper(edit) }), cfg, input(orderNo(), { flow: 'app' })).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(ProviderError);
      expect(e).toMatchObject({ code: 'response_unverified', retryable: true });
    }
  });

  it('a verified refusal (respCode 11) is an error that is not retried blindly', async () => {
    const e = await unionpay.createAttempt(providerCtx(), { ...cfg, sign_cert_id: '1' }, input(orderNo(), { flow: 'app' })).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'unionpay_11', retryable: false });
  });

  it('a live merchant (prod mode) refuses the sandbox’s test-environment certificate', async () => {
    const e = await unionpay
      .createAttempt(providerCtx({ testMode: false }), { ...cfg, gateway: GATEWAY.replace('/gateway/api', '') }, input(orderNo(), { flow: 'app' }))
      .catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'response_unverified' });
    expect((e as Error).message).toContain('cert_owner');
  });

  it('HTTP 5xx and an unreadable answer are unknown outcomes (retryable)', async () => {
    await expect(
      unionpay.createAttempt(providerCtx({ wrap: async () => new Response('busy', { status: 502 }) }), cfg, input(orderNo(), { flow: 'qr' })),
    ).rejects.toMatchObject({ code: 'provider_unavailable', retryable: true });
    await expect(
      unionpay.createAttempt(providerCtx({ wrap: async () => new Response('a=1&a=2') }), cfg, input(orderNo(), { flow: 'qr' })),
    ).rejects.toMatchObject({ code: 'invalid_response', retryable: true });
  });
});

describe('refund and refund query', () => {
  async function paid(): Promise<{ id: string; queryId: string; data: Record<string, string> }> {
    const id = orderNo();
    const created = await unionpay.createAttempt(providerCtx(), cfg, input(id, { flow: 'app' }));
    await control(`/orders/${id}/pay`, { notify: 'drop' });
    const q = await unionpay.query(providerCtx(), cfg, id, created.providerData);
    if (q.state !== 'paid') throw new Error('not paid');
    return { id, queryId: q.payment.providerTransactionId, data: created.providerData! };
  }

  it('a partial refund is accepted (pending) with its own orderId + txnTime, then succeeds by query', async () => {
    rec = recordNotifies();
    const { id, queryId, data } = await paid();
    const refundId = `${id}R1`;
    const r = await unionpay.refund(providerCtx(), cfg, {
      attemptId: id,
      providerData: data,
      providerTransactionId: queryId,
      refundId,
      amount: 1000,
      total: 8888,
      currency: 'CNY',
      notifyUrl: BACK_URL,
    });
    expect(r.state).toBe('pending');
    expect(r.providerData).toMatchObject({ orderId: refundId, txnTime: expect.stringMatching(/^\d{14}$/) });
    expect(r.providerRefundId).toMatch(/^\d{21}$/);
    await control('/flush', {});
    expect((await unionpay.refundQuery(providerCtx(), cfg, refundId, r.providerData)).state).toBe('succeeded');
    // A retry of the same refund (same orderId) is 12 at the gateway: still pending, found by query.
    const again = await unionpay.refund(providerCtx(), cfg, {
      attemptId: id,
      providerData: data,
      providerTransactionId: queryId,
      refundId,
      amount: 1000,
      total: 8888,
      currency: 'CNY',
      notifyUrl: BACK_URL,
    });
    expect(again.state).toBe('pending');
  });

  it('more than remains is failed (36); a refund without origQryId is refused before sending', async () => {
    const { id, queryId, data } = await paid();
    const r = await unionpay.refund(providerCtx(), cfg, {
      attemptId: id,
      providerData: data,
      providerTransactionId: queryId,
      refundId: `${id}R2`,
      amount: 9000,
      total: 8888,
      currency: 'CNY',
      notifyUrl: BACK_URL,
    });
    expect(r.state).toBe('failed');
    await expect(
      unionpay.refund(providerCtx(), cfg, { attemptId: id, refundId: `${id}R3`, amount: 1, total: 8888, currency: 'CNY', notifyUrl: BACK_URL }),
    ).rejects.toMatchObject({ code: 'orig_qry_id_missing' });
  });
});
