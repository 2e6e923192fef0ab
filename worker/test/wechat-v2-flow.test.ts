// WeChat Pay APIv2 end to end inside workerd, through the Worker's real fetch handler: the shared
// provider contract (create → pending → notify → paid; forged notify rejected; duplicates idempotent;
// amount mismatch is an anomaly) plus the reliability engine on v2 (query fallback, expiry close,
// cancel finding a payment, refunds settled by the encrypted refund notify), HMAC-SHA256 notifies
// without sign_type, and hostile XML refused before parsing.

import { Webhook } from 'standardwebhooks';
import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HOSTILE_XML } from '../src/providers/wechat-v2/fixtures/hostile-xml';
import { encryptReqInfo } from '../src/providers/wechat-v2/sign';
import { buildXml, parseFlatXml } from '../src/providers/wechat-v2/xml';
import type { CheckoutSession } from '../src/session/durable-object';
import { TEST, WECHAT_TEST } from './fixtures/config';
import { api, sessionStub, type SessionJson } from './helpers';
import { postNotify, signedNotify, transaction } from './wechat-notify';
import {
  SUCCESS_ACK, V2, controlAs, createSessionAs, postV2Notify, startAttemptAs, v2NotifyXml, v2Payment,
} from './wechat-v2';

interface Delivered { url: string; headers: Record<string, string>; body: string }
let delivered: Delivered[] = [];
const realFetch = globalThis.fetch;

beforeEach(() => {
  delivered = [];
  vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
    const req = new Request(input as RequestInfo, init);
    if (req.url.startsWith(TEST.webhook_url)) {
      const headers: Record<string, string> = {};
      req.headers.forEach((v, k) => (headers[k] = v));
      delivered.push({ url: req.url, headers, body: await req.text() });
      return new Response('ok');
    }
    return realFetch(req);
  });
});
afterEach(() => vi.restoreAllMocks());

type O = CheckoutSession;
const inDo = <R>(id: string, fn: (o: O) => R) => runInDurableObject(sessionStub(id), fn);
const snapshot = (id: string) =>
  inDo(id, (o) => ({
    session: o.store.session(),
    attempts: o.store.attempts(),
    events: o.store.events().map((e) => e.type),
    anomalies: o.store.anomalies().map((a) => a.reason),
    refunds: o.store.refunds(),
  }));
const setClock = (id: string, offsetMs: number) => inDo(id, (o) => void (o.clock = { now: () => Date.now() + offsetMs }));
async function drain(id: string): Promise<void> {
  for (let i = 0; i < 25; i++) {
    const due = await inDo(id, (o) => o.store.dueBy(o.clock.now()).length);
    if (due === 0) return;
    await runDurableObjectAlarm(sessionStub(id));
  }
}
const control = (path: string, body?: unknown) => controlAs(V2.key, path, body);
const ledger = async (no: string) => (await (await control(`/orders/${no}`)).json()) as {
  order: { api: string; trade_type: string; state: string; product_id: string | null; sign_type: string };
  notifies: { api: string; event_type: string; state: string; deliveries: { status: number }[] }[];
  refunds: { status: string }[];
};

async function v2Order(key: string = V2.key): Promise<{ s: SessionJson; attemptId: string; codeUrl: string }> {
  const s = await createSessionAs(key);
  const { attempt, next_action } = await startAttemptAs(s, 'qr');
  return { s, attemptId: attempt.id, codeUrl: next_action.data ?? '' };
}

