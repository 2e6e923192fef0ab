// The ledger's notify outbox: TRANSACTION.SUCCESS / REFUND.SUCCESS notifies in the provider's
// format (https://pay.weixin.qq.com/doc/v3/merchant/4012791861), the real retry schedule scaled by sandbox.time_scale
// (0.001 in the test config: 15 s → 15 ms), the same id on every retry, and the control surface's notify modes.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TEST } from '../../worker/test/fixtures/config';
import { nextRetryDelayMs, WECHAT_RETRY_SECONDS } from './schedule';
import { control, ledgerOf, openNotify, prepay, recordNotifies, tradeNo, waitFor, wechatCall, type Received } from './testing';
import type { LedgerView, SentRecord } from './ledger';

const SCALE = 0.001;
let rec: { received: Received[]; restore: () => void };
/** Per-URL status for the n-th send; default 200. */
let answers: Map<string, (nth: number) => number>;

beforeEach(() => {
  answers = new Map();
  rec = recordNotifies((url, nth) => answers.get(url)?.(nth) ?? 200);
});
afterEach(() => rec.restore());

async function paidOrder(): Promise<{ no: string; url: string }> {
  const no = tradeNo();
  const url = `https://merchant.test/n/${no}`;
  const res = await wechatCall('POST', '/v3/pay/transactions/native', prepay(no, { notify_url: url }));
  expect(res.status).toBe(200);
  return { no, url };
}

const pay = (no: string, body: unknown = {}) => control<{ result: string; notify_id: string | null }>(`/orders/${no}/pay`, body);
const sentTo = (url: string) => rec.received.filter((r) => r.url === url);
const deliveries = (v: LedgerView) => v.notifies.flatMap((n) => n.deliveries);

describe('retry schedule', () => {
  it('is 15s,15s,30s,3m,10m,20m,30m,30m,30m,60m,3h,3h,3h,6h,6h: 16 sends over 24h4m', () => {
    expect(WECHAT_RETRY_SECONDS.reduce((a, b) => a + b, 0)).toBe(24 * 3600 + 4 * 60);
    expect(nextRetryDelayMs(0, 1)).toBe(0);
    expect(nextRetryDelayMs(1, 1)).toBe(15_000);
    expect(nextRetryDelayMs(4, 1)).toBe(180_000);
    expect(nextRetryDelayMs(15, 1)).toBe(21_600_000);
    expect(nextRetryDelayMs(16, 1)).toBeNull();
    expect(nextRetryDelayMs(3, 0.001)).toBe(30);
  });
});

