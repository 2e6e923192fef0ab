// POST /v1/apple/receipts/verify against the built-in verifyReceipt simulator, inside workerd:
// the 21007 / 21008 environment fallback, every status Apple sends, the shared secret, the app check.

import { describe, expect, it } from 'vitest';
import { fromBase64, fromUtf8, toBase64, utf8 } from '../src/crypto/encoding';
import { mintReceipt, simulator, verifyReceipt, withConfig } from '../../sandbox/src/apple/testing';
import { ALIPAY_TEST, APPLE_TEST, TEST } from './fixtures/config';

const PRODUCT = 'com.shouyin.demo.coins100';
const DAY = 86_400;
const now = () => Math.floor(Date.now() / 1000);

describe('Apple receipts: environments', () => {
  it('a sandbox receipt: production says 21007, the sandbox verifies it', async () => {
    const receipt = await mintReceipt({ product_id: PRODUCT });
    expect((await simulator('production', { 'receipt-data': receipt })).json).toEqual({ status: 21007 });
    const a = await verifyReceipt({ receipt_data: receipt });
    expect(a.status).toBe(200);
    expect(a.json).toMatchObject({
      object: 'apple.receipt',
      livemode: false,
      environment: 'sandbox',
      apple_status: 0,
      subscription_expired: false,
      bundle_id: APPLE_TEST.bundle_id,
    });
    expect(a.json.in_app).toEqual([
      expect.objectContaining({
        product_id: PRODUCT,
        quantity: 1,
        transaction_id: expect.stringMatching(/^\d{16}$/),
        purchase_date: expect.any(Number),
        expires_date: null,
      }),
    ]);
    expect(Math.abs(a.json.in_app[0].purchase_date - now())).toBeLessThan(60);
  });

  it('a production receipt verifies at production, the first endpoint asked', async () => {
    const a = await verifyReceipt({ receipt_data: await mintReceipt({ product_id: PRODUCT, environment: 'production' }) });
    expect(a.status).toBe(200);
    expect(a.json.environment).toBe('production');
  });

  it('asked first (environment "sandbox"), the sandbox says 21008 for a production receipt, and production verifies it', async () => {
    const receipt = await mintReceipt({ product_id: PRODUCT, environment: 'production' });
    expect((await simulator('sandbox', { 'receipt-data': receipt })).json).toEqual({ status: 21008 });
    const sandboxFirst = withConfig((d) => (d.merchants[0]!.apple.environment = 'sandbox'));
    const a = await verifyReceipt({ receipt_data: receipt }, { via: sandboxFirst });
    expect(a.status).toBe(200);
    expect(a.json.environment).toBe('production');
    // And a sandbox receipt needs no fallback there.
    expect((await verifyReceipt({ receipt_data: await mintReceipt({ product_id: PRODUCT }) }, { via: sandboxFirst })).json.environment).toBe('sandbox');
  });

  it('allow_sandbox false: a sandbox receipt is refused', async () => {
    const strict = withConfig((d) => (d.merchants[0]!.apple.allow_sandbox = false));
    const a = await verifyReceipt({ receipt_data: await mintReceipt({ product_id: PRODUCT }) }, { via: strict });
    expect(a.status).toBe(400);
    expect(a.json.error).toMatchObject({ type: 'invalid_request_error', code: 'environment_mismatch', param: 'receipt_data' });
  });
});

