// Checkout sessions on the wire: what `POST /v1/checkout/sessions` takes (strictly: every refusal
// names the field), the session object, attempts and their next actions, payment-code charges.
// The checks that depend on the merchant (its configured channels, its allowed_origins, test or
// live mode) run after the schema, in sessionParamsFor.

import type { MerchantConfig } from '../../config';
import type {
  AttemptResponse,
  Channel as ChannelName,
  NextAction as NextActionType,
  PublicAttempt as PublicAttemptType,
  QrMatrix as QrMatrixType,
} from '../../contract';
import { CHANNELS, FLOWS } from '../../contract';
import { invalid } from '../../lib/errors';
import { configuredChannels } from '../../providers/registry';
import { channelOfPaymentCode } from '../../session/payment-code';
import type { BarcodePaymentView, MerchantPayment, MerchantSession } from '../../session/views';
import { required, z } from '../openapi';
import { orNull, Channel, Flow, Timestamp } from './common';
import { Refund } from './refunds';

/** ¥100,000,000.00: Alipay's ceiling, and far above WeChat's per-order limits. */
export const MAX_AMOUNT = 10_000_000_000;

const AMOUNT_FEN = 'amount must be an integer number of fen (¥88.88 is 8888); floats and strings are refused.';
const AMOUNT_RANGE = `amount must be between 1 and ${MAX_AMOUNT} fen.`;
const DESCRIPTION = 'description must be a non-empty string.';
const ORDER_ID = 'merchant_order_id must be 1–32 characters of letters, digits, _ or -.';
const CHANNEL_LIST = `channels must be a non-empty array of ${CHANNELS.map((c) => `"${c}"`).join(', ')}.`;
const EXPIRES_IN = 'expires_in must be an integer number of seconds between 60 and 7200.';
const pageUrl = (field: string): string => `${field} must be an absolute https URL of at most 2048 characters.`;
const RETURN_URL = pageUrl('return_url');
const CANCEL_URL = pageUrl('cancel_url');
const METADATA = 'metadata must be an object of string keys and string values.';

const characters = (s: string): number => [...s].length;

/** An absolute http(s) URL: the scheme and origin rules that depend on the merchant come later. */
function httpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return u.protocol === 'https:' || u.protocol === 'http:';
  } catch {
    return false;
  }
}

export const CreateSessionBody = z
  .strictObject({
    amount: z
      .number({ error: required('amount (integer, in fen).', AMOUNT_FEN) })
      .int({ error: AMOUNT_FEN })
      .min(1, { error: AMOUNT_RANGE })
      .max(MAX_AMOUNT, { error: AMOUNT_RANGE })
      .openapi({ description: "Integer fen (分): ¥88.88 is 8888. The amount is only ever the server's.", example: 8888 }),
    currency: z
      .literal('CNY', { error: required('currency ("CNY").', (v) => `currency must be "CNY"; these channels settle in renminbi (got ${JSON.stringify(v)}).`) })
      .openapi({ description: 'Always `CNY`: these channels settle in renminbi.' }),
    description: z
      .string({ error: required('description.', DESCRIPTION) })
      .refine((s) => s.trim() !== '', { error: DESCRIPTION })
      // WeChat Pay's description is at most 127 characters.
      .refine((s) => characters(s) <= 127, { error: 'description must be at most 127 characters.' })
      // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what this refuses
      .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), { error: 'description must not contain control characters.' })
      .openapi({
        description: 'What the shopper sees in the wallet: 1–127 characters (not bytes), no control characters.',
        minLength: 1,
        maxLength: 127,
        example: '测试商品 Test item',
      }),
    merchant_order_id: z
      .string({ error: required('merchant_order_id.', ORDER_ID) })
      .regex(/^[A-Za-z0-9_-]{1,32}$/, { error: ORDER_ID })
      .openapi({ description: 'Your order number: unique among your open and paid sessions.', example: 'T20240101001' }),
    channels: z
      .array(Channel, { error: CHANNEL_LIST })
      .min(1, { error: CHANNEL_LIST })
      .refine((cs) => new Set(cs).size === cs.length, { error: 'channels must not repeat a channel.' })
      .optional()
      .openapi({ description: 'The channels offered, in order (default: every channel configured for the merchant).', uniqueItems: true }),
    expires_in: z
      .number({ error: EXPIRES_IN })
      .int({ error: EXPIRES_IN })
      .min(60, { error: EXPIRES_IN })
      .max(7200, { error: EXPIRES_IN })
      .optional()
      .openapi({ description: 'Seconds until the session expires (default 900).', default: 900, example: 900 }),
    return_url: z.string({ error: RETURN_URL }).max(2048, { error: RETURN_URL }).refine(httpUrl, { error: RETURN_URL }).nullable().optional().openapi({
      description:
        "Where `/return/{id}` sends the shopper after paying: an https URL on one of the merchant's `allowed_origins` (http://localhost and http://127.0.0.1 too in test mode). `{CHECKOUT_SESSION_ID}` is replaced by the session id, `{LOCALE}` by the shopper's language (`zh-CN`, `zh-TW` or `en`).",
      example: 'https://shop.example.com/orders/{CHECKOUT_SESSION_ID}',
    }),
    cancel_url: z.string({ error: CANCEL_URL }).max(2048, { error: CANCEL_URL }).refine(httpUrl, { error: CANCEL_URL }).nullable().optional().openapi({
      description:
        "Where the shopper goes back to without paying: the hosted page's back link, and the way out of a session that expired or was canceled (docs/hosted-checkout.md). The same rules and placeholders as `return_url`.",
      example: 'https://shop.example.com/cart?lang={LOCALE}',
    }),
    metadata: z
      .record(z.string(), z.string({ error: 'metadata values must be strings of at most 500 characters.' }), {
        error: (iss) => (iss.code === 'invalid_key' ? 'metadata keys must be 1–40 characters.' : METADATA),
      })
      .superRefine((m, ctx) => {
        const entries = Object.entries(m);
        if (entries.length > 20) ctx.addIssue({ code: 'custom', message: 'metadata may hold at most 20 keys.' });
        for (const [k, v] of entries) {
          if (k.length === 0 || k.length > 40) ctx.addIssue({ code: 'custom', path: [k], message: 'metadata keys must be 1–40 characters.' });
          else if (v.length > 500) ctx.addIssue({ code: 'custom', path: [k], message: `metadata.${k} must be a string of at most 500 characters.` });
        }
      })
      .optional()
      .openapi({
        description: 'Up to 20 keys of 1–40 characters, string values of up to 500; returned as given, never interpreted.',
        maxProperties: 20,
        example: { cart: '42' },
      }),
  })
  .openapi('CreateCheckoutSession');

