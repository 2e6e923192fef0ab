// Attack: a genuine App Store notification for another app (SECURITY.md). Apple signs every app's
// notifications with the same chain, so a Production notification must also name this merchant's app
// by its Apple ID (`appAppleId`), as Apple's App Store Server Library checks: the bundle id alone
// is not what Apple's own verifier trusts for Production.

import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { appleEvents, control, notify } from '../../../sandbox/src/apple/testing';
import { parsedRoots } from '../../src/apple/config';
import { verifyNotification } from '../../src/apple/notification';
import { merchantById } from '../../src/merchants';
import { ShouyinError } from '../../src/lib/errors';
import { APPLE_TEST, TEST } from '../fixtures/config';

async function mint(body: Record<string, unknown>): Promise<{ signed_payload: string; notification_uuid: string }> {
  const a = await control('/notifications', body);
  if (a.status !== 201) throw new Error(`mint notification: ${a.status} ${JSON.stringify(a.json)}`);
  return a.json as { signed_payload: string; notification_uuid: string };
}

const stored = async (uuid: string) => (await appleEvents()).filter((e) => e.data.object.notification_uuid === uuid).length;
const charge = { notification_type: 'ONE_TIME_CHARGE', transaction: { product_id: 'com.shouyin.demo.coins100' } };

describe('App Store notifications name the app by its Apple ID in Production', () => {
  it('a Production notification for another app Apple ID is refused (401 app_apple_id_mismatch) and not stored', async () => {
    const n = await mint({ ...charge, environment: 'production', app_apple_id: APPLE_TEST.app_apple_id + 1 });
    const res = await notify(TEST.merchant_id, { signedPayload: n.signed_payload });
    expect(res.status).toBe(401);
    expect(res.json.error.code).toBe('app_apple_id_mismatch');
    expect(await stored(n.notification_uuid)).toBe(0);
  });

  it('a Production notification without appAppleId is refused', async () => {
    const signed = await mint({ ...charge, environment: 'production', app_apple_id: null });
    const res = await notify(TEST.merchant_id, { signedPayload: signed.signed_payload });
    expect(res.status).toBe(401);
    expect(await stored(signed.notification_uuid)).toBe(0);
  });

  it("the merchant's own app passes in Production; Sandbox notifications carry no appAppleId and pass", async () => {
    const prod = await mint({ ...charge, environment: 'production' });
    expect((await notify(TEST.merchant_id, { signedPayload: prod.signed_payload })).status).toBe(200);
    const sandbox = await mint(charge);
    expect((await notify(TEST.merchant_id, { signedPayload: sandbox.signed_payload })).status).toBe(200);
    expect(await stored(prod.notification_uuid)).toBe(1);
  });

  it('without apple.app_apple_id configured, Production notifications are a configuration error (Apple retries), never accepted', async () => {
    const merchant = (await merchantById(env, TEST.merchant_id))!;
    const { app_apple_id: _id, ...unset } = merchant.apple!;
    const n = await mint({ ...charge, environment: 'production' });
    const e = await verifyNotification(n.signed_payload, unset, parsedRoots(unset), false).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ShouyinError);
    expect(e).toMatchObject({ code: 'apple_app_apple_id_missing', status: 500 });
    // Sandbox notifications do not need it.
    const s = await mint(charge);
    expect((await verifyNotification(s.signed_payload, unset, parsedRoots(unset), false)).environment).toBe('sandbox');
  });
});
