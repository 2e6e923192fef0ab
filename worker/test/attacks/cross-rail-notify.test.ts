// Attack: a genuine notify of one rail naming an order made on another (SECURITY.md). The order number
// every provider carries is the attempt id, and one session's attempts on different rails share its
// prefix; a correctly signed WeChat Pay notify whose out_trade_no is the session's ALIPAY attempt must
// not make that attempt paid, whatever its amount, app id and merchant id. It is a `channel_mismatch`
// anomaly for a person (docs/reliability.md#anomalies), the attempt is left as it was, and the
// attempt's own provider still pays it.

import { env, runInDurableObject } from 'cloudflare:test';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Channel } from '../../src/contract';
import type { CheckoutSession } from '../../src/session/durable-object';
import { alipayNotifyFields, postAlipayNotify, signedAlipayBody } from '../alipay-notify';
import { alipaySubject } from '../contract/alipay';
import { createSession, retrieve, snapshot, startAttempt, type AttemptJson, type Merchant } from '../contract/session';
import { wechatSandbox } from '../contract/wechat-v3';
import { TEST } from '../fixtures/config';
import { SK, captureWebhooks } from '../helpers';
import { consumeNotify, postNotify as postUnionpayNotify, signedNotify as signedUnionpayNotify } from '../unionpay-helpers';
import { postNotify as postWechatNotify, signedNotify as signedWechatNotify, transaction } from '../wechat-notify';

const m: Merchant = { id: TEST.merchant_id, key: SK };
const wechat = wechatSandbox(SK);

beforeEach(() => void captureWebhooks());
afterEach(() => vi.restoreAllMocks());

/** The `data.object` of each `payment.anomaly` the session recorded. */
function anomalyEvents(sessionId: string): Promise<Record<string, unknown>[]> {
  return runInDurableObject(env.SESSIONS.getByName(sessionId), (o: CheckoutSession) =>
    o.store
      .events()
      .filter((e) => e.type === 'payment.anomaly')
      .map((e) => (JSON.parse(e.data) as { data: { object: Record<string, unknown> } }).data.object),
  );
}

interface Rail {
  channel: Channel;
  provider: string;
  /** A notify of this rail, signed with the simulator's keys as the provider signs, for order `id`, posted to its route. */
  post(id: string): Promise<Response>;
  /** The provider's success acknowledgement. */
  ack: { status: number; body: string };
}

const WECHAT: Rail = {
  channel: 'wechat_pay',
  provider: 'wechat-v3',
  post: async (id) => postWechatNotify(await signedWechatNotify(transaction(id))),
  ack: { status: 204, body: '' },
};
const ALIPAY: Rail = {
  channel: 'alipay',
  provider: 'alipay',
  post: async (id) => postAlipayNotify(await signedAlipayBody(alipayNotifyFields(id))),
  ack: { status: 200, body: 'success' },
};
const UNIONPAY: Rail = {
  channel: 'unionpay',
  provider: 'unionpay-acp',
  post: async (id) => postUnionpayNotify((await signedUnionpayNotify(consumeNotify(id))).body),
  ack: { status: 200, body: 'ok' },
};

/** The attempt's own rail: the shopper pays its order at the simulator, which notifies. */
const payOwn: Record<'wechat_pay' | 'alipay', (a: AttemptJson) => Promise<void>> = {
  async wechat_pay(a) {
    await wechat.pay(a.attempt.id, 'normal');
    await wechat.flush();
  },
  async alipay(a) {
    await alipaySubject.sandbox.open(a.next_action);
    await alipaySubject.sandbox.pay(a.attempt.id, 'normal');
    await alipaySubject.sandbox.flush();
  },
};

describe("a verified notify of one rail naming another rail's attempt", () => {
  it.each([
    { from: WECHAT, to: 'alipay' as const },
    { from: ALIPAY, to: 'wechat_pay' as const },
    { from: UNIONPAY, to: 'alipay' as const },
  ])('$from.channel → $to attempt: an anomaly, never paid; the attempt still pays on its own rail', async ({ from, to }) => {
    const s = await createSession(m);
    const a = await startAttempt(s, to, 'qr');
    const id = a.attempt.id;
    const before = await snapshot(s.id);

    const res = await from.post(id);
    // Verified and stored (as an anomaly): the provider gets its success ack and stops retrying.
    expect({ status: res.status, body: await res.text() }).toEqual(from.ack);
    const t = await snapshot(s.id);
    expect(t.status).toBe('open');
    expect(t.attempts).toEqual(before.attempts);
    expect(t.refunds).toEqual([]);
    expect(t.anomalies).toEqual([{ attempt_id: id, reason: 'channel_mismatch', source: 'notify' }]);
    expect(t.events).toEqual(['payment.anomaly']);
    // The event names the rail the money is on, and nothing is refunded automatically.
    expect(await anomalyEvents(s.id)).toMatchObject([
      { attempt: id, reason: 'channel_mismatch', channel: from.channel, provider: from.provider, amount: 8888, refund: { status: 'not_applicable' } },
    ]);
    expect((await retrieve(m, s.id)).payment).toBeNull();

    // The attempt's own provider still pays it.
    await payOwn[to](a);
    const after = await retrieve(m, s.id);
    expect(after.status).toBe('paid');
    expect(after.payment?.attempt).toBe(id);
    expect((await snapshot(s.id)).anomalies).toHaveLength(1);
  });
});
