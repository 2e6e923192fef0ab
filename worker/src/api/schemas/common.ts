// What every part of the API document shares: the error body and the catalogue of codes (each with
// what it means), the security schemes, channels and flows, and the helpers routes use to document
// the errors they answer with.

import type { ResponseConfig } from '@asteasolutions/zod-to-openapi';
import { CHANNELS, FLOWS } from '../../contract';
import { ErrorCode, ErrorType } from '../../lib/errors';
import { z } from '../openapi';

/** The security scheme names of the document (components.securitySchemes). */
export const SECRET_KEY = 'secretKey';
export const CLIENT_SECRET = 'clientSecret';
export const secretKeyAuth = [{ [SECRET_KEY]: [] }];
export const clientSecretAuth = [{ [CLIENT_SECRET]: [] }];

type Catalogue = typeof ErrorCode;
/** What each code of the catalogue means, by area: TypeScript refuses a code left undescribed. */
export const ERROR_DOCS: { [A in keyof Catalogue]: { [C in keyof Catalogue[A]]: string } } = {
  request: {
    parameter_invalid: 'A parameter has the wrong type, format or range; `param` names it and the message says what is accepted.',
    parameter_missing: 'A required parameter is absent; `param` names it.',
    parameter_unknown: 'The request carries a parameter this call does not take (often a misspelling); `param` names it.',
    invalid_json: 'The body is not a JSON object.',
    body_too_large: 'The body is larger than the call accepts (16 KB on most of the merchant API). HTTP 413.',
    websocket_expected: 'The status stream was requested without a WebSocket upgrade. HTTP 426.',
    route_not_found: 'No such route.',
    sandbox_not_deployed: '`/sandbox/*` on a Worker deployed without the provider sandbox (no SANDBOX service binding).',
    resource_missing: "No such object — or one of another merchant's, which is indistinguishable.",
    unknown_notify_endpoint: 'A provider notify for a merchant (or channel) that is not configured. HTTP 404.',
    date_in_future: 'A reconciliation date that has not happened yet in Beijing time.',
    auth_code_invalid: 'The scanned payment code is not a WeChat Pay or Alipay payment code (wrong length, prefix or characters).',
    merchant_managed_by_config:
      'An admin API write to a merchant that only `SHOUYIN_CONFIG` holds: change it there, or `PUT` it to the merchant registry, whose entry then wins (docs/configuration.md).',
    invalid_cursor:
      "`starting_after` is not a `next_cursor` of this list, with these filters, for this merchant (a cursor from another list, other filters or another merchant's). `param` is `starting_after`.",
  },
  auth: {
    missing_api_key: 'No `Authorization: Bearer sk_…` header.',
    invalid_api_key: 'The key is not one of any merchant (the message shows only its first 8 characters), or is a client secret.',
    missing_client_secret:
      "No `Authorization: Bearer cs_…_secret_…` header on the client API. Not retriable: the merchant's page must pass the session's client_secret.",
    invalid_client_secret:
      "The client secret is not of the form `cs_<id>_secret_<random>` (`param` names where it came: `authorization`, `client_secret` or `Sec-WebSocket-Protocol`), or the status stream got two that differ. A well-formed secret that is not the session's is answered `404 session_not_found`, exactly like a session that does not exist. Not retriable.",

    origin_not_allowed:
      "The request comes from a page whose origin is not in the merchant's `allowed_origins` (docs/configuration.md). HTTP 403. Add the origin to the configuration; retrying cannot help.",
    admin_browser_refused: 'The admin API refuses anything a browser sent (an `Origin` or a `Sec-Fetch-Site` header). HTTP 403.',
    dashboard_session_missing: 'The dashboard (docs/dashboard.md): no session cookie, or one Shouyin does not know (signed out). Sign in with a new link.',
    dashboard_session_expired: 'The dashboard session ended (idle or absolute timeout). Sign in with a new link.',
    csrf_token_invalid: 'A dashboard call without the `X-CSRF-Token` of this session (GET /dashboard/api/session gives it). HTTP 403.',
    cross_site_refused:
      'A dashboard call sent by another site (a foreign `Origin`, `Sec-Fetch-Site` other than `same-origin`), or a change without an `Origin` header. HTTP 403.',
    sign_in_link_invalid: 'A dashboard sign-in link that is unknown, already used or expired.',
  },
  idempotency: {
    idempotency_key_invalid: 'The Idempotency-Key header is empty or longer than 255 characters.',
    idempotency_key_reused: 'This Idempotency-Key was used with another request body.',
    idempotency_key_in_use: 'A request with this Idempotency-Key is still running; retry shortly.',
  },
  session: {
    merchant_order_id_in_use: '`merchant_order_id` already belongs to an open or paid session (the message names it).',
    session_not_open: 'The session is paid, expired or canceled: it can no longer change this way.',
    session_expired: 'The session passed its `expires_at`.',
    channel_unavailable: 'The channel is not offered by this session, or not configured for the merchant.',
    flow_unavailable: "The channel's provider does not offer this flow here, or lacks the configuration it needs (e.g. WeChat JSAPI's official account).",
    barcode_in_progress: 'A payment code is being charged on this session; wait for it to settle.',
    too_many_streams: 'The session already has as many status WebSockets open as it accepts; poll `…/status` instead. HTTP 429.',
    attempt_limit_reached: 'The session has started as many attempts (provider orders) as it may (20); create a new session. HTTP 409.',
    attempts_rate_limited: "Attempts are being started faster than the session's or the merchant's rate allows; the message says when to retry. HTTP 429.",
    session_not_found:
      'No checkout session has this id, or the client secret is not its secret: the two read alike (client API). Not retriable: the page holds a wrong or stale client secret.',
  },
  refund: {
    session_not_paid: 'Only a paid session can be refunded.',
    already_refunded: 'Everything paid has been refunded (or is being refunded) already.',
    amount_too_large: 'The refund is larger than what remains of the payment; the message says how much remains.',
  },
  provider: {
    provider_unavailable: 'The provider answered with an error or a 5xx, or could not start the payment. Retrying later may work.',
    provider_unreachable: 'The provider could not be reached (network error or timeout).',
    provider_rejected: 'The provider refused the request for a reason of its own (its code is in the message).',
    provider_error:
      "The provider answered with an error that has no code of its own. A provider's business refusal keeps the provider's code instead (UpstreamCode).",
    invalid_response: "The provider's answer is not in its documented format.",
    response_unverified: "The provider's answer failed its signature check (usually a wrong key in the configuration).",
    response_mismatch: "The provider's answer is for another merchant, app or order than the request.",
    flow_unsupported: 'The provider has no such flow.',
    flow_unavailable: "The channel's provider does not offer this flow here, or lacks the configuration it needs (e.g. WeChat JSAPI's official account).",
    client_ip_missing: "The flow needs the shopper's IP (CF-Connecting-IP) and none was received.",
    mtls_certificate_missing: 'The call needs the merchant API certificate (an mTLS binding) and none is configured.',
    return_url_missing: 'The flow needs a page to send the shopper back to.',
    currency_unsupported: 'The provider does not take this currency.',
    amount_invalid: 'The provider does not take this amount.',
    order_id_invalid: 'The provider does not take this order number.',
    txn_time_missing: 'UnionPay finds an order by its orderId and original txnTime, and none was stored.',
    orig_qry_id_missing: "A UnionPay refund needs the payment's queryId and none was stored.",
    refund_data_missing: 'The provider needs data for the refund that the payment did not leave.',
    statement_unreadable: "The provider's statement (对账单) could not be read.",
    statement_digest_mismatch: 'The downloaded statement does not match the digest the provider published for it.',
  },
  verification: {
    bad_signature: 'A notify or answer whose signature does not verify. Never trusted.',
    missing_signature: 'A notify or answer without its signature.',
    missing_header: 'A notify without a header its provider always sends.',
    missing_certificate: "The certificate needed to verify the provider's signature is not configured.",
    signtest_probe: "WeChat Pay's signature probe (a deliberately wrong signature), answered as a refusal.",
    stale_timestamp: 'A signed message whose timestamp is too far from now.',
    unknown_serial: 'Signed with a WeChat Pay platform certificate or public key Shouyin does not know.',
    unknown_cert_sn: 'Signed with an Alipay certificate serial Shouyin does not know.',
    unknown_merchant: 'A message for a merchant id that is not configured.',
    unsupported_algorithm: 'A signature algorithm Shouyin does not accept.',
    unsupported_sign_method: 'A UnionPay signMethod Shouyin does not accept.',
    unsupported_encoding: 'A character encoding Shouyin does not read.',
    malformed_notify: 'A notify that is not in its documented format.',
    malformed_response: 'An answer that is not in its documented format.',
    duplicate_field: 'A message with a field twice (refused: the two readings could differ).',
    unsafe_xml: 'XML with a DOCTYPE, entities or other markup that is refused before parsing.',
    decrypt_failed: 'An encrypted notify resource that does not decrypt with the configured key.',
    cert_malformed: 'A certificate that is not exactly one DER X.509 certificate.',
    cert_untrusted: 'A certificate that does not chain to the configured root.',
    cert_owner: "A UnionPay certificate that is not UnionPay's own.",
    cert_expired: 'A certificate past its validity.',
    cert_not_yet_valid: 'A certificate not yet valid.',
    jws_malformed: 'Not a compact JWS (three base64url parts separated by dots).',
    jws_algorithm_unsupported: "A JWS whose `alg` is not Apple's ES256.",
    jws_signature_der: 'A JWS signature in DER form where JOSE requires the raw form.',
    jws_signature_invalid: 'A JWS whose signature does not verify.',
    jws_payload_invalid: "A JWS payload that is not the App Store's documented shape.",
    jws_chain_invalid: 'A JWS x5c chain that is not a valid chain.',
    jws_chain_untrusted: "A JWS x5c chain that does not end at Apple's root (or the configured root).",
    jws_certificate_malformed: 'A certificate of the x5c chain that cannot be read.',
    jws_certificate_marker_missing: "A certificate of the x5c chain without Apple's marker extension.",
    jws_certificate_expired: 'A certificate of the x5c chain past its validity.',
    jws_certificate_not_yet_valid: 'A certificate of the x5c chain not yet valid.',
    jws_key_unsupported: 'A JWS signing key that is not a P-256 EC key.',
    bundle_id_mismatch: "The app's bundle id is not the merchant's `apple.bundle_id`.",
    environment_mismatch: "Sandbox data for a live merchant, or production data where the merchant's configuration does not take it.",
    environment_unsupported: 'An App Store environment Shouyin does not know.',
    app_apple_id_mismatch: 'A Production App Store notification names another app Apple ID than `apple.app_apple_id`.',
    transaction_revoked: 'Apple refunded or revoked the transaction; the message says why.',
  },
  webhook: {
    endpoint_managed_by_config: "`we_config` is the `webhook` of the merchant's configuration: change or remove it there (docs/webhooks.md). HTTP 400.",
    endpoint_limit_reached: 'The merchant already has 16 webhook endpoints besides `we_config`; delete one first. HTTP 400.',
    endpoint_not_subscribed: "A resend to an endpoint that is disabled or not subscribed to the event's type; `param` is `endpoint`. HTTP 400.",
  },
  config: {
    config_invalid:
      'SHOUYIN_CONFIG (or SHOUYIN_MASTER_KEY, which seals the registry and webhook endpoint secrets) is wrong or missing; the message names the field, never a secret. HTTP 500.',
    apple_roots_missing: 'A live merchant has no `apple.root_certificates`. HTTP 500.',
    apple_app_apple_id_missing: 'A Production App Store notification arrived and `apple.app_apple_id` is not configured. HTTP 500.',
    apple_shared_secret_mismatch: "The App Store refused the merchant's `apple.shared_secret`. HTTP 500.",
  },
  apple: {
    apple_not_configured: 'The merchant has no `apple` section in SHOUYIN_CONFIG.',
    apple_unavailable: 'The App Store is temporarily unavailable (it says the request may be retried).',
    apple_unreachable: 'The App Store could not be reached.',
    apple_bad_response: "The App Store's answer is not a verifyReceipt response.",
    apple_environment_conflict: 'Both App Store environments refused the receipt in a way that names the other.',
    apple_internal_error: 'The App Store had an internal error it marks as not retryable.',
    apple_request_unreadable: 'The App Store could not read the request.',
    apple_unknown_status: 'The App Store answered with a status Shouyin does not know.',
    receipt_malformed: 'The receipt data is malformed or missing.',
    receipt_not_authenticated: 'The App Store could not authenticate the receipt.',
    receipt_not_authorized: 'The receipt is for another app, or the shared secret does not belong to it.',
  },
  internal: {
    internal_error: "Something went wrong on Shouyin's side. Retrying with the same Idempotency-Key is safe. HTTP 500.",
    not_stored: 'A notify could not be stored yet; the provider retries it.',
  },
};

