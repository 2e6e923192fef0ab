// Apple In-App Purchase routes (docs/apple.md). Thin: validate → authenticate → verify → answer.
//   POST /v1/apple/receipts/verify      merchant API (secret key): legacy verifyReceipt
//   POST /v1/apple/transactions/verify  merchant API (secret key): StoreKit 2 signed transaction
//   POST /notify/apple/:merchant        App Store Server Notifications V2, recorded in the event log
// Mounted before the generic /v1 and /notify routers, so only this file's authentication runs here.

import { Hono } from 'hono';
import { type AppleNotification, verifyNotificationPayload, verifyReceiptData, verifyTransactionToken } from '../apple';
import type { AppleConfig } from '../apple/config';
import { COMPACT_JWS } from '../apple/jws';
import type { MerchantConfig } from '../config';
import { sha256Hex } from '../crypto/digest';
import { ErrorType, ShouyinError, VerificationError, errorDataResponse, invalid, type ErrorCode } from '../lib/errors';
import { outboundFetch } from '../lib/outbound';
import { merchantById, publicBaseUrl } from '../merchants';
import { eventLogFor, utcDay } from '../shards';
import { authenticateMerchant, parseJsonObject, readBody, type AppEnv } from './http';

/** Legacy receipts grow with every purchase; a megabyte holds years of them. */
export const MAX_RECEIPT_BODY = 1024 * 1024;
export const MAX_TRANSACTION_BODY = 64 * 1024;
/** A notification nests two JWS, each with its x5c chain: about 30 KB in practice. */
export const MAX_APPLE_NOTIFY_BODY = 256 * 1024;

export const appleRoutes = new Hono<AppEnv>();

appleRoutes.use('/v1/apple/*', async (c, next) => {
  c.set('merchant', await authenticateMerchant(c));
  await next();
});

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

function onlyParams(body: Record<string, unknown>, allowed: string[]): void {
  for (const k of Object.keys(body)) {
    if (!allowed.includes(k)) throw invalid(k, `Received unknown parameter: ${k}. This call takes ${allowed.join(', ')}.`, 'parameter_unknown');
  }
}

/** A failed check on something the caller sent: 400, naming the field and the check's code. */
function refused(e: unknown, param: string): never {
  if (e instanceof VerificationError) throw new ShouyinError(ErrorType.invalid_request, e.code, e.message, param);
  throw e;
}

appleRoutes.post('/v1/apple/receipts/verify', async (c) => {
  const merchant = c.get('merchant');
  const body = parseJsonObject(await readBody(c.req.raw, MAX_RECEIPT_BODY));
  onlyParams(body, ['receipt_data', 'exclude_old_transactions']);
  const raw = body.receipt_data;
  if (raw === undefined) throw invalid('receipt_data', 'Missing required param: receipt_data (the base64 app receipt).', 'parameter_missing');
  if (typeof raw !== 'string') throw invalid('receipt_data', 'receipt_data must be a string: the base64 of the app receipt.');
  // Line-wrapped base64 (lineLength64Characters) is fine; anything else is not a receipt.
  const receipt = raw.replace(/[\r\n]+/g, '');
  if (receipt.includes(' ')) {
    throw invalid(
      'receipt_data',
      'receipt_data contains spaces: if it went through a form or URL decoder, its "+" characters became spaces. Send the base64 unchanged.',
    );
  }
  if (receipt.length === 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(receipt) || receipt.replace(/=+$/, '').length % 4 === 1) {
    throw invalid('receipt_data', 'receipt_data must be standard base64 (A–Z, a–z, 0–9, +, /, = padding): the app receipt as the device encoded it.');
  }
  const exclude = body.exclude_old_transactions;
  if (exclude !== undefined && typeof exclude !== 'boolean') throw invalid('exclude_old_transactions', 'exclude_old_transactions must be true or false.');
  const base = publicBaseUrl(c.env);
  try {
    return c.json(await verifyReceiptData(base, merchant, appleOf(merchant), outboundFetch(base), receipt, exclude));
  } catch (e) {
    refused(e, 'receipt_data');
  }
});

appleRoutes.post('/v1/apple/transactions/verify', async (c) => {
  const merchant = c.get('merchant');
  const body = parseJsonObject(await readBody(c.req.raw, MAX_TRANSACTION_BODY));
  onlyParams(body, ['signed_transaction']);
  const token = body.signed_transaction;
  if (token === undefined) {
    throw invalid(
      'signed_transaction',
      'Missing required param: signed_transaction (a StoreKit 2 jwsRepresentation or the App Store Server API signedTransactionInfo).',
      'parameter_missing',
    );
  }
  if (typeof token !== 'string' || !COMPACT_JWS.test(token)) {
    throw invalid('signed_transaction', 'signed_transaction must be a compact JWS: three base64url parts separated by dots.');
  }
  try {
    return c.json(await verifyTransactionToken(merchant, appleOf(merchant), token));
  } catch (e) {
    refused(e, 'signed_transaction');
  }
});

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
    if (e instanceof ShouyinError) return notifyError(ErrorType.invalid_request, 'body_too_large', e.message);
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
    await eventLogFor(c.env, merchant.id, utcDay(created)).appendEvent(merchant.id, {
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
