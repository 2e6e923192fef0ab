// The secret canary scan (SECURITY.md, "Secret canary scan"): every secret a deployment holds — the
// Worker secrets, the merchants' API keys and webhook secrets, every provider credential, the webhook
// endpoint secrets made over the API and a registry merchant's — is known to this test as a set of
// distinctive substrings. A representative run (checkout on all three rails, notifies signed with the
// sandbox's keys, forged notifies, a refund, webhooks, the status WebSocket, lists, events and
// deliveries, the admin API, the dashboard, wrong keys) is captured whole: every console line, every
// response's status line, headers and body, every webhook sent, every WebSocket frame, and then every
// table and key-value entry of every Durable Object (checkout sessions, merchant shards, the registry).
// No canary may appear in any of it. Client secrets may appear only in the create answer, the merchant's
// own reads of the session and the client's own calls, never in a log, a webhook, an event or a stored
// event body.

import { SELF, env, listDurableObjectIds, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CheckoutSession } from '../../src/session/durable-object';
import { DEVELOPMENT_ID_SECRET } from '../../src/session/ids';
import {
  CERT_APP_PRIVATE_KEY,
  SANDBOX_ALIPAY_PRIVATE_KEY,
  TEST_APP_PRIVATE_KEY_PKCS1,
  TEST_APP_PRIVATE_KEY_PKCS8,
} from '../../src/providers/alipay/fixtures/test-keys';
import { alipayNotifyFields, postAlipayNotify, signedAlipayBody } from '../alipay-notify';
import {
  ALIPAY_TEST,
  APPLE_TEST,
  LISTS_TEST,
  MERCHANT_PRIVATE_KEY,
  RECON_TEST,
  SANDBOX_WECHAT_PRIVATE_KEY,
  SANDBOX_WECHAT_PUBLIC_KEY,
  TEST,
  WECHAT_TEST,
} from '../fixtures/config';
import { TEST_ADMIN_KEY, TEST_MASTER_KEY, TEST_MASTER_KEY_2 } from '../fixtures/registry';
import { FORGER_KEY, UNIONPAY_MERCHANT_SIGN_KEY, UNIONPAY_SANDBOX_SIGN_KEY } from '../fixtures/unionpay-certs';
import { BASE, SK, orderId, type SessionJson } from '../helpers';
import { consumeNotify, postNotify as postUnionpayNotify, signedNotify as signedUnionpay, tampered } from '../unionpay-helpers';
import { postNotify as postWechatNotify, signedNotify as signedWechat, transaction } from '../wechat-notify';

// ── the canaries ─────────────────────────────────────────────────────────────────────────────────

/**
 * Distinctive pieces of a PEM private key: four 40-character runs of its base64 body, each within one
 * line (a key logged or stored with its line breaks, escaped or not, still carries them), all from the
 * body's second half: the first half holds the modulus, which the public key (no secret) shares.
 */
function pemCanaries(name: string, pem: string): [string, string][] {
  const lines = pem.split('\n').filter((l) => l !== '' && !l.startsWith('-----'));
  const total = lines.reduce((n, l) => n + l.length, 0);
  const runs: string[] = [];
  let offset = 0;
  for (const line of lines) {
    for (let i = 0; i + 40 <= line.length; i += 40) if (offset + i >= total / 2) runs.push(line.slice(i, i + 40));
    offset += line.length;
  }
  if (runs.length < 4) throw new Error(`${name}: too short a PEM body for canaries`);
  const step = Math.floor(runs.length / 4);
  return [0, 1, 2, 3].map((k) => [`${name} (part ${k + 1})`, runs[k * step]!]);
}

/** A short secret as written, and base64-encoded (a log of its bytes would show that form). */
function secretCanaries(name: string, secret: string): [string, string][] {
  if (secret.length < 16) throw new Error(`${name}: a canary needs 16 or more characters`);
  return [
    [name, secret],
    [`${name} (base64)`, btoa(secret).replace(/=+$/, '').slice(0, -2)],
  ];
}

