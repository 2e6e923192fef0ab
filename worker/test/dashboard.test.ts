// The merchant dashboard's backend inside workerd (worker/src/dashboard, docs/dashboard.md): one-time
// sign-in links made with an admin key, the session cookie they turn into, and the merchant API behind
// that cookie. What must hold: a request without the cookie, with another merchant's cookie, from
// another site or without the CSRF token changes nothing; a link signs in once and expires; a session
// ends when idle, at its absolute end, and on sign-out.

import { createExecutionContext, env, runDurableObjectAlarm, runInDurableObject, waitOnExecutionContext } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import worker from '../src/index';
import { csrfToken, tokenHash } from '../src/dashboard/auth';
import type { MerchantShard } from '../src/merchant-shard';
import { dashboardShardFor } from '../src/shards';
import { ALIPAY_TEST, TEST } from './fixtures/config';
import { BASE, api, createSession, type SessionJson } from './helpers';
import { acceptWebhooks, deliverNow } from './merchant-endpoint';

acceptWebhooks();

const ADMIN_KEY = `sk_admin_${'Dash1'.repeat(8)}`;
const ENV = { ...env, SHOUYIN_ADMIN_KEYS: ADMIN_KEY };

/** The Worker's own fetch handler, with an admin key configured (the test config has none). */
async function call(path: string, init: RequestInit = {}): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(`${BASE}${path}`, init), ENV, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

const errorCode = async (res: Response): Promise<string> => ((await res.json()) as { error: { code: string } }).error.code;

async function newLink(merchant: string, body: Record<string, unknown> = {}): Promise<{ url: string; token: string; expires_at: number }> {
  const res = await call(`/v1/admin/merchants/${merchant}/dashboard_links`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.status, await res.clone().text()).toBe(201);
  const link = (await res.json()) as { url: string; expires_at: number };
  return { ...link, token: new URL(link.url).searchParams.get('token') ?? '' };
}

function postSignIn(token: string, headers: Record<string, string> = { origin: BASE, 'sec-fetch-site': 'same-origin' }): Promise<Response> {
  return call('/dashboard/signin', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams({ token }).toString(),
    redirect: 'manual',
  });
}

interface Signed {
  cookie: string;
  token: string;
  csrf: string;
}

async function signIn(merchant: string = TEST.merchant_id): Promise<Signed> {
  const { token: link } = await newLink(merchant);
  const res = await postSignIn(link);
  expect(res.status).toBe(303);
  const set = res.headers.get('set-cookie') ?? '';
  const m = /^(__Host-shouyin_dashboard)=([A-Za-z0-9]{43});/.exec(set);
  if (!m) throw new Error(`no session cookie in ${set}`);
  const cookie = `${m[1]}=${m[2]}`;
  const s = await call('/dashboard/api/session', { headers: { cookie, 'sec-fetch-site': 'same-origin' } });
  expect(s.status).toBe(200);
  const { csrf_token } = (await s.json()) as { csrf_token: string };
  return { cookie, token: m[2]!, csrf: csrf_token };
}

/** A dashboard API call as the app makes it: cookie, CSRF header, same-origin, Origin on changes. */
function dash(
  who: Signed | null,
  path: string,
  init: { method?: string; body?: unknown; headers?: Record<string, string>; csrf?: string | null; origin?: string | null } = {},
): Promise<Response> {
  const method = init.method ?? 'GET';
  const headers: Record<string, string> = { 'sec-fetch-site': 'same-origin', ...init.headers };
  if (who) headers.cookie = who.cookie;
  const csrf = init.csrf === undefined ? who?.csrf : init.csrf;
  if (csrf) headers['x-csrf-token'] = csrf;
  const origin = init.origin === undefined ? (method === 'GET' ? undefined : BASE) : init.origin;
  if (origin) headers.origin = origin;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  return call(`/dashboard/api/v1${path}`, { method, headers, ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }) });
}

/** A payment code the WeChat Pay sandbox pays at once (third digit 1). */
const payingCode = (): string => `131${String(Math.floor(Math.random() * 1e15)).padStart(15, '0')}`;

async function paidSession(): Promise<SessionJson> {
  const s = await createSession({ amount: 5000 });
  const res = await api(`/v1/checkout/sessions/${s.id}/barcode`, { method: 'POST', body: JSON.stringify({ auth_code: payingCode() }) });
  expect(res.status, await res.clone().text()).toBe(200);
  await deliverNow(s.id);
  return s;
}

