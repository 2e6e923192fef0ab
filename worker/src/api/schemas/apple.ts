// Apple In-App Purchase on the wire (docs/apple.md): the two verify calls and what they answer, and
// the App Store Server Notification that `apple.notification` events carry.

import type { AppleNotification as AppleNotificationType, AppleReceipt as AppleReceiptType, AppleTransaction as AppleTransactionType } from '../../apple';
import { COMPACT_JWS } from '../../apple/jws';
import { required, z } from '../openapi';
import { orNull, Timestamp } from './common';

const RECEIPT_BASE64 = 'receipt_data must be standard base64 (A–Z, a–z, 0–9, +, /, = padding): the app receipt as the device encoded it.';

/** A receipt as the device encoded it; line-wrapped base64 (lineLength64Characters) is fine. */
function receiptProblem(raw: string): string | null {
  const receipt = raw.replace(/[\r\n]+/g, '');
  if (receipt.includes(' ')) {
    return 'receipt_data contains spaces: if it went through a form or URL decoder, its "+" characters became spaces. Send the base64 unchanged.';
  }
  if (receipt.length === 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(receipt) || receipt.replace(/=+$/, '').length % 4 === 1) return RECEIPT_BASE64;
  return null;
}

export const VerifyReceiptBody = z
  .strictObject(
    {
      receipt_data: z
        .string({ error: required('receipt_data (the base64 app receipt).', 'receipt_data must be a string: the base64 of the app receipt.') })
        .superRefine((v, ctx) => {
          const problem = receiptProblem(v);
          if (problem) ctx.addIssue({ code: 'custom', message: problem });
        })
        .transform((v) => v.replace(/[\r\n]+/g, ''))
        .openapi({
          description: 'The base64 app receipt (`appStoreReceiptURL`), unchanged.',
          example: 'MIIT8QYJKoZIhvcNAQcCoIIT4jCCE94CAQExCzAJBgUrDgMCGgUAMIID…',
        }),
      exclude_old_transactions: z
        .boolean({ error: 'exclude_old_transactions must be true or false.' })
        .optional()
        .openapi({ description: "Apple's `exclude-old-transactions`: only the latest renewal of each subscription." }),
    },
    { error: (iss) => (iss.code === 'unrecognized_keys' ? 'This call takes receipt_data, exclude_old_transactions.' : undefined) },
  )
  .openapi('VerifyAppleReceipt');

export const VerifyTransactionBody = z
  .strictObject(
    {
      signed_transaction: z
        .string({
          error: required(
            'signed_transaction (a StoreKit 2 jwsRepresentation or the App Store Server API signedTransactionInfo).',
            'signed_transaction must be a compact JWS: three base64url parts separated by dots.',
          ),
        })
        .regex(COMPACT_JWS, { error: 'signed_transaction must be a compact JWS: three base64url parts separated by dots.' })
        .openapi({ description: 'A StoreKit 2 `jwsRepresentation`, or the App Store Server API `signedTransactionInfo`.' }),
    },
    { error: (iss) => (iss.code === 'unrecognized_keys' ? 'This call takes signed_transaction.' : undefined) },
  )
  .openapi('VerifyAppleTransaction');

const AppleEnvironment = z.enum(['production', 'sandbox']);

export const AppleTransaction = z
  .object({
    object: z.literal('apple.transaction'),
    livemode: z.boolean(),
    environment: AppleEnvironment,
    bundle_id: z.string(),
    product_id: z.string(),
    transaction_id: z.string(),
    original_transaction_id: z.string().nullable(),
    web_order_line_item_id: z.string().nullable(),
    type: z.string().nullable().openapi({ description: '`Consumable`, `Non-Consumable`, `Auto-Renewable Subscription`, `Non-Renewing Subscription`.' }),
    quantity: z.number().int(),
    purchase_date: Timestamp,
    original_purchase_date: Timestamp.nullable(),
    expires_date: Timestamp.nullable(),
    subscription_group_identifier: z.string().nullable(),
    revocation_date: Timestamp.nullable(),
    revocation_reason: z.number().int().nullable(),
    in_app_ownership_type: z.string().nullable(),
    transaction_reason: z.string().nullable(),
    app_account_token: z.string().nullable(),
    storefront: z.string().nullable(),
    currency: z.string().nullable(),
    price: z.number().nullable().openapi({ description: "In milliunits of `currency` (Apple's unit: 9990 = 9.99)." }),
    is_upgraded: z.boolean(),
    offer_type: z.number().int().nullable(),
    offer_identifier: z.string().nullable(),
    signed_date: Timestamp,
  })
  .openapi('AppleTransaction') satisfies z.ZodType<AppleTransactionType>;

