// StoreKit 2 / App Store Server API transactions: the decoded JWSTransactionDecodedPayload
// (Apple's App Store Server Library, models/JWSTransactionDecodedPayload.ts) checked against the
// merchant's app and turned into Shouyin's answer. Dates are Unix seconds, as everywhere in the API.

import { VerificationError } from '../lib/errors';
import type { AppleConfig, AppleEnvironment } from './config';

export interface AppleTransaction {
  object: 'apple.transaction';
  livemode: boolean;
  environment: AppleEnvironment;
  bundle_id: string;
  product_id: string;
  transaction_id: string;
  original_transaction_id: string | null;
  web_order_line_item_id: string | null;
  /** `Consumable`, `Non-Consumable`, `Auto-Renewable Subscription`, `Non-Renewing Subscription`. */
  type: string | null;
  quantity: number;
  purchase_date: number;
  original_purchase_date: number | null;
  /** Subscriptions: when it expires or renews. */
  expires_date: number | null;
  subscription_group_identifier: string | null;
  /** Set when Apple refunded the purchase or revoked it from Family Sharing. */
  revocation_date: number | null;
  revocation_reason: number | null;
  in_app_ownership_type: string | null;
  transaction_reason: string | null;
  app_account_token: string | null;
  storefront: string | null;
  currency: string | null;
  /** In milliunits of `currency` (Apple's unit: 9990 = 9.99). */
  price: number | null;
  is_upgraded: boolean;
  offer_type: number | null;
  offer_identifier: string | null;
  signed_date: number;
}

const invalid = (why: string) => new VerificationError('jws_payload_invalid', `The signed transaction is not a JWSTransactionDecodedPayload: ${why}.`);

const seconds = (ms: number): number => Math.floor(ms / 1000);

function optString(p: Record<string, unknown>, k: string): string | null {
  const v = p[k];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') throw invalid(`${k} must be a string`);
  return v;
}

function optNumber(p: Record<string, unknown>, k: string): number | null {
  const v = p[k];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw invalid(`${k} must be a number`);
  return v;
}

function required<T>(v: T | null, k: string): T {
  if (v === null) throw invalid(`${k} is missing`);
  return v;
}

/** Apple's `Production` / `Sandbox`; anything else (`Xcode`, `LocalTesting`) is not signed by the App Store. */
export function appleEnvironment(v: unknown): AppleEnvironment {
  if (v === 'Production') return 'production';
  if (v === 'Sandbox') return 'sandbox';
  throw new VerificationError(
    'environment_unsupported',
    `environment ${JSON.stringify(v)} is neither Production nor Sandbox (Xcode and LocalTesting transactions are signed on the device, not by the App Store).`,
  );
}

export function normalizeTransaction(p: Record<string, unknown>, livemode: boolean): AppleTransaction {
  const isUpgraded = p.isUpgraded;
  if (isUpgraded !== undefined && typeof isUpgraded !== 'boolean') throw invalid('isUpgraded must be a boolean');
  const ms = (k: string) => {
    const v = optNumber(p, k);
    return v === null ? null : seconds(v);
  };
  return {
    object: 'apple.transaction',
    livemode,
    environment: appleEnvironment(p.environment),
    bundle_id: required(optString(p, 'bundleId'), 'bundleId'),
    product_id: required(optString(p, 'productId'), 'productId'),
    transaction_id: required(optString(p, 'transactionId'), 'transactionId'),
    original_transaction_id: optString(p, 'originalTransactionId'),
    web_order_line_item_id: optString(p, 'webOrderLineItemId'),
    type: optString(p, 'type'),
    quantity: optNumber(p, 'quantity') ?? 1,
    purchase_date: required(ms('purchaseDate'), 'purchaseDate'),
    original_purchase_date: ms('originalPurchaseDate'),
    expires_date: ms('expiresDate'),
    subscription_group_identifier: optString(p, 'subscriptionGroupIdentifier'),
    revocation_date: ms('revocationDate'),
    revocation_reason: optNumber(p, 'revocationReason'),
    in_app_ownership_type: optString(p, 'inAppOwnershipType'),
    transaction_reason: optString(p, 'transactionReason'),
    app_account_token: optString(p, 'appAccountToken'),
    storefront: optString(p, 'storefront'),
    currency: optString(p, 'currency'),
    price: optNumber(p, 'price'),
    is_upgraded: isUpgraded === true,
    offer_type: optNumber(p, 'offerType'),
    offer_identifier: optString(p, 'offerIdentifier'),
    signed_date: required(ms('signedDate'), 'signedDate'),
  };
}

/** The app and environment checks every verified App Store payload must pass. */
export function checkAppAndEnvironment(cfg: AppleConfig, bundleId: unknown, environment: AppleEnvironment): void {
  if (bundleId !== cfg.bundle_id) {
    throw new VerificationError(
      'bundle_id_mismatch',
      `The payload is for bundle ${JSON.stringify(bundleId)}, not this merchant's app ${JSON.stringify(cfg.bundle_id)} (apple.bundle_id): a genuine purchase in another app proves nothing here.`,
    );
  }
  if (environment === 'sandbox' && !cfg.allow_sandbox) {
    throw new VerificationError(
      'environment_mismatch',
      'This is a sandbox purchase (TestFlight, App Review or a sandbox tester: no money changed hands) and apple.allow_sandbox is false.',
    );
  }
}

/** A refunded or revoked transaction must not unlock anything. */
export function checkNotRevoked(t: AppleTransaction): void {
  if (t.revocation_date !== null) {
    throw new VerificationError(
      'transaction_revoked',
      `Transaction ${t.transaction_id} was revoked at ${new Date(t.revocation_date * 1000).toISOString()} (revocationReason ${t.revocation_reason ?? 'unknown'}: ` +
        `${t.revocation_reason === 1 ? 'refunded for an issue in the app' : t.revocation_reason === 0 ? 'refunded for another reason, or revoked from Family Sharing' : 'no reason given'}); withdraw what it unlocked.`,
    );
  }
}