async function refundsOf(id: string): Promise<{ id: string; amount: number }[]> {
  const res = await api(`/v1/checkout/sessions/${id}`);
  return ((await res.json()) as { refunds: { id: string; amount: number }[] }).refunds;
}

async function withShard(kind: 'links' | 'sessions', hash: string, sql: string, ...args: (string | number)[]): Promise<void> {
  await runInDurableObject(dashboardShardFor(env, kind, hash), (_o: MerchantShard, state) => {
    state.storage.sql.exec(sql, ...args);
  });
}

describe('sign-in links (admin API)', () => {
  it('are made only with an admin key, for a configured merchant, with a bounded lifetime', async () => {
    const noKey = await call(`/v1/admin/merchants/${TEST.merchant_id}/dashboard_links`, { method: 'POST', body: '{}' });
    expect(noKey.status).toBe(401);
    const merchantKey = await call(`/v1/admin/merchants/${TEST.merchant_id}/dashboard_links`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST.secret_key}` },
      body: '{}',
    });
    expect(merchantKey.status).toBe(401);
    const fromBrowser = await call(`/v1/admin/merchants/${TEST.merchant_id}/dashboard_links`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, origin: BASE },
      body: '{}',
    });
    expect(await errorCode(fromBrowser)).toBe('admin_browser_refused');
    const unknown = await call('/v1/admin/merchants/nobody/dashboard_links', { method: 'POST', headers: { authorization: `Bearer ${ADMIN_KEY}` }, body: '{}' });
    expect(unknown.status).toBe(404);
    for (const [body, param] of [
      [{ ttl_seconds: 59 }, 'ttl_seconds'],
      [{ ttl_seconds: 86_401 }, 'ttl_seconds'],
      [{ ttl_seconds: '600' }, 'ttl_seconds'],
      [{ email: 'not an email' }, 'email'],
      [{ role: 'admin' }, 'role'],
    ] as const) {
      const res = await call(`/v1/admin/merchants/${TEST.merchant_id}/dashboard_links`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_KEY}` },
        body: JSON.stringify(body),
      });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { param: string } }).error.param).toBe(param);
    }
    const before = Math.floor(Date.now() / 1000);
    const link = await newLink(TEST.merchant_id, { ttl_seconds: 120, email: 'ops@shop.test' });
    expect(link.url).toMatch(new RegExp(`^${BASE}/dashboard/signin\\?token=sl_[A-Za-z0-9]{43}$`));
    expect(link.expires_at - before).toBeGreaterThanOrEqual(119);
    expect(link.expires_at - before).toBeLessThanOrEqual(121);
    // Stored hashed: the token itself is nowhere in the shard.
    const hash = await tokenHash('link', link.token);
    const rows = await runInDurableObject(dashboardShardFor(env, 'links', hash), (_o: MerchantShard, state) =>
      state.storage.sql.exec<{ hash: string; email: string }>('SELECT hash, email FROM dashboard_links').toArray(),
    );
    expect(rows.some((r) => r.hash === hash && r.email === 'ops@shop.test')).toBe(true);
    expect(JSON.stringify(rows)).not.toContain(link.token.slice(3));
  });

  it('open a confirmation page (no script, never cached) without using the link', async () => {
    const { token } = await newLink(TEST.merchant_id);
    for (let i = 0; i < 2; i++) {
      const page = await call(`/dashboard/signin?token=${token}`);
      expect(page.status).toBe(200);
      const html = await page.text();
      expect(html).toContain('Demo Shop 演示商店');
      expect(html).toContain('method="post"');
      expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
      expect(page.headers.get('cache-control')).toBe('no-store');
      expect(page.headers.get('referrer-policy')).toBe('same-origin');
    }
    expect((await postSignIn(token)).status).toBe(303);
  });

  it('sign in once: the cookie is HttpOnly, Secure, SameSite=Strict, __Host-; the same link again is refused', async () => {
    const { token } = await newLink(TEST.merchant_id);
    const first = await postSignIn(token);
    expect(first.status).toBe(303);
    expect(first.headers.get('location')).toBe('/dashboard/');
    const cookie = first.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^__Host-shouyin_dashboard=[A-Za-z0-9]{43}; Path=\/; Max-Age=43200; HttpOnly; Secure; SameSite=Strict$/);
    const again = await postSignIn(token);
    expect(again.status).toBe(410);
    expect(again.headers.get('set-cookie')).toBeNull();
    expect(await again.text()).toContain('already been used');
    const page = await call(`/dashboard/signin?token=${token}`);
    expect(page.status).toBe(410);
  });

  it('expire', async () => {
    const { token } = await newLink(TEST.merchant_id, { ttl_seconds: 60 });
    const hash = await tokenHash('link', token);
    await withShard('links', hash, 'UPDATE dashboard_links SET expires = ? WHERE hash = ?', Date.now() - 1, hash);
    const res = await postSignIn(token);
    expect(res.status).toBe(410);
    expect(res.headers.get('set-cookie')).toBeNull();
    expect(await res.text()).toContain('expired');
  });

  it('are not used by a POST from another site, nor one without an Origin (login CSRF)', async () => {
    const { token } = await newLink(TEST.merchant_id);
    const attempts: Record<string, string>[] = [{ origin: 'https://evil.example' }, {}, { origin: BASE, 'sec-fetch-site': 'cross-site' }];
    for (const headers of attempts) {
      const res = await postSignIn(token, headers);
      expect(res.status).toBe(403);
      expect(res.headers.get('set-cookie')).toBeNull();
    }
    // The link is still good for its owner.
    expect((await postSignIn(token)).status).toBe(303);
  });

  it('refuse made-up and malformed tokens', async () => {
    expect((await postSignIn(`sl_${'A'.repeat(43)}`)).status).toBe(400);
    expect((await postSignIn('sl_short')).status).toBe(400);
    expect((await call('/dashboard/signin?token=%3Cscript%3E')).status).toBe(400);
  });
});