const masterKeyBytes = (k: string): string => k.slice(k.indexOf(':') + 1);

/** What the deployment in worker/test/fixtures holds. Filled further while the run creates secrets. */
const CANARIES: [string, string][] = [
  ...secretCanaries('SHOUYIN_MASTER_KEY', masterKeyBytes(TEST_MASTER_KEY)),
  ...secretCanaries('SHOUYIN_MASTER_KEY (second)', masterKeyBytes(TEST_MASTER_KEY_2)),
  ...secretCanaries('SHOUYIN_ADMIN_KEYS', TEST_ADMIN_KEY),
  // SHOUYIN_SESSION_ID_SECRET is unset in the test runner: session ids are tagged with this one.
  ...secretCanaries('SHOUYIN_SESSION_ID_SECRET', DEVELOPMENT_ID_SECRET),
  ...secretCanaries('merchant secret key (demo)', TEST.secret_key),
  ...secretCanaries('merchant secret key (live)', TEST.live_secret_key),
  ...secretCanaries('merchant secret key (certshop)', ALIPAY_TEST.cert_secret_key),
  ...secretCanaries('merchant secret key (v2shop)', WECHAT_TEST.v2_secret_key),
  ...secretCanaries('merchant secret key (v2hmac)', WECHAT_TEST.v2hmac_secret_key),
  ...secretCanaries('merchant secret key (v3oauth)', WECHAT_TEST.v3oauth_secret_key),
  ...secretCanaries('merchant secret key (recon)', RECON_TEST.secret_key),
  ...secretCanaries('merchant secret key (lists)', LISTS_TEST.secret_key),
  ...secretCanaries('merchant secret key (hooks)', LISTS_TEST.hooks_secret_key),
  ...secretCanaries('webhook secret (config)', TEST.webhook_secret),
  ...secretCanaries('webhook secret body (config)', TEST.webhook_secret.slice('whsec_'.length)),
  ...secretCanaries('WeChat Pay APIv3 key', TEST.apiv3_key),
  ...secretCanaries('WeChat Pay APIv2 key', WECHAT_TEST.apiv2_key),
  ...secretCanaries('official account appsecret', WECHAT_TEST.mp_appsecret),
  ...secretCanaries('Apple shared secret', APPLE_TEST.shared_secret),
  ...pemCanaries('WeChat Pay merchant private key', MERCHANT_PRIVATE_KEY),
  ...pemCanaries('WeChat Pay sandbox private key', SANDBOX_WECHAT_PRIVATE_KEY),
  ...pemCanaries('Alipay app private key (PKCS#1)', TEST_APP_PRIVATE_KEY_PKCS1),
  ...pemCanaries('Alipay app private key (PKCS#8)', TEST_APP_PRIVATE_KEY_PKCS8),
  ...pemCanaries('Alipay certificate-mode app private key', CERT_APP_PRIVATE_KEY),
  ...pemCanaries('Alipay sandbox private key', SANDBOX_ALIPAY_PRIVATE_KEY),
  ...pemCanaries('UnionPay merchant signing key', UNIONPAY_MERCHANT_SIGN_KEY),
  ...pemCanaries('UnionPay sandbox signing key', UNIONPAY_SANDBOX_SIGN_KEY),
  // Any private key at all, in PEM (the header), whoever it belongs to.
  ['a PEM private key header', 'PRIVATE KEY-----'],
];

