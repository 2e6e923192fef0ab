// Attack: notify bodies that are not what they seem (docs/reliability.md, "Notify bodies"). Bytes that are not
// UTF-8 must not turn into U+FFFD and verify as the text that was signed; a compressed body is refused before
// it is read; a chunked body with no Content-Length is cut at 64 KB; and the hostile-XML battery is refused in
// bounded time, after which a genuine notify still works.

import { SELF, env, runInDurableObject } from 'cloudflare:test';
import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from 'vitest';
import { HOSTILE_XML } from '../../src/providers/wechat-v2/fixtures/hostile-xml';
import { parseFlatXml } from '../../src/providers/wechat-v2/xml';
import type { CheckoutSession } from '../../src/session/durable-object';
import { alipayNotifyFields, signedAlipayBody } from '../alipay-notify';
import { signResponse } from '../../src/providers/wechat-v3/sign';
import { SANDBOX_WECHAT_PRIVATE_KEY, TEST } from '../fixtures/config';
import { BASE, api, client, createSession, retrieve, type SessionJson } from '../helpers';
import { acceptWebhooks, deliverNow } from '../merchant-endpoint';
import { consumeNotify, signedNotify as signedUnionpayNotify, startUnionpay } from '../unionpay-helpers';
import { SUCCESS_ACK, V2, createSessionAs, startAttemptAs, v2NotifyXml, v2Payment } from '../wechat-v2';
import { signedNotify, transaction } from '../wechat-notify';

// Sessions paid here send their webhooks to the test merchants' endpoint.
acceptWebhooks();

// The route logs each refused notify (by code); what is logged is asserted below, not printed.
let logs: MockInstance[] = [];
beforeEach(() => {
  logs = (['log', 'info', 'warn', 'error'] as const).map((m) => vi.spyOn(console, m).mockImplementation(() => {}));
});
afterEach(() => {
  for (const s of logs) s.mockRestore();
});
const logged = (): string => logs.flatMap((s) => s.mock.calls.map((c) => c.map(String).join(' '))).join('\n');

const MARK = 'BODYMARK7Q';
// U+FFFD as sent: raw UTF-8 (XML, JSON) or percent-encoded (forms).
const FFFD_RAW = [0xef, 0xbf, 0xbd];
const FFFD_PCT = [...'%EF%BF%BD'].map((c) => c.charCodeAt(0));

/** The body's bytes with the first U+FFFD (raw or percent-encoded) replaced by the lone byte 0xFF: not UTF-8. */
function notUtf8(body: string): Uint8Array<ArrayBuffer> {
  const bytes = new TextEncoder().encode(body);
  for (const needle of [FFFD_RAW, FFFD_PCT]) {
    for (let i = 0; i + needle.length <= bytes.length; i++) {
      if (needle.every((b, j) => bytes[i + j] === b)) {
        const out = new Uint8Array(bytes.length - needle.length + 1);
        out.set(bytes.subarray(0, i));
        out[i] = 0xff;
        out.set(bytes.subarray(i + needle.length), i + 1);
        return out;
      }
    }
  }
  throw new Error('no U+FFFD in the body');
}

interface Rail {
  name: string;
  path: string;
  /** A session, and a valid signed notify for it whose signed text carries U+FFFD and MARK. */
  make(): Promise<{ session: SessionJson; key: string; headers: Record<string, string>; body: string }>;
  /** The rail's failure answer: true when `res` has its shape. */
  isFail(status: number, text: string): boolean;
  okStatus: number;
}

