// WeChat Pay APIv2 specifics end to end inside workerd, through the Worker's real fetch handler: the
// sandbox's XML notify → paid → signed webhook, the ways a v2 notify can be altered beyond the shared
// provider contract (worker/test/contract), v2/v3 bodies at the other API's URL, HMAC-SHA256 notifies
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
import { SUCCESS_ACK, V2, controlAs, createSessionAs, postV2Notify, startAttemptAs, v2NotifyXml, v2Payment } from './wechat-v2';

interface Delivered {
  url: string;
  headers: Record<string, string>;
  body: string;
}
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
async function drain(id: string): Promise<void> {
  for (let i = 0; i < 25; i++) {
    const due = await inDo(id, (o) => o.store.dueBy(o.clock.now()).length);
    if (due === 0) return;
    await runDurableObjectAlarm(sessionStub(id));
  }
}
const control = (path: string, body?: unknown) => controlAs(V2.key, path, body);
const ledger = async (no: string) =>
  (await (await control(`/orders/${no}`)).json()) as {
    notifies: { api: string; event_type: string; state: string; deliveries: { status: number }[] }[];
  };

async function v2Order(key: string = V2.key): Promise<{ s: SessionJson; attemptId: string; codeUrl: string }> {
  const s = await createSessionAs(key);
  const { attempt, next_action } = await startAttemptAs(s, 'qr');
  return { s, attemptId: attempt.id, codeUrl: next_action.data ?? '' };
}

describe('wechat-v2: the sandbox notify → paid', () => {
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
});

// Another key's sign is in the provider contract (worker/test/contract); these are the other ways a v2
// notify can be altered.
describe('forged v2 notifies change nothing and never get the SUCCESS ack', () => {
  const cases: [string, (f: Record<string, string>) => Promise<string>][] = [
    ['one field changed after signing', async (f) => (await v2NotifyXml(f)).replace('<total_fee>8888</total_fee>', '<total_fee>8889</total_fee>')],
    ['no sign', async (f) => buildXml(f)],
    ['an HMAC sign declared as MD5', async (f) => v2NotifyXml({ ...f, sign_type: 'MD5' }, 'HMAC-SHA256')],
    ['a sign of the wrong length', async (f) => buildXml({ ...f, sign: 'A'.repeat(40) })],
    ['a duplicated total_fee', async (f) => (await v2NotifyXml(f)).replace('</xml>', '<total_fee>1</total_fee></xml>')],
    [
      'a refund notify whose req_info is not ours',
      async () =>
        buildXml({
          return_code: 'SUCCESS',
          appid: V2.appid,
          mch_id: V2.mchId,
          nonce_str: 'x',
          req_info: await encryptReqInfo('<root><out_refund_no>R</out_refund_no></root>', 'ffffffffffffffffffffffffffffffff'),
        }),
    ],
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

  it('refuses an MD5-signed notify at an HMAC-SHA256 merchant: no SUCCESS ack, the session unchanged', async () => {
    const { s, attemptId } = await v2Order(WECHAT_TEST.v2hmac_secret_key);
    const before = await snapshot(s.id);
    const fields = v2Payment(attemptId, {}, { appid: WECHAT_TEST.v2hmac_appid, mchId: WECHAT_TEST.v2hmac_mch_id });
    const xml = await v2NotifyXml(fields, 'MD5');
    expect(/<sign>([0-9A-F]+)<\/sign>/.exec(xml)?.[1]).toHaveLength(32);
    const res = await postV2Notify(xml, WECHAT_TEST.v2hmac_merchant_id);
    expect(res.status).toBe(401);
    expect(parseFlatXml(await res.text()).return_code).toBe('FAIL');
    expect(await snapshot(s.id)).toEqual(before);
  });

  it('places HMAC-signed orders and receives the sandbox notify (HMAC, no sign_type)', async () => {
    const { s, attemptId } = await v2Order(WECHAT_TEST.v2hmac_secret_key);
    const l = (await (await controlAs(WECHAT_TEST.v2hmac_secret_key, `/orders/${attemptId}`)).json()) as { order: { sign_type: string } };
    expect(l.order.sign_type).toBe('HMAC-SHA256');
    await controlAs(WECHAT_TEST.v2hmac_secret_key, `/orders/${attemptId}/pay`, {});
    await controlAs(WECHAT_TEST.v2hmac_secret_key, '/flush', {});
    expect((await snapshot(s.id)).session?.status).toBe('paid');
  });
});