/** The registry merchant's own credentials: none of them is in SHOUYIN_CONFIG. */
const REG = {
  id: 'canary',
  mchid: '1900000888',
  appid: 'wxd678efh567hg6888',
  apiv3_key: 'Can4ryApiV3KeyZq8Wm2Lp5Rt7Vx9Bn3',
  appsecret: 'Can4ryAppSecretQw7Er5Ty3Ui1Op9As',
  webhook_secret: `whsec_${btoa(String.fromCharCode(...Array.from({ length: 32 }, (_, i) => (i * 37 + 11) % 256)))}`,
  webhook_url: 'https://merchant.test/hooks/canary-registry',
} as const;
CANARIES.push(
  ...secretCanaries('registry merchant APIv3 key', REG.apiv3_key),
  ...secretCanaries('registry merchant appsecret', REG.appsecret),
  ...secretCanaries('registry merchant webhook secret', REG.webhook_secret.slice('whsec_'.length)),
);

/** Client secrets the run was given, by value; and their shape, for any the run did not see. */
const clientSecrets: string[] = [];
const CLIENT_SECRET_SHAPE = /cs_[0-9A-Za-z]{24}_secret_/;

// ── what the run shows the world ─────────────────────────────────────────────────────────────────

interface Surface {
  /** What it is: `response POST /v1/…`, `console.error`, `webhook https://…`, `frame`, `storage SESSIONS/…`. */
  label: string;
  text: string;
  /** The session's own client secret may be here (the create answer, the client's calls). */
  clientSecretAllowed: boolean;
}

let surfaces: Surface[] = [];
let consoleLines = 0;

function show(label: string, text: string, clientSecretAllowed = false): void {
  surfaces.push({ label, text, clientSecretAllowed });
}

/** A console argument as a person reading the log would see it, Error stacks and causes included. */
function render(a: unknown): string {
  if (typeof a === 'string') return a;
  if (a instanceof Error) return `${a.name}: ${a.message}\n${a.stack ?? ''}${a.cause === undefined ? '' : `\ncause: ${render(a.cause)}`}`;
  if (a instanceof Uint8Array || a instanceof ArrayBuffer) return String.fromCharCode(...new Uint8Array(a as ArrayBuffer));
  try {
    return JSON.stringify(a) ?? String(a);
  } catch {
    return String(a);
  }
}

/** Records a response whole (status, every header, the body) and hands back its status and body. */
async function seen(label: string, pending: Promise<Response>, clientSecretAllowed = false): Promise<{ status: number; text: string }> {
  const res = await pending;
  const text = await res.text();
  const headers: string[] = [];
  res.headers.forEach((v, k) => headers.push(`${k}: ${v}`));
  show(`response ${label}`, `${res.status} ${res.statusText}\n${headers.join('\n')}\n\n${text}`, clientSecretAllowed);
  return { status: res.status, text };
}

function call(path: string, init: RequestInit & { key?: string | null } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  const key = init.key === undefined ? SK : init.key;
  if (key) headers.set('authorization', `Bearer ${key}`);
  if (init.body !== undefined && !headers.has('content-type')) headers.set('content-type', 'application/json');
  return SELF.fetch(`${BASE}${path}`, { ...init, headers });
}

const admin = (method: string, path: string, body?: unknown) =>
  call(`/v1/admin${path}`, { method, key: TEST_ADMIN_KEY, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });

async function ok<T>(label: string, pending: Promise<Response>, status: number, clientSecretAllowed = false): Promise<T> {
  const r = await seen(label, pending, clientSecretAllowed);
  if (r.status !== status) throw new Error(`${label}: expected ${status}, got ${r.status}: ${r.text}`);
  return JSON.parse(r.text) as T;
}

async function newSession(key: string = SK, over: Record<string, unknown> = {}): Promise<SessionJson> {
  const body = JSON.stringify({ amount: 8888, currency: 'CNY', description: '测试商品 Test item', merchant_order_id: orderId(), ...over });
  const s = await ok<SessionJson>('POST /v1/checkout/sessions', call('/v1/checkout/sessions', { method: 'POST', key, body }), 201, true);
  clientSecrets.push(s.client_secret);
  return s;
}

const byClient = (s: SessionJson, path: string, init: RequestInit = {}) => call(`/v1/client/sessions/${s.id}${path}`, { ...init, key: s.client_secret });