describe('Apple receipts: every status', () => {
  const cases: [number, boolean | undefined, number, string, string | undefined][] = [
    [21000, undefined, 502, 'apple_request_unreadable', undefined],
    [21001, undefined, 502, 'apple_unknown_status', undefined],
    [21002, undefined, 400, 'receipt_malformed', 'receipt_data'],
    [21003, undefined, 400, 'receipt_not_authenticated', 'receipt_data'],
    [21004, undefined, 500, 'apple_shared_secret_mismatch', undefined],
    [21005, undefined, 502, 'apple_unavailable', undefined],
    [21009, undefined, 502, 'apple_unavailable', undefined],
    [21010, undefined, 400, 'receipt_not_authorized', 'receipt_data'],
    [21100, true, 502, 'apple_unavailable', undefined],
    [21100, false, 502, 'apple_internal_error', undefined],
    [21199, false, 502, 'apple_internal_error', undefined],
  ];

  it.each(cases)('status %i (is-retryable %s) → %i %s', async (status, retryable, http, code, param) => {
    const receipt = await mintReceipt({ product_id: PRODUCT, status, ...(retryable !== undefined ? { is_retryable: retryable } : {}) });
    const a = await verifyReceipt({ receipt_data: receipt });
    expect(a.status).toBe(http);
    expect(a.json.error).toMatchObject({ code, message: expect.stringContaining(String(status)) });
    expect(a.json.error.param).toBe(param);
  });

  it('21006 is an answer: the receipt, its subscription expired', async () => {
    const receipt = await mintReceipt({
      purchases: [{ product_id: 'pro.monthly', purchase_date: now() - 40 * DAY, expires_date: now() - 10 * DAY }],
      status: 21006,
    });
    const a = await verifyReceipt({ receipt_data: receipt });
    expect(a.status).toBe(200);
    expect(a.json).toMatchObject({ apple_status: 21006, subscription_expired: true, environment: 'sandbox' });
    expect(a.json.in_app[0]).toMatchObject({ product_id: 'pro.monthly', expires_date: expect.any(Number) });
  });

  it('a receipt the App Store never issued: 21002 (not a receipt) and 21003 (altered)', async () => {
    const junk = await verifyReceipt({ receipt_data: toBase64(utf8('definitely not a PKCS#7 receipt')) });
    expect(junk.status).toBe(400);
    expect(junk.json.error).toMatchObject({ code: 'receipt_malformed', param: 'receipt_data' });

    const genuine = fromUtf8(fromBase64(await mintReceipt({ product_id: PRODUCT })));
    const [prefix, body, mac] = genuine.split('.') as [string, string, string];
    // Upgrade the purchase in transit: the body no longer matches its MAC.
    const edited = toBase64(
      utf8(JSON.stringify({ ...JSON.parse(fromUtf8(fromBase64(body.replace(/-/g, '+').replace(/_/g, '/')))), bundle_id: APPLE_TEST.bundle_id, purchases: [] })),
    )
      .replace(/\+/g, '-')
      .replace(/\//g, '_')
      .replace(/=+$/, '');
    const altered = await verifyReceipt({ receipt_data: toBase64(utf8(`${prefix}.${edited}.${mac}`)) });
    expect(altered.status).toBe(400);
    expect(altered.json.error).toMatchObject({ code: 'receipt_not_authenticated', param: 'receipt_data' });
  });
});

describe('Apple receipts: shared secret and app', () => {
  it("a shared secret that is not the app's: 21004 → 500 apple_shared_secret_mismatch, without echoing it", async () => {
    const wrong = '0123456789abcdef0123456789abcdef';
    const mismatched = withConfig((d) => (d.merchants[0]!.apple.shared_secret = wrong));
    const a = await verifyReceipt({ receipt_data: await mintReceipt({ product_id: PRODUCT }) }, { via: mismatched });
    expect(a.status).toBe(500);
    expect(a.json.error).toMatchObject({ type: 'configuration_error', code: 'apple_shared_secret_mismatch' });
    expect(JSON.stringify(a.json)).not.toContain(wrong);
    expect(JSON.stringify(a.json)).not.toContain(APPLE_TEST.shared_secret);
  });

  it('no shared secret configured, a receipt with a subscription: 21004 as well', async () => {
    const none = withConfig((d) => delete d.merchants[0]!.apple.shared_secret);
    const sub = await mintReceipt({ purchases: [{ product_id: 'pro.monthly', expires_date: now() + 30 * DAY }] });
    expect((await verifyReceipt({ receipt_data: sub }, { via: none })).json.error.code).toBe('apple_shared_secret_mismatch');
    // A consumable needs none.
    expect((await verifyReceipt({ receipt_data: await mintReceipt({ product_id: PRODUCT }) }, { via: none })).status).toBe(200);
  });

  it('a genuine receipt of another app is refused', async () => {
    const a = await verifyReceipt({ receipt_data: await mintReceipt({ product_id: PRODUCT, bundle_id: 'com.other.app' }) });
    expect(a.status).toBe(400);
    expect(a.json.error).toMatchObject({ code: 'bundle_id_mismatch', param: 'receipt_data', message: expect.stringContaining('com.other.app') });
  });

  it('subscriptions: latest_receipt_info, pending_renewal_info, and exclude_old_transactions', async () => {
    const start = now() - 45 * DAY;
    const receipt = await mintReceipt({
      purchases: [
        {
          product_id: 'pro.monthly',
          transaction_id: '2000000000000001',
          original_transaction_id: '2000000000000001',
          purchase_date: start,
          expires_date: start + 30 * DAY,
        },
        {
          product_id: 'pro.monthly',
          transaction_id: '2000000000000002',
          original_transaction_id: '2000000000000001',
          purchase_date: start + 30 * DAY,
          expires_date: start + 60 * DAY,
        },
        { product_id: PRODUCT, quantity: 3 },
      ],
    });
    const all = await verifyReceipt({ receipt_data: receipt });
    expect(all.status).toBe(200);
    expect(all.json.in_app).toHaveLength(3);
    expect(all.json.in_app[2]).toMatchObject({ product_id: PRODUCT, quantity: 3 });
    expect(all.json.latest_receipt_info.map((p: { transaction_id: string }) => p.transaction_id)).toEqual(['2000000000000002', '2000000000000001']);
    expect(all.json.pending_renewal_info).toEqual([
      expect.objectContaining({ original_transaction_id: '2000000000000001', auto_renew_product_id: 'pro.monthly', auto_renew_status: true }),
    ]);
    expect(all.json.latest_receipt).toBe(receipt);
    const latest = await verifyReceipt({ receipt_data: receipt, exclude_old_transactions: true });
    expect(latest.json.latest_receipt_info.map((p: { transaction_id: string }) => p.transaction_id)).toEqual(['2000000000000002']);
  });
});

describe('Apple receipts: the request', () => {
  it('validates strictly, naming the field', async () => {
    const bad = async (body: unknown) => (await verifyReceipt(body)).json.error;
    expect(await bad({})).toMatchObject({ code: 'parameter_missing', param: 'receipt_data' });
    expect(await bad({ receipt_data: 42 })).toMatchObject({ code: 'parameter_invalid', param: 'receipt_data' });
    expect(await bad({ receipt_data: '' })).toMatchObject({ code: 'parameter_invalid', param: 'receipt_data' });
    expect(await bad({ receipt_data: 'not*base64' })).toMatchObject({ code: 'parameter_invalid', param: 'receipt_data' });
    expect(await bad({ receipt_data: 'MIIT 8QYJKoZIhvcNAQcCoIIT4jCCE94CAQExCzAJBgUrDgMCGgUAMIIDkgYJKoZIhvcNAQcBoIIDgwSCA38xggN7' })).toMatchObject({
      param: 'receipt_data',
      message: expect.stringContaining('"+" characters became spaces'),
    });
    expect(await bad({ receipt_data: 'eA==', exclude_old_transactions: 'yes' })).toMatchObject({ param: 'exclude_old_transactions' });
    expect(await bad({ receipt_data: 'eA==', password: 'x' })).toMatchObject({ code: 'parameter_unknown', param: 'password' });
    expect((await verifyReceipt('{not json')).json.error.code).toBe('invalid_json');
  });

  it('line-wrapped base64 is accepted as is', async () => {
    const receipt = await mintReceipt({ product_id: PRODUCT });
    const wrapped = (receipt.match(/.{1,64}/g) ?? []).join('\r\n');
    expect((await verifyReceipt({ receipt_data: wrapped })).status).toBe(200);
  });

  it('needs a secret key, and an apple section', async () => {
    expect((await verifyReceipt({ receipt_data: 'eA==' }, { key: null })).status).toBe(401);
    expect((await verifyReceipt({ receipt_data: 'eA==' }, { key: 'sk_test_doesnotexist000000000000000' })).json.error.code).toBe('invalid_api_key');
    const noApple = await verifyReceipt({ receipt_data: 'eA==' }, { key: ALIPAY_TEST.cert_secret_key });
    expect(noApple.status).toBe(400);
    expect(noApple.json.error).toMatchObject({ type: 'invalid_request_error', code: 'apple_not_configured' });
    expect((await verifyReceipt({ receipt_data: 'eA==' }, { key: TEST.live_secret_key })).json.error.code).toBe('apple_not_configured');
  });

  it('the simulator answers like Apple: HTTP 200 and a status for a request it cannot read', async () => {
    expect(await simulator('production', 'not json')).toEqual({ status: 200, json: { status: 21000 } });
    expect((await simulator('production', {})).json).toEqual({ status: 21002 });
    expect((await simulator('sandbox', { 'receipt-data': 'eA==' })).json).toEqual({ status: 21002 });
  });
});
