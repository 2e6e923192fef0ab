// One checkout paid twice, on two rails: the shopper had the WeChat Pay QR open on one device and the
// Alipay QR on another, and paid both before either order could be closed. docs/reliability.md
// (#anomalies) promises: the first payment is the session's, once; the second is a `payment.anomaly`
// (`duplicate_payment`), never a second `paid`, and is refunded in full through its own provider
// automatically (`auto_refund_anomalies`, on by default); automatic refunds do not count in the
// session's `amount_refunded`. Everything runs in workerd against the built-in simulators.

import { SELF, env, runInDurableObject } from 'cloudflare:test';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CheckoutSession } from '../src/session/durable-object';
import { alipayNotifyFields, postAlipayNotify, signedAlipayBody } from './alipay-notify';
import { alipaySubject } from './contract/alipay';
import { controlOk } from './contract/sandbox';
import { createSession, drain, retrieve, setClock, setProviderFetch, snapshot, startAttempt, type Merchant } from './contract/session';
import { wechatSandbox } from './contract/wechat-v3';
import { TEST } from './fixtures/config';
import { SK, captureWebhooks } from './helpers';

const m: Merchant = { id: TEST.merchant_id, key: SK };
const wechat = wechatSandbox(SK);
const alipay = alipaySubject.sandbox;
const AMOUNT = 8888;

beforeEach(() => void captureWebhooks());
afterEach(() => vi.restoreAllMocks());

/**
 * Every provider call of the session goes through, except closing an order (WeChat Pay APIv3
 * `…/close`, Alipay `alipay.trade.close`): the closes that would have stopped the second payment
 * time out, so both QR codes stay payable.
 */
const closesTimeOut = async (r: Request): Promise<Response> => {
  const url = new URL(r.url);
  if (url.pathname.endsWith('/close') || url.searchParams.get('method') === 'alipay.trade.close') throw new Error('The operation timed out.');
  return SELF.fetch(r);
};

/** The `data.object` of each `payment.anomaly` the session recorded. */
function anomalyEvents(sessionId: string): Promise<Record<string, unknown>[]> {
  return runInDurableObject(env.SESSIONS.getByName(sessionId), (o: CheckoutSession) =>
    o.store
      .events()
      .filter((e) => e.type === 'payment.anomaly')
      .map((e) => (JSON.parse(e.data) as { data: { object: Record<string, unknown> } }).data.object),
  );
}

/** Flushes both simulators until `done` holds (refunds settle and notify on the providers' own time). */
async function flushUntil(done: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 50; i++) {
    await wechat.flush();
    await alipay.flush();
    if (await done()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('one session paid with WeChat Pay and with Alipay', () => {
  it('keeps the first payment, refunds the second in full once, and ignores the second notify when it comes again', async () => {
    const s = await createSession(m);
    const wx = (await startAttempt(s, 'wechat_pay', 'qr')).attempt.id;
    await setProviderFetch(s.id, closesTimeOut);
    try {
      // Switching to Alipay schedules the WeChat Pay order's close, which times out: both stay payable.
      const ali = await startAttempt(s, 'alipay', 'qr');
      await alipay.open(ali.next_action);
      const aliId = ali.attempt.id;

      await wechat.pay(wx, 'normal');
      await wechat.flush();
      expect((await retrieve(m, s.id)).status).toBe('paid');
      await alipay.pay(aliId, 'normal');
      await alipay.flush();

      // The automatic refund is the session's due work; it runs and settles like any refund.
      await flushUntil(async () => (await snapshot(s.id)).refunds[0]?.status === 'succeeded');
      let t = await snapshot(s.id);
      expect(t.status).toBe('paid');
      expect(t.anomalies).toEqual([{ attempt_id: aliId, reason: 'duplicate_payment', source: 'notify' }]);
      expect(t.refunds).toMatchObject([{ kind: 'anomaly', amount: AMOUNT, status: 'succeeded' }]);
      expect(t.events.filter((e) => e === 'checkout.session.paid')).toHaveLength(1);
      expect(t.events.filter((e) => e === 'payment.anomaly')).toHaveLength(1);
      const [anomaly] = await anomalyEvents(s.id);
      expect(anomaly).toMatchObject({
        attempt: aliId,
        reason: 'duplicate_payment',
        channel: 'alipay',
        provider: 'alipay',
        amount: AMOUNT,
        refund: { status: 'pending', id: `re_${t.refunds[0]!.id}` },
      });

      // Exactly one payment kept: the WeChat Pay one, untouched at WeChat Pay.
      const view = await retrieve(m, s.id);
      expect(view.payment).toMatchObject({ attempt: wx, amount: AMOUNT });
      expect(view.amount_refunded).toBe(0);
      expect(view.refunds).toMatchObject([{ automatic: true, amount: AMOUNT, status: 'succeeded', attempt: aliId, channel: 'alipay' }]);
      expect(await wechat.order(wx)).toMatchObject({ state: 'SUCCESS', refunds: [] });
      // Exactly one full refund of the Alipay payment, in Alipay's own ledger, under the session's refund number.
      expect((await alipay.order(aliId))?.refunds).toEqual([{ no: t.refunds[0]!.id, amount: AMOUNT, settled: true }]);

      // The second payment's notify again: Alipay's own resend (the same message), then a retry
      // Alipay signed anew (new notify_time and notify_id, the same trade).
      await controlOk('alipay', SK, `/orders/${aliId}/notify`, {});
      const ledger = await controlOk<{ trade: { trade_no: string } }>('alipay', SK, `/orders/${aliId}`);
      const again = await postAlipayNotify(
        await signedAlipayBody(alipayNotifyFields(aliId, { trade_no: ledger.trade.trade_no, notify_id: `again${Date.now()}` })),
      );
      expect(await again.text()).toBe('success');
      // Past the refund and close retries: nothing new runs either.
      await setClock(s.id, 60_000);
      await drain(s.id);
      await setProviderFetch(s.id, null);
      t = await snapshot(s.id);
      expect(t.anomalies).toHaveLength(1);
      expect(t.refunds).toMatchObject([{ kind: 'anomaly', amount: AMOUNT, status: 'succeeded' }]);
      expect(t.events.filter((e) => e === 'payment.anomaly' || e === 'checkout.session.paid')).toEqual(['checkout.session.paid', 'payment.anomaly']);
      expect((await alipay.order(aliId))?.refunds.map((r) => r.amount)).toEqual([AMOUNT]);
      const after = await retrieve(m, s.id);
      expect(after).toMatchObject({ status: 'paid', amount_refunded: 0, payment: { attempt: wx } });
      expect(after.refunds).toHaveLength(1);
    } finally {
      await setProviderFetch(s.id, null);
    }
  });
});
