// The Alipay ledger's notify outbox: trade_status_sync forms signed like Alipay's
// (https://opendocs.alipay.com/open/270/105902), acknowledged only by the exact body `success`, retried on Alipay's
// schedule scaled by sandbox.time_scale (0.001 in the test config: 4 min → 240 ms), and the control surface's modes.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { importRsaPublicKey } from '../../../worker/src/crypto/rsa';
import { SANDBOX_ALIPAY_PUBLIC_KEY } from '../../../worker/src/providers/alipay/fixtures/test-keys';
import { parseFormStrict, verifyNotifySignature } from '../../../worker/src/providers/alipay/sign';
import { ALIPAY_TEST, TEST } from '../../../worker/test/fixtures/config';
import { nextRetryDelayMs } from '../schedule';
import type { LedgerView, SentRecord } from './ledger';
import { ALIPAY_RETRY_SECONDS } from './outbox';
import { control, gatewayCall, ledgerOf, precreateBiz, recordNotifies, tradeNo, verifiedAnswer, waitFor, type Received } from './testing';

const SCALE = 0.001;
let rec: ReturnType<typeof recordNotifies>;
let answers: Map<string, (nth: number) => { status: number; body: string }>;

beforeEach(() => {
  answers = new Map();
  rec = recordNotifies((url, nth) => answers.get(url)?.(nth) ?? { status: 200, body: 'success' });
});
afterEach(() => rec.restore());

async function trade(): Promise<{ no: string; url: string }> {
  const no = tradeNo();
  const url = `https://merchant.test/alipay/${no}`;
  await verifiedAnswer(await gatewayCall('alipay.trade.precreate', precreateBiz(no), { extra: { notify_url: url } }), 'alipay.trade.precreate');
  return { no, url };
}

const pay = (no: string, body: unknown = {}) => control<{ result: string; notify_id: string | null }>(`/orders/${no}/pay`, body);
const sentTo = (url: string) => rec.received.filter((r) => r.url === url);
const deliveries = (v: LedgerView) => v.notifies.flatMap((n) => n.deliveries);

async function fields(r: Received): Promise<Record<string, string>> {
  const p = parseFormStrict(r.body);
  expect(await verifyNotifySignature(p, p.sign!, await importRsaPublicKey(SANDBOX_ALIPAY_PUBLIC_KEY))).toBe(true);
  return p;
}

describe('retry schedule', () => {
  it('is 4m,10m,10m,1h,2h,6h,15h: 8 sends in about 25 hours', () => {
    expect(ALIPAY_RETRY_SECONDS.reduce((a, b) => a + b, 0)).toBe((4 + 10 + 10 + 60 + 120 + 360 + 900) * 60);
    expect(nextRetryDelayMs(1, 1, ALIPAY_RETRY_SECONDS)).toBe(240_000);
    expect(nextRetryDelayMs(7, 1, ALIPAY_RETRY_SECONDS)).toBe(54_000_000);
    expect(nextRetryDelayMs(8, 1, ALIPAY_RETRY_SECONDS)).toBeNull();
    expect(nextRetryDelayMs(2, SCALE, ALIPAY_RETRY_SECONDS)).toBe(600);
  });
});

