// The provider contract: what every payment rail must do for a checkout session, tested once for all
// of them through the real Worker (workerd) against the built-in simulators. Each rail supplies a small
// adapter (a ContractSubject, ./<provider>.ts) saying how to drive its simulator and how to build its
// notifies with the provider's own signing twin; its <provider>.contract.test.ts runs this suite.
// A rail that cannot do a case skips it with a written reason, shown in the test output.

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { StatementResult, StatementRow } from '../../src/bills/statement';
import type { Channel, Flow, NextAction } from '../../src/contract';
import { api, captureWebhooks, type SessionJson } from '../helpers';
import {
  alarm,
  clientAttempt,
  createRefund,
  createSession,
  drain,
  due,
  getRefund,
  freezeClock,
  loseNextAnswer,
  loseNotifies,
  providerDown,
  refundNo,
  retrieve,
  setClock,
  setProviderFetch,
  snapshot,
  startAttempt,
  type AttemptJson,
  type Merchant,
  type Snapshot,
} from './session';

/** Every case of the contract, by the name it has in the test output and in skip lists. */
export const CASES = [
  'create',
  'reuse',
  'query paid',
  'query unpaid',
  'query closed',
  'close',
  'close paid',
  'refund',
  'refund query',
  'refund notify',
  'notify forged signature',
  'notify stale timestamp',
  'notify wrong signer',
  'notify wrong app id',
  'notify wrong merchant id',
  'notify wrong amount',
  'notify wrong currency',
  'notify cross-merchant URL',
  'notify duplicate',
  'expiry',
  'late payment',
  'bill',
] as const;
export type CaseName = (typeof CASES)[number];

/** A notify on the wire, as the provider would POST it. */
export interface Wire {
  body: string;
  headers: Record<string, string>;
}

/** One fact of a valid payment notify changed (the adapter picks the rail's own values). */
export interface PaymentTwist {
  /** Integer fen instead of the session's amount. */
  amount?: number;
  /** A currency other than CNY (e.g. USD). */
  foreignCurrency?: boolean;
  /** An app id that is not the merchant's. */
  foreignApp?: boolean;
  /** A provider merchant id (mchid, seller_id, merId) that is not the merchant's. */
  foreignMerchant?: boolean;
}

/** What the simulator holds for one of our provider orders. */
export interface ProviderOrder {
  /** The order's state in the provider's own words (NOTPAY, TRADE_CLOSED, UNPAID…). */
  state: string;
  /** Refunds made on the order: our refund number, the amount in fen, and whether the provider finished it. */
  refunds: { no: string; amount: number; settled: boolean }[];
  /** Whether a refund notify of this order was sent and acknowledged as success. */
  refundNotifyAcked: boolean;
}

export interface ContractSubject {
  /** The provider id stored with every attempt (wechat-v3, wechat-v2, alipay, unionpay-acp). */
  provider: string;
  channel: Channel;
  /** The flow the contract drives: one whose order the provider holds from the start. */
  flow: Flow;
  /** The test merchant whose sessions the contract uses. */
  merchant: Merchant;
  /** A second test merchant on the same rail: merchant A's notify is posted to its URL. */
  otherMerchant: Merchant;
  /** Checks the next_action an attempt on this rail gives, and what the provider holds for it. */
  expectCreated(next: NextAction, attemptId: string): Promise<void>;

  sandbox: {
    /** The provider's record of order `attemptId`, or null when it has none. */
    order(attemptId: string): Promise<ProviderOrder | null>;
    /** The shopper pays; the provider notifies at once (`normal`), never (`drop`), or in 5 copies at once (`duplicate`). */
    pay(attemptId: string, notify: 'normal' | 'drop' | 'duplicate'): Promise<void>;
    /** The provider settles processing refunds and sends every queued notify now. */
    flush(): Promise<void>;
    /** What the shopper does before the provider has an order to close (Alipay: scanning the QR). */
    open(next: NextAction): Promise<void>;
    /** The provider ends the unpaid order on its own (it ran past its expiry). */
    expire(attemptId: string): Promise<void>;
    /** Whether the provider will take no payment on this order any more, the session having ended. */
    closed(attemptId: string, session: SessionJson): Promise<boolean>;
  };

