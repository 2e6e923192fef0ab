// Attack: the payment notify of a session that was paid and then fully refunded, replayed (SECURITY.md;
// beside replayed-notifies.test.ts). Whoever captured it (or the provider, retrying late) must not make
// the refunded session paid again, count a second payment, or undo the refund: the status, the payment
// and amount_refunded stay as they are, and no event is recorded. On every rail the simulator resends
// its own original notify (the same message), and a re-signed copy of the same payment (new
// signature, timestamp and notify id, so it is not byte-identical) is posted too.

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { alipaySubject } from '../contract/alipay';
import type { ContractSubject } from '../contract/provider-contract';
import { controlOk, type Simulator } from '../contract/sandbox';
import { createRefund, createSession, getRefund, retrieve, snapshot, startAttempt } from '../contract/session';
import { unionpaySubject } from '../contract/unionpay';
import { wechatV2Subject } from '../contract/wechat-v2';
import { wechatV3Subject } from '../contract/wechat-v3';
import { captureWebhooks } from '../helpers';

const AMOUNT = 8888;

beforeEach(() => void captureWebhooks());
afterEach(() => vi.restoreAllMocks());

const RAILS: { name: string; subject: ContractSubject; simulator: Simulator }[] = [
  { name: 'WeChat Pay APIv3', subject: wechatV3Subject, simulator: 'wechatpay' },
  { name: 'WeChat Pay APIv2', subject: wechatV2Subject, simulator: 'wechatpay' },
  { name: 'Alipay', subject: alipaySubject, simulator: 'alipay' },
  { name: 'UnionPay', subject: unionpaySubject, simulator: 'unionpay' },
];

describe('the payment notify replayed after a full refund changes nothing', () => {
  it.each(RAILS)('$name', async ({ subject, simulator }) => {
    const m = subject.merchant;
    const { sandbox } = subject;
    const s = await createSession(m);
    const a = await startAttempt(s, subject.channel, subject.flow);
    const id = a.attempt.id;
    await sandbox.open(a.next_action);
    await sandbox.pay(id, 'normal');
    await sandbox.flush();
    expect((await retrieve(m, s.id)).status).toBe('paid');

    const r = await createRefund(m, s.id, AMOUNT);
    for (let i = 0; i < 50 && (await getRefund(m, r.id)).status !== 'succeeded'; i++) {
      await sandbox.flush();
      await new Promise((done) => setTimeout(done, 20));
    }
    expect((await getRefund(m, r.id)).status).toBe('succeeded');
    const view = await retrieve(m, s.id);
    expect(view).toMatchObject({ status: 'paid', amount_refunded: AMOUNT, payment: { attempt: id, amount: AMOUNT } });
    const stored = await snapshot(s.id);
    expect(stored.events).toEqual(['checkout.session.paid', 'refund.succeeded']);

    // The simulator's own payment notify, sent again as it was; the provider gets its success ack.
    const resent = await controlOk<{ answers: { status: number }[] }>(simulator, m.key, `/orders/${id}/notify`, {});
    expect(resent.answers.map((x) => x.status).every((status) => status === 200 || status === 204)).toBe(true);
    expect(resent.answers.length).toBeGreaterThan(0);
    // The same payment, signed anew.
    const res = await subject.notify.post(await subject.notify.signed(id), m.id);
    expect(await subject.notify.isSuccessAck(res)).toBe(true);

    expect(await snapshot(s.id)).toEqual(stored);
    expect(await retrieve(m, s.id)).toEqual(view);
    expect((await sandbox.order(id))?.refunds.map((x) => x.amount)).toEqual([AMOUNT]);
  });
});
