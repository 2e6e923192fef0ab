// Apple In-App Purchase verification, as the routes use it (docs/apple.md): a StoreKit 2 signed
// transaction, a legacy app receipt, or an App Store Server Notification V2 for one merchant.

import type { MerchantConfig } from '../config';
import type { AppleConfig } from './config';
import { verifyNotification, type AppleNotification } from './notification';
import { receiptEndpoints, verifyReceipt, type AppleReceipt } from './receipt';
import { checkAppAndEnvironment, checkNotRevoked, normalizeTransaction, type AppleTransaction } from './transaction';
import { rootsFor } from './trust';
import { verifyAppleJws } from './verify';

export type { AppleConfig } from './config';
export type { AppleNotification } from './notification';
export type { AppleReceipt } from './receipt';
export type { AppleTransaction } from './transaction';

/** Chain, signature, app, environment and revocation checks on a StoreKit 2 `signedTransactionInfo`. Throws VerificationError. */
export async function verifyTransactionToken(merchant: MerchantConfig, cfg: AppleConfig, token: string): Promise<AppleTransaction> {
  const { payload } = await verifyAppleJws(token, await rootsFor(merchant, cfg));
  const t = normalizeTransaction(payload, merchant.livemode);
  checkAppAndEnvironment(cfg, t.bundle_id, t.environment);
  checkNotRevoked(t);
  return t;
}

export async function verifyReceiptData(
  publicBaseUrl: string,
  merchant: MerchantConfig,
  cfg: AppleConfig,
  fetch: (r: Request) => Promise<Response>,
  receiptData: string,
  excludeOldTransactions?: boolean,
): Promise<AppleReceipt> {
  const endpoints = receiptEndpoints(cfg, merchant.livemode, publicBaseUrl);
  return verifyReceipt({ cfg, livemode: merchant.livemode, endpoints, fetch }, receiptData, excludeOldTransactions);
}

export async function verifyNotificationPayload(merchant: MerchantConfig, cfg: AppleConfig, signedPayload: string): Promise<AppleNotification> {
  return verifyNotification(signedPayload, cfg, await rootsFor(merchant, cfg), merchant.livemode);
}