const ReceiptPurchase = z.object({
  product_id: z.string().nullable(),
  quantity: z.number().int(),
  transaction_id: z.string().nullable(),
  original_transaction_id: z.string().nullable(),
  purchase_date: Timestamp.nullable(),
  original_purchase_date: Timestamp.nullable(),
  expires_date: Timestamp.nullable(),
  cancellation_date: Timestamp.nullable(),
  cancellation_reason: z.string().nullable(),
  is_trial_period: z.boolean(),
  is_in_intro_offer_period: z.boolean(),
  web_order_line_item_id: z.string().nullable(),
  subscription_group_identifier: z.string().nullable(),
  in_app_ownership_type: z.string().nullable(),
  app_account_token: z.string().nullable(),
});

export const AppleReceipt = z
  .object({
    object: z.literal('apple.receipt'),
    livemode: z.boolean(),
    environment: AppleEnvironment.openapi({ description: 'The environment whose verifyReceipt accepted the receipt.' }),
    apple_status: z.union([z.literal(0), z.literal(21006)]).openapi({ description: '0, or 21006: valid, but its subscription has expired.' }),
    subscription_expired: z.boolean(),
    bundle_id: z.string(),
    application_version: z.string().nullable(),
    original_application_version: z.string().nullable(),
    receipt_creation_date: Timestamp.nullable(),
    in_app: z.array(ReceiptPurchase),
    latest_receipt_info: z.array(ReceiptPurchase),
    pending_renewal_info: z.array(
      z.object({
        product_id: z.string().nullable(),
        auto_renew_product_id: z.string().nullable(),
        original_transaction_id: z.string().nullable(),
        auto_renew_status: z.boolean(),
        expiration_intent: z.number().int().nullable(),
        is_in_billing_retry_period: z.boolean(),
        grace_period_expires_date: Timestamp.nullable(),
      }),
    ),
    latest_receipt: z.string().nullable(),
  })
  .openapi('AppleReceipt') satisfies z.ZodType<AppleReceiptType>;

export const AppleNotification = z
  .object({
    object: z.literal('apple.notification'),
    livemode: z.boolean(),
    notification_uuid: z.string(),
    notification_type: z.string().openapi({
      description: "Apple's notificationType: `SUBSCRIBED`, `DID_RENEW`, `DID_CHANGE_RENEWAL_STATUS`, `EXPIRED`, `REFUND`, `ONE_TIME_CHARGE`, `TEST`, …",
      example: 'DID_RENEW',
    }),
    subtype: z.string().nullable(),
    version: z.string().nullable(),
    environment: AppleEnvironment,
    bundle_id: z.string(),
    signed_date: Timestamp,
    status: z.number().int().nullable().openapi({ description: 'Subscriptions: 1 active, 2 expired, 3 billing retry, 4 grace period, 5 revoked.' }),
    transaction: orNull(AppleTransaction),
    renewal_info: z
      .object({
        original_transaction_id: z.string().nullable(),
        product_id: z.string().nullable(),
        auto_renew_product_id: z.string().nullable(),
        auto_renew_status: z.boolean(),
        expiration_intent: z.number().int().nullable(),
        is_in_billing_retry_period: z.boolean(),
        grace_period_expires_date: Timestamp.nullable(),
        renewal_date: Timestamp.nullable(),
        signed_date: Timestamp,
      })
      .nullable(),
  })
  .openapi('AppleNotification') satisfies z.ZodType<AppleNotificationType>;
