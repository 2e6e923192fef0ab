// Attack: one test merchant reaching another through the shared provider simulators (SECURITY.md).
// Each test merchant has its own ledger at each simulator, so its clock, orders and control calls
// touch nobody else's; the simulators' shared signing keys sign notifies only for the ordering
// merchant's own notify endpoint; the H5 cashier redirects only to the Worker or the merchant's
// origins; and no key is ever written to a ledger's storage.

import { SELF, env, listDurableObjectIds, runInDurableObject } from 'cloudflare:test';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Channel } from '../../src/contract';
import { merchantById, publicBaseUrl } from '../../src/merchants';
import { providerContext } from '../../src/lib/outbound';
import { resolveProvider } from '../../src/providers/registry';
import { RECON_TEST, TEST, WECHAT_TEST } from '../fixtures/config';
import { BASE, captureWebhooks, client, createSession, type SessionJson } from '../helpers';
import { createSessionAs, startAttemptAs } from '../wechat-v2';

beforeEach(() => void captureWebhooks());
afterEach(() => vi.restoreAllMocks());

const PATHS: Record<Channel, string> = { wechat_pay: 'wechatpay', alipay: 'alipay', unionpay: 'unionpay' };

function control(channel: Channel, path: string, key: string, body?: unknown): Promise<Response> {
  return SELF.fetch(`${BASE}/sandbox/${PATHS[channel]}/_control${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

async function attempt(s: SessionJson, channel: Channel): Promise<string> {
  const res = await client(s, '/attempts', { method: 'POST', body: JSON.stringify({ channel, flow: 'qr' }) });
  if (res.status !== 201) throw new Error(`attempt: ${res.status} ${await res.text()}`);
  const { attempt: a, next_action } = (await res.json()) as { attempt: { id: string }; next_action: { data?: string } };
  // An Alipay precreate trade exists (and can time out) once its QR is scanned.
  if (channel === 'alipay') await (await SELF.fetch(`${BASE}/sandbox/alipay/cashier?qr_code=${encodeURIComponent(next_action.data ?? '')}`)).arrayBuffer();
  return a.id;
}

/** The state the simulator holds for the demo merchant's order, read through its own control surface. */
async function stateOf(channel: Channel, no: string): Promise<string> {
  const v = (await (await control(channel, `/orders/${no}`, TEST.secret_key)).json()) as {
    order?: { state?: string };
    trade?: { state?: string };
  };
  return (v.order?.state ?? v.trade?.state) as string;
}

const CHANNELS: Channel[] = ['wechat_pay', 'alipay', 'unionpay'];

describe("a test merchant's sandbox clock is its own", () => {
  it.each(CHANNELS)('%s: another merchant moving its clock two days on closes none of the demo merchant’s orders', async (channel) => {
    const s = await createSession({ expires_in: 3600 });
    const no = await attempt(s, channel);
    const before = await stateOf(channel, no);
    const moved = await control(channel, '/clock', RECON_TEST.secret_key, { advance_seconds: 2 * 86_400 });
    expect(moved.status).toBe(200);
    expect(await stateOf(channel, no)).toBe(before);
    await control(channel, '/clock', RECON_TEST.secret_key, { reset: true });
    expect(await stateOf(channel, no)).toBe(before);
    // Its own control surface cannot see the order either.
    expect((await control(channel, `/orders/${no}`, RECON_TEST.secret_key)).status).toBe(404);
  });
});

describe('the shared signing keys sign only for the ordering merchant', () => {
  it.each(CHANNELS)("%s: a merchant ordering under another merchant's attempt id with that merchant's notify URL is refused", async (channel) => {
    const victim = await createSession({ expires_in: 3600 });
    const target = await attempt(victim, channel);
    const attacker = (await merchantById(env, RECON_TEST.merchant_id))!;
    const resolved = resolveProvider(attacker, channel)!;
    const ctx = providerContext(publicBaseUrl(env), false, () => Date.now());
    const input = (notifyUrl: string) => ({
      attemptId: target,
      flow: 'qr' as const,
      amount: victim.amount,
      currency: 'CNY' as const,
      description: 'x',
      expiresAt: Date.now() + 600_000,
      notifyUrl,
      returnUrl: `${BASE}/return/${victim.id}`,
      client: { ip: '203.0.113.9' },
    });
    await expect(resolved.provider.createAttempt(ctx, resolved.config, input(`${BASE}/notify/${channel}/${TEST.merchant_id}`))).rejects.toThrow();
    // Its own notify endpoint is fine (and the order is then in its own ledger only).
    await expect(resolved.provider.createAttempt(ctx, resolved.config, input(`${BASE}/notify/${channel}/${RECON_TEST.merchant_id}`))).resolves.toBeDefined();
    // The victim heard nothing: no anomaly, still open.
    const anomalies = await runInDurableObject(env.SESSIONS.getByName(victim.id), async (o: import('../../src/session/durable-object').CheckoutSession) =>
      o.store.anomalies(),
    );
    expect(anomalies).toEqual([]);
  });
});

describe('the H5 cashier redirects only to the Worker or the merchant’s own origins', () => {
  const PHONE = {
    'user-agent': 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1',
    'cf-connecting-ip': '203.0.113.9',
  };
  async function h5(redirect: string): Promise<{ page: string; prepay: string }> {
    const s = await createSessionAs(TEST.secret_key);
    const { next_action } = await startAttemptAs(s, 'h5', PHONE);
    const url = new URL(next_action.url!);
    url.searchParams.set('redirect_url', redirect);
    const page = await (await SELF.fetch(url, { headers: { 'user-agent': PHONE['user-agent'] } })).text();
    return { page, prepay: url.searchParams.get('prepay_id')! };
  }
  const cancel = (prepay: string, redirect: string) =>
    SELF.fetch(`${BASE}/sandbox/wechatpay/h5/cancel`, {
      method: 'POST',
      body: new URLSearchParams({ prepay_id: prepay, redirect_url: redirect }),
      redirect: 'manual',
    });

  it('a redirect_url on any other origin is dropped: no 303 there', async () => {
    const { page, prepay } = await h5('https://evil.example/phish');
    expect(page).not.toContain('evil.example');
    const res = await cancel(prepay, 'https://evil.example/phish');
    expect(res.status).toBe(200);
    expect(res.headers.get('location')).toBeNull();
  });

  it("the merchant's allowed origin and the Worker's /return are followed", async () => {
    const { prepay } = await h5('https://shop.test/paid');
    expect((await cancel(prepay, 'https://shop.test/paid')).headers.get('location')).toBe('https://shop.test/paid');
    expect((await cancel(prepay, `${BASE}/return/x`)).headers.get('location')).toBe(`${BASE}/return/x`);
  });
});

describe('no key in a ledger', () => {
  it('after orders, payments and notifies on every simulator, no ledger stores a merchant key or a signing key', async () => {
    for (const channel of CHANNELS) {
      const no = await attempt(await createSession(), channel);
      expect((await control(channel, `/orders/${no}/pay`, TEST.secret_key, { notify: 'normal' })).status).toBeLessThan(500);
      await control(channel, '/flush', TEST.secret_key, {});
    }
    const v2 = await createSessionAs(WECHAT_TEST.v2_secret_key);
    const { attempt: a2 } = await startAttemptAs(v2, 'qr');
    await control('wechat_pay', `/orders/${a2.id}/pay`, WECHAT_TEST.v2_secret_key, {});
    await control('wechat_pay', '/flush', WECHAT_TEST.v2_secret_key, {});

    const secrets = ['PRIVATE KEY', TEST.apiv3_key, WECHAT_TEST.apiv2_key, WECHAT_TEST.mp_appsecret];
    let ledgers = 0;
    for (const ns of [env.WECHATPAY_LEDGER, env.ALIPAY_LEDGER, env.UNIONPAY_LEDGER] as DurableObjectNamespace[]) {
      for (const id of await listDurableObjectIds(ns)) {
        ledgers++;
        const dump = await runInDurableObject(ns.get(id), async (_o, state) => {
          const tables = state.storage.sql
            .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_cf\\_%' ESCAPE '\\'")
            .toArray();
          return JSON.stringify(tables.map((t) => state.storage.sql.exec(`SELECT * FROM "${t.name}"`).toArray()));
        });
        for (const secret of secrets) expect(dump).not.toContain(secret);
      }
    }
    expect(ledgers).toBeGreaterThanOrEqual(4);
  });
});
