// The status WebSocket: auth by client secret, origin check, the first push and pushes on change.

import { SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { BASE, createSession, startAttempt } from './helpers';
import { acceptWebhooks, deliverNow } from './merchant-endpoint';
import { postNotify, signedNotify, transaction } from './wechat-notify';

// A session here gets paid: its webhook needs somewhere to go.
acceptWebhooks();

function connect(id: string, secret: string, origin?: string, ip?: string) {
  return SELF.fetch(`${BASE}/v1/client/sessions/${id}/stream?client_secret=${encodeURIComponent(secret)}`, {
    headers: { upgrade: 'websocket', ...(origin ? { origin } : {}), ...(ip ? { 'cf-connecting-ip': ip } : {}) },
  });
}

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

  it('refuses a wrong client secret, another origin and a plain GET', async () => {
    const s = await createSession();
    expect((await connect(s.id, `${s.client_secret}x`)).status).toBe(401);
    expect((await connect(s.id, s.client_secret, 'https://evil.test')).status).toBe(403);
    expect((await SELF.fetch(`${BASE}/v1/client/sessions/${s.id}/stream?client_secret=${s.client_secret}`)).status).toBe(426);
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
