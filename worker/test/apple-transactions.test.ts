// POST /v1/apple/transactions/verify inside workerd: StoreKit 2 signed transactions minted by the
// Apple sandbox, and every way a token must be refused (chain, markers, dates, signature encoding,
// tampering, app, environment, revocation).

import { beforeAll, describe, expect, it } from 'vitest';
import { base64UrlDecode, base64UrlEncode } from '../src/apple/jws';
import { fromUtf8, utf8 } from '../src/crypto/encoding';
import { derToPem } from '../src/crypto/pem';
import { buildChain } from '../../sandbox/src/apple/pki';
import { control, mintTransaction, verifyTransaction, withConfig } from '../../sandbox/src/apple/testing';
import { ALIPAY_TEST, APPLE_TEST } from './fixtures/config';

const PRODUCT = 'com.shouyin.demo.coins100';
const DAY = 86_400;
const now = () => Math.floor(Date.now() / 1000);

/** A self-signed EC root that did not issue the test merchant's chain (another secret's sandbox root). */
let OTHER_ROOT_PEM = '';
beforeAll(async () => {
  OTHER_ROOT_PEM = derToPem((await buildChain('sk_test_someoneelse000000000000000000', '')).root.der, 'CERTIFICATE');
});

async function refusal(body: Record<string, unknown>): Promise<Record<string, unknown>> {
  const a = await verifyTransaction({ signed_transaction: await mintTransaction(body) });
  expect(a.status).toBe(400);
  expect(a.json.error).toMatchObject({ type: 'invalid_request_error', param: 'signed_transaction' });
  return a.json.error as Record<string, unknown>;
}

describe('Apple signed transactions: accepted', () => {
  it('a sandbox consumable, normalised', async () => {
    const token = await mintTransaction({ product_id: PRODUCT, quantity: 2, app_account_token: '7e3fb20b-4cdb-47cc-936d-99d65f608138' });
    const a = await verifyTransaction({ signed_transaction: token });
    expect(a.status).toBe(200);
    expect(a.json).toMatchObject({
      object: 'apple.transaction',
      livemode: false,
      environment: 'sandbox',
      bundle_id: APPLE_TEST.bundle_id,
      product_id: PRODUCT,
      type: 'Consumable',
      quantity: 2,
      transaction_id: expect.stringMatching(/^\d{16}$/),
      revocation_date: null,
      expires_date: null,
      price: 6000,
      currency: 'CNY',
      app_account_token: '7e3fb20b-4cdb-47cc-936d-99d65f608138',
    });
    expect(a.json.original_transaction_id).toBe(a.json.transaction_id);
    expect(Math.abs(a.json.signed_date - now())).toBeLessThan(60);
  });

  it('a production subscription, expired or not: reported, not refused', async () => {
    const a = await verifyTransaction({
      signed_transaction: await mintTransaction({
        product_id: 'pro.monthly',
        environment: 'production',
        purchase_date: now() - 40 * DAY,
        expires_date: now() - 10 * DAY,
      }),
    });
    expect(a.status).toBe(200);
    expect(a.json).toMatchObject({ environment: 'production', type: 'Auto-Renewable Subscription', expires_date: expect.any(Number) });
    expect(a.json.expires_date).toBeLessThan(now());
  });
});

describe('Apple signed transactions: bad chains', () => {
  it('a chain under another root (same names, other keys)', async () => {
    expect(await refusal({ product_id: PRODUCT, defect: 'wrong_root' })).toMatchObject({ code: 'jws_chain_untrusted' });
  });

  it("another test merchant's sandbox: each merchant's chain derives from its own key", async () => {
    const both = withConfig((d) => (d.merchants.find((m) => m.id === ALIPAY_TEST.cert_merchant_id)!.apple = { bundle_id: APPLE_TEST.bundle_id }));
    const foreign = await mintTransaction({ product_id: PRODUCT }, { key: ALIPAY_TEST.cert_secret_key, via: both });
    const a = await verifyTransaction({ signed_transaction: foreign });
    expect(a.json.error).toMatchObject({ code: 'jws_chain_untrusted' });
  });

  it("an intermediate without Apple's WWDR marker OID", async () => {
    expect(await refusal({ product_id: PRODUCT, defect: 'intermediate_without_marker' })).toMatchObject({
      code: 'jws_certificate_marker_missing',
      message: expect.stringContaining('1.2.840.113635.100.6.2.1'),
    });
  });

  it('a leaf without the App Store signing marker OID', async () => {
    expect(await refusal({ product_id: PRODUCT, defect: 'leaf_without_marker' })).toMatchObject({
      code: 'jws_certificate_marker_missing',
      message: expect.stringContaining('1.2.840.113635.100.6.11.1'),
    });
  });

  it('a leaf that had expired when the token was signed', async () => {
    expect(await refusal({ product_id: PRODUCT, defect: 'expired_leaf' })).toMatchObject({ code: 'jws_certificate_expired' });
  });

  it('the same leaf is fine for a token signed while it was valid', async () => {
    const a = await verifyTransaction({
      signed_transaction: await mintTransaction({ product_id: PRODUCT, defect: 'expired_leaf', signed_date: Date.UTC(2024, 6, 1) / 1000 }),
    });
    expect(a.status).toBe(200);
  });

  it("a pinned root that is not the chain's", async () => {
    const other = withConfig((d) => (d.merchants[0]!.apple.root_certificates = [OTHER_ROOT_PEM]));
    const a = await verifyTransaction({ signed_transaction: await mintTransaction({ product_id: PRODUCT }) }, { via: other });
    expect(a.json.error).toMatchObject({ code: 'jws_chain_untrusted' });
  });
});