export type CreateSessionBody = z.infer<typeof CreateSessionBody>;

export interface CreateSessionParams {
  amount: number;
  currency: 'CNY';
  description: string;
  merchant_order_id: string;
  channels: ChannelName[];
  expires_in: number;
  return_url: string | null;
  /** Where the shopper goes back to without paying (the hosted page's back link, the widget's end states). */
  cancel_url: string | null;
  metadata: Record<string, string>;
}

/**
 * The merchant's own rules on a valid body, and the defaults: channels it has configured, a
 * return_url and cancel_url on its allowed_origins (http on loopback in test mode only). Throws a
 * field-named 400.
 */
export function sessionParamsFor(body: CreateSessionBody, merchant: MerchantConfig): CreateSessionParams {
  const available = configuredChannels(merchant);
  const channels = body.channels ?? available;
  channels.forEach((ch, i) => {
    if (!available.includes(ch)) {
      throw invalid(`channels[${i}]`, `The channel '${ch}' is not configured for this merchant (configured: ${available.join(', ')}).`);
    }
  });

  const returnUrl = merchantPage('return_url', body.return_url, merchant);
  const cancelUrl = merchantPage('cancel_url', body.cancel_url, merchant);

  return {
    amount: body.amount,
    currency: 'CNY',
    description: body.description,
    merchant_order_id: body.merchant_order_id,
    channels,
    expires_in: body.expires_in ?? 900,
    return_url: returnUrl,
    cancel_url: cancelUrl,
    metadata: body.metadata ?? {},
  };
}

/**
 * `return_url` / `cancel_url` past the schema (an absolute http(s) URL): a page of the merchant's, or
 * null when not given. Every error names `field`. The placeholders `{CHECKOUT_SESSION_ID}` and
 * `{LOCALE}` are kept as given, filled in when the shopper is sent there (docs/merchant-api.md).
 */
