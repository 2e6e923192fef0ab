// The server SDK (packages/sdk) against the real Worker in workerd: the SDK's fetch is the test
// runner's SELF, so every call goes through the Worker's routes, Durable Objects and idempotency store
// exactly as from a merchant's server. Also where the SDK's hand-declared types are held to the
// Worker's own (checked by `npx tsc -p .`).

import { runDurableObjectAlarm, runInDurableObject, SELF } from 'cloudflare:test';
import { afterEach, beforeEach, describe, expect, expectTypeOf, it, vi } from 'vitest';
import {
  AuthenticationError,
  ConflictError,
  InvalidRequestError,
  NotFoundError,
  Shouyin,
  verifyWebhook,
  type FetchLike,
  type ShouyinEvent,
} from '../../packages/sdk/src/index';
import type * as Sdk from '../../packages/sdk/src/index';
import type { AppleNotification, AppleRenewalInfo } from '../src/apple/notification';
import type { AppleTransaction } from '../src/apple/transaction';
import type { AttemptResponse, AttemptStatus, Channel, Flow, NextAction, PublicAttempt, SessionStatus } from '../src/contract';
import type { ErrorType } from '../src/lib/errors';
import type { CheckoutSession as SessionObject } from '../src/session/durable-object';
import type { RefundObject } from '../src/session/refunds';
import type { BarcodePaymentView, MerchantPayment, MerchantSession } from '../src/session/views';
import type { EventType } from '../src/session/webhooks';
import { TEST } from './fixtures/config';
import { BASE, orderId, SK, sandboxControl, sessionStub } from './helpers';
import { postNotify, signedNotify, transaction } from './wechat-notify';

const selfFetch: FetchLike = (url, init) => SELF.fetch(url, init);
const sdk = (options: { apiKey?: string; fetch?: FetchLike; maxRetries?: number } = {}) =>
  new Shouyin({ apiKey: options.apiKey ?? SK, baseUrl: BASE, fetch: options.fetch ?? selfFetch, retryBaseDelayMs: 1, ...options });

const params = () => ({ amount: 8888, currency: 'CNY' as const, description: '机械键盘 Mechanical keyboard', merchant_order_id: orderId() });

/** The merchant's webhook endpoint: records what Shouyin sends and answers 200. */
let delivered: { headers: Record<string, string>; body: string }[] = [];
beforeEach(() => {
  delivered = [];
  const realFetch = globalThis.fetch;
  vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
    const req = new Request(input as RequestInfo, init);
    if (!req.url.startsWith(new URL(TEST.webhook_url).origin)) return realFetch(req);
    const headers: Record<string, string> = {};
    req.headers.forEach((v, k) => (headers[k] = v));
    delivered.push({ headers, body: await req.text() });
    return new Response('ok');
  });
});
afterEach(() => vi.restoreAllMocks());

/** Runs the session's due work (webhooks, event indexing, refund queries) until nothing is due. */
async function drain(id: string): Promise<void> {
  for (let i = 0; i < 25; i++) {
    const due = await runInDurableObject(sessionStub(id), (o: SessionObject) => o.store.dueBy(o.clock.now()).length);
    if (due === 0) return;
    await runDurableObjectAlarm(sessionStub(id));
  }
}

