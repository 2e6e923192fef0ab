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
    () =>
      SELF.fetch(`${BASE}/v1/client/sessions/${id}/stream`, {
        headers: { upgrade: 'websocket', origin: 'https://shop.test', 'sec-websocket-protocol': `shouyin.v1, shouyin.secret.${bearer.authorization.slice(7)}` },
      }),
    () => SELF.fetch(`${BASE}/v1/client/sessions/${id}/stream?client_secret=${bearer.authorization.slice(7)}`, { headers: { upgrade: 'websocket' } }),
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

/**
 * Every client route, as a prober holding a session id but not its secret would call it: with a
 * well-formed secret of that id (`cs_<id>_secret_<random>`), from no page, a listed page and another.
 */
function clientProbes(id: string, secret: string): [string, () => Promise<Response>][] {
  const out: [string, () => Promise<Response>][] = [];
  for (const origin of [undefined, 'https://shop.test', 'https://evil.test']) {
    const o: Record<string, string> = origin ? { origin } : {};
    const auth = { ...o, authorization: `Bearer ${secret}` };
    const at = (path: string) => `${BASE}/v1/client/sessions/${id}${path}`;
    out.push(
      [`${origin} preflight`, () => SELF.fetch(at('/status'), { method: 'OPTIONS', headers: { ...o, 'access-control-request-method': 'GET' } })],
      [`${origin} GET session`, () => SELF.fetch(at(''), { headers: auth })],
      [`${origin} GET status`, () => SELF.fetch(at('/status'), { headers: auth })],
      [`${origin} GET status long-poll`, () => SELF.fetch(at('/status?wait=1&version=0'), { headers: auth })],
      [
        `${origin} POST attempts`,
        () =>
          SELF.fetch(at('/attempts'), {
            method: 'POST',
            headers: { ...auth, 'content-type': 'application/json' },
            body: JSON.stringify({ channel: 'wechat_pay', flow: 'qr' }),
          }),
      ],
      [`${origin} hosted GET session`, () => SELF.fetch(`${BASE}/pay/v1/client/sessions/${id}`, { headers: auth })],
      [
        `${origin} stream (subprotocol)`,
        () => SELF.fetch(at('/stream'), { headers: { ...o, upgrade: 'websocket', 'sec-websocket-protocol': `shouyin.v1, shouyin.secret.${secret}` } }),
      ],
      [`${origin} stream (query)`, () => SELF.fetch(at(`/stream?client_secret=${secret}`), { headers: { ...o, upgrade: 'websocket' } })],
    );
  }
  return out;
}

/** Status, every header and the body, with the session id replaced, so that two ids compare. */
async function answer(res: Response, id: string): Promise<string> {
  const headers = [...res.headers].map(([k, v]) => `${k}: ${v.replaceAll(id, '<id>')}`);
  return [`${res.status}`, ...headers, '', (await res.text()).replaceAll(id, '<id>')].join('\n');
}

describe('a wrong client secret for a session that exists', () => {
  it('is answered byte for byte like a session that does not exist, on every client route and from every origin', async () => {
    const s = await createSession();
    const never = await newSessionId(env); // issued here, never created: reaches a session object
    const wrong = (id: string) => `${id}_secret_${randomKey(24)}`;
    const real = clientProbes(s.id, wrong(s.id));
    for (let i = 0; i < real.length; i++) {
      const [name, probe] = real[i]!;
      const got = await answer(await probe(), s.id);
      for (const other of [forged(), never]) {
        const [, probeOther] = clientProbes(other, wrong(other))[i]!;
        expect(got, name).toBe(await answer(await probeOther(), other));
      }
      // Preflights answer 204 for anything; the rest are the unknown session's 404.
      expect(got.split('\n')[0], name).toBe(name.endsWith('preflight') ? '204' : '404');
    }
    // Nothing was started with the wrong secret, and the right one still works.
    const ok = await SELF.fetch(`${BASE}/v1/client/sessions/${s.id}`, { headers: { authorization: `Bearer ${s.client_secret}` } });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { active_attempt: unknown }).active_attempt).toBeNull();
  });

  it('a malformed or missing secret is told so, alike whether the session exists or not', async () => {
    const s = await createSession();
    for (const secret of [`${s.id}_secret_`, `${s.id}_secret_a.b`, 'cs_wrong', `${s.id}_secret_${'x'.repeat(65)}`]) {
      for (const id of [s.id, forged()]) {
        const res = await SELF.fetch(`${BASE}/v1/client/sessions/${id}/status`, {
          headers: { authorization: `Bearer ${secret}`, origin: 'https://evil.test' },
        });
        expect(res.status, `${secret} ${id}`).toBe(401);
        expect(((await res.json()) as { error: { code: string; param: string } }).error).toMatchObject({
          code: 'invalid_client_secret',
          param: 'authorization',
        });
      }
    }
    for (const id of [s.id, forged()]) {
      const res = await SELF.fetch(`${BASE}/v1/client/sessions/${id}`, { headers: { origin: 'https://shop.test' } });
      expect(res.status).toBe(401);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('missing_client_secret');
    }
  });
});