  notify: {
    /** A valid payment notify for `attemptId`, signed with the provider's signing twin, one fact optionally changed. */
    signed(attemptId: string, twist?: PaymentTwist): Promise<Wire>;
    /** A valid notify whose signature was altered after signing. */
    forgedSignature(attemptId: string): Promise<Wire>;
    /** A valid notify signed too long ago (rails whose notifies carry a signed timestamp). */
    staleTimestamp?(attemptId: string): Promise<Wire>;
    /** A notify signed by a key or certificate (serial) the merchant does not trust. */
    wrongSigner?(attemptId: string): Promise<Wire>;
    /** POSTs it to a merchant's notify URL (by default the contract merchant's). */
    post(wire: Wire, merchantId?: string): Promise<Response>;
    /** Whether the answer is the provider's success acknowledgement (reads the body). */
    isSuccessAck(res: Response): Promise<boolean>;
  };

  /** The refund call itself settles the refund (Alipay's fund_change=Y): its query runs only when that answer is lost. */
  refundSettlesOnRequest?: boolean;

  bill: {
    /** The provider's statement of one Beijing day, downloaded and parsed by the provider's bill module. */
    download(day: string): Promise<StatementResult>;
    /** Whether a refund row names the paid order (UnionPay's ZM names the refund's own orderId only). */
    refundRowsNameTheOrder: boolean;
  };
}

export interface ContractOptions {
  /** Cases this rail cannot do, each with the reason shown in the test output. */
  skip?: { case: CaseName; reason: string }[];
}

const SESSION_AMOUNT = 8888;
/** The session's query fallback first asks 5 s after the attempt (session/schedules.ts). */
const FIRST_QUERY_MS = 5_000;
/** Past the first refund retry (10 s) and the first close retry (30 s). */
const RETRIES_DUE_MS = 60_000;

/** Beijing date `YYYY-MM-DD` of a Unix time in seconds: the day a provider's statement covers. */
const beijingDay = (unixSeconds: number): string => new Date(unixSeconds * 1000 + 8 * 3_600_000).toISOString().slice(0, 10);

