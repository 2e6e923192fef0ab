// Attack: a verified provider message replayed over and over (SECURITY.md). UnionPay hands the
// shopper's browser the same signed fields it sends the server, so anyone who paid once can post them
// to /notify/unionpay/:merchant as often as they like; a captured WeChat or Alipay notify replays the
// same way within its validity. On every rail the session stores the message once and counts repeats:
// storage does not grow with replays, and nothing is applied twice.

import { env, runInDurableObject } from 'cloudflare:test';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CheckoutSession } from '../../src/session/durable-object';
import { signedAlipayBody, alipayNotifyFields, postAlipayNotify } from '../alipay-notify';
import { api, captureWebhooks, client, createSession, retrieve, type SessionJson } from '../helpers';
import { payAtCashier, postFrontForm, postNotify as postUnionpayNotify, startUnionpay } from '../unionpay-helpers';
import { V2, createSessionAs, postV2Notify, startAttemptAs, v2NotifyXml, v2Payment } from '../wechat-v2';
import { postNotify, signedNotify, transaction } from '../wechat-notify';

const REPLAYS = 60;

beforeEach(() => void captureWebhooks());
afterEach(() => vi.restoreAllMocks());

/** What the session stored of its provider messages, and how many repeats it counted. */
async function stored(sessionId: string): Promise<{ messages: number; repeats: number; events: number; anomalies: number }> {
  return runInDurableObject(env.SESSIONS.getByName(sessionId), async (_o: CheckoutSession, state) => {
    const one = (q: string) => Number(state.storage.sql.exec<{ n: number }>(q).one().n);
    return {
      messages: one("SELECT COUNT(*) AS n FROM provider_messages WHERE source = 'notify'"),
      repeats: one('SELECT COALESCE(SUM(repeats), 0) AS n FROM provider_message_repeats'),
      events: one('SELECT COUNT(*) AS n FROM events'),
      anomalies: one('SELECT COUNT(*) AS n FROM anomalies'),
    };
  });
}

async function attempt(s: SessionJson, channel: string, flow: string): Promise<string> {
  const res = await client(s, '/attempts', { method: 'POST', body: JSON.stringify({ channel, flow }) });
  if (res.status !== 201) throw new Error(`attempt: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { attempt: { id: string } }).attempt.id;
}

async function replay(post: () => Promise<Response>): Promise<void> {
  for (let i = 0; i < REPLAYS; i++) {
    const res = await post();
    // The provider's success ack each time (WeChat Pay APIv3 acknowledges with 204).
    expect([200, 204]).toContain(res.status);
    await res.arrayBuffer();
  }
}

describe('a verified notify replayed 60 times is stored once', () => {
  it('WeChat Pay APIv3', async () => {
    const s = await createSession();
    const id = await attempt(s, 'wechat_pay', 'qr');
    const n = await signedNotify(transaction(id));
    await replay(() => postNotify(n));
    expect((await retrieve(s.id)).status).toBe('paid');
    expect(await stored(s.id)).toEqual({ messages: 1, repeats: REPLAYS - 1, events: 1, anomalies: 0 });
  });

  it('WeChat Pay APIv2', async () => {
    const s = await createSessionAs(V2.key);
    const { attempt: a } = await startAttemptAs(s, 'qr');
    const xml = await v2NotifyXml(v2Payment(a.id));
    await replay(() => postV2Notify(xml));
    const res = await api(`/v1/checkout/sessions/${s.id}`, { key: V2.key });
    expect(((await res.json()) as SessionJson).status).toBe('paid');
    expect(await stored(s.id)).toEqual({ messages: 1, repeats: REPLAYS - 1, events: 1, anomalies: 0 });
  });

  it('Alipay', async () => {
    const s = await createSession();
    const id = await attempt(s, 'alipay', 'qr');
    const body = await signedAlipayBody(alipayNotifyFields(id));
    await replay(() => postAlipayNotify(body));
    expect((await retrieve(s.id)).status).toBe('paid');
    expect(await stored(s.id)).toEqual({ messages: 1, repeats: REPLAYS - 1, events: 1, anomalies: 0 });
  });

  it("UnionPay: the front-channel fields the shopper's browser received, posted to the notify URL", async () => {
    const s = await createSession();
    const { next_action } = await startUnionpay(s, 'page');
    const ref = await postFrontForm(next_action);
    const { returnFields } = await payAtCashier(ref);
    expect(returnFields.respCode).toBe('00');
    const body = new URLSearchParams(returnFields).toString();
    await replay(() => postUnionpayNotify(body));
    expect((await retrieve(s.id)).status).toBe('paid');
    const after = await stored(s.id);
    // The back-channel notify the sandbox sent may have arrived too: at most one message of each.
    expect(after.messages).toBeLessThanOrEqual(2);
    expect(after.repeats).toBeGreaterThanOrEqual(REPLAYS - 1);
    expect(after).toMatchObject({ events: 1, anomalies: 0 });
  });
});