/** Every code of the catalogue, once each (`flow_unavailable` is in two areas), in catalogue order. */
export const ERROR_CODES = [...new Set(Object.values(ErrorCode).flatMap((area) => Object.values(area)))] as ErrorCode[];
const descriptions: Record<string, string> = Object.assign({}, ...Object.values(ERROR_DOCS));

export const ErrorCodeSchema = z.enum(ERROR_CODES as [ErrorCode, ...ErrorCode[]]).openapi('ErrorCode', {
  description: "Shouyin's stable error codes. Once a merchant has seen one it never changes meaning or spelling.",
  'x-enumDescriptions': descriptions,
});

export const UpstreamCode = z
  .string()
  .regex(/^[A-Za-z0-9_.]{1,64}$/)
  .openapi('UpstreamCode', {
    description:
      "A payment provider's own code for a business refusal, passed on verbatim (WeChat Pay's `ORDER_NOT_EXIST`, Alipay's `ACQ.TRADE_NOT_EXIST`, `unionpay_<respCode>`).",
    example: 'ACQ.TRADE_NOT_EXIST',
  });

export const ErrorBody = z
  .object({
    error: z.object({
      type: z.enum(Object.values(ErrorType) as [ErrorType, ...ErrorType[]]).openapi({ description: 'The kind of problem; it decides the HTTP status.' }),
      code: z.union([ErrorCodeSchema, UpstreamCode]),
      message: z.string().openapi({ description: 'What went wrong and how to fix it, for a developer. Never contains a secret.' }),
      param: z.string().optional().openapi({ description: 'The request field, query parameter or header to fix, when there is one.', example: 'amount' }),
    }),
  })
  .openapi('Error', {
    example: { error: { type: 'invalid_request_error', code: 'parameter_invalid', message: 'amount must be between 1 and 10000000000 fen.', param: 'amount' } },
  });

