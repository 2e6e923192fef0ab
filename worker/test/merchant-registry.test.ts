// The merchant registry inside workerd: the admin API's CRUD, encryption at rest (a dump of every
// table and of the key-value storage holds no key material), master-key rotation, API keys rolled
// with an overlap and revoked, the hot path's cache picking up an update within its bound, a broken
// merchant refused alone (in SHOUYIN_CONFIG and in the registry), and a three-rail merchant with
// Alipay certificate mode (more than 15 KB of credentials) created through the admin API and paying
// in the sandbox end to end.

import { SELF, createExecutionContext, env, runInDurableObject, runDurableObjectAlarm, waitOnExecutionContext } from 'cloudflare:test';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import worker from '../src/index';
import { MerchantRegistry } from '../src/registry/durable-object';
import type { TestMerchantExport } from '../src/registry/types';
import { REFRESH_MS, invalidate, lookupClock } from '../src/merchants';
import { derToPem } from '../src/crypto/pem';
import { issue, leafExtensions, rsaKey } from '../src/crypto/fixtures/issue';
import { CERT_ALIPAY_CERT, CERT_APP_CERT, CERT_APP_PRIVATE_KEY, CERT_ROOT_BUNDLE } from '../src/providers/alipay/fixtures/test-keys';
import { APPLE_SANDBOX_ROOT_PEM, MERCHANT_PRIVATE_KEY, SANDBOX_WECHAT_PUBLIC_KEY, TEST, UNIONPAY_TEST, testConfigObject } from './fixtures/config';
import { TEST_ADMIN_KEY, TEST_MASTER_KEY, TEST_MASTER_KEY_2 } from './fixtures/registry';
import { UNIONPAY_MERCHANT_SIGN_KEY, UNIONPAY_MIDDLE_CERT, UNIONPAY_ROOT_CERT } from './fixtures/unionpay-certs';
import { BASE, captureWebhooks, orderId, sessionStub, type SessionJson } from './helpers';

const REG = {
  mchid: '1900000777',
  appid: 'wxd678efh567hg6777',
  apiv3_key: 'Reg1stryApiV3Key0123456789abcdef',
  alipay_app_id: '2021000000000777',
  mer_id: '777290058110777',
  webhook_url: 'https://merchant.test/hooks/registry',
} as const;