async function attempt(s: SessionJson, channel: string, flow: string): Promise<{ attempt: { id: string } }> {
  return ok(`POST client attempts ${channel}/${flow}`, byClient(s, '/attempts', { method: 'POST', body: JSON.stringify({ channel, flow }) }), 201, true);
}

/** Runs a session's due work (webhooks, refund queries) until nothing is due now. */
async function drain(id: string): Promise<void> {
  const stub = env.SESSIONS.getByName(id);
  for (let i = 0; i < 200; i++) {
    const due = await runInDurableObject(stub, (o: CheckoutSession) => o.store.dueBy(o.clock.now()).length);
    if (due === 0) return;
    if (!(await runDurableObjectAlarm(stub))) await new Promise((r) => setTimeout(r, 5));
  }
}

const CLIENT_SECRET_TABLES = new Set(['session', 'idempotency']);

/** Every table and every key-value entry of every Durable Object of a namespace. */
async function dumpNamespace(name: 'SESSIONS' | 'MERCHANT_SHARDS' | 'MERCHANT_REGISTRY'): Promise<number> {
  const ns = env[name] as DurableObjectNamespace;
  const ids = await listDurableObjectIds(ns);
  for (const id of ids) {
    const rows = await runInDurableObject(ns.get(id), async (_o: unknown, state: DurableObjectState) => {
      const tables = state.storage.sql
        .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'")
        .toArray()
        .map((r) => r.name)
        .filter((t) => !t.startsWith('sqlite_') && !t.startsWith('_cf_')); // _cf_KV: storage.list() below
      const out = tables.map((t) => ({ table: t, text: JSON.stringify(state.storage.sql.exec(`SELECT * FROM "${t}"`).toArray()) }));
      out.push({ table: '(key-value)', text: [...(await state.storage.list()).entries()].map(([k, v]) => `${k}=${JSON.stringify(v)}`).join('\n') });
      return out;
    });
    for (const r of rows) {
      // The session's own row and the shard's stored idempotent answers (the create answer, replayed)
      // hold the client secret, as they must to check it and give it back; no other table may.
      show(`storage ${name}/${id.toString().slice(0, 12)}… ${r.table}`, r.text, CLIENT_SECRET_TABLES.has(r.table));
    }
  }
  return ids.length;
}

// ── the run ──────────────────────────────────────────────────────────────────────────────────────

const CONSOLE = ['log', 'info', 'warn', 'error', 'debug'] as const;
/** The real console.log, for the scan's own summary line. */
const print = console.log.bind(console);
const webhooks: { url: string; headers: Record<string, string>; body: string }[] = [];

beforeEach(() => {
  surfaces = [];
  consoleLines = 0;
  for (const level of CONSOLE) {
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
      consoleLines++;
      show(`console.${level}`, args.map(render).join(' '));
    });
  }
  const realFetch = globalThis.fetch;
  vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
    const req = new Request(input as RequestInfo, init);
    if (new URL(req.url).origin !== 'https://merchant.test') return realFetch(req);
    const headers: Record<string, string> = {};
    req.headers.forEach((v, k) => (headers[k] = v));
    const body = await req.text();
    webhooks.push({ url: req.url, headers, body });
    show(
      `webhook ${req.url}`,
      `${Object.entries(headers)
        .map(([k, v]) => `${k}: ${v}`)
        .join('\n')}\n\n${body}`,
    );
    return new Response(null, { status: 204 });
  });
});
afterEach(() => vi.restoreAllMocks());

/** Where each canary (and each client secret out of place) turned up. */
function leaks(): string[] {
  const found: string[] = [];
  for (const s of surfaces) {
    for (const [name, value] of CANARIES) if (s.text.includes(value)) found.push(`${name} in ${s.label}`);
    if (!s.clientSecretAllowed) {
      if (clientSecrets.some((c) => s.text.includes(c)) || CLIENT_SECRET_SHAPE.test(s.text)) found.push(`a client secret in ${s.label}`);
    }
  }
  return [...new Set(found)];
}