describe('Apple signed transactions: bad signatures and payloads', () => {
  it('a DER-encoded signature instead of raw R‖S', async () => {
    expect(await refusal({ product_id: PRODUCT, defect: 'der_signature' })).toMatchObject({
      code: 'jws_signature_der',
      message: expect.stringContaining('R‖S'),
    });
  });

  it('a payload changed after signing (the sandbox defect, and by hand)', async () => {
    expect(await refusal({ product_id: PRODUCT, defect: 'tampered_payload' })).toMatchObject({ code: 'jws_signature_invalid' });
    const [h, p, s] = (await mintTransaction({ product_id: PRODUCT })).split('.') as [string, string, string];
    const payload = JSON.parse(fromUtf8(base64UrlDecode(p))) as Record<string, unknown>;
    const upgraded = base64UrlEncode(utf8(JSON.stringify({ ...payload, quantity: 10 })));
    const a = await verifyTransaction({ signed_transaction: `${h}.${upgraded}.${s}` });
    expect(a.json.error).toMatchObject({ code: 'jws_signature_invalid' });
  });

  it('alg none', async () => {
    const [, p] = (await mintTransaction({ product_id: PRODUCT })).split('.');
    const none = base64UrlEncode(utf8(JSON.stringify({ alg: 'none' })));
    expect((await verifyTransaction({ signed_transaction: `${none}.${p}.AA` })).json.error).toMatchObject({ code: 'jws_algorithm_unsupported' });
  });

  it('a purchase in another app', async () => {
    expect(await refusal({ product_id: PRODUCT, bundle_id: 'com.other.app' })).toMatchObject({ code: 'bundle_id_mismatch' });
  });

  it('a refunded (revoked) transaction', async () => {
    const e = await refusal({ product_id: PRODUCT, purchase_date: now() - 5 * DAY, revocation_date: now() - DAY, revocation_reason: 1 });
    expect(e).toMatchObject({ code: 'transaction_revoked', message: expect.stringContaining('refunded for an issue in the app') });
  });

  it('a sandbox transaction when allow_sandbox is false; production still passes', async () => {
    const strict = withConfig((d) => (d.merchants[0]!.apple.allow_sandbox = false));
    expect((await verifyTransaction({ signed_transaction: await mintTransaction({ product_id: PRODUCT }) }, { via: strict })).json.error).toMatchObject({
      code: 'environment_mismatch',
    });
    expect(
      (await verifyTransaction({ signed_transaction: await mintTransaction({ product_id: PRODUCT, environment: 'production' }) }, { via: strict })).status,
    ).toBe(200);
  });
});

describe('Apple signed transactions: the request', () => {
  it('validates strictly, naming the field', async () => {
    const err = async (body: unknown) => (await verifyTransaction(body)).json.error;
    expect(await err({})).toMatchObject({ code: 'parameter_missing', param: 'signed_transaction' });
    expect(await err({ signed_transaction: 'abc' })).toMatchObject({ code: 'parameter_invalid', param: 'signed_transaction' });
    expect(await err({ signed_transaction: 'a.b.c', extra: 1 })).toMatchObject({ code: 'parameter_unknown', param: 'extra' });
    expect(await err({ signed_transaction: 'a.b.c' })).toMatchObject({ code: 'jws_malformed', param: 'signed_transaction' });
    expect((await verifyTransaction({ signed_transaction: 'a.b.c' }, { key: null })).status).toBe(401);
  });

  it('the sandbox control surface checks what it is asked for', async () => {
    expect((await control('/transactions', { product_id: PRODUCT, defect: 'nope' })).json.error).toMatchObject({ param: 'defect' });
    expect((await control('/transactions', {})).json.error).toMatchObject({ param: 'product_id' });
    expect((await control('/transactions', { product_id: PRODUCT }, { key: 'sk_test_nobody00000000000000000000' })).status).toBe(401);
  });
});
