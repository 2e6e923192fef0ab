// Apple In-App Purchase routes (docs/apple.md). Thin: validate → authenticate → verify → answer.
//   POST /v1/apple/receipts/verify      merchant API (secret key): legacy verifyReceipt
//   POST /v1/apple/transactions/verify  merchant API (secret key): StoreKit 2 signed transaction
//   POST /notify/apple/:merchant        App Store Server Notifications V2: recorded in the event log
//                                       and sent to the merchant as `apple.notification` webhooks
// The notify route is mounted before the generic /notify router, so only the JWS authenticates it.

import { createRoute } from '@hono/zod-openapi';
import { Hono } from 'hono';
import { apiApp, defineRoute, type z } from '../api/openapi';
import { AppleReceipt, AppleTransaction, VerifyReceiptBody, VerifyTransactionBody } from '../api/schemas/apple';
import { BODY, INTERNAL, MERCHANT_AUTH, errors, secretKeyAuth } from '../api/schemas/common';
import { type AppleNotification, verifyNotificationPayload, verifyReceiptData, verifyTransactionToken } from '../apple';
import type { AppleConfig } from '../apple/config';
import type { MerchantConfig } from '../config';
import { sha256Hex } from '../crypto/digest';
import { ErrorType, ShouyinError, VerificationError, errorDataResponse, type ErrorCode } from '../lib/errors';
import { outboundFetch } from '../lib/outbound';
import { merchantById, publicBaseUrl } from '../merchants';
import { eventLogFor, utcDay } from '../shards';
import { readBody, type AppEnv } from './http';

/** Legacy receipts grow with every purchase; a megabyte holds years of them. */
export const MAX_RECEIPT_BODY = 1024 * 1024;
export const MAX_TRANSACTION_BODY = 64 * 1024;
/** A notification nests two JWS, each with its x5c chain: about 30 KB in practice. */
export const MAX_APPLE_NOTIFY_BODY = 256 * 1024;

/** `/v1/apple/…`: mounted in the merchant routes (merchant.ts), behind whatever authenticates them. */
export const appleMerchantRoutes = apiApp();
/** Apple's own calls (`/notify/apple/:merchant`): authenticated by the JWS, not by a key. */
export const appleRoutes = new Hono<AppEnv>();

function appleOf(merchant: MerchantConfig): AppleConfig {
  if (!merchant.apple) {
    throw new ShouyinError(
      ErrorType.invalid_request,
      'apple_not_configured',
      `Merchant ${merchant.id} has no apple section in SHOUYIN_CONFIG (bundle_id, and root_certificates for live merchants); see docs/apple.md.`,
    );
  }
  return merchant.apple;
}

/** A failed check on something the caller sent: 400, naming the field and the check's code. */
function refused(e: unknown, param: string): never {
  if (e instanceof VerificationError) throw new ShouyinError(ErrorType.invalid_request, e.code, e.message, param);
  throw e;
}

const json = <S extends z.ZodType>(schema: S, description: string) => ({ description, content: { 'application/json': { schema } } });
/** What a refused receipt or transaction answers: the check's code, naming the field. */
const CHECKS: ErrorCode[] = [
  'jws_malformed',
  'jws_signature_invalid',
  'jws_chain_untrusted',
  'bundle_id_mismatch',
  'environment_mismatch',
  'transaction_revoked',
];

defineRoute(
  appleMerchantRoutes,
  createRoute({
    method: 'post',
    path: '/receipts/verify',
    operationId: 'verifyAppleReceipt',
    tags: ['Apple In-App Purchase'],
    summary: 'Verify a legacy app receipt (verifyReceipt)',
    description: 'Only reads and checks: no Idempotency-Key needed (docs/apple.md).',
    security: secretKeyAuth,
    bodyLimit: MAX_RECEIPT_BODY,
    request: { body: { content: { 'application/json': { schema: VerifyReceiptBody } }, required: true } },
    responses: {
      200: json(AppleReceipt, 'The verified receipt.'),
      ...errors({
        400: [
          ...BODY,
          'apple_not_configured',
          'receipt_malformed',
          'receipt_not_authenticated',
          'receipt_not_authorized',
          'bundle_id_mismatch',
          'environment_mismatch',
        ],
        401: MERCHANT_AUTH,
        413: ['body_too_large'],
        500: [...INTERNAL, 'apple_roots_missing', 'apple_shared_secret_mismatch'],
        502: [
          'apple_unavailable',
          'apple_unreachable',
          'apple_bad_response',
          'apple_environment_conflict',
          'apple_internal_error',
          'apple_request_unreadable',
          'apple_unknown_status',
        ],
      }),
    },
  }),
  async (c) => {
    const merchant = c.get('merchant');
    const { receipt_data: receipt, exclude_old_transactions: exclude } = c.req.valid('json');
    const base = publicBaseUrl(c.env);
    try {
      return c.json(await verifyReceiptData(base, merchant, appleOf(merchant), outboundFetch(base), receipt, exclude));
    } catch (e) {
      refused(e, 'receipt_data');
    }
  },
);