describe('payment notify', () => {
  it('POSTs a signed trade_status_sync form (rsaCheckV1), acknowledged by `success`', async () => {
    const { no, url } = await trade();
    const r = await pay(no);
    expect(r.json.result).toBe('paid');
    await waitFor(
      async () => sentTo(url).length,
      (n) => n >= 1,
    );
    const got = sentTo(url)[0] as Received;
    expect(got.headers['content-type']).toBe('application/x-www-form-urlencoded; charset=utf-8');
    const f = await fields(got);
    expect(f).toMatchObject({
      notify_type: 'trade_status_sync',
      notify_id: r.json.notify_id,
      app_id: ALIPAY_TEST.app_id,
      auth_app_id: ALIPAY_TEST.app_id,
      charset: 'utf-8',
      version: '1.0',
      sign_type: 'RSA2',
      out_trade_no: no,
      trade_status: 'TRADE_SUCCESS',
      total_amount: '88.88',
      seller_id: ALIPAY_TEST.seller_id,
      subject: '测试商品 Test item',
      fund_bill_list: '[{"amount":"88.88","fundChannel":"ALIPAYACCOUNT"}]',
    });
    expect(f.gmt_payment).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    // The encoded body carries + only as %2B: spaces are %20, so nothing depends on + decoding.
    expect(got.body).not.toMatch(/\+/);
    const v = await waitFor(
      () => ledgerOf(no),
      (l) => l.notifies[0]?.state === 'delivered',
    );
    expect(v.notifies[0]).toMatchObject({ kind: 'payment', trade_status: 'TRADE_SUCCESS', state: 'delivered', scheduled_sends: 1, next_attempt_at: null });
    expect(deliveries(v)).toEqual([expect.objectContaining({ status: 200, acked: true, trigger: 'schedule' })]);
  });

  it('only the 7 bytes `success` acknowledge: anything else is retried with the same notify_id and body', async () => {
    const { no, url } = await trade();
    const replies = [
      { status: 200, body: 'SUCCESS' },
      { status: 200, body: 'success\n' },
      { status: 500, body: 'success' },
    ];
    answers.set(url, (nth) => replies[nth] ?? { status: 200, body: 'success' });
    await pay(no);
    const v = await waitFor(
      () => ledgerOf(no),
      (l) => l.notifies[0]?.state === 'delivered',
      8000,
    );
    expect(deliveries(v).map((d) => [d.status, d.acked])).toEqual([
      [200, false],
      [200, false],
      [500, false],
      [200, true],
    ]);
    const bodies = sentTo(url).map((r) => r.body);
    expect(new Set(bodies).size).toBe(1);
    // Never earlier than the scaled schedule: 240 ms, 600 ms, 600 ms.
    const at = deliveries(v).map((d) => Date.parse(d.at));
    for (let i = 1; i < at.length; i++)
      expect((at[i] as number) - (at[i - 1] as number)).toBeGreaterThanOrEqual(nextRetryDelayMs(i, SCALE, ALIPAY_RETRY_SECONDS) as number);
  });

  it('gives up after 8 unacknowledged sends (flushing skips the waits)', async () => {
    const { no, url } = await trade();
    answers.set(url, () => ({ status: 200, body: 'fail' }));
    await pay(no);
    const v = await waitFor(
      async () => {
        await control('/flush', {});
        return ledgerOf(no);
      },
      (l) => l.notifies[0]?.state === 'exhausted',
      8000,
    );
    expect(v.notifies[0]).toMatchObject({ state: 'exhausted', scheduled_sends: 8, next_attempt_at: null });
    expect(deliveries(v)).toHaveLength(8);
  });

  it('a refund notifies too: TRADE_SUCCESS with refund_fee, gmt_refund and out_biz_no; the full one TRADE_CLOSED', async () => {
    const { no, url } = await trade();
    await pay(no, { notify: 'drop' });
    await gatewayCall('alipay.trade.refund', { out_trade_no: no, refund_amount: '8.88', out_request_no: 'R1' });
    await gatewayCall('alipay.trade.refund', { out_trade_no: no, refund_amount: '80.00', out_request_no: 'R2' });
    await control('/flush', {});
    const got = await Promise.all(sentTo(url).map(fields));
    expect(got.map((f) => [f.trade_status, f.refund_fee, f.out_biz_no])).toEqual([
      ['TRADE_SUCCESS', '8.88', 'R1'],
      ['TRADE_CLOSED', '88.88', 'R2'],
    ]);
    expect(got[0]?.gmt_refund).toMatch(/^\d{4}-/);
    expect(got[1]?.gmt_close).toMatch(/^\d{4}-/);
  });
});

describe('control surface', () => {
  it('needs a test merchant key: 401 without, 404 for a live key', async () => {
    expect((await control('/flush', {}, 'sk_test_nope')).status).toBe(401);
    expect((await control('/flush', {}, TEST.live_secret_key)).status).toBe(404);
    expect((await control(`/orders/${tradeNo()}`)).status).toBe(404);
  });

  it('scopes every call to the key’s own app', async () => {
    const { no } = await trade();
    expect((await control(`/orders/${no}`, undefined, ALIPAY_TEST.cert_secret_key)).status).toBe(404);
  });

  it('drop: paid, never notified; /notify sends one now, with the same notify_id next time', async () => {
    const { no, url } = await trade();
    expect((await pay(no, { notify: 'drop' })).json).toMatchObject({ result: 'paid', notify_id: null });
    await control('/flush', {});
    expect(sentTo(url)).toHaveLength(0);
    const sent = await control<SentRecord>(`/orders/${no}/notify`, {});
    expect(sent.json).toMatchObject({ trigger: 'manual', answers: [{ status: 200, acked: true, error: null }], state: 'delivered' });
    await control(`/orders/${no}/notify`, {});
    expect(sentTo(url).map((x) => parseFormStrict(x.body).notify_id)).toEqual([sent.json.notify_id, sent.json.notify_id]);
    expect((await control(`/orders/${tradeNo()}/notify`, {})).status).toBe(404);
  });

  it('duplicate: n identical copies at once; paying twice is already_paid', async () => {
    const { no, url } = await trade();
    await pay(no, { notify: 'duplicate', copies: 3 });
    await waitFor(
      async () => sentTo(url).length,
      (n) => n >= 3,
    );
    expect(new Set(sentTo(url).map((r) => r.body)).size).toBe(1);
    expect((await pay(no)).json.result).toBe('already_paid');
    expect((await pay(no, { notify: 'duplicate', copies: 1 })).status).toBe(400);
  });

  it('finish: TRADE_SUCCESS → TRADE_FINISHED, notified', async () => {
    const { no, url } = await trade();
    await pay(no, { notify: 'drop' });
    expect((await control(`/orders/${no}/finish`, {})).json).toEqual({ trade_status: 'TRADE_FINISHED' });
    await control('/flush', {});
    expect((await fields(sentTo(url)[0] as Received)).trade_status).toBe('TRADE_FINISHED');
  });

  it('clock: moving it expires trades; reset puts it back', async () => {
    const no = tradeNo();
    await gatewayCall('alipay.trade.precreate', precreateBiz(no, { time_expire: '2099-01-01 00:00:00' }));
    const before = (await control<{ now: string }>('/clock', { advance_seconds: 0 })).json.now;
    const moved = (await control<{ now: string }>('/clock', { advance_seconds: 3600 })).json.now;
    expect(Date.parse(moved) - Date.parse(before)).toBeGreaterThanOrEqual(3_600_000);
    expect((await control<{ now: string }>('/clock', { reset: true })).status).toBe(200);
    expect((await control('/clock', { advance_seconds: -1 })).status).toBe(400);
  });
});