describe('payment notify', () => {
  it('sends TRANSACTION.SUCCESS, signed with the sandbox key and encrypted with the APIv3 key', async () => {
    const { no, url } = await paidOrder();
    const r = await pay(no);
    expect(r.json.result).toBe('paid');
    await waitFor(
      async () => sentTo(url).length,
      (n) => n >= 1,
    );
    const got = sentTo(url)[0] as Received;
    expect(got.headers['content-type']).toBe('application/json');
    expect(got.headers['wechatpay-serial']).toBe(TEST.wechatpay_public_key_id);
    const { envelope, plaintext } = await openNotify(got);
    expect(envelope).toMatchObject({ id: r.json.notify_id, resource_type: 'encrypt-resource', event_type: 'TRANSACTION.SUCCESS', summary: '支付成功' });
    expect(envelope.create_time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$/);
    expect(envelope.resource).toMatchObject({ original_type: 'transaction', algorithm: 'AEAD_AES_256_GCM', associated_data: 'transaction' });
    expect(plaintext).toMatchObject({
      out_trade_no: no,
      mchid: TEST.mchid,
      appid: TEST.appid,
      trade_state: 'SUCCESS',
      amount: { total: 8888, payer_total: 8888 },
    });
    // The notified Transaction is what a query answers.
    const v = await waitFor(
      () => ledgerOf(no),
      (l) => l.notifies[0]?.state === 'delivered',
    );
    expect(plaintext).toEqual(v.transaction);
    expect(v.notifies[0]).toMatchObject({ state: 'delivered', scheduled_sends: 1, next_attempt_at: null });
    expect(deliveries(v)).toEqual([expect.objectContaining({ status: 200, trigger: 'schedule' })]);
  });

  it('retries on any non-2xx or network error with the same id and body, on the scaled schedule', async () => {
    const { no, url } = await paidOrder();
    answers.set(url, (nth) => [500, 404, 0][nth] ?? 204);
    await pay(no);
    const v = await waitFor(
      () => ledgerOf(no),
      (l) => l.notifies[0]?.state === 'delivered',
    );
    expect(deliveries(v).map((d) => d.status)).toEqual([500, 404, 0, 204]);
    const bodies = sentTo(url).map((r) => r.body);
    expect(bodies).toHaveLength(4);
    expect(new Set(bodies).size).toBe(1);
    // Fresh signature per send: nonces differ.
    expect(new Set(sentTo(url).map((r) => r.headers['wechatpay-nonce'])).size).toBe(4);
    // Sends are never earlier than the schedule says (15 ms, 15 ms, 30 ms at scale 0.001).
    const at = deliveries(v).map((d) => Date.parse(d.at));
    for (let i = 1; i < at.length; i++) expect((at[i] as number) - (at[i - 1] as number)).toBeGreaterThanOrEqual(nextRetryDelayMs(i, SCALE) as number);
  });

  it('schedules the next attempt exactly one scaled interval after a failed send', async () => {
    const { no, url } = await paidOrder();
    answers.set(url, () => 503);
    await pay(no);
    const v = await waitFor(
      () => ledgerOf(no),
      (l) => (l.notifies[0]?.scheduled_sends ?? 0) >= 2,
    );
    const n = v.notifies[0] as LedgerView['notifies'][number];
    expect(n.state).toBe('pending');
    // One snapshot: the due time is the last send's time plus the interval for that many sends.
    const last = Date.parse((n.deliveries.at(-1) as { at: string }).at);
    expect(Date.parse(n.next_attempt_at as string) - last).toBe(nextRetryDelayMs(n.scheduled_sends, SCALE));
    answers.set(url, () => 200);
    expect(
      (
        await waitFor(
          () => ledgerOf(no),
          (l) => l.notifies[0]?.state === 'delivered',
        )
      ).notifies[0]?.state,
    ).toBe('delivered');
  });

  it('gives up after 16 unacknowledged sends (flushing skips the waits)', async () => {
    const { no, url } = await paidOrder();
    answers.set(url, () => 500);
    await pay(no);
    const v = await waitFor(
      async () => {
        await control('/flush', {});
        return ledgerOf(no);
      },
      (l) => l.notifies[0]?.state === 'exhausted',
      8000,
    );
    expect(v.notifies[0]).toMatchObject({ state: 'exhausted', scheduled_sends: 16, next_attempt_at: null });
    expect(deliveries(v)).toHaveLength(16);
    expect(new Set(sentTo(url).map((r) => JSON.parse(r.body).id)).size).toBe(1);
  });
});

