// verifyReceipt `status` values (Apple's "status" page for the legacy verifyReceipt endpoint,
// developer.apple.com/documentation/appstorereceipts/status) and the one place they become Shouyin
// errors. 0 and 21006 are answers; 21007 and 21008 are routing (receipt.ts retries the other
// environment); everything else is an error whose code names the cause and whose message says what
// to do.

import { ErrorType, ShouyinError, type AppleCode } from '../lib/errors';

export const RECEIPT_STATUS = {
  OK: 0,
  /** Apple: the request was not a POST, or its JSON could not be read. */
  BAD_JSON: 21000,
  /** No longer sent by the App Store. */
  NO_LONGER_SENT: 21001,
  /** receipt-data malformed or missing (newer docs: or a temporary issue). */
  MALFORMED: 21002,
  NOT_AUTHENTICATED: 21003,
  SHARED_SECRET_MISMATCH: 21004,
  SERVER_UNAVAILABLE: 21005,
  /** Valid, but the (iOS 6-style) subscription has expired; the receipt is still decoded. */
  SUBSCRIPTION_EXPIRED: 21006,
  /** A sandbox receipt sent to production: ask the sandbox. */
  SANDBOX_RECEIPT: 21007,
  /** A production receipt sent to the sandbox: ask production. */
  PRODUCTION_RECEIPT: 21008,
  INTERNAL_DATA_ACCESS: 21009,
  /** Apple: "could not be authorized" / "the user account cannot be found or has been deleted". */
  NOT_AUTHORIZED: 21010,
} as const;

/** 21100–21199: internal data access errors; `is-retryable` says whether trying again may help. */
export const isInternalStatus = (s: number): boolean => s >= 21100 && s <= 21199;

const receiptParam = 'receipt_data';

/** The error for a final, non-success status. `retryable` is Apple's `is-retryable` (21100–21199). */
export function receiptStatusError(status: number, retryable: boolean): ShouyinError {
  const provider = (code: AppleCode, msg: string) => new ShouyinError(ErrorType.provider, code, `${msg} (App Store status ${status}).`);
  switch (status) {
    case RECEIPT_STATUS.BAD_JSON:
      return provider(
        'apple_request_unreadable',
        'The App Store could not read the verifyReceipt request; if verify_receipt_url / sandbox_url are overridden, check that they point at a verifyReceipt endpoint',
      );
    case RECEIPT_STATUS.MALFORMED:
      return new ShouyinError(
        ErrorType.invalid_request,
        'receipt_malformed',
        `The App Store says receipt_data is malformed or missing (status ${status}). Send the base64 of the app receipt (the file at Bundle.main.appStoreReceiptURL) unchanged; Apple also uses this status for a passing fault, so one retry of a receipt you trust is reasonable.`,
        receiptParam,
      );
    case RECEIPT_STATUS.NOT_AUTHENTICATED:
      return new ShouyinError(
        ErrorType.invalid_request,
        'receipt_not_authenticated',
        `The App Store could not authenticate this receipt (status ${status}): it was not issued by Apple or was altered.`,
        receiptParam,
      );
    case RECEIPT_STATUS.SHARED_SECRET_MISMATCH:
      return new ShouyinError(
        ErrorType.configuration,
        'apple_shared_secret_mismatch',
        `The App Store says the shared secret does not match the one on file for this app (status ${status}): set apple.shared_secret to the app-specific shared secret from App Store Connect (needed for auto-renewable subscriptions).`,
      );
    case RECEIPT_STATUS.SERVER_UNAVAILABLE:
      return provider('apple_unavailable', 'The App Store receipt server is temporarily unable to answer; retry later');
    case RECEIPT_STATUS.INTERNAL_DATA_ACCESS:
      return provider('apple_unavailable', 'The App Store had an internal data access error; retry later');
    case RECEIPT_STATUS.NOT_AUTHORIZED:
      return new ShouyinError(
        ErrorType.invalid_request,
        'receipt_not_authorized',
        `The App Store could not authorize this receipt: the account cannot be found or was deleted (status ${status}). Treat it as if no purchase was made.`,
        receiptParam,
      );
    default:
      if (isInternalStatus(status)) {
        return retryable
          ? provider('apple_unavailable', 'The App Store had an internal error and marks it retryable (is-retryable); retry later')
          : provider('apple_internal_error', 'The App Store had an internal error it marks as not retryable (is-retryable false); do not retry this receipt');
      }
      return provider('apple_unknown_status', 'The App Store answered with a status Shouyin does not know');
  }
}