describe('secret canary scan', () => {
  it('no secret in a log, a response, a webhook, a WebSocket frame or storage at rest, across a run on all three rails', async () => {
    // Webhook endpoints over the API: each secret is shown once, in the create (and rotate) answer.
    const endpointSecrets: string[] = [];
    const ep = await ok<{ id: string; secret: string }>(
      'POST /v1/webhook_endpoints',
      call('/v1/webhook_endpoints', { method: 'POST', body: JSON.stringify({ url: 'https://merchant.test/hooks/canary-endpoint', enabled_events: ['*'] }) }),
      201,
    );
    endpointSecrets.push(ep.secret);
    const rotated = await ok<{ secret: string }>(
      'POST /v1/webhook_endpoints/:id/rotate_secret',
      call(`/v1/webhook_endpoints/${ep.id}/rotate_secret`, { method: 'POST', body: JSON.stringify({}) }),
      200,
    );
    endpointSecrets.push(rotated.secret);
    expect(endpointSecrets.every((x) => /^whsec_[A-Za-z0-9+/=]{24,}$/.test(x))).toBe(true);

    // A registry merchant made over the admin API: its generated API key is shown once, in that answer.
    const created = await ok<{ api_key: string }>(
      'PUT /v1/admin/merchants/canary',
      admin('PUT', `/merchants/${REG.id}`, {
        name: 'Canary Shop 金丝雀商店',
        livemode: false,
        allowed_origins: ['https://canary.shop.test'],
        webhook: { url: REG.webhook_url, secret: REG.webhook_secret },
        providers: {
          wechat_pay: {
            api_version: 'v3',
            appid: REG.appid,
            mchid: REG.mchid,
            merchant_serial: TEST.merchant_serial,
            private_key: MERCHANT_PRIVATE_KEY,
            apiv3_key: REG.apiv3_key,
            wechatpay_public_key_id: TEST.wechatpay_public_key_id,
            wechatpay_public_key: SANDBOX_WECHAT_PUBLIC_KEY,
            oauth: { appid: 'wx8888888888888889', appsecret: REG.appsecret },
          },
        },
      }),
      201,
    );
    // From here on, none of the answers may carry these.
    const runSecrets: [string, string][] = [
      ...endpointSecrets.flatMap((x, i) => secretCanaries(`webhook endpoint secret ${i + 1}`, x.slice('whsec_'.length))),
      ...secretCanaries('registry merchant API key', created.api_key),
    ];
    const before = surfaces.length;

    // WeChat Pay: attempt, the status stream, a forged notify, the sandbox-signed notify, a refund.
    const wx = await newSession();
    const wxAttempt = await attempt(wx, 'wechat_pay', 'qr');
    const stream = await SELF.fetch(`${BASE}/v1/client/sessions/${wx.id}/stream`, {
      headers: { upgrade: 'websocket', 'sec-websocket-protocol': `shouyin.v1, shouyin.secret.${wx.client_secret}`, origin: 'https://shop.test' },
    });
    expect(stream.status).toBe(101);
    const headerLines: string[] = [];
    stream.headers.forEach((v, k) => headerLines.push(`${k}: ${v}`));
    show('response GET client stream (101)', headerLines.join('\n'));
    const ws = stream.webSocket!;
    const frames: string[] = [];
    const paid = new Promise<void>((resolve) =>
      ws.addEventListener('message', (e) => {
        frames.push(String(e.data));
        show('WebSocket frame', String(e.data));
        if (String(e.data).includes('"paid"')) resolve();
      }),
    );
    ws.accept();
    const forged = await signedWechat(transaction(wxAttempt.attempt.id));
    forged.body = forged.body.replace('"summary":"支付成功"', '"summary":"forged"');
    expect((await seen('POST /notify/wechat_pay (bad signature)', postWechatNotify(forged))).status).toBeGreaterThanOrEqual(400);
    const wrongKey = await signedWechat(transaction(wxAttempt.attempt.id), { apiv3Key: 'Wr0ngApiV3Key0123456789abcdefghi' });
    expect((await seen('POST /notify/wechat_pay (wrong APIv3 key)', postWechatNotify(wrongKey))).status).toBeGreaterThanOrEqual(400);
    expect((await seen('POST /notify/wechat_pay', postWechatNotify(await signedWechat(transaction(wxAttempt.attempt.id))))).status).toBe(204);
    await paid;
    ws.close(1000, 'done');
    await ok('POST /v1/refunds', call('/v1/refunds', { method: 'POST', body: JSON.stringify({ session: wx.id, amount: 100 }) }), 201);
    await seen(
      'POST /sandbox/wechatpay/_control/flush',
      SELF.fetch(`${BASE}/sandbox/wechatpay/_control/flush`, { method: 'POST', headers: { authorization: `Bearer ${SK}` } }),
    );

    // Alipay: attempt, a notify signed with a key that is not Alipay's, the sandbox-signed notify.
    const ali = await newSession();
    const aliAttempt = await attempt(ali, 'alipay', 'qr');
    const aliFields = alipayNotifyFields(aliAttempt.attempt.id);
    expect((await seen('POST /notify/alipay (wrong key)', postAlipayNotify(await signedAlipayBody(aliFields, TEST_APP_PRIVATE_KEY_PKCS8)))).text).not.toBe(
      'success',
    );
    expect((await seen('POST /notify/alipay', postAlipayNotify(await signedAlipayBody(aliFields)))).text).toBe('success');

    // UnionPay: attempt, a tampered notify, one signed by a key UnionPay never certified, the real one.
    const up = await newSession();
    const upAttempt = await attempt(up, 'unionpay', 'qr');
    const upNotify = await signedUnionpay(consumeNotify(upAttempt.attempt.id));
    await seen('POST /notify/unionpay (tampered)', postUnionpayNotify(tampered(upNotify, (f) => void (f.txnAmt = '1'))));
    const { UNIONPAY_SANDBOX_SIGN_CERT } = await import('../fixtures/unionpay-certs');
    await seen(
      'POST /notify/unionpay (forger key)',
      postUnionpayNotify((await signedUnionpay(consumeNotify(upAttempt.attempt.id), { sign_key: FORGER_KEY, sign_cert: UNIONPAY_SANDBOX_SIGN_CERT })).body),
    );
    expect((await seen('POST /notify/unionpay', postUnionpayNotify(upNotify.body))).status).toBe(200);

    // The registry merchant: a session with its generated key, an attempt signed with its private key.
    const reg = await newSession(created.api_key);
    const regAttempt = await attempt(reg, 'wechat_pay', 'qr');
    const regNotify = await signedWechat(transaction(regAttempt.attempt.id, { mchid: REG.mchid, appid: REG.appid }), { apiv3Key: REG.apiv3_key });
    expect((await seen('POST /notify/wechat_pay/canary', postWechatNotify(regNotify, REG.id))).status).toBe(204);

    // Webhooks: every session's due work, now.
    for (const s of [wx, ali, up, reg]) await drain(s.id);

    // Reads: the client's own, the merchant's, lists, events and deliveries, endpoints.
    for (const s of [wx, ali, up]) {
      await seen(`GET client session ${s.id}`, byClient(s, ''), true);
      await seen(`GET client status ${s.id}`, byClient(s, '/status'), true);
      await seen(`GET /v1/checkout/sessions/${s.id}`, call(`/v1/checkout/sessions/${s.id}`), true);
      await seen(`GET /v1/checkout/sessions/${s.id}/timeline`, call(`/v1/checkout/sessions/${s.id}/timeline`));
    }
    await seen('GET /v1/checkout/sessions', call('/v1/checkout/sessions?limit=100'));
    await seen('GET /v1/refunds', call('/v1/refunds?limit=100'));
    const events = await ok<{ data: { id: string }[] }>('GET /v1/events', call('/v1/events?limit=100'), 200);
    expect(events.data.length).toBeGreaterThan(0);
    for (const e of events.data) {
      await seen(`GET /v1/events/${e.id}`, call(`/v1/events/${e.id}`));
      await seen(`GET /v1/events/${e.id}/deliveries`, call(`/v1/events/${e.id}/deliveries`));
    }
    await seen('GET /v1/events (registry merchant)', call('/v1/events?limit=100', { key: created.api_key }));
    await seen('GET /v1/webhook_endpoints', call('/v1/webhook_endpoints?limit=100'));
    await seen('GET /v1/webhook_endpoints/:id', call(`/v1/webhook_endpoints/${ep.id}`));
    await seen('GET /v1/webhook_endpoints/:id/deliveries', call(`/v1/webhook_endpoints/${ep.id}/deliveries`));

    // The admin API's reads: merchants (from SHOUYIN_CONFIG and from the registry), credential health.
    await seen('GET /v1/admin/merchants', admin('GET', '/merchants'));
    await seen('GET /v1/admin/merchants/demo', admin('GET', `/merchants/${TEST.merchant_id}`));
    await seen('GET /v1/admin/merchants/canary', admin('GET', `/merchants/${REG.id}`));
    await seen('GET /v1/admin/credentials', admin('GET', '/credentials'));

    // The dashboard's JSON, signed in with a link the admin API made.
    const link = await ok<{ url: string }>('POST dashboard_links', admin('POST', `/merchants/${TEST.merchant_id}/dashboard_links`, {}), 201);
    const signin = await SELF.fetch(`${BASE}/dashboard/signin`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: BASE, 'sec-fetch-site': 'same-origin' },
      body: new URLSearchParams({ token: new URL(link.url).searchParams.get('token') ?? '' }).toString(),
      redirect: 'manual',
    });
    expect(signin.status).toBe(303);
    const cookie = (signin.headers.get('set-cookie') ?? '').split(';')[0]!;
    const dash = (path: string) => SELF.fetch(`${BASE}/dashboard/api${path}`, { headers: { cookie, 'sec-fetch-site': 'same-origin' } });
    await seen('GET /dashboard/api/session', dash('/session'));
    await seen('GET /dashboard/api/v1/events', dash('/v1/events'));
    await seen(`GET /dashboard/api/v1/sessions/${wx.id}`, dash(`/v1/checkout/sessions/${wx.id}`));

    // Wrong keys and bad requests.
    await seen('GET /v1/events (unknown key)', call('/v1/events', { key: `${TEST.secret_key.slice(0, -4)}XXXX` }));
    await seen('GET /v1/events (admin key)', call('/v1/events', { key: TEST_ADMIN_KEY }));
    await seen('GET /v1/admin/merchants (merchant key)', call('/v1/admin/merchants', { key: TEST.secret_key }));
    await seen('GET client session (wrong client secret)', byClient({ ...wx, client_secret: `${wx.id}_secret_${'x'.repeat(24)}` }, ''));
    await seen('GET client session (another session secret)', call(`/v1/client/sessions/${wx.id}`, { key: ali.client_secret }));
    await seen(
      'POST /v1/checkout/sessions (bad amount)',
      call('/v1/checkout/sessions', { method: 'POST', body: JSON.stringify({ amount: -1, currency: 'CNY' }) }),
    );
    // A merchant whose private key is cut short: the refusal names the field, never echoes the key.
    const broken = await seen(
      'PUT /v1/admin/merchants/broken (key cut short)',
      admin('PUT', '/merchants/broken', {
        name: 'Broken',
        allowed_origins: ['https://broken.shop.test'],
        livemode: false,
        providers: {
          wechat_pay: {
            api_version: 'v3',
            appid: REG.appid,
            mchid: REG.mchid,
            merchant_serial: TEST.merchant_serial,
            private_key: MERCHANT_PRIVATE_KEY.slice(0, 900),
            apiv3_key: REG.apiv3_key,
            wechatpay_public_key_id: TEST.wechatpay_public_key_id,
            wechatpay_public_key: SANDBOX_WECHAT_PUBLIC_KEY,
          },
        },
      }),
    );
    expect(broken.status).toBe(400);
    expect(broken.text).toContain('private_key');

    // Storage at rest, every object.
    const objects = {
      SESSIONS: await dumpNamespace('SESSIONS'),
      MERCHANT_SHARDS: await dumpNamespace('MERCHANT_SHARDS'),
      MERCHANT_REGISTRY: await dumpNamespace('MERCHANT_REGISTRY'),
    };

    // What the run covered: all three rails paid, webhooks sent (to the endpoint made over the API too),
    // the stream pushed the change, and the registry holds the merchant (sealed).
    expect(frames.length).toBeGreaterThan(1);
    expect(new Set(webhooks.map((w) => new URL(w.url).pathname))).toEqual(new Set(['/hooks', '/hooks/canary-endpoint', '/hooks/canary-registry']));
    expect(objects.SESSIONS).toBeGreaterThanOrEqual(4);
    expect(objects.MERCHANT_SHARDS).toBeGreaterThan(0);
    expect(objects.MERCHANT_REGISTRY).toBe(1);
    const storage = surfaces.filter((s) => s.label.startsWith('storage MERCHANT_REGISTRY'));
    expect(storage.map((s) => s.text).join('\n')).toContain(REG.id);

    // The secrets the run made may be only in the answers that gave them, before the run.
    const later = surfaces.slice(before).concat();
    const createdLeaks = later.flatMap((s) => runSecrets.filter(([, v]) => s.text.includes(v)).map(([n]) => `${n} in ${s.label}`));
    const bytes = surfaces.reduce((n, s) => n + s.text.length, 0);
    const responses = surfaces.filter((s) => s.label.startsWith('response ')).length;
    print(
      `secret canary scan: ${surfaces.length} surfaces (${responses} responses, ${webhooks.length} webhooks, ${frames.length} frames, ${consoleLines} console lines, ` +
        `${surfaces.filter((s) => s.label.startsWith('storage ')).length} tables in ${objects.SESSIONS + objects.MERCHANT_SHARDS + objects.MERCHANT_REGISTRY} objects), ` +
        `${bytes} characters, ${CANARIES.length + runSecrets.length} canaries`,
    );
    expect([...leaks(), ...[...new Set(createdLeaks)]]).toEqual([]);
  }, 60_000);

  it('the scan sees a secret logged inside a Durable Object, sent in a webhook, or stored in a table', async () => {
    const s = await newSession();
    const key = TEST_APP_PRIVATE_KEY_PKCS1;
    await runInDurableObject(env.SESSIONS.getByName(s.id), async (_o: CheckoutSession, state) => {
      console.error('provider request failed', new Error('bad request', { cause: { body: `apiv3_key=${TEST.apiv3_key}` } }));
      console.log({ request: { private_key: key } });
      state.storage.sql.exec('CREATE TABLE canary_probe (v TEXT)');
      state.storage.sql.exec('INSERT INTO canary_probe VALUES (?)', `sealed? no: ${WECHAT_TEST.mp_appsecret}`);
    });
    await fetch('https://merchant.test/hooks/probe', { method: 'POST', body: JSON.stringify({ client_secret: s.client_secret }) });
    await dumpNamespace('SESSIONS');
    const found = leaks();
    expect(found).toEqual(
      expect.arrayContaining([
        'WeChat Pay APIv3 key in console.error',
        'Alipay app private key (PKCS#1) (part 1) in console.log',
        'a PEM private key header in console.log',
        expect.stringMatching(/^official account appsecret in storage SESSIONS\/.* canary_probe$/),
        'a client secret in webhook https://merchant.test/hooks/probe',
      ]),
    );
  });
});