describe('the SDK against the Worker', () => {
  it('creates, retrieves and cancels a session; a second cancel is a ConflictError', async () => {
    const shouyin = sdk();
    const created = await shouyin.checkoutSessions.create({ ...params(), metadata: { cart: '42' } });
    expect(created).toMatchObject({ object: 'checkout.session', status: 'open', amount: 8888, metadata: { cart: '42' }, payment: null });
    expect(created.client_secret).toMatch(new RegExp(`^${created.id}_secret_`));
    expect(await shouyin.checkoutSessions.retrieve(created.id)).toEqual(created);

    const canceled = await shouyin.checkoutSessions.cancel(created.id);
    expect(canceled.status).toBe('canceled');
    const again = await shouyin.checkoutSessions.cancel(created.id).catch((e) => e);
    expect(again).toBeInstanceOf(ConflictError);
    expect(again).toMatchObject({ status: 409, code: 'session_not_open' });

    // The canceled webhook, as the Worker signed it, passes the SDK's verifyWebhook and carries the session.
    await drain(created.id);
    const hook = delivered.find((d) => d.body.includes(created.id));
    expect(hook).toBeDefined();
    const event = await verifyWebhook(hook!.body, hook!.headers, TEST.webhook_secret);
    expect(event.type).toBe('checkout.session.canceled');
    // Events carry the session without its client_secret (docs/data-retention.md).
    const { client_secret: _secret, url: _url, ...withoutSecret } = canceled;
    expect(event.data.object).toEqual(withoutSecret);
    await expect(verifyWebhook(hook!.body, hook!.headers, 'whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD')).rejects.toMatchObject({ code: 'no_matching_signature' });
  });

  it('retries a create whose answer was lost with the same Idempotency-Key: one session, not two', async () => {
    const sent: { key: string | undefined; status: number; body: string }[] = [];
    // The first answer is lost on the way back (the Worker did create the session).
    const lossy: FetchLike = async (url, init) => {
      const res = await SELF.fetch(url, init);
      sent.push({ key: init.headers['idempotency-key'], status: res.status, body: await res.clone().text() });
      if (sent.length === 1) throw new TypeError('network connection lost');
      return res;
    };
    const p = params();
    const session = await sdk({ fetch: lossy }).checkoutSessions.create(p);
    expect(sent).toHaveLength(2);
    expect(sent[0]!.key).toBeDefined();
    expect(sent[1]!.key).toBe(sent[0]!.key);
    expect(sent.map((s) => s.status)).toEqual([201, 201]);
    expect(session.id).toBe((JSON.parse(sent[0]!.body) as { id: string }).id);

    // A new call is a new key: the same order id is now taken by the first session.
    const dup = await sdk()
      .checkoutSessions.create(p)
      .catch((e) => e);
    expect(dup).toBeInstanceOf(ConflictError);
    expect(dup).toMatchObject({ code: 'merchant_order_id_in_use', param: 'merchant_order_id' });
    expect(dup.message).toContain(session.id);
  });

  it('maps the Worker’s errors to typed errors naming the field', async () => {
    const bad = await sdk()
      .checkoutSessions.create({ ...params(), amount: 88.88 })
      .catch((e) => e);
    expect(bad).toBeInstanceOf(InvalidRequestError);
    expect(bad).toMatchObject({ status: 400, type: 'invalid_request_error', code: 'parameter_invalid', param: 'amount' });

    const missing = await sdk()
      .checkoutSessions.retrieve('cs_000000000000000000000000')
      .catch((e) => e);
    expect(missing).toBeInstanceOf(NotFoundError);
    expect(missing).toMatchObject({ status: 404, code: 'resource_missing' });

    const wrongKey = await sdk({ apiKey: 'sk_test_000000000000000000000000' })
      .checkoutSessions.retrieve('cs_000000000000000000000000')
      .catch((e) => e);
    expect(wrongKey).toBeInstanceOf(AuthenticationError);
    expect(wrongKey).toMatchObject({ status: 401, code: 'invalid_api_key' });
  });

  it('pays by the merchant’s attempt, refunds, and finds the paid event with for await over events.list', async () => {
    const shouyin = sdk();
    const s = await shouyin.checkoutSessions.create(params());
    const { attempt, next_action } = await shouyin.checkoutSessions.createAttempt(s.id, { channel: 'wechat_pay', flow: 'qr' });
    expect(next_action.type).toBe('display_qr');
    await postNotify(await signedNotify(transaction(attempt.id)));
    await sandboxControl(`/orders/${attempt.id}/pay`, { notify: 'drop' });
    await drain(s.id);

    const paid = await shouyin.checkoutSessions.retrieve(s.id);
    expect(paid.status).toBe('paid');
    expect(paid.payment).toMatchObject({ attempt: attempt.id, channel: 'wechat_pay', amount: 8888 });

    const refund = await shouyin.refunds.create({ session: s.id, amount: 1000, reason: '退货 returned' }, { idempotencyKey: `refund-${s.id}-1` });
    expect(refund).toMatchObject({ object: 'refund', session: s.id, amount: 1000, status: 'pending', reason: '退货 returned' });
    // The same key and body replay the same refund rather than refunding twice.
    expect(await shouyin.refunds.create({ session: s.id, amount: 1000, reason: '退货 returned' }, { idempotencyKey: `refund-${s.id}-1` })).toEqual(refund);
    // Retrieved, it is the same refund; its status may already have moved on (the sandbox's refund notify is quick).
    const { status: _status, ...same } = refund;
    expect(await shouyin.refunds.retrieve(refund.id)).toMatchObject(same);
    const tooMuch = await shouyin.refunds.create({ session: s.id, amount: 7889 }).catch((e) => e);
    expect(tooMuch).toBeInstanceOf(InvalidRequestError);
    expect(tooMuch).toMatchObject({ code: 'amount_too_large', param: 'amount' });

    await sandboxControl('/flush', {});
    await drain(s.id);
    await runInDurableObject(sessionStub(s.id), (o: SessionObject) => void (o.clock = { now: () => Date.now() + 60_000 }));
    await drain(s.id);
    expect((await shouyin.refunds.retrieve(refund.id)).status).toBe('succeeded');

    // Auto-paging one event per page, until this session's paid event shows up.
    let found: ShouyinEvent | undefined;
    let pages = 0;
    for await (const page of shouyin.events.list({ type: 'checkout.session.paid', limit: 1 }).pages()) {
      pages++;
      found = page.data.find((e) => e.type === 'checkout.session.paid' && e.data.object.id === s.id);
      if (found || pages > 50) break;
    }
    expect(found).toBeDefined();
    const events: ShouyinEvent[] = [];
    for await (const e of shouyin.events.list({ limit: 2 })) {
      events.push(e);
      if (events.length === 5) break;
    }
    expect(events.length).toBeGreaterThan(0);
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
    const firstPage = await shouyin.events.list({ type: 'refund.succeeded', limit: 100 }).page();
    const succeeded = firstPage.data.find((e) => e.type === 'refund.succeeded' && e.data.object.id === refund.id);
    expect(succeeded?.data.object).toMatchObject({ id: refund.id, status: 'succeeded', amount: 1000 });
  });
});