describe('wechat-v2 contract: create → pending → notify → paid', () => {
  it('places a NATIVE unifiedorder in the sandbox and shows its code_url', async () => {
    const s = await createSessionAs(V2.key);
    const { attempt, next_action } = await startAttemptAs(s, 'qr');
    expect(next_action.type).toBe('display_qr');
    expect(next_action.data).toMatch(/^weixin:\/\/wxpay\/bizpayurl\?pr=[0-9A-Za-z]{10}$/);
    expect(next_action.sandbox_wallet_url).toContain('/sandbox/wechatpay/wallet?code_url=');
    const l = await ledger(attempt.id);
    expect(l.order).toMatchObject({ api: 'v2', trade_type: 'NATIVE', state: 'NOTPAY', product_id: attempt.id, sign_type: 'MD5' });
    expect((await snapshot(s.id)).attempts[0]).toMatchObject({ provider: 'wechat-v2', status: 'pending' });
    // The same flow again is the same order.
    expect((await startAttemptAs(s, 'qr')).attempt.id).toBe(attempt.id);
  });

  it('moves to paid once on the sandbox XML notify, acked with the exact SUCCESS XML, and signs the webhook', async () => {
    const { s, attemptId } = await v2Order();
    expect((await control(`/orders/${attemptId}/pay`, { notify: 'normal' })).status).toBe(200);
    await control('/flush', {});
    const view = (await (await api(`/v1/checkout/sessions/${s.id}`, { key: V2.key })).json()) as SessionJson;
    expect(view.status).toBe('paid');
    expect(view.payment).toMatchObject({ attempt: attemptId, amount: 8888, provider: 'wechat-v2' });
    const l = await ledger(attemptId);
    expect(l.notifies).toMatchObject([{ api: 'v2', event_type: 'TRANSACTION.SUCCESS', state: 'delivered' }]);
    expect(l.notifies[0]!.deliveries.map((d) => d.status)).toEqual([200]);
    await drain(s.id);
    const hook = delivered.find((d) => d.url === `${TEST.webhook_url}/v2` && JSON.parse(d.body).type === 'checkout.session.paid');
    expect(hook).toBeDefined();
    // Checked by the reference Standard Webhooks library, not by our own verifier.
    expect(new Webhook(TEST.webhook_secret).verify(hook!.body, hook!.headers)).toEqual(JSON.parse(hook!.body));
  });

  it('acks a verified notify with exactly the SUCCESS XML, only after storing it', async () => {
    const { s, attemptId } = await v2Order();
    const res = await postV2Notify(await v2NotifyXml(v2Payment(attemptId)));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/xml');
    expect(await res.text()).toBe(SUCCESS_ACK);
    expect((await snapshot(s.id)).session?.status).toBe('paid');
  });

  it('applies duplicate and parallel notifies once: one transition, one event', async () => {
    const { s, attemptId } = await v2Order();
    const xml = await v2NotifyXml(v2Payment(attemptId));
    const answers = await Promise.all(Array.from({ length: 20 }, () => postV2Notify(xml)));
    expect(answers.map((r) => r.status)).toEqual(Array(20).fill(200));
    const snap = await snapshot(s.id);
    expect(snap.session?.status).toBe('paid');
    expect(snap.events).toEqual(['checkout.session.paid']);
  });

  it('records an amount mismatch as an anomaly, never paid', async () => {
    const { s, attemptId } = await v2Order();
    expect((await postV2Notify(await v2NotifyXml(v2Payment(attemptId, { total_fee: '1' })))).status).toBe(200);
    const snap = await snapshot(s.id);
    expect(snap.session?.status).toBe('open');
    expect(snap.anomalies).toEqual(['amount_mismatch']);
    expect(snap.events).toEqual(['payment.anomaly']);
  });

  it.each([
    ['another appid', { appid: 'wx0000000000000000' }, 'app_mismatch'],
    ['another mch_id', { mch_id: '10009999' }, 'merchant_mismatch'],
  ])('records a payment for %s as an anomaly', async (_n, over, reason) => {
    const { s, attemptId } = await v2Order();
    await postV2Notify(await v2NotifyXml(v2Payment(attemptId, over)));
    const snap = await snapshot(s.id);
    expect(snap.session?.status).toBe('open');
    expect(snap.anomalies).toEqual([reason]);
  });
});