function merchantPage(field: 'return_url' | 'cancel_url', r: string | null | undefined, merchant: MerchantConfig): string | null {
  if (r === undefined || r === null) return null;
  const u = new URL(r);
  // Test mode also takes http://localhost and http://127.0.0.1, for development servers.
  const local = !merchant.livemode && u.protocol === 'http:' && (u.hostname === 'localhost' || u.hostname === '127.0.0.1');
  if (u.protocol !== 'https:' && !local) {
    throw invalid(field, `${field} must be an absolute https URL${merchant.livemode ? '' : ' (or http://localhost / http://127.0.0.1 in test mode)'}.`);
  }
  // Shouyin sends anyone who has a session's link there, from the payment domain: only the merchant's
  // own pages (the origins its widget runs on) may be the target, never an open redirect. The origin
  // is checked as given and with the placeholders filled in (a session id is letters, digits and _; a
  // locale letters and -), so the URL the shopper is sent to has the same origin.
  const filled = r.replaceAll('{CHECKOUT_SESSION_ID}', 'cs_0').replaceAll('{LOCALE}', 'zh-TW');
  if (!merchant.allowed_origins.includes(u.origin) || !httpUrl(filled) || new URL(filled).origin !== u.origin) {
    const listed = merchant.allowed_origins.length > 0 ? merchant.allowed_origins.join(', ') : 'none';
    throw invalid(
      field,
      `${field} must be on one of this merchant's allowed_origins (origin ${u.origin} is not; allowed_origins: ${listed}). Add the origin to allowed_origins in the configuration, or use a page on a listed one.`,
    );
  }
  return r;
}

// ── the session object ─────────────────────────────────────────────────────────────────────────

export const Payment = z
  .object({
    attempt: z.string().openapi({ description: 'The provider order number that was paid.' }),
    channel: Channel,
    provider: z.string().openapi({ example: 'wechat-v3' }),
    provider_transaction_id: z
      .string()
      .nullable()
      .openapi({ description: "The provider's transaction id (WeChat transaction_id, Alipay trade_no, UnionPay queryId)." }),
    amount: z.number().int().openapi({ description: 'Integer fen.' }),
    currency: z.literal('CNY'),
    paid_at: Timestamp.nullable(),
  })
  .openapi('Payment') satisfies z.ZodType<MerchantPayment>;

export const SessionStatus = z.enum(['open', 'paid', 'expired', 'canceled']).openapi('SessionStatus');

export const CheckoutSession = z
  .object({
    id: z.string().openapi({ example: 'cs_4sV0yIuR0mYqKcEo5JmZ2b7Q' }),
    object: z.literal('checkout.session'),
    status: SessionStatus,
    amount: z.number().int().openapi({ description: 'Integer fen.' }),
    amount_refunded: z.number().int().openapi({ description: 'Fen of merchant refunds that succeeded.' }),
    currency: z.literal('CNY'),
    description: z.string(),
    merchant_order_id: z.string(),
    channels: z.array(Channel),
    client_secret: z.string().openapi({
      description: "Give this to the shopper's page (the widget's `client-secret`); it grants the client API for this one session, nothing else.",
      example: 'cs_4sV0yIuR0mYqKcEo5JmZ2b7Q_secret_9dXgk2Qm1r8b0TnYc3vLwZ5e',
    }),
    expires_at: Timestamp,
    created: Timestamp,
    livemode: z.boolean(),
    return_url: z.string().nullable().openapi({ description: 'As given at creation, placeholders and all.' }),
    cancel_url: z.string().nullable().openapi({ description: 'As given at creation, placeholders and all.' }),
    url: z.string().openapi({
      description:
        'The hosted checkout page for this session (docs/hosted-checkout.md): redirect the shopper here instead of embedding the widget. The client secret rides in the fragment, which browsers never send.',
      example: 'https://pay.example.com/pay/cs_4sV0yIuR0mYqKcEo5JmZ2b7Q#cs_4sV0yIuR0mYqKcEo5JmZ2b7Q_secret_9dXgk2Qm1r8b0TnYc3vLwZ5e',
    }),
    metadata: z.record(z.string(), z.string()),
    payment: orNull(Payment),
    refunds: z.array(Refund),
  })
  .openapi('CheckoutSession') satisfies z.ZodType<MerchantSession>;

// ── attempts ───────────────────────────────────────────────────────────────────────────────────

const FLOW_LIST = `flow must be one of ${FLOWS.join(', ')}.`;

export const AttemptBody = z
  .strictObject(
    {
      channel: z
        .enum(CHANNELS, { error: required('channel.', `channel must be one of ${CHANNELS.join(', ')}.`) })
        .openapi({ description: 'The channel to pay with.' }),
      flow: z
        .enum(FLOWS, { error: FLOW_LIST })
        .refine((f) => f !== 'barcode', {
          error: 'A payment code is charged with POST /v1/checkout/sessions/:id/barcode {"auth_code"} (secret key), not as an attempt.',
        })
        .optional()
        .openapi({ description: 'How to pay (default `qr`). `barcode` is not an attempt: see the barcode call.', default: 'qr' }),
    },
    // The amount is the server's; whoever tries to send one is told so.
    { error: (iss) => (iss.code === 'unrecognized_keys' ? 'An attempt takes only channel and flow.' : undefined) },
  )
  .openapi('CreateAttempt');