describe('the session', () => {
  it('says who is signed in, with the anti-CSRF token and never a key', async () => {
    const who = await signIn();
    const res = await call('/dashboard/api/session', { headers: { cookie: who.cookie, 'sec-fetch-site': 'same-origin' } });
    const body = (await res.json()) as Record<string, unknown> & { merchant: Record<string, unknown> };
    expect(body.merchant).toMatchObject({ id: TEST.merchant_id, livemode: false, webhook: { url: TEST.webhook_url } });
    expect(body.idle_timeout_seconds).toBe(1800);
    // Credential health: the certificates of its configuration (UnionPay's root and middle here), with dates.
    const creds = body.merchant.credentials as { channel: string; credential: string; not_after: string | null; days_left: number | null }[];
    expect(creds.filter((c) => c.channel === 'unionpay' && c.not_after !== null).map((c) => c.credential)).toEqual(
      expect.arrayContaining(['providers.unionpay.root_cert', 'providers.unionpay.middle_cert']),
    );
    expect(creds.every((c, i) => i === 0 || (creds[i - 1]!.days_left ?? Infinity) <= (c.days_left ?? Infinity))).toBe(true);
    const text = JSON.stringify(body);
    expect(text).not.toContain(TEST.secret_key.slice(8));
    expect(text).not.toContain(TEST.webhook_secret.slice(6));
    expect(text).not.toContain('PRIVATE KEY');
    expect(text).not.toContain(TEST.apiv3_key);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect(res.headers.get('cache-control')).toBe('no-store');
  });

  it('without the cookie, or with a made-up one, nothing is answered', async () => {
    expect(await errorCode(await call('/dashboard/api/session'))).toBe('dashboard_session_missing');
    const token = 'B'.repeat(43);
    const made = { cookie: `__Host-shouyin_dashboard=${token}`, token, csrf: 'x' };
    expect(await errorCode(await dash(made, '/events'))).toBe('csrf_token_invalid');
    // Even with the CSRF token that goes with it, a cookie no sign-in made is nobody's.
    expect(await errorCode(await dash({ ...made, csrf: await csrfToken(token) }, '/events'))).toBe('dashboard_session_missing');
    // A secret key is no way into the dashboard's API.
    const bearer = await call('/dashboard/api/v1/events', { headers: { authorization: `Bearer ${TEST.secret_key}` } });
    expect(await errorCode(bearer)).toBe('dashboard_session_missing');
  });

  it('ends after 30 idle minutes, and at its absolute end', async () => {
    const idle = await signIn();
    const idleHash = await tokenHash('session', idle.token);
    expect((await dash(idle, '/events')).status).toBe(200);
    await withShard('sessions', idleHash, 'UPDATE dashboard_sessions SET last_seen = ? WHERE hash = ?', Date.now() - 29 * 60_000, idleHash);
    expect((await dash(idle, '/events')).status).toBe(200); // 29 minutes: still there, and the clock restarts
    await withShard('sessions', idleHash, 'UPDATE dashboard_sessions SET last_seen = ? WHERE hash = ?', Date.now() - 31 * 60_000, idleHash);
    expect(await errorCode(await dash(idle, '/events'))).toBe('dashboard_session_expired');
    expect(await errorCode(await dash(idle, '/events'))).toBe('dashboard_session_missing');

    const old = await signIn();
    const oldHash = await tokenHash('session', old.token);
    await withShard('sessions', oldHash, 'UPDATE dashboard_sessions SET expires = ? WHERE hash = ?', Date.now() - 1, oldHash);
    expect(await errorCode(await dash(old, '/events'))).toBe('dashboard_session_expired');
  });

  it('signs out (CSRF-checked): the cookie is cleared and the session is gone', async () => {
    const who = await signIn();
    const forged = await call('/dashboard/api/signout', { method: 'POST', headers: { cookie: who.cookie, origin: BASE } });
    expect(await errorCode(forged)).toBe('csrf_token_invalid');
    expect((await dash(who, '/events')).status).toBe(200);
    const out = await call('/dashboard/api/signout', { method: 'POST', headers: { cookie: who.cookie, origin: BASE, 'x-csrf-token': who.csrf } });
    expect(out.status).toBe(200);
    expect(out.headers.get('set-cookie')).toMatch(/^__Host-shouyin_dashboard=; Path=\/; Max-Age=0;/);
    expect(await errorCode(await dash(who, '/events'))).toBe('dashboard_session_missing');
  });

  it('a new sign-in in the same browser ends the session it had', async () => {
    const first = await signIn();
    const { token } = await newLink(TEST.merchant_id);
    const res = await postSignIn(token, { origin: BASE, cookie: first.cookie });
    expect(res.status).toBe(303);
    expect(await errorCode(await dash(first, '/events'))).toBe('dashboard_session_missing');
  });
});