describe('forged v2 notifies change nothing and never get the SUCCESS ack', () => {
  const cases: [string, (f: Record<string, string>) => Promise<string>][] = [
    ['one field changed after signing', async (f) => (await v2NotifyXml(f)).replace('<total_fee>8888</total_fee>', '<total_fee>8889</total_fee>')],
    ['signed with another key', async (f) => v2NotifyXml(f, 'MD5', 'ffffffffffffffffffffffffffffffff')],
    ['no sign', async (f) => buildXml(f)],
    ['an HMAC sign declared as MD5', async (f) => v2NotifyXml({ ...f, sign_type: 'MD5' }, 'HMAC-SHA256')],
    ['a sign of the wrong length', async (f) => buildXml({ ...f, sign: 'A'.repeat(40) })],
    ['a duplicated total_fee', async (f) => (await v2NotifyXml(f)).replace('</xml>', '<total_fee>1</total_fee></xml>')],
    ['a refund notify whose req_info is not ours', async () => buildXml({ return_code: 'SUCCESS', appid: V2.appid, mch_id: V2.mchId, nonce_str: 'x', req_info: await encryptReqInfo('<root><out_refund_no>R</out_refund_no></root>', 'ffffffffffffffffffffffffffffffff') })],
    ['JSON (a v3-shaped body) at the v2 URL', async () => (await signedNotify(transaction('X'))).body],
  ];

  it.each(cases)('%s', async (_name, make) => {
    const { s, attemptId } = await v2Order();
    const before = await snapshot(s.id);
    const res = await postV2Notify(await make(v2Payment(attemptId)));
    expect(res.status).toBe(401);
    expect(parseFlatXml(await res.text()).return_code).toBe('FAIL');
    expect(await snapshot(s.id)).toEqual(before);
  });

  it('a v2 notify at an APIv3 merchant URL, and a v3 notify at an APIv2 merchant URL', async () => {
    const { s, attemptId } = await v2Order();
    const before = await snapshot(s.id);
    expect((await postV2Notify(await v2NotifyXml(v2Payment(attemptId)), TEST.merchant_id)).status).toBe(401);
    expect((await postNotify(await signedNotify(transaction(attemptId)), V2.merchant)).status).toBe(401);
    expect(await snapshot(s.id)).toEqual(before);
  });

  it.each(HOSTILE_XML)('refuses hostile XML before parsing: %s', async (_name, payload) => {
    const { s } = await v2Order();
    const before = await snapshot(s.id);
    const res = await postV2Notify(payload);
    expect(res.status).toBe(401);
    const body = await res.text();
    expect(parseFlatXml(body).return_code).toBe('FAIL');
    expect(body).not.toContain('root:');
    expect(await snapshot(s.id)).toEqual(before);
  });

  it('refuses a body over 64 KB with a FAIL answer', async () => {
    const res = await postV2Notify(`<xml><a>${'x'.repeat(70_000)}</a></xml>`);
    expect(res.status).toBe(413);
    expect(parseFlatXml(await res.text()).return_code).toBe('FAIL');
  });
});

describe('HMAC-SHA256 merchants', () => {
  it('verifies a notify signed with HMAC-SHA256 that carries no sign_type (by the sign length)', async () => {
    const { s, attemptId } = await v2Order(WECHAT_TEST.v2hmac_secret_key);
    const fields = v2Payment(attemptId, {}, { appid: WECHAT_TEST.v2hmac_appid, mchId: WECHAT_TEST.v2hmac_mch_id });
    const xml = await v2NotifyXml(fields, 'HMAC-SHA256');
    expect(xml).not.toContain('sign_type');
    expect(/<sign>([0-9A-F]+)<\/sign>/.exec(xml)?.[1]).toHaveLength(64);
    const res = await postV2Notify(xml, WECHAT_TEST.v2hmac_merchant_id);
    expect(await res.text()).toBe(SUCCESS_ACK);
    expect((await snapshot(s.id)).session?.status).toBe('paid');
  });

  it('places HMAC-signed orders and receives the sandbox notify (HMAC, no sign_type)', async () => {
    const { s, attemptId } = await v2Order(WECHAT_TEST.v2hmac_secret_key);
    const l = await (await controlAs(WECHAT_TEST.v2hmac_secret_key, `/orders/${attemptId}`)).json() as { order: { sign_type: string } };
    expect(l.order.sign_type).toBe('HMAC-SHA256');
    await controlAs(WECHAT_TEST.v2hmac_secret_key, `/orders/${attemptId}/pay`, {});
    await controlAs(WECHAT_TEST.v2hmac_secret_key, '/flush', {});
    expect((await snapshot(s.id)).session?.status).toBe('paid');
  });
});