const json = { 'application/json': { schema: ErrorBody } };

/** A route's documented error answers: each HTTP status with the codes it can carry there. */
export function errors(by: Partial<Record<400 | 401 | 403 | 404 | 409 | 413 | 426 | 429 | 500 | 502, ErrorCode[]>>): Record<string, ResponseConfig> {
  const out: Record<string, ResponseConfig> = {};
  for (const [status, codes] of Object.entries(by)) {
    out[status] = { description: (codes ?? []).map((c) => `\`${c}\``).join(', '), content: json };
  }
  return out;
}

/** Errors every merchant API call can answer with. */
export const MERCHANT_AUTH: ErrorCode[] = ['missing_api_key', 'invalid_api_key'];
export const BODY: ErrorCode[] = ['parameter_invalid', 'parameter_missing', 'parameter_unknown', 'invalid_json'];
export const IDEMPOTENCY: ErrorCode[] = ['idempotency_key_reused', 'idempotency_key_in_use'];
export const INTERNAL: ErrorCode[] = ['internal_error', 'config_invalid'];

export const Channel = z.enum(CHANNELS).openapi('Channel', { description: 'A payment channel.' });
export const Flow = z.enum(FLOWS).openapi('Flow', {
  description:
    "How the shopper pays: `qr` (scan a code), `h5` (a phone browser opens the wallet), `jsapi` (inside WeChat), `page` (the provider's cashier page), `app` (the merchant's own app), `barcode` (the till scans the shopper's payment code).",
});

