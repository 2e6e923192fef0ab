// Attack: anonymous requests that name a made-up session. Every entry point that takes a session id
// (CORS preflight, the client API, the status stream, /return, the hosted page, the merchant API,
// the JSAPI hop, refunds) must answer "no such session" without creating a session Durable Object (SECURITY.md,
// "Session ids"), and a session deleted by retention must look exactly like one that never existed.

import { SELF, env, listDurableObjectIds, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { CheckoutSession } from '../../src/session/durable-object';
import { DEVELOPMENT_ID_SECRET, isIssuedSessionId, isSessionId, newSessionId, randomKey } from '../../src/session/ids';
import { BASE, api, createSession } from '../helpers';

const forged = (): string => `cs_${randomKey(24)}`;
const count = async (): Promise<number> => (await listDurableObjectIds(env.SESSIONS)).length;

/** Every anonymous (or merely authenticated) way to name a session, for one id. */
function probes(id: string): (() => Promise<Response>)[] {
  const bearer = { authorization: `Bearer ${id}_secret_${randomKey(24)}` };
  return [
    () =>
      SELF.fetch(`${BASE}/v1/client/sessions/${id}`, { method: 'OPTIONS', headers: { origin: 'https://shop.test', 'access-control-request-method': 'GET' } }),
    () => SELF.fetch(`${BASE}/v1/client/sessions/${id}`, { headers: { ...bearer, origin: 'https://shop.test' } }),
    () => SELF.fetch(`${BASE}/v1/client/sessions/${id}/status`, { headers: bearer }),
    () =>
      SELF.fetch(`${BASE}/v1/client/sessions/${id}/attempts`, {
        method: 'POST',
        headers: { ...bearer, 'content-type': 'application/json' },
        body: JSON.stringify({ channel: 'wechat_pay', flow: 'qr' }),
      }),
    () => SELF.fetch(`${BASE}/v1/client/sessions/${id}/stream?client_secret=x`, { headers: { upgrade: 'websocket', origin: 'https://shop.test' } }),
    () => SELF.fetch(`${BASE}/return/${id}`, { redirect: 'manual' }),
    () => SELF.fetch(`${BASE}/return/${id}`, { method: 'POST', redirect: 'manual' }),
    () => api(`/v1/checkout/sessions/${id}`),
    () => api(`/v1/checkout/sessions/${id}/cancel`, { method: 'POST' }),
    () => api(`/v1/checkout/sessions/${id}/attempts`, { method: 'POST', body: JSON.stringify({ channel: 'wechat_pay', flow: 'qr' }) }),
    () => api(`/v1/checkout/sessions/${id}/barcode`),
    () => api(`/v1/refunds/re_${id.slice(3)}R1`),
    () => api('/v1/refunds', { method: 'POST', body: JSON.stringify({ session: id }) }),
    () => SELF.fetch(`${BASE}/wechat/jsapi/${id.slice(3)}A1?exp=9999999999&sig=x`),
    () => SELF.fetch(`${BASE}/pay/${id}`),
    () => api(`/v1/checkout/sessions/${id}/timeline`),
  ];
}

describe('made-up session ids', () => {
  it('40 probes over every entry point create no session object, and each is a 404', async () => {
    const before = await count();
    for (let i = 0; i < 40; i++) {
      const id = forged();
      const all = probes(id);
      const res = await all[i % all.length]!();
      await res.arrayBuffer();
      // A preflight answers 204 alike for every id (it proves nothing); the refund create names the
      // field; the rest are 404s (the client API's session_not_found).
      expect([204, 400, 404]).toContain(res.status);
    }
    // Every entry point once more with one id, and still nothing stored.
    for (const p of probes(forged())) await (await p()).arrayBuffer();
    expect(await count()).toBe(before);
  });

  it('an issued id verifies; a changed character, another secret or a plain random key does not', async () => {
    const id = await newSessionId(env);
    expect(isSessionId(id)).toBe(true);
    expect(await isIssuedSessionId(env, id)).toBe(true);
    const flipped = `${id.slice(0, -1)}${id.endsWith('A') ? 'B' : 'A'}`;
    expect(await isIssuedSessionId(env, flipped)).toBe(false);
    expect(await isIssuedSessionId({ SHOUYIN_SESSION_ID_SECRET: 'another secret' }, id)).toBe(false);
    // Rotation: the old secret still verifies while it is listed after the new one.
    expect(await isIssuedSessionId({ SHOUYIN_SESSION_ID_SECRET: `new-secret, ${DEVELOPMENT_ID_SECRET}` }, id)).toBe(true);
    const rotated = await newSessionId({ SHOUYIN_SESSION_ID_SECRET: `new-secret, ${DEVELOPMENT_ID_SECRET}` });
    expect(await isIssuedSessionId(env, rotated)).toBe(false);
    let issued = 0;
    for (let i = 0; i < 200; i++) if (await isIssuedSessionId(env, forged())) issued++;
    expect(issued).toBe(0);
  });

  it("reaching a session's object without a create stores no table (the schema is made by create only)", async () => {
    // An issued id whose create never ran: the route lets it through, the object must stay empty.
    const id = await newSessionId(env);
    const res = await SELF.fetch(`${BASE}/return/${id}`, { redirect: 'manual' });
    expect(res.status).toBe(404);
    const status = await SELF.fetch(`${BASE}/v1/client/sessions/${id}/status`, { headers: { authorization: `Bearer ${id}_secret_x` } });
    expect(status.status).toBe(404);
    await runInDurableObject(env.SESSIONS.getByName(id), async (_o: CheckoutSession, state) => {
      expect(state.storage.sql.exec("SELECT name FROM sqlite_master WHERE type = 'table'").toArray()).toEqual([]);
    });
  });

  it('a real session answers as before; its status is not a 404', async () => {
    const s = await createSession();
    const res = await SELF.fetch(`${BASE}/v1/client/sessions/${s.id}/status`, { headers: { authorization: `Bearer ${s.client_secret}` } });
    expect(res.status).toBe(200);
  });
});
