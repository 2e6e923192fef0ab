// The client API tells the widget what is wrong (docs/widget.md#errors), inside workerd: every origin's
// preflight is answered, so a page on an origin the merchant did not list reads 403
// origin_not_allowed, and an unknown session 404 session_not_found — instead of a failed preflight the
// browser reports as a network error. Nothing is created for an id that is no session, and an
// unlisted page reads no session data and starts no payment.

import { SELF, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { CheckoutSession } from '../src/session/durable-object';
import { BASE, createSession, sessionStub } from './helpers';

const preflight = (path: string, origin: string, method = 'GET') =>
  SELF.fetch(`${BASE}/v1/client/sessions/${path}`, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': 'authorization, content-type' },
  });

const call = (path: string, secret: string, origin: string, init: RequestInit = {}) =>
  SELF.fetch(`${BASE}/v1/client/sessions/${path}`, {
    ...init,
    headers: { authorization: `Bearer ${secret}`, origin, ...(init.body ? { 'content-type': 'application/json' } : {}) },
  });

const errorOf = async (res: Response) => ((await res.json()) as { error: { type: string; code: string; message: string } }).error;

/**
 * Whether the session object of this id holds any table. Asking an object anything starts it; what
 * must not happen for an id that is no session is writing its schema (the object keeps nothing then).
 */
const hasStorage = (id: string) =>
  runInDurableObject(sessionStub(id), (o: CheckoutSession) => {
    const { sql } = (o as unknown as { ctx: DurableObjectState }).ctx.storage;
    return sql.exec("SELECT name FROM sqlite_master WHERE type = 'table'").toArray().length > 0;
  });

describe('preflights', () => {
  it('are answered for every origin and every id, readable by the page that asked', async () => {
    const s = await createSession();
    for (const [path, origin] of [
      [`${s.id}/status`, 'https://shop.test'],
      [`${s.id}/status`, 'https://evil.test'],
      [`${s.id}/attempts`, 'https://evil.test'],
      ['cs_000000000000000000000000', 'https://shop.test'],
      ['not-a-session', 'https://shop.test'],
    ] as const) {
      const res = await preflight(path, origin, path.endsWith('attempts') ? 'POST' : 'GET');
      expect(res.status, `${path} ${origin}`).toBe(204);
      expect(res.headers.get('access-control-allow-origin')).toBe(origin);
      expect(res.headers.get('access-control-allow-headers')).toContain('authorization');
      expect(res.headers.get('access-control-allow-methods')).toContain('POST');
    }
  });
});

describe('a page on an origin the merchant did not list', () => {
  it('reads origin_not_allowed, naming allowed_origins but none of them, and nothing of the session', async () => {
    const s = await createSession();
    const res = await call(s.id, s.client_secret, 'https://evil.test');
    expect(res.status).toBe(403);
    expect(res.headers.get('access-control-allow-origin')).toBe('https://evil.test');
    const e = await errorOf(res);
    expect(e).toMatchObject({ type: 'authentication_error', code: 'origin_not_allowed' });
    expect(e.message).toContain('https://evil.test');
    expect(e.message).toContain('allowed_origins');
    // The merchant's own origins are the merchant's business, not the page's.
    expect(e.message).not.toContain('https://shop.test');
  });

  it('starts no payment: the attempt is refused before the session is asked', async () => {
    const s = await createSession();
    const res = await call(`${s.id}/attempts`, s.client_secret, 'https://evil.test', { method: 'POST', body: JSON.stringify({ channel: 'wechat_pay' }) });
    expect(res.status).toBe(403);
    expect((await errorOf(res)).code).toBe('origin_not_allowed');
    expect(await runInDurableObject(sessionStub(s.id), (o: CheckoutSession) => o.store.attempts())).toEqual([]);
  });

  it('is told only with the right secret: a wrong one reads as no such session, a malformed one as malformed', async () => {
    const s = await createSession();
    const wrong = await call(`${s.id}/status`, `${s.id}_secret_wrong`, 'https://evil.test');
    expect(wrong.status).toBe(404);
    expect(wrong.headers.get('access-control-allow-origin')).toBe('https://evil.test');
    expect((await errorOf(wrong)).code).toBe('session_not_found');
    const malformed = await call(`${s.id}/status`, 'cs_wrong', 'https://evil.test');
    expect(malformed.status).toBe(401);
    expect(await errorOf(malformed)).toMatchObject({ code: 'invalid_client_secret', param: 'authorization' });
  });
});

describe('an unknown session', () => {
  it('is session_not_found for any origin, readable by the page, and writes nothing for it', async () => {
    const name = `cs_${'Z'.repeat(20)}${Math.random().toString(36).slice(2, 6).padEnd(4, '0')}`;
    expect(name).toMatch(/^cs_[0-9A-Za-z]{24}$/);
    for (const origin of ['https://shop.test', 'https://evil.test']) {
      expect((await preflight(name, origin)).status).toBe(204);
      const res = await call(name, `${name}_secret_x`, origin);
      expect(res.status).toBe(404);
      expect(res.headers.get('access-control-allow-origin')).toBe(origin);
      expect((await errorOf(res)).code).toBe('session_not_found');
    }
    // Without an Origin (a server, curl) the session object answers, without creating its tables.
    const direct = await SELF.fetch(`${BASE}/v1/client/sessions/${name}/status`, { headers: { authorization: `Bearer ${name}_secret_x` } });
    expect((await errorOf(direct)).code).toBe('session_not_found');
    const attempt = await SELF.fetch(`${BASE}/v1/client/sessions/${name}/attempts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${name}_secret_x`, 'content-type': 'application/json' },
      body: JSON.stringify({ channel: 'wechat_pay' }),
    });
    expect((await errorOf(attempt)).code).toBe('session_not_found');
    expect(await hasStorage(name)).toBe(false);
  });

  it('a malformed id is session_not_found too', async () => {
    const res = await call('nope', `cs_${'Z'.repeat(24)}_secret_x`, 'https://shop.test');
    expect(res.status).toBe(404);
    expect((await errorOf(res)).code).toBe('session_not_found');
  });

  it('a real session has its tables (the check above can see them)', async () => {
    const s = await createSession();
    expect(await hasStorage(s.id)).toBe(true);
  });
});

describe('a listed origin', () => {
  it('reads the session, and its errors: a wrong secret is session_not_found, a malformed one invalid_client_secret', async () => {
    const s = await createSession();
    const ok = await call(s.id, s.client_secret, 'https://shop.test');
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://shop.test');
    const wrong = await call(s.id, `${s.id}_secret_wrong`, 'https://shop.test');
    expect(wrong.status).toBe(404);
    expect(wrong.headers.get('access-control-allow-origin')).toBe('https://shop.test');
    expect((await errorOf(wrong)).code).toBe('session_not_found');
    const bad = await call(s.id, `${s.id}_secret_`, 'https://shop.test');
    expect(bad.status).toBe(401);
    expect(bad.headers.get('access-control-allow-origin')).toBe('https://shop.test');
    expect(await errorOf(bad)).toMatchObject({ code: 'invalid_client_secret', param: 'authorization' });
    const none = await SELF.fetch(`${BASE}/v1/client/sessions/${s.id}`, { headers: { origin: 'https://shop.test' } });
    expect(none.status).toBe(401);
    expect(none.headers.get('access-control-allow-origin')).toBe('https://shop.test');
    expect((await errorOf(none)).code).toBe('missing_client_secret');
  });
});