export const QrMatrix = z
  .object({
    size: z.number().int().min(21).max(177).openapi({ description: 'Modules per side (21 for version 1 … 177 for version 40).', example: 29 }),
    bits: z.string().openapi({
      description:
        'The `size` × `size` modules row by row from the top-left, eight to a byte, most significant bit first, 1 = dark, the last byte zero-padded, as standard base64. No quiet zone: the drawing adds four modules of white around it.',
    }),
  })
  .openapi('QrMatrix', {
    description: '`data` encoded as a QR code (error correction M) by the Worker, so a page only draws it (docs/widget.md). Every `display_qr` carries it.',
  }) satisfies z.ZodType<QrMatrixType>;

export const NextAction = z
  .discriminatedUnion('type', [
    z.object({
      type: z.literal('display_qr'),
      data: z.string().openapi({ description: 'The text to encode in the QR code (e.g. `weixin://wxpay/bizpayurl?pr=…`).' }),
      expires_at: z.string().openapi({ description: 'ISO 8601: when this QR stops being payable.', format: 'date-time' }),
      sandbox_wallet_url: z.string().optional().openapi({ description: 'Test mode only: the sandbox wallet page a person opens instead of scanning.' }),
      qr: QrMatrix,
    }),
    z.object({ type: z.literal('redirect'), url: z.string() }),
    z.object({ type: z.literal('form_post'), url: z.string(), fields: z.record(z.string(), z.string()) }),
    z.object({ type: z.literal('wechat_jsapi'), params: z.record(z.string(), z.string()) }),
    z.object({ type: z.literal('app_payload'), payload: z.union([z.string(), z.record(z.string(), z.string())]) }),
  ])
  .openapi('NextAction', { description: 'What the page (or app) does next to let the shopper pay.' }) satisfies z.ZodType<NextActionType>;

export const PublicAttempt = z
  .object({
    id: z.string().openapi({ description: 'The provider order number (out_trade_no / orderId).' }),
    channel: Channel,
    flow: Flow,
    status: z.enum(['pending', 'succeeded', 'closed', 'failed']),
    created: Timestamp,
    // Lazy, so the document keeps NextAction as a reference (a union in a union is flattened inline).
    next_action: orNull(z.lazy(() => NextAction)),
  })
  .openapi('Attempt') satisfies z.ZodType<PublicAttemptType>;

export const AttemptCreated = z.object({ attempt: PublicAttempt, next_action: NextAction }).openapi('AttemptCreated') satisfies z.ZodType<AttemptResponse>;

// ── payment codes (in store) ───────────────────────────────────────────────────────────────────

export const BarcodeBody = z
  .strictObject(
    {
      auth_code: z
        .custom<string>((v) => channelOfPaymentCode(v).ok, {
          error: (iss) =>
            iss.input === undefined
              ? 'Missing required param: auth_code (the digits of the payment code the shopper shows).'
              : (channelOfPaymentCode(iss.input) as { message?: string }).message,
          params: { code: 'auth_code_invalid' },
        })
        .openapi({
          type: 'string',
          description: "The digits of the shopper's payment code (付款码) as the scanner read them; its wallet is decided from its prefix and length.",
          example: '134567890123456789',
        }),
    },
    // The amount, the order and the channel are the session's and the code's, never the till's to say.
    { error: (iss) => (iss.code === 'unrecognized_keys' ? 'A payment code charge takes only auth_code.' : undefined) },
  )
  .openapi('ChargePaymentCode');

export const BarcodePayment = z
  .object({
    id: z.string().openapi({ description: 'The provider order number of this charge.' }),
    object: z.literal('barcode_payment'),
    session: z.string(),
    session_status: SessionStatus,
    channel: Channel,
    provider: z.string(),
    status: z.enum(['processing', 'succeeded', 'failed', 'reversing', 'reversed', 'reverse_failed']).openapi({
      description:
        '`processing`: ask again (GET). `succeeded`: the session is paid. `failed`: nothing was charged. `reversing`/`reversed`: the till gave up and the order is being (was) reversed. `reverse_failed`: the provider would no longer reverse it (its reversal window closed); a `payment.anomaly` event asks a person to check the order.',
    }),
    auth_code: z.string().openapi({ description: 'The code as scanned, masked.' }),
    amount: z.number().int(),
    currency: z.literal('CNY'),
    created: Timestamp,
    deadline: Timestamp.openapi({ description: 'When the till gives up on a code still unconfirmed.' }),
    failure: z.object({ code: z.string(), message: z.string() }).nullable(),
    payment: orNull(Payment),
  })
  .openapi('BarcodePayment') satisfies z.ZodType<BarcodePaymentView>;