describe('the SDK’s types', () => {
  it('are the Worker’s wire types (enforced by npx tsc -p .)', () => {
    expectTypeOf<Sdk.CheckoutSession>().toEqualTypeOf<MerchantSession>();
    expectTypeOf<Sdk.Payment>().toEqualTypeOf<MerchantPayment>();
    expectTypeOf<Sdk.Refund>().toEqualTypeOf<RefundObject>();
    expectTypeOf<Sdk.BarcodePayment>().toEqualTypeOf<BarcodePaymentView>();
    expectTypeOf<Sdk.AttemptResult>().toEqualTypeOf<AttemptResponse>();
    expectTypeOf<Sdk.Attempt>().toEqualTypeOf<PublicAttempt>();
    expectTypeOf<Sdk.NextAction>().toEqualTypeOf<NextAction>();
    expectTypeOf<Sdk.Channel>().toEqualTypeOf<Channel>();
    expectTypeOf<Sdk.Flow>().toEqualTypeOf<Flow>();
    expectTypeOf<Sdk.SessionStatus>().toEqualTypeOf<SessionStatus>();
    expectTypeOf<Sdk.AttemptStatus>().toEqualTypeOf<AttemptStatus>();
    expectTypeOf<Sdk.AppleNotification>().toEqualTypeOf<AppleNotification>();
    expectTypeOf<Sdk.AppleTransaction>().toEqualTypeOf<AppleTransaction>();
    expectTypeOf<Sdk.AppleRenewalInfo>().toEqualTypeOf<AppleRenewalInfo>();
    // Every event type a session sends is one the SDK knows (and types the object of).
    expectTypeOf<EventType>().toExtend<Sdk.EventType>();
    expectTypeOf<Exclude<Sdk.ErrorTypeName, 'connection_error'>>().toEqualTypeOf<ErrorType>();
  });
});