/**
 * A named schema or null. (`.nullable()` on a named schema would make the component itself nullable,
 * for every use; a union keeps the component as it is.)
 */
export const orNull = <S extends z.ZodType>(schema: S) => z.union([schema, z.null()]);

/** Unix seconds. */
export const Timestamp = z.number().int().openapi({ description: 'Unix seconds.', example: 1764352000 });

/** An id path parameter: checked by the route (an unknown or malformed id is a 404, not a 400). */
export const idParam = (name: string, example: string) =>
  z.object({ [name]: z.string().openapi({ param: { name, in: 'path' }, example }) }) as z.ZodObject<Record<string, z.ZodString>>;

// ── lists: the envelope, `limit`, `starting_after` and `created[…]` (docs/merchant-api.md, "Lists") ──

/**
 * A zod error message for an input that is present but wrong. A missing input keeps zod's own message,
 * which issueToError recognises and answers as `parameter_missing`.
 */
export const says =
  (message: string) =>
  (issue: { input?: unknown }): string | undefined =>
    issue.input === undefined ? undefined : message;

export const limitParam = z.coerce
  .number({ error: says('limit must be an integer between 1 and 100.') })
  .int({ error: 'limit must be an integer between 1 and 100.' })
  .min(1, { error: 'limit must be an integer between 1 and 100.' })
  .max(100, { error: 'limit must be an integer between 1 and 100.' })
  .optional()
  .default(20)
  .openapi({ param: { name: 'limit', in: 'query' }, description: 'Items per page, 1–100.', example: 20 });