describe('the merchant API behind the cookie', () => {
  it('reads and refunds the merchant’s own payments, once per Idempotency-Key', async () => {
    const who = await signIn();
    const s = await paidSession();
    const got = await dash(who, `/checkout/sessions/${s.id}`);
    expect(got.status).toBe(200);
    expect(((await got.json()) as { status: string }).status).toBe('paid');
    const refund = (key: string) =>
      dash(who, '/refunds', { method: 'POST', body: { session: s.id, amount: 1200, reason: '顾客退货' }, headers: { 'idempotency-key': key } });
    const [a, b] = await Promise.all([refund('dash-double-click'), refund('dash-double-click')]);
    expect([a.status, b.status].sort()).toEqual(expect.arrayContaining([201]));
    expect([201, 409]).toContain(b.status);
    const third = await refund('dash-double-click');
    expect(third.status).toBe(201);
    expect(third.headers.get('idempotent-replayed')).toBe('true');
    const refunds = await refundsOf(s.id);
    expect(refunds).toHaveLength(1);
    expect(refunds[0]!.amount).toBe(1200);
    await deliverNow(s.id);
  });

  it('changes nothing without the CSRF token, from another site, without an Origin, or without the cookie', async () => {
    const who = await signIn();
    const s = await paidSession();
    const body = { session: s.id, amount: 100 };
    const cases: [string, Promise<Response>, string][] = [
      ['no CSRF token', dash(who, '/refunds', { method: 'POST', body, csrf: null }), 'csrf_token_invalid'],
      ['a wrong CSRF token', dash(who, '/refunds', { method: 'POST', body, csrf: 'A'.repeat(43) }), 'csrf_token_invalid'],
      ['another site’s Origin', dash(who, '/refunds', { method: 'POST', body, origin: 'https://evil.example' }), 'cross_site_refused'],
      ['no Origin', dash(who, '/refunds', { method: 'POST', body, origin: null }), 'cross_site_refused'],
      ['Sec-Fetch-Site: cross-site', dash(who, '/refunds', { method: 'POST', body, headers: { 'sec-fetch-site': 'cross-site' } }), 'cross_site_refused'],
      ['Sec-Fetch-Site: same-site', dash(who, '/refunds', { method: 'POST', body, headers: { 'sec-fetch-site': 'same-site' } }), 'cross_site_refused'],
      ['no cookie', dash(null, '/refunds', { method: 'POST', body, csrf: who.csrf }), 'dashboard_session_missing'],
      ['a cancel without CSRF', dash(who, `/checkout/sessions/${s.id}/cancel`, { method: 'POST', body: {}, csrf: null }), 'csrf_token_invalid'],
    ];
    for (const [what, res, code] of cases) {
      const r = await res;
      expect([401, 403], what).toContain(r.status);
      expect(await errorCode(r), what).toBe(code);
    }
    // Reads need the token too: a cross-site page cannot even make the dashboard refresh a report.
    expect(await errorCode(await dash(who, '/events', { csrf: null }))).toBe('csrf_token_invalid');
    expect(await refundsOf(s.id)).toEqual([]);
    expect((await api(`/v1/checkout/sessions/${s.id}`).then((r) => r.json())) as { status: string }).toMatchObject({ status: 'paid' });
  });

  it('with another merchant’s cookie, this merchant’s payments do not exist', async () => {
    const mine = await paidSession();
    const other = await signIn(ALIPAY_TEST.cert_merchant_id);
    expect((await dash(other, `/checkout/sessions/${mine.id}`)).status).toBe(404);
    expect((await dash(other, `/checkout/sessions/${mine.id}/timeline`)).status).toBe(404);
    const refund = await dash(other, '/refunds', { method: 'POST', body: { session: mine.id, amount: 100 } });
    expect(refund.status).toBe(400);
    expect(await errorCode(refund)).toBe('resource_missing');
    const cancel = await dash(other, `/checkout/sessions/${mine.id}/cancel`, { method: 'POST', body: {} });
    expect(cancel.status).toBe(404);
    // A CSRF token is bound to its session: mine does not work with another cookie.
    const me = await signIn();
    expect(await errorCode(await dash({ ...other, csrf: me.csrf }, '/events'))).toBe('csrf_token_invalid');
    expect(await refundsOf(mine.id)).toEqual([]);
  });

  it('unknown routes under the dashboard API are 404 route_not_found (what the app checks for features still to come)', async () => {
    const who = await signIn();
    const res = await dash(who, '/no_such_list');
    expect(res.status).toBe(404);
    expect(await errorCode(res)).toBe('route_not_found');
  });
});