defineRoute(
  appleMerchantRoutes,
  createRoute({
    method: 'post',
    path: '/transactions/verify',
    operationId: 'verifyAppleTransaction',
    tags: ['Apple In-App Purchase'],
    summary: 'Verify a StoreKit 2 signed transaction',
    description: "Checks the JWS chain to Apple's root, the signature, the app, the environment and revocation. Only reads and checks.",
    security: secretKeyAuth,
    bodyLimit: MAX_TRANSACTION_BODY,
    request: { body: { content: { 'application/json': { schema: VerifyTransactionBody } }, required: true } },
    responses: {
      200: json(AppleTransaction, 'The verified transaction.'),
      ...errors({
        400: [...BODY, 'apple_not_configured', ...CHECKS],
        401: MERCHANT_AUTH,
        413: ['body_too_large'],
        500: [...INTERNAL, 'apple_roots_missing'],
      }),
    },
  }),
  async (c) => {
    const merchant = c.get('merchant');
    try {
      return c.json(await verifyTransactionToken(merchant, appleOf(merchant), c.req.valid('json').signed_transaction));
    } catch (e) {
      refused(e, 'signed_transaction');
    }
  },
);

// ── App Store Server Notifications V2 ───────────────────────────────────────────────────────────

/** Apple reads only the status; the body says why, for whoever looks at the delivery log. */
const notifyError = (type: ErrorType, code: ErrorCode, message: string): Response => errorDataResponse({ type, code, message });

/**
 * Apple retries any answer but 200 (on a schedule of days), so 200 is sent only once the
 * notification is stored. The event id derives from notificationUUID and the log's day from
 * signedDate, so a retried notification lands on the same row and is stored once.
 */
appleRoutes.post('/notify/apple/:merchant', async (c) => {
  const merchant = await merchantById(c.env, c.req.param('merchant'));
  if (!merchant?.apple) return notifyError(ErrorType.invalid_request, 'unknown_notify_endpoint', 'No merchant with an apple section has this id.');
  let text: string;
  try {
    text = await readBody(c.req.raw, MAX_APPLE_NOTIFY_BODY);
  } catch (e) {
    if (e instanceof ShouyinError) return errorDataResponse(e.toData());
    throw e;
  }
  let signedPayload: unknown;
  try {
    signedPayload = (JSON.parse(text) as { signedPayload?: unknown }).signedPayload;
  } catch {
    return notifyError(ErrorType.invalid_request, 'invalid_json', 'The body must be {"signedPayload": "<JWS>"}.');
  }
  if (typeof signedPayload !== 'string') return notifyError(ErrorType.invalid_request, 'parameter_missing', 'The body must be {"signedPayload": "<JWS>"}.');

  let notification: AppleNotification;
  try {
    notification = await verifyNotificationPayload(merchant, merchant.apple, signedPayload);
  } catch (e) {
    if (e instanceof VerificationError) {
      console.info(`apple notify rejected (${merchant.id}): ${e.code}`);
      return notifyError(ErrorType.authentication, e.code, `verification failed: ${e.message}`);
    }
    throw e;
  }
  const created = notification.signed_date * 1000;
  const id = `evt_${(await sha256Hex(`apple:${merchant.id}:${notification.notification_uuid}`)).slice(0, 24)}`;
  const event = { id, type: 'apple.notification', created: notification.signed_date, livemode: merchant.livemode, data: { object: notification } };
  try {
    // Stored, and queued as the `apple.notification` webhook, in one step: Apple's 200 means both.
    await eventLogFor(c.env, merchant.id, utcDay(created)).recordMerchantEvent(merchant.id, {
      id,
      type: event.type,
      created,
      session: '',
      body: JSON.stringify(event),
    });
  } catch (e) {
    console.error(`apple notify ${notification.notification_uuid} not stored: ${e instanceof Error ? e.message : String(e)}`);
    return notifyError(ErrorType.api, 'not_stored', 'Temporarily unable to store the notification; Apple will retry.');
  }
  return c.body(null, 200);
});
