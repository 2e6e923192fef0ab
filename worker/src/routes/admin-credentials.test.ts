// GET /v1/admin/credentials through the Worker's own fetch handler, with an admin key configured.

import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import worker from '../index';
import type { Env } from '../env';
import { TEST, testConfigObject } from '../../test/fixtures/config';
import { DAY_MS } from '../registry/health';
import type { CredentialRow } from './admin-credentials';

const ADMIN = `sk_admin_${'Q7'.repeat(16)}`;
const adminEnv = { ...env, SHOUYIN_ADMIN_KEYS: ADMIN } as Env;

async function call(path: string, headers: Record<string, string> = { authorization: `Bearer ${ADMIN}` }, e: Env = adminEnv): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(`${TEST.public_base_url}${path}`, { headers }), e, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

describe('GET /v1/admin/credentials', () => {
  it('lists every merchant certificate with its date, and none of the keys', async () => {
    const res = await call('/v1/admin/credentials');
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    const text = await res.text();
    expect(text).not.toMatch(/PRIVATE KEY|BEGIN|whsec_|sk_test_|sk_live_/);
    const body = JSON.parse(text) as { object: string; data: CredentialRow[] };
    expect(body.object).toBe('list');
    const demo = body.data.filter((r) => r.merchant === TEST.merchant_id).map((r) => r.credential);
    expect(demo).toEqual(['providers.unionpay.sign_cert_id', 'providers.unionpay.middle_cert', 'providers.unionpay.root_cert', 'apple.root_certificates[0]']);
    const cert = body.data.filter((r) => r.merchant === 'certshop');
    expect(cert).toHaveLength(4);
    expect(cert[0]).toMatchObject({
      channel: 'alipay',
      credential: 'providers.alipay.app_cert',
      serial: '4B1D0A11CE0001',
      not_after: '2056-11-20T17:59:06.000Z',
    });
    expect(cert[0]!.days_left).toBe(Math.floor((Date.parse('2056-11-20T17:59:06Z') - Date.now()) / DAY_MS));
  });

  it('filters by expiring_within_days, soonest first', async () => {
    const none = (await (await call('/v1/admin/credentials?expiring_within_days=30')).json()) as { data: CredentialRow[] };
    expect(none.data).toEqual([]);
    // Every test certificate ends between 2049 and 2056: 40 years from now covers them all, in date order.
    const all = ((await (await call(`/v1/admin/credentials?expiring_within_days=${40 * 366}`)).json()) as { data: CredentialRow[] }).data;
    expect(all.length).toBeGreaterThan(10);
    expect(all.every((r) => r.not_after !== null && r.days_left !== null)).toBe(true);
    expect(all.map((r) => r.not_after)).toEqual([...all.map((r) => r.not_after)].sort());
    expect(all[0]).toMatchObject({ merchant: TEST.merchant_id, credential: 'apple.root_certificates[0]', not_after: '2049-12-31T23:59:59.000Z' });
  });

  it('refuses an invalid or unknown parameter by name', async () => {
    for (const q of ['-1', '36501', '100000', 'abc', '1.5', '']) {
      const res = await call(`/v1/admin/credentials?expiring_within_days=${q}`);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { param: string } }).error.param).toBe('expiring_within_days');
    }
    const res = await call('/v1/admin/credentials?days=30');
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string; param: string } }).error).toMatchObject({ code: 'parameter_unknown', param: 'days' });
  });

  it('answers only an admin key, never a merchant key or a browser', async () => {
    expect((await call('/v1/admin/credentials', {})).status).toBe(401);
    expect((await call('/v1/admin/credentials', { authorization: `Bearer ${TEST.secret_key}` })).status).toBe(401);
    const browser = await call('/v1/admin/credentials', { authorization: `Bearer ${ADMIN}`, origin: 'https://shop.test' });
    expect(browser.status).toBe(403);
    expect(browser.headers.get('access-control-allow-origin')).toBeNull();
    // No admin keys configured: nothing is accepted.
    const cfg = JSON.stringify(testConfigObject());
    expect((await call('/v1/admin/credentials', undefined, { ...env, SHOUYIN_CONFIG: cfg } as Env)).status).toBe(401);
  });
});