export function runProviderContract(subject: ContractSubject, options: ContractOptions = {}): void {
  const skips = new Map<CaseName, string>();
  for (const s of options.skip ?? []) {
    if (!(CASES as readonly string[]).includes(s.case)) throw new Error(`${subject.provider}: unknown contract case ${JSON.stringify(s.case)}`);
    if (s.reason.trim() === '') throw new Error(`${subject.provider}: skipping ${s.case} needs a reason`);
    skips.set(s.case, s.reason);
  }
  const needs = (c: CaseName, has: unknown): void => {
    if (!skips.has(c) && !has) throw new Error(`${subject.provider}: the adapter cannot build the ${c} case; skip it with a reason`);
  };
  needs('notify stale timestamp', subject.notify.staleTimestamp);
  needs('notify wrong signer', subject.notify.wrongSigner);

  const m = subject.merchant;
  const { sandbox, notify } = subject;

  /** One contract case: an `it`, or an `it.skip` whose title carries the reason. */
  const contractCase = (name: CaseName, what: string, body: () => Promise<void>): void => {
    const reason = skips.get(name);
    if (reason !== undefined) it.skip(`${name}: ${reason}`, body);
    else it(`${name}: ${what}`, body);
  };

  async function open(over: Record<string, unknown> = {}): Promise<{ s: SessionJson; a: AttemptJson; id: string }> {
    const s = await createSession(m, over);
    const a = await startAttempt(s, subject.channel, subject.flow);
    return { s, a, id: a.attempt.id };
  }

  async function paid(): Promise<{ s: SessionJson; id: string; txn: string }> {
    const { s, id } = await open();
    await sandbox.pay(id, 'normal');
    await sandbox.flush();
    const after = await retrieve(m, s.id);
    expect(after.status).toBe('paid');
    return { s: after, id, txn: after.payment?.provider_transaction_id ?? '' };
  }

  /** Flushes the provider until `done` holds (a refund and its notify are settled on the provider's own alarm). */
  async function flushUntil(done: () => Promise<boolean>): Promise<void> {
    for (let i = 0; i < 50; i++) {
      await sandbox.flush();
      if (await done()) return;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async function refused(res: Response, sessionId: string, before: Snapshot): Promise<void> {
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(await notify.isSuccessAck(res)).toBe(false);
    expect(await snapshot(sessionId)).toEqual(before);
  }

  async function anomaly(twist: PaymentTwist, reason: string): Promise<void> {
    const { s, id } = await open();
    const wire = await notify.signed(id, twist);
    // Verified, so acknowledged (the provider must stop sending it), but never `paid`.
    expect(await notify.isSuccessAck(await notify.post(wire))).toBe(true);
    const t = await snapshot(s.id);
    expect(t.status).toBe('open');
    expect(t.anomalies).toEqual([{ attempt_id: id, reason, source: 'notify' }]);
    expect(t.events).toEqual(['payment.anomaly']);
    // The same notify again records nothing new.
    expect(await notify.isSuccessAck(await notify.post(wire))).toBe(true);
    expect(await snapshot(s.id)).toEqual(t);
  }

  describe(`the provider contract: ${subject.provider} (${subject.channel} ${subject.flow})`, () => {
    beforeEach(() => void captureWebhooks());
    afterEach(() => vi.restoreAllMocks());

    describe('orders', () => {
      contractCase('create', 'an attempt on this rail gives its next_action and a pending provider order', async () => {
        const { s, a, id } = await open();
        expect(a.attempt).toMatchObject({ channel: subject.channel, flow: subject.flow, status: 'pending' });
        // The attempt id is the provider's order number: the session id and a sequence, letters and digits.
        expect(id).toMatch(/^[0-9A-Za-z]{26,32}$/);
        expect(id.startsWith(s.id.slice(3))).toBe(true);
        await subject.expectCreated(a.next_action, id);
        const t = await snapshot(s.id);
        expect(t.status).toBe('open');
        expect(t.attempts).toEqual([{ id, status: 'pending', provider: subject.provider }]);
      });

      contractCase('reuse', 'the same channel and flow again reuses the open provider order, no second order', async () => {
        const { s, a, id } = await open();
        expect(id).toMatch(/A1$/);
        const again = await startAttempt(s, subject.channel, subject.flow);
        expect(again.attempt.id).toBe(id);
        expect(again.next_action).toEqual(a.next_action);
        expect((await snapshot(s.id)).attempts).toHaveLength(1);
        // The attempt a second order would have had is unknown to the provider.
        expect(await sandbox.order(id.replace(/A1$/, 'A2'))).toBeNull();
      });

      contractCase('query paid', 'a payment whose notify is lost is found by the query fallback: paid once', async () => {
        const { s, id } = await open();
        await sandbox.pay(id, 'drop');
        expect((await snapshot(s.id)).status).toBe('open');
        await setClock(s.id, FIRST_QUERY_MS);
        await drain(s.id);
        const after = await retrieve(m, s.id);
        expect(after.status).toBe('paid');
        expect(after.payment).toMatchObject({ attempt: id, amount: SESSION_AMOUNT });
        expect(after.payment?.provider_transaction_id).toBeTruthy();
        const t = await snapshot(s.id);
        expect(t.events).toEqual(['checkout.session.paid']);
        expect(t.anomalies).toEqual([]);
        expect((await due(s.id)).map((d) => d.key)).not.toContain(`query:${id}`);
      });

      contractCase('query unpaid', 'an unpaid order stays pending and is asked again later', async () => {
        const { s, id } = await open();
        await setClock(s.id, FIRST_QUERY_MS);
        await drain(s.id);
        const t = await snapshot(s.id);
        expect(t.status).toBe('open');
        expect(t.attempts).toEqual([{ id, status: 'pending', provider: subject.provider }]);
        expect(t.events).toEqual([]);
        const next = (await due(s.id)).find((d) => d.key === `query:${id}`);
        expect(next?.at).toBeGreaterThan(Date.now() + FIRST_QUERY_MS);
      });

      contractCase('query closed', 'an order the provider closed on its own closes the attempt, the session stays open', async () => {
        const { s, a, id } = await open();
        await sandbox.open(a.next_action);
        await sandbox.expire(id);
        await setClock(s.id, FIRST_QUERY_MS);
        await drain(s.id);
        const t = await snapshot(s.id);
        expect(t.status).toBe('open');
        expect(t.attempts).toEqual([{ id, status: 'closed', provider: subject.provider }]);
        expect(t.events).toEqual([]);
        expect((await due(s.id)).map((d) => d.key)).not.toContain(`query:${id}`);
      });

      contractCase('close', 'cancel closes the provider order', async () => {
        const { s, a, id } = await open();
        await sandbox.open(a.next_action);
        const res = await api(`/v1/checkout/sessions/${s.id}/cancel`, { method: 'POST', key: m.key });
        expect(res.status).toBe(200);
        const t = await snapshot(s.id);
        expect(t.status).toBe('canceled');
        expect(t.attempts).toEqual([{ id, status: 'closed', provider: subject.provider }]);
        expect(t.events).toEqual(['checkout.session.canceled']);
        expect(await sandbox.closed(id, await retrieve(m, s.id))).toBe(true);
      });

      contractCase('close paid', 'cancel finds a payment the provider already took: 409, and the session is paid', async () => {
        const { s, id } = await open();
        await sandbox.pay(id, 'drop');
        const res = await api(`/v1/checkout/sessions/${s.id}/cancel`, { method: 'POST', key: m.key });
        expect(res.status).toBe(409);
        const after = await retrieve(m, s.id);
        expect(after.status).toBe('paid');
        expect(after.payment).toMatchObject({ attempt: id, amount: SESSION_AMOUNT });
        expect((await snapshot(s.id)).events).toEqual(['checkout.session.paid']);
      });
    });

    describe('refunds', () => {
      contractCase('refund', 'a partial refund reaches the provider once, under our refund number', async () => {
        const { s, id } = await paid();
        const r = await createRefund(m, s.id, 1000);
        expect(r).toMatchObject({ amount: 1000 });
        expect(['pending', 'succeeded']).toContain(r.status);
        const order = await sandbox.order(id);
        expect(order?.refunds.map(({ no, amount }) => ({ no, amount }))).toEqual([{ no: refundNo(r), amount: 1000 }]);
        expect((await snapshot(s.id)).refunds).toMatchObject([{ id: refundNo(r), kind: 'merchant', amount: 1000 }]);
      });

      contractCase('refund notify', "the provider's refund notify is acknowledged and the refund is succeeded, once", async () => {
        const { s, id } = await paid();
        const r = await createRefund(m, s.id, 1000);
        // Only the provider acts here: the session's own refund retries are never run.
        await flushUntil(async () => (await sandbox.order(id))?.refundNotifyAcked === true);
        expect((await sandbox.order(id))?.refundNotifyAcked).toBe(true);
        expect((await getRefund(m, r.id)).status).toBe('succeeded');
        expect((await snapshot(s.id)).events.filter((e) => e === 'refund.succeeded')).toHaveLength(1);
      });

      contractCase('refund query', "with every refund notify lost, the session's refund query settles the refund, once", async () => {
        const { s, id } = await paid();
        const restore = await loseNotifies(s.id);
        // Only the session's own refund query may settle it, and only once the test moves its clock.
        await freezeClock(s.id);
        try {
          // When the refund call itself settles the refund, its answer is lost so the session must ask.
          if (subject.refundSettlesOnRequest) await loseNextAnswer(s.id);
          const r = await createRefund(m, s.id, 1000);
          await setProviderFetch(s.id, null);
          expect(r.status).toBe('pending');
          await flushUntil(async () => (await sandbox.order(id))?.refunds.every((x) => x.settled) === true);
          expect((await getRefund(m, r.id)).status).toBe('pending');
          await setClock(s.id, RETRIES_DUE_MS);
          await drain(s.id);
          expect((await getRefund(m, r.id)).status).toBe('succeeded');
          expect((await snapshot(s.id)).events.filter((e) => e === 'refund.succeeded')).toHaveLength(1);
          expect((await sandbox.order(id))?.refunds).toEqual([{ no: refundNo(r), amount: 1000, settled: true }]);
        } finally {
          await restore();
        }
      });
    });

    describe('notify verification', () => {
      contractCase('notify forged signature', 'a notify whose signature was altered is refused, the session unchanged', async () => {
        const { s, id } = await open();
        const before = await snapshot(s.id);
        await refused(await notify.post(await notify.forgedSignature(id)), s.id, before);
      });

      contractCase('notify stale timestamp', 'a notify signed over 5 minutes ago is refused, the session unchanged', async () => {
        const { s, id } = await open();
        const before = await snapshot(s.id);
        await refused(await notify.post(await notify.staleTimestamp!(id)), s.id, before);
      });

      contractCase('notify wrong signer', 'a notify signed by a key or certificate the merchant does not trust is refused', async () => {
        const { s, id } = await open();
        const before = await snapshot(s.id);
        await refused(await notify.post(await notify.wrongSigner!(id)), s.id, before);
      });

      contractCase('notify wrong app id', 'a payment under another app id is an anomaly (app_mismatch), never paid', () =>
        anomaly({ foreignApp: true }, 'app_mismatch'),
      );

      contractCase('notify wrong merchant id', 'a payment for another provider merchant id is an anomaly (merchant_mismatch), never paid', () =>
        anomaly({ foreignMerchant: true }, 'merchant_mismatch'),
      );

      contractCase('notify wrong amount', 'a payment of another amount is an anomaly (amount_mismatch), never paid', () =>
        anomaly({ amount: 1 }, 'amount_mismatch'),
      );

      contractCase('notify wrong currency', 'a payment in another currency is an anomaly (currency_mismatch), never paid', () =>
        anomaly({ foreignCurrency: true }, 'currency_mismatch'),
      );

      contractCase('notify cross-merchant URL', "merchant A's valid notify posted to merchant B's notify URL is refused", async () => {
        const { s, id } = await open();
        const before = await snapshot(s.id);
        const wire = await notify.signed(id);
        await refused(await notify.post(wire, subject.otherMerchant.id), s.id, before);
        // The very same notify at merchant A's own URL is good: only the URL was wrong.
        expect(await notify.isSuccessAck(await notify.post(wire))).toBe(true);
        expect((await snapshot(s.id)).status).toBe('paid');
      });

      contractCase('notify duplicate', 'duplicate and parallel notifies make one transition and one event', async () => {
        const { s, id } = await open();
        const wire = await notify.signed(id);
        const answers = await Promise.all(Array.from({ length: 20 }, () => notify.post(wire)));
        for (const res of answers) expect(await notify.isSuccessAck(res)).toBe(true);
        expect(await notify.isSuccessAck(await notify.post(wire))).toBe(true);
        const t = await snapshot(s.id);
        expect(t.status).toBe('paid');
        expect(t.events).toEqual(['checkout.session.paid']);
        expect(t.anomalies).toEqual([]);
        // The provider itself sending copies of its notify at once: the same.
        const other = await open();
        await sandbox.pay(other.id, 'duplicate');
        await sandbox.flush();
        const u = await snapshot(other.s.id);
        expect(u.status).toBe('paid');
        expect(u.events).toEqual(['checkout.session.paid']);
      });
    });

    describe('expiry', () => {
      contractCase('expiry', 'at expires_at the session expires and the provider order is closed', async () => {
        const { s, a, id } = await open({ expires_in: 60 });
        await sandbox.open(a.next_action);
        await setClock(s.id, 61_000);
        expect(await alarm(s.id)).toBe(true);
        const t = await snapshot(s.id);
        expect(t.status).toBe('expired');
        expect(t.attempts).toEqual([{ id, status: 'closed', provider: subject.provider }]);
        expect(t.events).toEqual(['checkout.session.expired']);
        expect(await sandbox.closed(id, await retrieve(m, s.id))).toBe(true);
        expect((await clientAttempt(s, subject.channel, subject.flow)).status).toBe(409);
      });

      contractCase('late payment', 'a payment after expiry is a late_payment anomaly, refunded in full automatically, once', async () => {
        const { s, a, id } = await open({ expires_in: 60 });
        await sandbox.open(a.next_action);
        // The provider cannot be reached at expiry, so its order stays payable a while.
        await providerDown(s.id);
        await setClock(s.id, 61_000);
        await drain(s.id);
        await setProviderFetch(s.id, null);
        expect((await snapshot(s.id)).status).toBe('expired');

        await sandbox.pay(id, 'normal');
        await sandbox.flush();
        let t = await snapshot(s.id);
        expect(t.status).toBe('expired');
        expect(t.anomalies).toEqual([{ attempt_id: id, reason: 'late_payment', source: 'notify' }]);
        expect(t.refunds).toMatchObject([{ kind: 'anomaly', amount: SESSION_AMOUNT }]);
        // (The refund may already have run on the session's own alarm: refund.succeeded can follow.)
        expect(t.events.slice(0, 2)).toEqual(['checkout.session.expired', 'payment.anomaly']);
        expect(t.events).not.toContain('checkout.session.paid');

        // The automatic refund runs as the session's due work and settles like any refund.
        await setClock(s.id, 61_000 + RETRIES_DUE_MS);
        await drain(s.id);
        await flushUntil(async () => (await snapshot(s.id)).refunds[0]?.status === 'succeeded');
        t = await snapshot(s.id);
        expect(t.refunds).toMatchObject([{ kind: 'anomaly', amount: SESSION_AMOUNT, status: 'succeeded' }]);
        expect(t.status).toBe('expired');
        expect((await sandbox.order(id))?.refunds.map((r) => r.amount)).toEqual([SESSION_AMOUNT]);
        const view = await retrieve(m, s.id);
        expect(view.status).toBe('expired');
        expect(view.payment).toBeNull();
      });
    });

    describe('statements', () => {
      contractCase('bill', 'the statement of a day with a payment and a refund parses into the right rows', async () => {
        const { s, id, txn } = await paid();
        const r = await createRefund(m, s.id, 1000);
        await flushUntil(async () => (await getRefund(m, r.id)).status === 'succeeded');
        expect((await getRefund(m, r.id)).status).toBe('succeeded');
        const paidAt = (await retrieve(m, s.id)).payment?.paid_at;
        expect(paidAt).toBeTypeOf('number');
        const result = await subject.bill.download(beijingDay(paidAt!));
        expect(result.status).toBe('ok');
        if (result.status !== 'ok') return;
        const rows = result.statement.rows;
        const mine = (row: StatementRow) => row.outTradeNo === id || row.outRefundNo === refundNo(r);
        const byKind = (x: StatementRow, y: StatementRow) => (x.kind === y.kind ? 0 : x.kind === 'payment' ? -1 : 1);
        expect(
          rows
            .filter(mine)
            .sort(byKind)
            .map(({ kind, outTradeNo, outRefundNo, providerTransactionId, amount }) => ({ kind, outTradeNo, outRefundNo, providerTransactionId, amount })),
        ).toEqual([
          { kind: 'payment', outTradeNo: id, outRefundNo: undefined, providerTransactionId: txn, amount: SESSION_AMOUNT },
          { kind: 'refund', outTradeNo: subject.bill.refundRowsNameTheOrder ? id : '', outRefundNo: refundNo(r), providerTransactionId: txn, amount: 1000 },
        ]);
        expect(result.statement.checks.every((c) => c.ok)).toBe(true);
      });
    });
  });
}
