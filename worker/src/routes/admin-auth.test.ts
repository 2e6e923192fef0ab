import { describe, expect, it } from 'vitest';
import { Hono } from 'hono';
import { authenticateAdmin } from './admin-auth';
import { errorResponse } from './http';
import type { Env } from '../env';

const KEY = `sk_admin_${'a1'.repeat(16)}`;
const app = new Hono<{ Bindings: Env }>();
app.onError((e) => errorResponse(e));
app.get('/admin', (c) => {
  authenticateAdmin(c);
  return c.json({ ok: true });
});
const env = { SHOUYIN_ADMIN_KEYS: ` ${KEY} , not-a-key` } as unknown as Env;
const call = (headers: Record<string, string>) => app.request('/admin', { headers }, env);
const code = async (r: Response) => ((await r.json()) as { error: { code: string } }).error.code;

describe('authenticateAdmin', () => {
  it('accepts a configured key', async () => {
    expect((await call({ authorization: `Bearer ${KEY}` })).status).toBe(200);
  });
  it('refuses a missing or wrong key', async () => {
    expect(await code(await call({}))).toBe('missing_api_key');
    const r = await call({ authorization: `Bearer sk_admin_${'b2'.repeat(16)}` });
    expect(r.status).toBe(401);
    expect(await r.text()).not.toContain('b2b2b2b2b2');
  });
  it('refuses a malformed configured entry even when presented exactly', async () => {
    expect((await call({ authorization: 'Bearer not-a-key' })).status).toBe(401);
  });
  it('refuses anything a browser sent, even with the right key', async () => {
    const withOrigin = await call({ authorization: `Bearer ${KEY}`, origin: 'https://evil.example' });
    expect(withOrigin.status).toBe(403);
    expect(await code(withOrigin)).toBe('admin_browser_refused');
    expect(withOrigin.headers.get('access-control-allow-origin')).toBeNull();
    expect((await call({ authorization: `Bearer ${KEY}`, 'sec-fetch-site': 'same-origin' })).status).toBe(403);
    expect((await call({ authorization: `Bearer ${KEY}`, 'sec-fetch-site': 'none', 'sec-fetch-mode': 'navigate' })).status).toBe(403);
  });
  it("accepts a server-side client's request (Node's fetch sends Sec-Fetch-Mode: cors, no Sec-Fetch-Site)", async () => {
    expect((await call({ authorization: `Bearer ${KEY}`, 'sec-fetch-mode': 'cors' })).status).toBe(200);
  });
});