function admin(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return SELF.fetch(`${BASE}/v1/admin${path}`, {
    method,
    headers: { authorization: `Bearer ${TEST_ADMIN_KEY}`, 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

async function json<T = Record<string, any>>(res: Response, status: number): Promise<T> {
  const text = await res.text();
  if (res.status !== status) throw new Error(`expected ${status}, got ${res.status}: ${text}`);
  return JSON.parse(text) as T;
}

const registry = () => env.MERCHANT_REGISTRY!.getByName('registry');

function api(key: string, path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set('authorization', `Bearer ${key}`);
  if (init.body) headers.set('content-type', 'application/json');
  return SELF.fetch(`${BASE}${path}`, { ...init, headers });
}

async function createSession(key: string, channels?: string[]): Promise<SessionJson> {
  const res = await api(key, '/v1/checkout/sessions', {
    method: 'POST',
    body: JSON.stringify({ amount: 2500, currency: 'CNY', description: 'Registry item', merchant_order_id: orderId(), ...(channels ? { channels } : {}) }),
  });
  return json<SessionJson>(res, 201);
}

/** A WeChat Pay platform certificate of the certificate-mode era, kept beside the public key during the migration. */
let platformCert: { serial: string; certificate: string } | undefined;
async function platformCertificate(): Promise<{ serial: string; certificate: string }> {
  if (!platformCert) {
    const k = await rsaKey();
    const serial = 0x5157f09efdc096de15ebe81a47057a7232f1b8e1n;
    const name: ['CN' | 'O' | 'OU' | 'C', string][] = [
      ['C', 'CN'],
      ['O', 'Tenpay.com'],
      ['CN', 'Tenpay.com Root CA'],
    ];
    const der = await issue({
      subject: name,
      issuer: name,
      serial,
      publicKey: k.publicKey,
      issuerKey: k.privateKey,
      algorithm: 'rsa-sha256',
      extensions: leafExtensions(),
    });
    platformCert = { serial: serial.toString(16).toUpperCase(), certificate: derToPem(der, 'CERTIFICATE') };
  }
  return platformCert;
}

/** WeChat Pay APIv3 (public key and a platform certificate), Alipay certificate mode, UnionPay, Apple. */
async function threeRail(over: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  return {
    name: 'Registry Shop 注册商店',
    livemode: false,
    allowed_origins: ['https://reg.shop.test'],
    webhook: { url: REG.webhook_url, secret: TEST.webhook_secret },
    apple: { bundle_id: 'com.example.registry', shared_secret: '0123456789abcdef0123456789abcdef', root_certificates: [APPLE_SANDBOX_ROOT_PEM] },
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
        platform_certificates: [await platformCertificate()],
      },
      alipay: {
        app_id: REG.alipay_app_id,
        private_key: CERT_APP_PRIVATE_KEY,
        app_cert: CERT_APP_CERT,
        alipay_cert: CERT_ALIPAY_CERT,
        alipay_root_cert: CERT_ROOT_BUNDLE,
      },
      unionpay: {
        mer_id: REG.mer_id,
        sign_key: UNIONPAY_MERCHANT_SIGN_KEY,
        sign_cert_id: UNIONPAY_TEST.sign_cert_id,
        root_cert: UNIONPAY_ROOT_CERT,
        middle_cert: UNIONPAY_MIDDLE_CERT,
      },
    },
    ...over,
  };
}

/** The bodies of a PEM (its base64 lines): what must never appear in storage. */
const pemBodies = (...pems: string[]): string[] =>
  pems.flatMap((p) =>
    p
      .split('\n')
      .filter((l) => l.length >= 40 && !l.startsWith('-----'))
      .slice(0, 3),
  );

/** Every table (SQL) and every key-value entry of the registry's storage, as one string. */
async function dumpRegistry(): Promise<{ text: string; tables: string[] }> {
  return runInDurableObject(registry(), async (_o: MerchantRegistry, state) => {
    const tables = state.storage.sql
      .exec<{ name: string }>(`SELECT name FROM sqlite_master WHERE type = 'table'`)
      .toArray()
      .map((r) => r.name)
      .filter((n) => !n.startsWith('_cf_') && !n.startsWith('sqlite_'));
    const rows = tables.map((t) => JSON.stringify(state.storage.sql.exec(`SELECT * FROM "${t}"`).toArray()));
    const kv = [...(await state.storage.list()).entries()].map(([k, v]) => `${k}=${JSON.stringify(v)}`);
    return { text: [...rows, ...kv].join('\n'), tables };
  });
}

async function setMasterKeys(value: string): Promise<void> {
  await runInDurableObject(registry(), (o: MerchantRegistry) => {
    o.masterKeys = () => value;
  });
}

let hooks: { url: string; headers: Record<string, string>; body: string }[] = [];
beforeEach(() => {
  hooks = captureWebhooks();
});
afterEach(async () => {
  vi.restoreAllMocks();
  lookupClock.now = () => Date.now();
  await setMasterKeys(TEST_MASTER_KEY);
});

describe('the admin API', () => {
  it('refuses browsers and merchant keys', async () => {
    expect((await admin('GET', '/merchants', undefined, { origin: 'https://evil.test' })).status).toBe(403);
    const merchantKey = await SELF.fetch(`${BASE}/v1/admin/merchants`, { headers: { authorization: `Bearer ${TEST.secret_key}` } });
    expect(merchantKey.status).toBe(401);
    expect(merchantKey.headers.get('access-control-allow-origin')).toBeNull();
    expect((await admin('GET', '/no-such-route')).status).toBe(404);
  });

  it('creates, reads, lists, updates and deletes a merchant; a generated key is shown once and works', async () => {
    const created = await json(await admin('PUT', '/merchants/crud', await threeRail()), 201);
    expect(created.api_key).toMatch(/^sk_test_[0-9A-Za-z]{32}$/);
    expect(created.merchant).toMatchObject({
      id: 'crud',
      object: 'merchant',
      livemode: false,
      webhook: { url: REG.webhook_url },
      channels: ['wechat_pay', 'alipay', 'unionpay'],
      apple: true,
      version: 1,
      source: 'registry',
      api_keys: [{ id: expect.stringMatching(/^key_/), prefix: created.api_key.slice(0, 12), expires_at: null }],
    });
    // Never a secret in an answer but the key made for it.
    const answer = JSON.stringify(created.merchant);
    for (const s of [REG.apiv3_key, TEST.webhook_secret, created.api_key, ...pemBodies(MERCHANT_PRIVATE_KEY)]) expect(answer).not.toContain(s);

    const key = created.api_key as string;
    const s = await createSession(key);
    expect(s.livemode).toBe(false);

    const one = await json(await admin('GET', '/merchants/crud'), 200);
    expect(one).toEqual(created.merchant);
    const list = await json(await admin('GET', '/merchants'), 200);
    expect(list.object).toBe('list');
    expect(list.data.find((m: { id: string }) => m.id === 'crud')).toMatchObject({ source: 'registry' });
    // SHOUYIN_CONFIG's merchants are listed beside the registry's, their keys by prefix only.
    const demo = list.data.find((m: { id: string }) => m.id === TEST.merchant_id);
    expect(demo).toMatchObject({ source: 'config', version: 0, api_keys: [{ prefix: TEST.secret_key.slice(0, 12), created: null }] });
    expect(JSON.stringify(list)).not.toContain(TEST.secret_key);

    // An update replaces the entry; the keys stay, no new key is shown.
    const updated = await json(await admin('PUT', '/merchants/crud', await threeRail({ name: 'Renamed', allowed_origins: [] })), 200);
    expect(updated.api_key).toBeUndefined();
    expect(updated.merchant).toMatchObject({ name: 'Renamed', allowed_origins: [], version: 2 });
    expect((await api(key, `/v1/checkout/sessions/${s.id}`)).status).toBe(200);

    // One provider's section out, then back in.
    const noUnionpay = await json(await admin('DELETE', '/merchants/crud/providers/unionpay'), 200);
    expect(noUnionpay.channels).toEqual(['wechat_pay', 'alipay']);
    const section = ((await threeRail()).providers as Record<string, unknown>).unionpay;
    expect((await json(await admin('PUT', '/merchants/crud/providers/unionpay', section), 200)).channels).toEqual(['wechat_pay', 'alipay', 'unionpay']);

    expect(await json(await admin('DELETE', '/merchants/crud'), 200)).toEqual({ id: 'crud', deleted: true });
    expect((await admin('GET', '/merchants/crud')).status).toBe(404);
    expect((await api(key, `/v1/checkout/sessions/${s.id}`)).status).toBe(401);
  });

  it('answers the config parser’s field-named errors, never echoing a secret', async () => {
    const bad = await threeRail();
    const wechat = (bad.providers as Record<string, Record<string, unknown>>).wechat_pay!;
    wechat.apiv3_key = 'secret-but-too-short';
    const e = await json(await admin('PUT', '/merchants/bad', bad), 400);
    expect(e.error).toMatchObject({ type: 'invalid_request_error', code: 'parameter_invalid', param: 'providers.wechat_pay.apiv3_key' });
    expect(e.error.message).not.toContain('secret-but-too-short');
    const { livemode: _l, ...noMode } = await threeRail();
    expect((await json(await admin('PUT', '/merchants/bad', noMode), 400)).error).toMatchObject({ code: 'parameter_missing', param: 'livemode' });
    expect((await json(await admin('PUT', '/merchants/bad', { ...(await threeRail()), surprise: 1 }), 400)).error).toMatchObject({
      code: 'parameter_unknown',
      param: 'surprise',
    });
    // Another merchant's key is refused, a SHOUYIN_CONFIG merchant's too.
    const taken = await json(await admin('PUT', '/merchants/bad', { ...(await threeRail()), livemode: undefined, secret_keys: [TEST.secret_key] }), 400);
    expect(taken.error).toMatchObject({ param: 'secret_keys[0]', message: expect.stringContaining('another merchant') });
    // A provider section is checked from its own top.
    await json(await admin('PUT', '/merchants/bad', await threeRail()), 201);
    const section = await json(await admin('PUT', '/merchants/bad/providers/alipay', { app_id: '2021000000000777' }), 400);
    expect(section.error).toMatchObject({ param: 'private_key' });
    expect((await admin('PUT', '/merchants/bad/providers/paypal', {})).status).toBe(400);
    // A SHOUYIN_CONFIG merchant is changed there, not here.
    expect((await json(await admin('DELETE', `/merchants/${TEST.merchant_id}`), 400)).error.code).toBe('merchant_managed_by_config');
    // Nothing half-written: the refused update left the merchant as it was.
    expect((await json(await admin('GET', '/merchants/bad'), 200)).channels).toEqual(['wechat_pay', 'alipay', 'unionpay']);
    await admin('DELETE', '/merchants/bad');
  });

  it('checks an entry or a whole document, and says what each flow lacks', async () => {
    const entry = await json(await admin('POST', '/check', await threeRail({ id: 'checked' })), 200);
    expect(entry).toMatchObject({ ok: true, errors: [] });
    expect(entry.flows.checked.wechat_pay).toMatchObject({ qr: 'ready', h5: 'ready', app: 'ready', jsapi: 'missing: oauth', barcode: 'ready' });
    expect(entry.flows.checked.unionpay).toMatchObject({ qr: 'ready', page: 'ready' });
    const doc = testConfigObject();
    ((doc.merchants as Record<string, any>[])[0]!.providers.wechat_pay as Record<string, unknown>).mchid = 'abc';
    const checked = await json(await admin('POST', '/check', doc), 200);
    expect(checked.ok).toBe(false);
    expect(checked.errors).toEqual([{ param: 'merchants[0].providers.wechat_pay.mchid', message: expect.stringContaining('digits') }]);
    expect(checked.flows.v3oauth.wechat_pay.jsapi).toBe('ready');
    expect(checked.flows.demo).toBeUndefined();
  });
});

describe('encryption at rest', () => {
  it('no private key, APIv3 key, webhook secret, shared secret or API key appears anywhere in the registry’s storage', async () => {
    const entry = await threeRail();
    const created = await json(await admin('PUT', '/merchants/sealed', entry), 201);
    const given = await json(
      await admin('PUT', '/merchants/sealedkeys', { ...(await threeRail()), livemode: undefined, secret_keys: ['sk_test_GivenKey0123456789abcdefghij'] }),
      201,
    );
    expect(given.api_key).toBeUndefined();
    const rolled = await json(await admin('POST', '/merchants/sealed/api_keys', { expire_previous_in: 60 }), 200);
    const { text, tables } = await dumpRegistry();
    expect(tables).toEqual(expect.arrayContaining(['merchants', 'sealed', 'api_keys', 'registry_meta']));
    const secrets = [
      ...pemBodies(MERCHANT_PRIVATE_KEY, CERT_APP_PRIVATE_KEY, UNIONPAY_MERCHANT_SIGN_KEY),
      REG.apiv3_key,
      TEST.webhook_secret,
      TEST.webhook_secret.slice('whsec_'.length),
      '0123456789abcdef0123456789abcdef',
      created.api_key,
      rolled.api_key,
      'sk_test_GivenKey0123456789abcdefghij',
    ];
    for (const s of secrets) expect(text.includes(s), `storage holds ${s.slice(0, 12)}…`).toBe(false);
    // Sealed sections hide even the public parts: no certificate body, no mchid inside them.
    for (const s of pemBodies(CERT_APP_CERT, UNIONPAY_ROOT_CERT)) expect(text).not.toContain(s);
    // What is sealed carries its key id; keys are stored as SHA-256 hashes and a short prefix.
    const rows = await runInDurableObject(registry(), (_o: MerchantRegistry, state) => ({
      sealed: state.storage.sql
        .exec<{ merchant: string; field: string; kid: string }>(`SELECT merchant, field, kid FROM sealed WHERE merchant = 'sealed' ORDER BY field`)
        .toArray(),
      keys: state.storage.sql.exec<{ hash: string; prefix: string }>(`SELECT hash, prefix FROM api_keys WHERE merchant = 'sealed'`).toArray(),
    }));
    expect(rows.sealed.map((r) => [r.field, r.kid])).toEqual([
      ['apple', 't1'],
      ['providers.alipay', 't1'],
      ['providers.unionpay', 't1'],
      ['providers.wechat_pay', 't1'],
      ['sandbox_seed', 't1'],
      ['webhook.secret', 't1'],
    ]);
    expect(rows.keys.map((k) => k.hash)).toEqual(expect.arrayContaining([expect.stringMatching(/^[0-9a-f]{64}$/)]));
    expect(rows.keys.map((k) => k.prefix).sort()).toEqual([created.api_key.slice(0, 12), rolled.api_key.slice(0, 12)].sort());
    // A sealed value moved to another field or merchant does not open.
    await runInDurableObject(registry(), (_o: MerchantRegistry, state) => {
      state.storage.sql.exec(
        `UPDATE sealed SET value = (SELECT value FROM sealed WHERE merchant = 'sealed' AND field = 'providers.alipay') WHERE merchant = 'sealedkeys' AND field = 'providers.alipay'`,
      );
    });
    expect((await json(await admin('GET', '/merchants/sealedkeys'), 200)).error).toMatchObject({ param: 'SHOUYIN_MASTER_KEY' });
    await admin('DELETE', '/merchants/sealed');
    await admin('DELETE', '/merchants/sealedkeys');
  });

  it('rotates the master key: two keys while re-encrypting, then the new one alone', async () => {
    const created = await json(await admin('PUT', '/merchants/rotated', await threeRail()), 201);
    const kids = async () =>
      runInDurableObject(registry(), (_o: MerchantRegistry, state) =>
        state.storage.sql
          .exec<{ kid: string }>(`SELECT DISTINCT kid FROM sealed`)
          .toArray()
          .map((r) => r.kid),
      );
    expect(await kids()).toEqual(['t1']);
    // The new key first, the old one still listed: everything opens, new writes use t2.
    await setMasterKeys(`${TEST_MASTER_KEY_2},${TEST_MASTER_KEY}`);
    const rotated = await json(await admin('POST', '/master_key/rotate'), 200);
    expect(rotated.key_id).toBe('t2');
    expect(rotated.re_encrypted).toBeGreaterThanOrEqual(6);
    expect(await kids()).toEqual(['t2']);
    // Everything is sealed again each time, under fresh IVs.
    const values = async () =>
      runInDurableObject(registry(), (_o: MerchantRegistry, state) =>
        state.storage.sql
          .exec<{ value: string }>(`SELECT value FROM sealed WHERE merchant = 'rotated' ORDER BY field`)
          .toArray()
          .map((r) => r.value),
      );
    const before = await values();
    expect((await json(await admin('POST', '/master_key/rotate'), 200)).re_encrypted).toBe(rotated.re_encrypted);
    const after = await values();
    expect(after).toHaveLength(before.length);
    after.forEach((v, i) => expect(v).not.toBe(before[i]));
    // Then the new key alone: the merchant still opens and takes payments.
    await setMasterKeys(TEST_MASTER_KEY_2);
    expect((await json(await admin('GET', '/merchants/rotated'), 200)).error).toBeUndefined();
    await createSession(created.api_key, ['alipay']);
    // The old key alone no longer opens anything: the error names the missing key, never a secret.
    await setMasterKeys(TEST_MASTER_KEY);
    const broken = await json(await admin('GET', '/merchants/rotated'), 200);
    expect(broken.error).toMatchObject({ param: 'SHOUYIN_MASTER_KEY', message: expect.stringContaining('"t2"') });
    const refused = await json(await admin('POST', '/master_key/rotate'), 500);
    expect(refused.error.message).toContain('"t2"');
    await setMasterKeys(TEST_MASTER_KEY_2);
    await admin('DELETE', '/merchants/rotated');
  });

  it('refuses a malformed master key by its position, never printing it', async () => {
    await setMasterKeys(`t3:${'A'.repeat(20)}`);
    const e = await json(await admin('PUT', '/merchants/nokey', await threeRail()), 500);
    expect(e.error).toMatchObject({ type: 'configuration_error', param: 'SHOUYIN_MASTER_KEY[0]' });
    expect(e.error.message).not.toContain('AAAAAAAAAA');
  });
});

describe('API keys', () => {
  it('rolls with an overlap, then the old key expires; a revoked key stops at once', async () => {
    const created = await json(await admin('PUT', '/merchants/keyroll', await threeRail()), 201);
    const first = created.api_key as string;
    const rolled = await json(await admin('POST', '/merchants/keyroll/api_keys', { expire_previous_in: 3600 }), 200);
    expect(rolled.api_key).toMatch(/^sk_test_[0-9A-Za-z]{32}$/);
    expect(rolled.prefix).toBe(rolled.api_key.slice(0, 12));
    const nowS = Math.floor(Date.now() / 1000);
    expect(rolled.previous_expire_at).toBeGreaterThanOrEqual(nowS + 3599);
    // During the overlap both keys work.
    await createSession(first);
    await createSession(rolled.api_key);
    const summary = await json(await admin('GET', '/merchants/keyroll'), 200);
    expect(summary.api_keys.map((k: { expires_at: number | null }) => k.expires_at)).toEqual([rolled.previous_expire_at, null]);
    // An hour later the old one is refused (the isolate's clock and the registry's move together).
    const later = Date.now() + 3601_000;
    lookupClock.now = () => later;
    await runInDurableObject(registry(), (o: MerchantRegistry) => {
      o.clock = { now: () => later };
    });
    expect((await api(first, '/v1/checkout/sessions/cs_none')).status).toBe(401);
    await createSession(rolled.api_key);
    expect((await json(await admin('GET', '/merchants/keyroll'), 200)).api_keys).toHaveLength(1);
    await runInDurableObject(registry(), (o: MerchantRegistry) => {
      o.clock = { now: () => Date.now() };
    });
    lookupClock.now = () => Date.now();

    // expire_previous_in 0: the keys in use stop now.
    const third = await json(await admin('POST', '/merchants/keyroll/api_keys', { expire_previous_in: 0 }), 200);
    expect((await api(rolled.api_key, '/v1/checkout/sessions/cs_none')).status).toBe(401);
    await createSession(third.api_key);
    // Revoked: refused at once in this isolate.
    expect(await json(await admin('DELETE', `/merchants/keyroll/api_keys/${third.id}`), 200)).toEqual({ id: third.id, revoked: true });
    expect((await api(third.api_key, '/v1/checkout/sessions/cs_none')).status).toBe(401);
    expect((await admin('DELETE', `/merchants/keyroll/api_keys/${third.id}`)).status).toBe(404);
    expect((await json(await admin('POST', '/merchants/keyroll/api_keys', { expire_previous_in: -1 }), 400)).error.param).toBe('expire_previous_in');
    // No body at all: the default overlap of a day.
    const bare = await SELF.fetch(`${BASE}/v1/admin/merchants/keyroll/api_keys`, { method: 'POST', headers: { authorization: `Bearer ${TEST_ADMIN_KEY}` } });
    expect((await json(bare, 200)).previous_expire_at).toBeNull();
    await admin('DELETE', '/merchants/keyroll');
  });

  it('imports SHOUYIN_CONFIG: the same keys keep working, the registry entry now wins', async () => {
    const doc = testConfigObject();
    const only = (doc.merchants as Record<string, any>[]).filter((m) => m.id === 'certshop');
    only[0]!.name = 'Imported Cert Shop';
    const imported = await json(await admin('POST', '/import', { ...doc, merchants: only }), 200);
    expect(imported).toEqual({ imported: ['certshop'] });
    const summary = await json(await admin('GET', '/merchants/certshop'), 200);
    expect(summary).toMatchObject({ source: 'registry', name: 'Imported Cert Shop', api_keys: [{ prefix: only[0]!.secret_keys[0].slice(0, 12) }] });
    // The key from SHOUYIN_CONFIG, now matched by its hash in the registry.
    const s = await createSession(only[0]!.secret_keys[0], ['alipay']);
    const view = await json(await SELF.fetch(`${BASE}/v1/client/sessions/${s.id}`, { headers: { authorization: `Bearer ${s.client_secret}` } }), 200);
    expect(view.merchant_name).toBe('Imported Cert Shop');
    // A document that does not validate imports nothing, naming the field.
    const bad = testConfigObject();
    (bad.merchants as Record<string, any>[])[2]!.providers.alipay.app_id = 'x';
    expect((await json(await admin('POST', '/import', bad), 400)).error.param).toBe('merchants[2].providers.alipay.app_id');
    await admin('DELETE', '/merchants/certshop');
    // Deleted from the registry, SHOUYIN_CONFIG's merchant of that id is served again.
    expect((await json(await admin('GET', '/merchants/certshop'), 200)).source).toBe('config');
  });
});

describe('the hot path', () => {
  it('serves an update made elsewhere within REFRESH_MS, with no registry call per request meanwhile', async () => {
    await json(await admin('PUT', '/merchants/hot', await threeRail({ allowed_origins: ['https://old.shop.test'] })), 201);
    const key = (await json(await admin('POST', '/merchants/hot/api_keys', { expire_previous_in: 0 }), 200)).api_key as string;
    const s = await createSession(key);
    // The origin when the client API serves a page there, null when it refuses it (origin_not_allowed).
    const origin = async (o: string) => {
      const res = await SELF.fetch(`${BASE}/v1/client/sessions/${s.id}`, { headers: { origin: o, authorization: `Bearer ${s.client_secret}` } });
      const body = (await res.json()) as { error?: { code: string } };
      if (res.status === 403 && body.error?.code === 'origin_not_allowed') return null;
      expect(res.status).toBe(200);
      return o;
    };
    expect(await origin('https://old.shop.test')).toBe('https://old.shop.test');
    // The isolate confirms the registry's version at `start`.
    const start = Date.now();
    lookupClock.now = () => start;
    invalidate();
    await origin('https://old.shop.test');
    // Another isolate's admin call: straight to the registry, so this isolate's cache is not told.
    const r = await registry().put('hot', await threeRail({ allowed_origins: ['https://new.shop.test'] }));
    expect(r.ok).toBe(true);
    const calls = vi.spyOn(MerchantRegistry.prototype, 'version');
    // Within the bound the isolate serves what it has, without asking.
    lookupClock.now = () => start + REFRESH_MS - 1;
    for (let i = 0; i < 5; i++) expect(await origin('https://old.shop.test')).toBe('https://old.shop.test');
    expect(calls).not.toHaveBeenCalled();
    // At the bound it asks (the version, then the index that changed), and serves the update.
    lookupClock.now = () => start + REFRESH_MS;
    expect(await origin('https://new.shop.test')).toBe('https://new.shop.test');
    expect(calls).toHaveBeenCalled();
    calls.mockClear();
    expect(await origin('https://old.shop.test')).toBeNull();
    expect(calls).not.toHaveBeenCalled();
    await admin('DELETE', '/merchants/hot');
  });
});

describe('one bad merchant never takes down the others', () => {
  it('a broken SHOUYIN_CONFIG entry is refused alone, logged once, and looks unknown to the public', async () => {
    const doc = testConfigObject();
    const demo = (doc.merchants as Record<string, any>[])[0]!;
    demo.providers.wechat_pay.apiv3_key = 'short';
    const brokenEnv = { ...env, SHOUYIN_CONFIG: JSON.stringify(doc) };
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    const call = async (path: string, init: RequestInit = {}) => {
      const ctx = createExecutionContext();
      const res = await worker.fetch!(new Request(`${BASE}${path}`, init) as Request<unknown, IncomingRequestCfProperties>, brokenEnv, ctx);
      await waitOnExecutionContext(ctx);
      return res;
    };
    // The broken merchant: its notify URL is unknown, its key is an unknown key, no field is named.
    const notify = await call(`/notify/wechat_pay/${TEST.merchant_id}`, { method: 'POST', body: '{}' });
    expect(notify.status).toBe(404);
    const refused = await call('/v1/checkout/sessions/cs_none', { headers: { authorization: `Bearer ${TEST.secret_key}` } });
    expect(refused.status).toBe(401);
    expect(await refused.text()).not.toContain('apiv3_key');
    // Its neighbour works.
    const ok = await call('/v1/checkout/sessions', {
      method: 'POST',
      headers: { authorization: `Bearer ${(doc.merchants as Record<string, any>[])[2]!.secret_keys[0]}`, 'content-type': 'application/json' },
      body: JSON.stringify({ amount: 100, currency: 'CNY', description: 'x', merchant_order_id: orderId() }),
    });
    expect(ok.status).toBe(201);
    const logged = errors.mock.calls.map((c) => String(c[0])).filter((m) => m.includes('merchants[0].providers.wechat_pay.apiv3_key'));
    expect(logged).toHaveLength(1);
    expect(logged[0]).not.toContain('short');
  });

  it('a registry entry that no longer opens is refused alone; the merchant beside it keeps paying', async () => {
    const good = await json(await admin('PUT', '/merchants/goodreg', await threeRail()), 201);
    const bad = await json(
      await admin('PUT', '/merchants/badreg', {
        ...(await threeRail()),
        providers: {
          alipay: {
            app_id: '2021000000000778',
            private_key: CERT_APP_PRIVATE_KEY,
            app_cert: CERT_APP_CERT,
            alipay_cert: CERT_ALIPAY_CERT,
            alipay_root_cert: CERT_ROOT_BUNDLE,
          },
        },
      }),
      201,
    );
    await runInDurableObject(registry(), (_o: MerchantRegistry, state) => {
      state.storage.sql.exec(`UPDATE sealed SET value = 'AAAA' || substr(value, 5) WHERE merchant = 'badreg' AND field = 'providers.alipay'`);
    });
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    // A version change makes every isolate reopen its merchants.
    await admin('PUT', '/merchants/goodreg', await threeRail({ name: 'Still good' }));
    expect((await SELF.fetch(`${BASE}/notify/alipay/badreg`, { method: 'POST', body: 'a=b' })).status).toBe(404);
    expect((await api(bad.api_key, '/v1/checkout/sessions/cs_none')).status).toBe(401);
    await createSession(good.api_key, ['alipay']);
    expect(errors.mock.calls.map((c) => String(c[0])).some((m) => m.includes('badreg') && m.includes('providers.alipay'))).toBe(true);
    expect((await json(await admin('GET', '/merchants/badreg'), 200)).error).toMatchObject({ param: 'SHOUYIN_MASTER_KEY' });
    await admin('DELETE', '/merchants/badreg');
    await admin('DELETE', '/merchants/goodreg');
  });
});

describe('a three-rail merchant from the admin API pays in the sandbox', () => {
  it('holds more than 15 KB of credentials, and pays by WeChat Pay, Alipay (certificate mode) and UnionPay end to end', async () => {
    const entry = await threeRail();
    expect(new TextEncoder().encode(JSON.stringify(entry)).length).toBeGreaterThan(15 * 1024);
    const created = await json(await admin('PUT', '/merchants/regshop', entry), 201);
    const key = created.api_key as string;

    const control = (rail: string, path: string, body?: unknown) =>
      SELF.fetch(`${BASE}/sandbox/${rail}/_control${path}`, {
        method: body === undefined ? 'GET' : 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });

    for (const [channel, rail] of [
      ['wechat_pay', 'wechatpay'],
      ['alipay', 'alipay'],
      ['unionpay', 'unionpay'],
    ] as const) {
      const s = await createSession(key, [channel]);
      const started = await SELF.fetch(`${BASE}/v1/client/sessions/${s.id}/attempts`, {
        method: 'POST',
        headers: { authorization: `Bearer ${s.client_secret}`, 'content-type': 'application/json' },
        body: JSON.stringify({ channel, flow: 'qr' }),
      });
      const { attempt } = await json<{ attempt: { id: string } }>(started, 201);
      const paid = await control(rail, `/orders/${attempt.id}/pay`, { notify: 'normal' });
      expect(paid.status, `${rail} pay: ${await paid.clone().text()}`).toBe(200);
      await control(rail, '/flush', {});
      const after = await json<SessionJson>(await api(key, `/v1/checkout/sessions/${s.id}`), 200);
      expect(after.status, channel).toBe('paid');
      expect(after.payment).toMatchObject({ attempt: attempt.id, amount: 2500 });
      for (let i = 0; i < 10; i++) if (!(await runDurableObjectAlarm(sessionStub(s.id)))) break;
    }
    // Each payment's webhook went to the registry's URL, signed with the registry's (sealed) secret.
    const paidHooks = hooks.filter((h) => h.url === REG.webhook_url && JSON.parse(h.body).type === 'checkout.session.paid');
    expect(paidHooks).toHaveLength(3);
    // The sandbox knows the merchant's key only by its hash: a wrong key is refused.
    expect((await control('alipay', '/flush', {})).status).toBe(200);
    const wrong = await SELF.fetch(`${BASE}/sandbox/alipay/_control/flush`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key.slice(0, -1)}x`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(wrong.status).toBe(401);
    await admin('DELETE', '/merchants/regshop');
  });

  it('never hands a live registry merchant to the sandbox', async () => {
    await json(await admin('PUT', '/merchants/crudless', await threeRail()), 201);
    await json(
      await admin('PUT', '/merchants/liveshop', {
        ...(await threeRail()),
        livemode: true,
        webhook: undefined,
        providers: {
          alipay: {
            app_id: '2021000000000779',
            private_key: CERT_APP_PRIVATE_KEY,
            app_cert: CERT_APP_CERT,
            alipay_cert: CERT_ALIPAY_CERT,
            alipay_root_cert: CERT_ROOT_BUNDLE,
          },
        },
        apple: undefined,
      }),
      201,
    );
    const exported = (await env.SHOUYIN_MERCHANTS!.testMerchants()) as TestMerchantExport[];
    expect(exported.map((m) => m.entry.id)).toContain('crudless');
    expect(exported.map((m) => m.entry.id)).not.toContain('liveshop');
    await admin('DELETE', '/merchants/liveshop');
    await admin('DELETE', '/merchants/crudless');
  });
});