async function attemptOf(s: SessionJson, channel: string, flow: string): Promise<string> {
  const res = await client(s, '/attempts', { method: 'POST', body: JSON.stringify({ channel, flow }) });
  if (res.status !== 201) throw new Error(`attempt: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { attempt: { id: string } }).attempt.id;
}

const v2Fail = (status: number, text: string): boolean => status === 401 && parseFlatXml(text).return_code === 'FAIL';

const RAILS: Rail[] = [
  {
    name: 'WeChat Pay APIv2 (XML)',
    path: `/notify/wechat_pay/${V2.merchant}`,
    async make() {
      const session = await createSessionAs(V2.key);
      const { attempt } = await startAttemptAs(session, 'qr');
      // Outside the markup characters, so buildXml writes it raw, not in CDATA.
      const body = await v2NotifyXml({ ...v2Payment(attempt.id), attach: `${MARK}\uFFFD` });
      return { session, key: V2.key, headers: { 'content-type': 'text/xml' }, body };
    },
    isFail: v2Fail,
    okStatus: 200,
  },
  {
    name: 'WeChat Pay APIv3 (JSON)',
    path: `/notify/wechat_pay/${TEST.merchant_id}`,
    async make() {
      const session = await createSession();
      const id = await attemptOf(session, 'wechat_pay', 'qr');
      const n = await signedNotify(transaction(id));
      // The signature covers the body text: U+FFFD written raw in an unencrypted field.
      const body = n.body.replace('"summary":"支付成功"', `"summary":"${MARK}\uFFFD"`);
      const resigned = await signedNotifyWithBody(n, body);
      return { session, key: TEST.secret_key, headers: resigned.headers, body };
    },
    isFail: (status, text) => status === 401 && /FAIL/.test(text),
    okStatus: 204,
  },
  {
    name: 'Alipay (form)',
    path: `/notify/alipay/${TEST.merchant_id}`,
    async make() {
      const session = await createSession();
      const id = await attemptOf(session, 'alipay', 'qr');
      const body = await signedAlipayBody(alipayNotifyFields(id, { subject: `${MARK}\uFFFD` }));
      return { session, key: TEST.secret_key, headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }, body };
    },
    isFail: (status, text) => status === 401 && text === 'fail',
    okStatus: 200,
  },
  {
    name: 'UnionPay (form)',
    path: `/notify/unionpay/${TEST.merchant_id}`,
    async make() {
      const session = await createSession();
      const { attempt } = await startUnionpay(session, 'app');
      const n = await signedUnionpayNotify(consumeNotify(attempt.id, { respMsg: `${MARK}\uFFFD` }));
      return { session, key: TEST.secret_key, headers: { 'content-type': 'application/x-www-form-urlencoded;charset=UTF-8' }, body: n.body };
    },
    isFail: (status, text) => status === 401 && text.startsWith('fail'),
    okStatus: 200,
  },
];

/** The same APIv3 notify signed over another body (the signing twin, never a hand-made signature). */
async function signedNotifyWithBody(n: { headers: Record<string, string> }, body: string): Promise<{ headers: Record<string, string> }> {
  const headers = await signResponse({
    serial: TEST.wechatpay_public_key_id,
    privateKey: SANDBOX_WECHAT_PRIVATE_KEY,
    body,
    timestamp: Number(n.headers['Wechatpay-Timestamp']),
  });
  return { headers: { ...headers, 'Content-Type': 'application/json' } };
}

const post = (path: string, headers: Record<string, string>, body: BodyInit): Promise<Response> =>
  SELF.fetch(`${BASE}${path}`, { method: 'POST', headers, body });

async function statusOf(s: SessionJson, key: string): Promise<string> {
  if (key === TEST.secret_key) return (await retrieve(s.id)).status;
  return ((await (await api(`/v1/checkout/sessions/${s.id}`, { key })).json()) as SessionJson).status;
}

describe('invalid UTF-8 is refused, never read as U+FFFD', () => {
  it.each(RAILS)('$name: the fail answer, nothing stored, the body not logged; the genuine bytes then verify', async (rail) => {
    const { session, key, headers, body } = await rail.make();
    for (const l of logs) l.mockClear();
    const res = await post(rail.path, headers, notUtf8(body));
    const text = await res.text();
    // Decoded loosely, the lone 0xFF would become the U+FFFD that was signed, and this would be paid.
    expect(rail.isFail(res.status, text), `${res.status} ${text}`).toBe(true);
    expect(await statusOf(session, key)).toBe('open');
    expect(logged()).toContain('parameter_invalid (body)');
    expect(logged()).not.toContain(MARK);
    const ok = await post(rail.path, headers, body);
    expect(ok.status).toBe(rail.okStatus);
    await ok.arrayBuffer();
    expect(await statusOf(session, key)).toBe('paid');
    await deliverNow(session.id);
  });
});

describe('a Content-Encoding is refused before the body is read', () => {
  it.each(['gzip', 'br', 'deflate', 'identity, gzip'])('%s: a valid signed v2 notify so labelled is refused', async (ce) => {
    const { session, key, headers, body } = await RAILS[0]!.make();
    const res = await post(RAILS[0]!.path, { ...headers, 'content-encoding': ce }, body);
    expect(v2Fail(res.status, await res.text())).toBe(true);
    expect(await statusOf(session, key)).toBe('open');
  });

  it('identity is no encoding: accepted', async () => {
    const { session, key, headers, body } = await RAILS[0]!.make();
    const res = await post(RAILS[0]!.path, { ...headers, 'content-encoding': 'identity' }, body);
    expect(await res.text()).toBe(SUCCESS_ACK);
    expect(await statusOf(session, key)).toBe('paid');
  });

  it('the merchant API answers 400 parameter_invalid for a compressed or non-UTF-8 JSON body', async () => {
    const json = (extra: Record<string, string>, body: BodyInit) =>
      api('/v1/checkout/sessions', { method: 'POST', headers: { 'content-type': 'application/json', ...extra }, body });
    const encoded = await json({ 'content-encoding': 'gzip' }, '{}');
    expect(encoded.status).toBe(400);
    expect(await encoded.json()).toMatchObject({ error: { code: 'parameter_invalid', param: 'content-encoding' } });
    const bad = await json({}, notUtf8('{"amount":100,"currency":"CNY","description":"\uFFFD"}'));
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: 'parameter_invalid', param: 'body' } });
  });
});

describe('size cap on a chunked body', () => {
  it('a 1 MiB body streamed with no Content-Length: 413 with the FAIL XML, read only to the cap', async () => {
    const CHUNK = 1024;
    const TOTAL = 1024 * 1024;
    let pulled = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (pulled >= TOTAL) return controller.close();
        const chunk = new TextEncoder().encode(pulled === 0 ? `<xml><attach>${'x'.repeat(CHUNK - 13)}` : 'x'.repeat(CHUNK));
        pulled += chunk.byteLength;
        controller.enqueue(chunk);
      },
    });
    const res = await SELF.fetch(`${BASE}${RAILS[0]!.path}`, { method: 'POST', headers: { 'content-type': 'text/xml' }, body: stream });
    expect(res.status).toBe(413);
    expect(parseFlatXml(await res.text()).return_code).toBe('FAIL');
    logs[0]!.mockRestore();
    console.log(`chunked notify: ${pulled} of ${TOTAL} bytes pulled before the 413`);
    // The cap (64 KiB) plus whatever the runtime's pipe reads ahead; never the whole megabyte.
    expect(pulled).toBeLessThanOrEqual(2 * 64 * 1024);
  });
});

describe('the hostile-XML battery', () => {
  it('every payload refused with FAIL, all in bounded time; a genuine notify right after is paid', async () => {
    const { session, key, headers, body } = await RAILS[0]!.make();
    const before = await runInDurableObject(env.SESSIONS.getByName(session.id), (o: CheckoutSession) => o.store.events().length);
    const t0 = Date.now();
    for (const [name, payload] of HOSTILE_XML) {
      const res = await post(RAILS[0]!.path, headers, payload);
      expect(v2Fail(res.status, await res.text()), name).toBe(true);
    }
    const elapsed = Date.now() - t0;
    logs[0]!.mockRestore();
    console.log(`hostile XML battery: ${HOSTILE_XML.length} notifies in ${elapsed} ms`);
    // A regression guard, not a benchmark: an entity expansion or a parser walking 10,000 levels would blow it.
    expect(elapsed).toBeLessThan(2000);
    expect(await runInDurableObject(env.SESSIONS.getByName(session.id), (o: CheckoutSession) => o.store.events().length)).toBe(before);
    const ok = await post(RAILS[0]!.path, headers, body);
    expect(await ok.text()).toBe(SUCCESS_ACK);
    expect(await statusOf(session, key)).toBe('paid');
    await deliverNow(session.id);
  });
});
