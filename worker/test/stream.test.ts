// The status WebSocket: auth by client secret, origin check, the first push and pushes on change.

import { SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { BASE, createSession, startAttempt } from './helpers';
import { acceptWebhooks, deliverNow } from './merchant-endpoint';
import { postNotify, signedNotify, transaction } from './wechat-notify';

// A session here gets paid: its webhook needs somewhere to go.
acceptWebhooks();

function connect(id: string, secret: string, origin?: string) {
  return SELF.fetch(`${BASE}/v1/client/sessions/${id}/stream?client_secret=${encodeURIComponent(secret)}`, {
    headers: { upgrade: 'websocket', ...(origin ? { origin } : {}) },
  });
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
});
