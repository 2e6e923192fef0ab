// App Store Server Notifications V2: `{"signedPayload": JWS}` whose payload
// (ResponseBodyV2DecodedPayload) carries notificationType, subtype, notificationUUID, version,
// signedDate and `data` (bundleId, environment, signedTransactionInfo, signedRenewalInfo, …), or
// `summary` / `externalPurchaseToken` for the other kinds (Apple's SignedDataVerifier
// .verifyAndDecodeNotification). The outer JWS and each nested one are verified the same way.

import type { Certificate } from '../crypto/x509';
import { ErrorCode, ErrorType, ShouyinError, VerificationError } from '../lib/errors';
import type { AppleConfig, AppleEnvironment } from './config';
import { appleEnvironment, checkAppAndEnvironment, normalizeTransaction, type AppleTransaction } from './transaction';
import { verifyAppleJws } from './verify';

export interface AppleRenewalInfo {
  original_transaction_id: string | null;
  product_id: string | null;
  auto_renew_product_id: string | null;
  auto_renew_status: boolean;
  expiration_intent: number | null;
  is_in_billing_retry_period: boolean;
  grace_period_expires_date: number | null;
  renewal_date: number | null;
  signed_date: number;
}

export interface AppleNotification {
  object: 'apple.notification';
  livemode: boolean;
  notification_uuid: string;
  /** SUBSCRIBED, DID_RENEW, REFUND, ONE_TIME_CHARGE, TEST, … */
  notification_type: string;
  subtype: string | null;
  version: string | null;
  environment: AppleEnvironment;
  bundle_id: string;
  signed_date: number;
  /** data.status for subscriptions (1 active, 2 expired, 3 billing retry, 4 grace period, 5 revoked). */
  status: number | null;
  transaction: AppleTransaction | null;
  renewal_info: AppleRenewalInfo | null;
}

const invalid = (why: string) => new VerificationError('jws_payload_invalid', `The notification payload is not a ResponseBodyV2DecodedPayload: ${why}.`);

const obj = (v: unknown): Record<string, unknown> | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const secs = (v: unknown): number | null => (num(v) === null ? null : Math.floor((v as number) / 1000));

/**
 * Where bundleId, appAppleId and environment are: data, summary, or an external purchase token (whose
 * id starts SANDBOX in the sandbox).
 */
function appOf(p: Record<string, unknown>): { bundleId: unknown; appAppleId: unknown; environment: unknown } {
  const data = obj(p.data) ?? obj(p.summary);
  if (data) return { bundleId: data.bundleId, appAppleId: data.appAppleId, environment: data.environment };
  const ept = obj(p.externalPurchaseToken);
  if (ept) {
    const id = ept.externalPurchaseId;
    return { bundleId: ept.bundleId, appAppleId: ept.appAppleId, environment: typeof id === 'string' && id.startsWith('SANDBOX') ? 'Sandbox' : 'Production' };
  }
  throw invalid('it has none of data, summary or externalPurchaseToken');
}

function renewalInfo(p: Record<string, unknown>, signedDate: number): AppleRenewalInfo {
  return {
    original_transaction_id: str(p.originalTransactionId),
    product_id: str(p.productId),
    auto_renew_product_id: str(p.autoRenewProductId),
    auto_renew_status: p.autoRenewStatus === 1,
    expiration_intent: num(p.expirationIntent),
    is_in_billing_retry_period: p.isInBillingRetryPeriod === true,
    grace_period_expires_date: secs(p.gracePeriodExpiresDate),
    renewal_date: secs(p.renewalDate),
    signed_date: Math.floor(signedDate / 1000),
  };
}

/**
 * A Production notification names the app by its Apple ID too (`appAppleId`,
 * https://developer.apple.com/documentation/appstoreservernotifications/data: absent in the sandbox),
 * and Apple's App Store Server Library refuses one whose appAppleId is not the configured app's, and
 * cannot verify Production notifications at all without one configured. So does this.
 */
function checkAppAppleId(cfg: AppleConfig, appAppleId: unknown): void {
  if (cfg.app_apple_id === undefined) {
    throw new ShouyinError(
      ErrorType.configuration,
      ErrorCode.config.apple_app_apple_id_missing,
      "A Production App Store notification arrived and apple.app_apple_id is not configured: set it to the app's Apple ID (App Store Connect → App Information). Apple retries the notification.",
    );
  }
  if (appAppleId !== cfg.app_apple_id) {
    throw new VerificationError(
      'app_apple_id_mismatch',
      `The notification is for app Apple ID ${JSON.stringify(appAppleId ?? null)}, not this merchant's app (apple.app_apple_id ${cfg.app_apple_id}).`,
    );
  }
}

/** Verifies and decodes a signedPayload. Throws VerificationError. Revoked transactions are reported, not refused (REFUND is a notification). */
export async function verifyNotification(
  signedPayload: string,
  cfg: AppleConfig,
  roots: readonly Certificate[],
  livemode: boolean,
): Promise<AppleNotification> {
  const { payload: p, signedDate } = await verifyAppleJws(signedPayload, roots);
  const type = str(p.notificationType);
  const uuid = str(p.notificationUUID);
  if (!type) throw invalid('notificationType is missing');
  if (!uuid || !/^[0-9A-Za-z-]{1,64}$/.test(uuid)) throw invalid('notificationUUID is missing or not a UUID');
  const app = appOf(p);
  const environment = appleEnvironment(app.environment);
  checkAppAndEnvironment(cfg, app.bundleId, environment);
  if (environment === 'production') checkAppAppleId(cfg, app.appAppleId);

  const data = obj(p.data);
  let transaction: AppleTransaction | null = null;
  let renewal: AppleRenewalInfo | null = null;
  if (data && data.signedTransactionInfo !== undefined) {
    if (typeof data.signedTransactionInfo !== 'string') throw invalid('data.signedTransactionInfo is not a JWS');
    const inner = await verifyAppleJws(data.signedTransactionInfo, roots);
    transaction = normalizeTransaction(inner.payload, livemode);
    checkAppAndEnvironment(cfg, transaction.bundle_id, transaction.environment);
    if (transaction.environment !== environment)
      throw new VerificationError('environment_mismatch', 'The signed transaction is from another environment than its notification.');
  }
  if (data && data.signedRenewalInfo !== undefined) {
    if (typeof data.signedRenewalInfo !== 'string') throw invalid('data.signedRenewalInfo is not a JWS');
    const inner = await verifyAppleJws(data.signedRenewalInfo, roots);
    if (appleEnvironment(inner.payload.environment) !== environment) {
      throw new VerificationError('environment_mismatch', 'The signed renewal info is from another environment than its notification.');
    }
    renewal = renewalInfo(inner.payload, inner.signedDate);
  }
  return {
    object: 'apple.notification',
    livemode,
    notification_uuid: uuid,
    notification_type: type,
    subtype: str(p.subtype),
    version: str(p.version),
    environment,
    bundle_id: app.bundleId as string,
    signed_date: Math.floor(signedDate / 1000),
    status: num(data?.status),
    transaction,
    renewal_info: renewal,
  };
}