describe('control surface', () => {
  it('needs a test merchant key: 401 without, 404 for a live key', async () => {
    expect((await control('/flush', {}, 'sk_test_nope')).status).toBe(401);
    expect((await control('/flush', {}, TEST.live_secret_key)).status).toBe(404);
    expect((await control(`/orders/${tradeNo()}`)).status).toBe(404);
  });

  it('drop: paid but never notified; a query is the only way to learn; /notify sends one now', async () => {
    const { no, url } = await paidOrder();
    const r = await pay(no, { notify: 'drop' });
    expect(r.json).toMatchObject({ result: 'paid', notify_id: null });
    await control('/flush', {});
    expect(sentTo(url)).toHaveLength(0);
    expect((await ledgerOf(no)).notifies).toEqual([]);
    const sent = await control<SentRecord>(`/orders/${no}/notify`, {});
    expect(sent.json).toMatchObject({ trigger: 'manual', answers: [{ status: 200, error: null }], state: 'delivered' });
    expect(sentTo(url)).toHaveLength(1);
    // Again: the same notification (same id), sent once more.
    await control(`/orders/${no}/notify`, {});
    expect(sentTo(url).map((x) => JSON.parse(x.body).id)).toEqual([sent.json.notify_id, sent.json.notify_id]);
    expect((await control(`/orders/${tradeNo()}/notify`, {})).status).toBe(404);
  });

  it('duplicate: n identical copies at once', async () => {
    const { no, url } = await paidOrder();
    await pay(no, { notify: 'duplicate', copies: 3 });
    await waitFor(
      async () => sentTo(url).length,
      (n) => n >= 3,
    );
    expect(sentTo(url)).toHaveLength(3);
    expect(new Set(sentTo(url).map((r) => JSON.parse(r.body).id)).size).toBe(1);
    const v = await waitFor(
      () => ledgerOf(no),
      (l) => l.notifies[0]?.state === 'delivered',
    );
    expect(v.notifies[0]).toMatchObject({ copies: 3, scheduled_sends: 1 });
    expect(deliveries(v)).toHaveLength(3);
    expect((await pay(no, { notify: 'duplicate', copies: 1 })).status).toBe(400);
  });

  it('paying twice is already_paid and does not notify again', async () => {
    const { no, url } = await paidOrder();
    await pay(no);
    expect((await pay(no)).json.result).toBe('already_paid');
    await waitFor(
      () => ledgerOf(no),
      (l) => l.notifies[0]?.state === 'delivered',
    );
    expect(sentTo(url)).toHaveLength(1);
  });

  it('flush delivers queued notifies now and answers what was sent', async () => {
    const { no, url } = await paidOrder();
    answers.set(url, (nth) => (nth === 0 ? 500 : 200));
    await pay(no);
    await waitFor(
      async () => sentTo(url).length,
      (n) => n >= 1,
    );
    const f = await control<{ sent: SentRecord[] }>('/flush', {});
    const mine = await waitFor(
      () => ledgerOf(no),
      (l) => l.notifies[0]?.state === 'delivered',
    );
    expect(mine.notifies[0]?.deliveries.map((d) => d.status)).toEqual([500, 200]);
    expect(f.status).toBe(200);
    expect(Array.isArray(f.json.sent)).toBe(true);
  });

  it('a refund with a notify_url is notified with REFUND.SUCCESS once it settles', async () => {
    const { no } = await paidOrder();
    await pay(no, { notify: 'drop' });
    const refundUrl = `https://merchant.test/refunds/${no}`;
    const res = await wechatCall('POST', '/v3/refund/domestic/refunds', {
      out_trade_no: no,
      out_refund_no: `R${no}`,
      notify_url: refundUrl,
      amount: { refund: 8888, total: 8888, currency: 'CNY' },
    });
    expect(res.status).toBe(200);
    await waitFor(
      async () => {
        await control('/flush', {});
        return sentTo(refundUrl).length;
      },
      (n) => n >= 1,
    );
    const { envelope, plaintext } = await openNotify(sentTo(refundUrl)[0] as Received);
    expect(envelope).toMatchObject({ event_type: 'REFUND.SUCCESS', summary: '退款成功', resource: { original_type: 'refund', associated_data: 'refund' } });
    expect(plaintext).toMatchObject({ out_trade_no: no, out_refund_no: `R${no}`, refund_status: 'SUCCESS', amount: { total: 8888, refund: 8888 } });
  });

  it('moves the ledger clock: an order past its time_expire is CLOSED', async () => {
    const no = tradeNo();
    const expire = new Date(Date.now() + 120_000).toISOString().replace(/\.\d+Z$/, 'Z');
    await wechatCall('POST', '/v3/pay/transactions/native', prepay(no, { time_expire: expire }));
    expect((await ledgerOf(no)).order.state).toBe('NOTPAY');
    const clock = await control<{ now: string }>('/clock', { advance_seconds: 121 });
    expect(Date.parse(clock.json.now)).toBeGreaterThan(Date.parse(expire));
    expect((await pay(no)).json.result).toBe('closed');
    expect((await ledgerOf(no)).order.state).toBe('CLOSED');
    const back = await control<{ now: string }>('/clock', { reset: true });
    expect(Math.abs(Date.parse(back.json.now) - Date.now())).toBeLessThan(5000);
  });
});

describe('in-process delivery', () => {
  it('a notify_url on public_base_url goes through the Worker itself, not the network', async () => {
    const no = tradeNo();
    const url = `${TEST.public_base_url}/notify/wechat_pay/${TEST.merchant_id}`;
    await wechatCall('POST', '/v3/pay/transactions/native', prepay(no, { notify_url: url }));
    await pay(no);
    const v = await waitFor(
      () => ledgerOf(no),
      (l) => deliveries(l).length >= 1,
    );
    expect(sentTo(url)).toHaveLength(0);
    // Whatever the merchant side answered, it answered: an HTTP status, not a network error.
    expect(deliveries(v)[0]?.status).toBeGreaterThan(0);
  });
});
