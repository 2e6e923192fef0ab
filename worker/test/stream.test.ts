// The status WebSocket: auth by client secret, origin check, the first push and pushes on change.

import { SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { BASE, createSession, startAttempt } from './helpers';
import { acceptWebhooks, deliverNow } from './merchant-endpoint';
import { postNotify, signedNotify, transaction } from './wechat-notify';

// A session here gets paid: its webhook needs somewhere to go.
acceptWebhooks();

/** The widget's way: the client secret offered as a subprotocol next to shouyin.v1, nothing in the URL. */
function connect(id: string, secret: string, origin?: string, ip?: string) {
  return SELF.fetch(`${BASE}/v1/client/sessions/${id}/stream`, {
    headers: {
      upgrade: 'websocket',
      'sec-websocket-protocol': `shouyin.v1, shouyin.secret.${secret}`,
      ...(origin ? { origin } : {}),
      ...(ip ? { 'cf-connecting-ip': ip } : {}),
    },
  });
}

/** The deprecated way (widgets before the subprotocol): the secret in the query. */
function connectByQuery(id: string, secret: string, protocols?: string) {
  return SELF.fetch(`${BASE}/v1/client/sessions/${id}/stream?client_secret=${encodeURIComponent(secret)}`, {
    headers: { upgrade: 'websocket', ...(protocols ? { 'sec-websocket-protocol': protocols } : {}) },
  });
}

const errorOf = async (res: Response) => ((await res.json()) as { error: { type: string; code: string; param?: string } }).error;

/** Opens a socket that must be accepted, and accepts its end. */
async function open(id: string, secret: string, ip: string): Promise<WebSocket> {
  const res = await connect(id, secret, undefined, ip);
  expect(res.status).toBe(101);
  const ws = res.webSocket!;
  ws.accept();
  return ws;
}

async function expectRefused(res: Response): Promise<void> {
  expect(res.status).toBe(429);
  const body = (await res.json()) as { error: { type: string; code: string; message: string } };
  expect(body.error).toMatchObject({ type: 'invalid_request_error', code: 'too_many_streams' });
  expect(body.error.message).toMatch(/WebSocket/);
}

describe('GET /v1/client/sessions/:id/stream', () => {
  it('sends the status at once and pushes the change to paid', async () => {
    const s = await createSession();
    const { attempt } = await startAttempt(s);
    const res = await connect(s.id, s.client_secret, 'https://shop.test');
    expect(res.status).toBe(101);
    const ws = res.webSocket!;
    const messages: { status: string; version: number }[] = [];
    const paid = new Promise<void>((resolve) => {
      ws.addEventListener('message', (e) => {
        const m = JSON.parse(e.data as string) as { status: string; version: number };
        messages.push(m);
        if (m.status === 'paid') resolve();
      });
    });
    ws.accept();
    await postNotify(await signedNotify(transaction(attempt.id)));
    await paid;
    expect(messages[0]?.status).toBe('open');
    expect(messages[messages.length - 1]?.status).toBe('paid');
    ws.close(1000, 'done');
    await deliverNow(s.id);
  });

  it('takes the client secret as a subprotocol and selects shouyin.v1, never echoing the secret', async () => {
    const s = await createSession();
    const res = await connect(s.id, s.client_secret, 'https://shop.test');
    expect(res.status).toBe(101);
    expect(res.headers.get('sec-websocket-protocol')).toBe('shouyin.v1');
    const ws = res.webSocket!;
    const first = new Promise<string>((resolve) => ws.addEventListener('message', (e) => resolve(e.data as string), { once: true }));
    ws.accept();
    expect(JSON.parse(await first)).toMatchObject({ status: 'open' });
    ws.close(1000, 'done');
  });

  it('still takes the deprecated ?client_secret= (pinned older widgets), selecting no subprotocol when none is offered', async () => {
    const s = await createSession();
    const res = await connectByQuery(s.id, s.client_secret);
    expect(res.status).toBe(101);
    expect(res.headers.get('sec-websocket-protocol')).toBeNull();
    res.webSocket!.accept();
    res.webSocket!.close(1000, 'done');
    // Both forms at once: accepted when they agree, refused (before the session is looked up) when not.
    const both = await connectByQuery(s.id, s.client_secret, `shouyin.v1, shouyin.secret.${s.client_secret}`);
    expect(both.status).toBe(101);
    expect(both.headers.get('sec-websocket-protocol')).toBe('shouyin.v1');
    both.webSocket!.accept();
    both.webSocket!.close(1000, 'done');
    const other = `${s.id}_secret_${'x'.repeat(24)}`;
    for (const [query, protocol] of [
      [s.client_secret, other],
      [other, s.client_secret],
    ] as const) {
      const res = await connectByQuery(s.id, query, `shouyin.v1, shouyin.secret.${protocol}`);
      expect(res.status).toBe(401);
      expect(await errorOf(res)).toMatchObject({ code: 'invalid_client_secret', param: 'client_secret' });
    }
  });

  it('refuses a wrong client secret like an unknown session, and a malformed or missing one as such', async () => {
    const s = await createSession();
    const unknownId = 'cs_000000000000000000000000';
    const unknown = await connect(unknownId, s.client_secret.replace(s.id, unknownId));
    const wrong = await connect(s.id, `${s.id}_secret_${'x'.repeat(24)}`);
    expect(wrong.status).toBe(404);
    expect(wrong.headers.get('sec-websocket-protocol')).toBeNull();
    expect((await wrong.text()).replaceAll(s.id, unknownId)).toBe(await unknown.text());
    expect((await connectByQuery(s.id, `${s.client_secret}x`)).status).toBe(404);
    const malformed = await connect(s.id, `${s.client_secret}!`);
    expect(malformed.status).toBe(401);
    expect(await errorOf(malformed)).toMatchObject({ code: 'invalid_client_secret', param: 'Sec-WebSocket-Protocol' });
    const none = await SELF.fetch(`${BASE}/v1/client/sessions/${s.id}/stream`, { headers: { upgrade: 'websocket', 'sec-websocket-protocol': 'shouyin.v1' } });
    expect(none.status).toBe(401);
    expect((await errorOf(none)).code).toBe('missing_client_secret');
  });

  it('refuses another origin (with the right secret) and a plain GET', async () => {
    const s = await createSession();
    expect((await connect(s.id, s.client_secret, 'https://evil.test')).status).toBe(403);
    // From an unlisted origin a wrong secret learns nothing either.
    expect((await connect(s.id, `${s.id}_secret_${'x'.repeat(24)}`, 'https://evil.test')).status).toBe(404);
    const plain = await SELF.fetch(`${BASE}/v1/client/sessions/${s.id}/stream`, { headers: { 'sec-websocket-protocol': `shouyin.secret.${s.client_secret}` } });
    expect(plain.status).toBe(426);
  });

  it('caps sockets per client IP (5) and per session (20) with 429 too_many_streams; closing one frees a slot', async () => {
    const s = await createSession();
    const sockets: WebSocket[] = [];
    for (let i = 0; i < 5; i++) sockets.push(await open(s.id, s.client_secret, '203.0.113.1'));
    await expectRefused(await connect(s.id, s.client_secret, undefined, '203.0.113.1'));
    for (const ip of ['203.0.113.2', '203.0.113.3', '203.0.113.4']) for (let i = 0; i < 5; i++) sockets.push(await open(s.id, s.client_secret, ip));
    expect(sockets).toHaveLength(20);
    await expectRefused(await connect(s.id, s.client_secret, undefined, '203.0.113.5'));
    // One shopper's tab closes: a new socket fits again, from that shopper's IP or another.
    sockets.shift()!.close(1000, 'done');
    let res = await connect(s.id, s.client_secret, undefined, '203.0.113.5');
    for (let i = 0; i < 20 && res.status !== 101; i++) {
      await new Promise((r) => setTimeout(r, 25));
      res = await connect(s.id, s.client_secret, undefined, '203.0.113.5');
    }
    expect(res.status).toBe(101);
    res.webSocket!.accept();
    sockets.push(res.webSocket!);
    await expectRefused(await connect(s.id, s.client_secret, undefined, '203.0.113.1'));
    for (const ws of sockets) ws.close(1000, 'done');
  });
});