describe('the reliability engine on APIv2', () => {
  it('reaches paid by orderquery when every notify is dropped', async () => {
    const { s, attemptId } = await v2Order();
    await control(`/orders/${attemptId}/pay`, { notify: 'drop' });
    await setClock(s.id, 5_000);
    await drain(s.id);
    const snap = await snapshot(s.id);
    expect(snap.session?.status).toBe('paid');
    expect(snap.events.filter((e) => e === 'checkout.session.paid')).toHaveLength(1);
  });

  it('closes the v2 order at expiry (closeorder), and a payment after it is a late-payment anomaly refunded once', async () => {
    const s = await createSessionAs(V2.key, { expires_in: 60 });
    const { attempt } = await startAttemptAs(s, 'qr');
    await setClock(s.id, 61_000);
    await drain(s.id);
    expect((await snapshot(s.id)).session?.status).toBe('expired');
    expect((await ledger(attempt.id)).order.state).toBe('CLOSED');
    // A payment the provider reports anyway (e.g. a stale notify) is late, refunded through /secapi/pay/refund.
    await postV2Notify(await v2NotifyXml(v2Payment(attempt.id)));
    const snap = await snapshot(s.id);
    expect(snap.anomalies).toEqual(['late_payment']);
    expect(snap.refunds).toMatchObject([{ kind: 'anomaly', amount: 8888 }]);
  });

  it('cancel discovers a payment (closeorder → ORDERPAID → orderquery) and answers 409', async () => {
    const { s, attemptId } = await v2Order();
    await control(`/orders/${attemptId}/pay`, { notify: 'drop' });
    const res = await api(`/v1/checkout/sessions/${s.id}/cancel`, { method: 'POST', key: V2.key });
    expect(res.status).toBe(409);
    expect((await snapshot(s.id)).session?.status).toBe('paid');
  });

  it('refunds through /secapi/pay/refund and settles by the encrypted refund notify', async () => {
    const { s, attemptId } = await v2Order();
    await control(`/orders/${attemptId}/pay`, { notify: 'drop' });
    await postV2Notify(await v2NotifyXml(v2Payment(attemptId)));
    const r = await api('/v1/refunds', { method: 'POST', key: V2.key, body: JSON.stringify({ session: s.id, amount: 1000, reason: '退货 returned' }) });
    expect(r.status).toBe(201);
    const refund = (await r.json()) as { id: string; status: string };
    expect(refund.status).toBe('pending');
    // The sandbox finishes the refund (5 s × time_scale after accepting it, on its own alarm) and
    // sends the v2 refund notify (req_info, AES-256-ECB); flush until that notify went out.
    for (let i = 0; i < 100; i++) {
      await control('/flush', {});
      const sent = (await ledger(attemptId)).notifies.find((n) => n.event_type === 'REFUND.SUCCESS');
      if (sent?.state === 'delivered') break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const l = await ledger(attemptId);
    expect(l.refunds).toMatchObject([{ status: 'SUCCESS' }]);
    expect(l.notifies.find((n) => n.event_type === 'REFUND.SUCCESS')).toMatchObject({ api: 'v2', state: 'delivered' });
    const got = (await (await api(`/v1/refunds/${refund.id}`, { key: V2.key })).json()) as { status: string };
    expect(got.status).toBe('succeeded');
    expect((await snapshot(s.id)).events).toContain('refund.succeeded');
  });
});