describe('what the dashboard reads, also with the secret key', () => {
  it('GET /v1/checkout/sessions/:id/timeline: attempts, verified provider messages, events and webhook deliveries', async () => {
    const s = await paidSession();
    const res = await api(`/v1/checkout/sessions/${s.id}/timeline`);
    expect(res.status).toBe(200);
    const t = (await res.json()) as {
      session: Record<string, unknown>;
      attempts: { channel: string; flow: string; status: string; provider_transaction_id: string | null }[];
      provider_messages: { source: string; outcome: string; raw: unknown }[];
      events: { type: string; delivery: string; deliveries: { status: number | null }[] }[];
    };
    expect(t.session).toMatchObject({ id: s.id, status: 'paid' });
    expect(t.session).not.toHaveProperty('client_secret');
    expect(t.attempts).toHaveLength(1);
    expect(t.attempts[0]).toMatchObject({ channel: 'wechat_pay', flow: 'barcode', status: 'succeeded' });
    expect(t.attempts[0]!.provider_transaction_id).toBeTruthy();
    expect(t.provider_messages.some((m) => m.outcome === 'paid' && m.raw !== null)).toBe(true);
    const paid = t.events.find((e) => e.type === 'checkout.session.paid');
    expect(paid).toMatchObject({ delivery: 'delivered' });
    expect(paid!.deliveries[0]!.status).toBe(204);
    expect((await api(`/v1/checkout/sessions/${s.id}/timeline`, { key: ALIPAY_TEST.cert_secret_key })).status).toBe(404);
  });

  it('GET /v1/provider_transactions/:id finds the session of a provider transaction id', async () => {
    const s = await paidSession();
    await runDurableObjectAlarm(env.SESSIONS.getByName(s.id));
    const txn = ((await (await api(`/v1/checkout/sessions/${s.id}`)).json()) as SessionJson).payment!.provider_transaction_id!;
    const res = await api(`/v1/provider_transactions/${txn}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ object: 'provider_transaction', id: txn, session: s.id, anomaly: null });
    expect((await api(`/v1/provider_transactions/${txn}`, { key: ALIPAY_TEST.cert_secret_key })).status).toBe(404);
    expect((await api('/v1/provider_transactions/4200000000000000000000000000')).status).toBe(404);
  });

  it('GET /v1/reports/daily: ended sessions per Beijing day and channel', async () => {
    const today = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
    const read = async () => {
      const res = await api(`/v1/reports/daily?from=${today}&to=${today}`);
      expect(res.status).toBe(200);
      return (
        (await res.json()) as {
          days: { date: string; paid: number; canceled: number; channels: Record<string, { tried: number; paid: number; paid_amount: number }> }[];
        }
      ).days[0]!;
    };
    const before = await read();
    const s = await paidSession();
    const canceled = await createSession();
    expect((await api(`/v1/checkout/sessions/${canceled.id}/cancel`, { method: 'POST' })).status).toBe(200);
    await deliverNow(canceled.id);
    for (const id of [s.id, canceled.id]) await runDurableObjectAlarm(env.SESSIONS.getByName(id));
    const after = await read();
    expect(after.date).toBe(today);
    expect(after.paid - before.paid).toBe(1);
    expect(after.canceled - before.canceled).toBe(1);
    expect(after.channels.wechat_pay!.paid - before.channels.wechat_pay!.paid).toBe(1);
    expect(after.channels.wechat_pay!.paid_amount - before.channels.wechat_pay!.paid_amount).toBe(5000);
    expect(after.channels.wechat_pay!.tried - before.channels.wechat_pay!.tried).toBe(1);
    // Filing again (a retried index item) counts nothing twice.
    for (const id of [s.id, canceled.id]) await runDurableObjectAlarm(env.SESSIONS.getByName(id));
    expect(await read()).toEqual(after);
  });

  it('GET /v1/reports/daily names a bad parameter', async () => {
    for (const [q, param] of [
      ['from=2026-02-30', 'from'],
      ['to=tomorrow', 'to'],
      ['from=2026-01-10&to=2026-01-01', 'from'],
      ['from=2025-01-01&to=2025-12-31', 'from'],
      ['to=2999-01-01', 'to'],
      ['days=7', 'days'],
    ]) {
      const res = await api(`/v1/reports/daily?${q}`);
      expect(res.status, q).toBe(400);
      expect(((await res.json()) as { error: { param: string } }).error.param, q).toBe(param);
    }
  });
});

describe('GET /v1/reconciliation/:date/statements/:provider', () => {
  it('is the provider’s statement of the day in the one normalised row shape, as CSV', async () => {
    const s = await paidSession();
    const paid = ((await (await api(`/v1/checkout/sessions/${s.id}`)).json()) as SessionJson).payment!;
    const day = new Date(paid.paid_at! * 1000 + 8 * 3600_000).toISOString().slice(0, 10);
    const res = await api(`/v1/reconciliation/${day}/statements/wechat-v3`);
    expect(res.status, await res.clone().text()).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="statement-${TEST.merchant_id}-wechat-v3-${day}.csv"`);
    const lines = (await res.text()).split('\r\n');
    expect(lines[0]).toBe('kind,out_trade_no,out_refund_no,provider_transaction_id,provider_refund_id,amount_fen,amount_yuan,time_beijing,line');
    const row = lines.find((l) => l.startsWith(`payment,${paid.attempt},`));
    expect(row).toContain(`,${paid.provider_transaction_id},,5000,50.00,${day} `);
    // Through the dashboard too, and never for a provider the merchant does not have.
    const who = await signIn();
    expect((await dash(who, `/reconciliation/${day}/statements/wechat-v3`)).status).toBe(200);
    expect((await api(`/v1/reconciliation/${day}/statements/wechat-v2`)).status).toBe(404);
    const bad = await api('/v1/reconciliation/2026-13-01/statements/wechat-v3');
    expect(((await bad.json()) as { error: { param: string } }).error.param).toBe('date');
  });
});

describe('the app’s pages', () => {
  it('/dashboard redirects to /dashboard/, and the API paths never fall through to the page', async () => {
    const res = await call('/dashboard', { redirect: 'manual' });
    expect(res.status).toBe(301);
    expect(res.headers.get('location')).toBe('/dashboard/');
    expect((await call('/dashboard/api/nothing')).status).toBe(404);
  });
});