export const startingAfterParam = z
  .string({ error: says('starting_after must be the next_cursor of a previous page of this list.') })
  .max(300, { error: 'starting_after must be the next_cursor of a previous page of this list.' })
  .optional()
  .openapi({
    param: { name: 'starting_after', in: 'query' },
    description: "The previous page's `next_cursor`. Bound to this merchant, this list and these filters (else 400 `invalid_cursor`).",
  });

/** `created[gte]` / `created[lt]`: Unix seconds. */
export const unixSecondsParam = (name: string, description: string) =>
  z.coerce
    .number({ error: says(`${name} must be a Unix time in whole seconds.`) })
    .int({ error: `${name} must be a Unix time in whole seconds.` })
    .min(0, { error: `${name} must be a Unix time in whole seconds.` })
    .max(99_999_999_999, { error: `${name} must be a Unix time in whole seconds.` })
    .optional()
    .openapi({ param: { name, in: 'query' }, description, example: 1764352000 });

/** The list envelope every list answers with. */
export const listOf = <T extends z.ZodType>(item: T, name: string) =>
  z
    .object({
      object: z.literal('list'),
      data: z.array(item),
      has_more: z.boolean(),
      next_cursor: z.string().nullable().openapi({ description: 'Pass as `starting_after` for the next page; null on the last one.' }),
    })
    .openapi(name);
