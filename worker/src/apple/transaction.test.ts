import { describe, expect, it } from 'vitest';
import { VerificationError } from '../lib/errors';
import type { AppleConfig } from './config';
import { checkAppAndEnvironment, checkNotRevoked, normalizeTransaction } from './transaction';

const CFG: AppleConfig = { bundle_id: 'com.example.app', environment: 'production', allow_sandbox: true };

// Field names and units as Apple's JWSTransactionDecodedPayload: milliseconds, price in milliunits.
const payload = {
  transactionId: '2000000123456789',
  originalTransactionId: '2000000123456700',
  webOrderLineItemId: '2000000012345678',
  bundleId: 'com.example.app',
  productId: 'pro.monthly',
  subscriptionGroupIdentifier: '21000001',
  purchaseDate: 1717200000999,
  originalPurchaseDate: 1714521600000,
  expiresDate: 1719792000000,
  quantity: 1,
  type: 'Auto-Renewable Subscription',
  appAccountToken: '7e3fb20b-4cdb-47cc-936d-99d65f608138',
  inAppOwnershipType: 'PURCHASED',
  signedDate: 1717200001234,
  environment: 'Sandbox',
  transactionReason: 'RENEWAL',
  storefront: 'CHN',
  storefrontId: '143465',
  price: 9990,
  currency: 'CNY',
};

const codeOf = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    if (e instanceof VerificationError) return e.code;
    throw e;
  }
  return 'ok';
};

describe('signed transactions', () => {
  it('normalise to Unix seconds and snake_case', () => {
    expect(normalizeTransaction(payload, false)).toEqual({
      object: 'apple.transaction',
      livemode: false,
      environment: 'sandbox',
      bundle_id: 'com.example.app',
      product_id: 'pro.monthly',
      transaction_id: '2000000123456789',
      original_transaction_id: '2000000123456700',
      web_order_line_item_id: '2000000012345678',
      type: 'Auto-Renewable Subscription',
      quantity: 1,
      purchase_date: 1717200000,
      original_purchase_date: 1714521600,
      expires_date: 1719792000,
      subscription_group_identifier: '21000001',
      revocation_date: null,
      revocation_reason: null,
      in_app_ownership_type: 'PURCHASED',
      transaction_reason: 'RENEWAL',
      app_account_token: '7e3fb20b-4cdb-47cc-936d-99d65f608138',
      storefront: 'CHN',
      currency: 'CNY',
      price: 9990,
      is_upgraded: false,
      offer_type: null,
      offer_identifier: null,
      signed_date: 1717200001,
    });
  });

  it('refuse payloads that are not Apple-shaped', () => {
    expect(codeOf(() => normalizeTransaction({ ...payload, transactionId: undefined }, false))).toBe('jws_payload_invalid');
    expect(codeOf(() => normalizeTransaction({ ...payload, purchaseDate: '1717200000999' }, false))).toBe('jws_payload_invalid');
    expect(codeOf(() => normalizeTransaction({ ...payload, isUpgraded: 'yes' }, false))).toBe('jws_payload_invalid');
    expect(codeOf(() => normalizeTransaction({ ...payload, environment: 'Xcode' }, false))).toBe('environment_unsupported');
    expect(codeOf(() => normalizeTransaction({ ...payload, environment: undefined }, false))).toBe('environment_unsupported');
  });

  it("belong to the merchant's app; sandbox ones only when allowed", () => {
    expect(codeOf(() => checkAppAndEnvironment(CFG, 'com.example.app', 'sandbox'))).toBe('ok');
    expect(codeOf(() => checkAppAndEnvironment(CFG, 'com.example.other', 'production'))).toBe('bundle_id_mismatch');
    expect(codeOf(() => checkAppAndEnvironment({ ...CFG, allow_sandbox: false }, 'com.example.app', 'sandbox'))).toBe('environment_mismatch');
    expect(codeOf(() => checkAppAndEnvironment({ ...CFG, allow_sandbox: false }, 'com.example.app', 'production'))).toBe('ok');
  });

  it('a revoked transaction unlocks nothing', () => {
    const t = normalizeTransaction({ ...payload, revocationDate: 1717300000000, revocationReason: 1 }, false);
    expect(t.revocation_date).toBe(1717300000);
    expect(codeOf(() => checkNotRevoked(t))).toBe('transaction_revoked');
    expect(codeOf(() => checkNotRevoked(normalizeTransaction(payload, false)))).toBe('ok');
  });
});
