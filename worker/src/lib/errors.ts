// One error taxonomy for the whole worker. Every error a merchant, a widget or an operator sees has a
// `type` (the kind of problem: invalid request, authentication, conflict, provider…) and a stable
// `code` from the catalogue below, grouped by area. httpStatus() is the only mapping to HTTP: routes
// answer with it, and errors that cross the session Durable Object's RPC boundary travel as plain
// ErrorData and are mapped by the same function on the way out.
//
// Codes are part of the API: once merchants have seen one it never changes meaning or spelling.

export const ErrorType = {
  invalid_request: 'invalid_request_error',
  authentication: 'authentication_error',
  not_found: 'not_found_error',
  conflict: 'conflict_error',
  idempotency: 'idempotency_error',
  provider: 'provider_error',
  configuration: 'configuration_error',
  api: 'api_error',
} as const;
export type ErrorType = (typeof ErrorType)[keyof typeof ErrorType];

/** The catalogue of stable codes, by area. */
export const ErrorCode = {
  /** What the caller sent: parameters, bodies, routes. */
  request: {
    parameter_invalid: 'parameter_invalid',
    parameter_missing: 'parameter_missing',
    parameter_unknown: 'parameter_unknown',
    invalid_json: 'invalid_json',
    body_too_large: 'body_too_large',
    websocket_expected: 'websocket_expected',
    route_not_found: 'route_not_found',
    /** `/sandbox/*` on a Worker deployed without the provider sandbox (no SANDBOX service binding). */
    sandbox_not_deployed: 'sandbox_not_deployed',
    resource_missing: 'resource_missing',
    unknown_notify_endpoint: 'unknown_notify_endpoint',
    date_in_future: 'date_in_future',
    auth_code_invalid: 'auth_code_invalid',
    /** An admin API write to a merchant that only SHOUYIN_CONFIG holds (the registry has no such entry). */
    merchant_managed_by_config: 'merchant_managed_by_config',
    /** A list's `starting_after` that is not a cursor of this list, these filters and this merchant. */
    invalid_cursor: 'invalid_cursor',
  },
  /** Who the caller is: secret keys, client secrets, origins. */
  auth: {
    missing_api_key: 'missing_api_key',
    invalid_api_key: 'invalid_api_key',
    missing_client_secret: 'missing_client_secret',
    invalid_client_secret: 'invalid_client_secret',
    origin_not_allowed: 'origin_not_allowed',
    /** The admin API (/v1/admin/…) refuses anything a browser sent. */
    admin_browser_refused: 'admin_browser_refused',
    /** The dashboard (docs/dashboard.md): no session cookie, or one that ended (idle or absolute timeout, signed out). */
    dashboard_session_missing: 'dashboard_session_missing',
    dashboard_session_expired: 'dashboard_session_expired',
    /** The dashboard's anti-CSRF token (X-CSRF-Token) is missing or not this session's. */
    csrf_token_invalid: 'csrf_token_invalid',
    /** A dashboard request sent by another site (Origin or Sec-Fetch-Site). */
    cross_site_refused: 'cross_site_refused',
    /** A dashboard sign-in link that is unknown, already used or expired. */
    sign_in_link_invalid: 'sign_in_link_invalid',
  },
  /** Idempotency-Key handling on the merchant API. */
  idempotency: {
    idempotency_key_invalid: 'idempotency_key_invalid',
    idempotency_key_reused: 'idempotency_key_reused',
    idempotency_key_in_use: 'idempotency_key_in_use',
  },
  /** A checkout session's rules: what may happen to it now. */
  session: {
    merchant_order_id_in_use: 'merchant_order_id_in_use',
    session_not_open: 'session_not_open',
    session_expired: 'session_expired',
    channel_unavailable: 'channel_unavailable',
    flow_unavailable: 'flow_unavailable',
    barcode_in_progress: 'barcode_in_progress',
    /** The session (or this client IP on it) has as many status WebSockets open as it accepts. */
    too_many_streams: 'too_many_streams',
    /** The session has started as many attempts (provider orders) as it may (session/limits.ts). */
    attempt_limit_reached: 'attempt_limit_reached',
    /** Attempts are being started faster than the session's or the merchant's rate allows: retry later. */
    attempts_rate_limited: 'attempts_rate_limited',
    /** The client API (the widget) asked for a checkout session that does not exist. */
    session_not_found: 'session_not_found',
  },
  /** Refunds of a session's payment. */
  refund: {
    session_not_paid: 'session_not_paid',
    already_refunded: 'already_refunded',
    amount_too_large: 'amount_too_large',
  },
  /**
   * A payment provider could not do what was asked, or answered something unusable. A provider's own
   * business refusal keeps the provider's code (ProviderError takes it verbatim, see UpstreamCode).
   */
  provider: {
    provider_unavailable: 'provider_unavailable',
    provider_unreachable: 'provider_unreachable',
    provider_rejected: 'provider_rejected',
    provider_error: 'provider_error',
    invalid_response: 'invalid_response',
    response_unverified: 'response_unverified',
    response_mismatch: 'response_mismatch',
    flow_unsupported: 'flow_unsupported',
    flow_unavailable: 'flow_unavailable',
    client_ip_missing: 'client_ip_missing',
    mtls_certificate_missing: 'mtls_certificate_missing',
    return_url_missing: 'return_url_missing',
    currency_unsupported: 'currency_unsupported',
    amount_invalid: 'amount_invalid',
    order_id_invalid: 'order_id_invalid',
    txn_time_missing: 'txn_time_missing',
    orig_qry_id_missing: 'orig_qry_id_missing',
    refund_data_missing: 'refund_data_missing',
    statement_unreadable: 'statement_unreadable',
    statement_digest_mismatch: 'statement_digest_mismatch',
  },
  /** A notify, answer or signed token that did not check out (VerificationError). Never trusted. */
  verification: {
    bad_signature: 'bad_signature',
    missing_signature: 'missing_signature',
    missing_header: 'missing_header',
    missing_certificate: 'missing_certificate',
    signtest_probe: 'signtest_probe',
    stale_timestamp: 'stale_timestamp',
    unknown_serial: 'unknown_serial',
    unknown_cert_sn: 'unknown_cert_sn',
    unknown_merchant: 'unknown_merchant',
    unsupported_algorithm: 'unsupported_algorithm',
    unsupported_sign_method: 'unsupported_sign_method',
    unsupported_encoding: 'unsupported_encoding',
    malformed_notify: 'malformed_notify',
    malformed_response: 'malformed_response',
    duplicate_field: 'duplicate_field',
    unsafe_xml: 'unsafe_xml',
    decrypt_failed: 'decrypt_failed',
    cert_malformed: 'cert_malformed',
    cert_untrusted: 'cert_untrusted',
    cert_owner: 'cert_owner',
    cert_expired: 'cert_expired',
    cert_not_yet_valid: 'cert_not_yet_valid',
    jws_malformed: 'jws_malformed',
    jws_algorithm_unsupported: 'jws_algorithm_unsupported',
    jws_signature_der: 'jws_signature_der',
    jws_signature_invalid: 'jws_signature_invalid',
    jws_payload_invalid: 'jws_payload_invalid',
    jws_chain_invalid: 'jws_chain_invalid',
    jws_chain_untrusted: 'jws_chain_untrusted',
    jws_certificate_malformed: 'jws_certificate_malformed',
    jws_certificate_marker_missing: 'jws_certificate_marker_missing',
    jws_certificate_expired: 'jws_certificate_expired',
    jws_certificate_not_yet_valid: 'jws_certificate_not_yet_valid',
    jws_key_unsupported: 'jws_key_unsupported',
    bundle_id_mismatch: 'bundle_id_mismatch',
    environment_mismatch: 'environment_mismatch',
    environment_unsupported: 'environment_unsupported',
    /** A Production App Store notification for another app Apple ID than apple.app_apple_id. */
    app_apple_id_mismatch: 'app_apple_id_mismatch',
    transaction_revoked: 'transaction_revoked',
  },
  /** Webhook endpoints managed over the API (docs/webhooks.md). */
  webhook: {
    /** `we_config` comes from the merchant's configuration: change it there. */
    endpoint_managed_by_config: 'endpoint_managed_by_config',
    endpoint_limit_reached: 'endpoint_limit_reached',
    /** A resend to an endpoint that is disabled or not subscribed to the event's type. */
    endpoint_not_subscribed: 'endpoint_not_subscribed',
  },
  /** SHOUYIN_CONFIG: the operator's to fix. */
  config: {
    config_invalid: 'config_invalid',
    apple_roots_missing: 'apple_roots_missing',
    /** A Production App Store notification arrived and apple.app_apple_id is not configured. */
    apple_app_apple_id_missing: 'apple_app_apple_id_missing',
    apple_shared_secret_mismatch: 'apple_shared_secret_mismatch',
  },
  /** Apple In-App Purchase verification (docs/apple.md). */
  apple: {
    apple_not_configured: 'apple_not_configured',
    apple_unavailable: 'apple_unavailable',
    apple_unreachable: 'apple_unreachable',
    apple_bad_response: 'apple_bad_response',
    apple_environment_conflict: 'apple_environment_conflict',
    apple_internal_error: 'apple_internal_error',
    apple_request_unreadable: 'apple_request_unreadable',
    apple_unknown_status: 'apple_unknown_status',
    receipt_malformed: 'receipt_malformed',
    receipt_not_authenticated: 'receipt_not_authenticated',
    receipt_not_authorized: 'receipt_not_authorized',
  },
  /** Shouyin's own failures: retrying is safe. */
  internal: {
    internal_error: 'internal_error',
    not_stored: 'not_stored',
  },
} as const;

type Values<T> = T[keyof T];
type Catalogue = typeof ErrorCode;
export type RequestCode = Values<Catalogue['request']>;
export type AuthCode = Values<Catalogue['auth']>;
export type IdempotencyCode = Values<Catalogue['idempotency']>;
export type SessionCode = Values<Catalogue['session']>;
export type RefundCode = Values<Catalogue['refund']>;
export type WebhookCode = Values<Catalogue['webhook']>;
export type ProviderCode = Values<Catalogue['provider']>;
export type VerificationCode = Values<Catalogue['verification']>;
export type ConfigCode = Values<Catalogue['config']>;
export type AppleCode = Values<Catalogue['apple']>;
export type InternalCode = Values<Catalogue['internal']>;
/** Every code in the catalogue. */
export type ErrorCode = { [A in keyof Catalogue]: Values<Catalogue[A]> }[keyof Catalogue];
/**
 * A provider's own code for a business refusal, passed on verbatim so nothing is lost in translation
 * (WeChat Pay's ORDER_NOT_EXIST, Alipay's ACQ.TRADE_NOT_EXIST, `unionpay_<respCode>`).
 */
export type UpstreamCode = string;

const TYPE_STATUS: Record<ErrorType, number> = {
  invalid_request_error: 400,
  authentication_error: 401,
  not_found_error: 404,
  conflict_error: 409,
  idempotency_error: 409,
  provider_error: 502,
  configuration_error: 500,
  api_error: 500,
};

/** The few codes whose HTTP status is not their type's. */
const CODE_STATUS: Partial<Record<ErrorCode, number>> = {
  body_too_large: 413,
  websocket_expected: 426,
  too_many_streams: 429,
  attempts_rate_limited: 429,
  origin_not_allowed: 403,
  admin_browser_refused: 403,
  csrf_token_invalid: 403,
  cross_site_refused: 403,
  unknown_notify_endpoint: 404,
};

/** The HTTP status of an error: the one mapping, for thrown errors and RPC results alike. */
export function httpStatus(e: { type: ErrorType; code: string }): number {
  return CODE_STATUS[e.code as ErrorCode] ?? TYPE_STATUS[e.type];
}

/** An error as plain data: what crosses the Durable Object RPC boundary and what the body carries. */
export interface ErrorData {
  type: ErrorType;
  code: ErrorCode | UpstreamCode;
  message: string;
  param?: string;
}

export class ShouyinError extends Error {
  override readonly name = 'ShouyinError';
  readonly code: ErrorCode | UpstreamCode;
  constructor(
    readonly type: ErrorType,
    code: ErrorCode,
    message: string,
    readonly param?: string,
  ) {
    super(message);
    this.code = code;
  }

  get status(): number {
    return httpStatus(this);
  }

  toData(): ErrorData {
    return { type: this.type, code: this.code, message: this.message, ...(this.param === undefined ? {} : { param: this.param }) };
  }

  toBody(): { error: ErrorData } {
    return { error: this.toData() };
  }
}

/** An RPC result's error (plain data), as its HTTP answer. */
export function errorDataResponse(e: ErrorData): Response {
  return Response.json(
    { error: { type: e.type, code: e.code, message: e.message, ...(e.param === undefined ? {} : { param: e.param }) } },
    { status: httpStatus(e) },
  );
}

export const invalid = (param: string, message: string, code: RequestCode | SessionCode | RefundCode = ErrorCode.request.parameter_invalid): ShouyinError =>
  new ShouyinError(ErrorType.invalid_request, code, message, param);

export const notFound = (what: string, id: string): ShouyinError =>
  new ShouyinError(ErrorType.not_found, ErrorCode.request.resource_missing, `No such ${what}: '${id}'.`);

/** A provider answered with something we cannot use, or could not be reached. */
export class ProviderError extends ShouyinError {
  constructor(
    code: ProviderCode | UpstreamCode,
    message: string,
    /** True when the outcome of the call is unknown (timeout, 5xx): query before deciding. */
    readonly retryable = false,
  ) {
    // A provider's own code is carried as it came (UpstreamCode); ours are from the catalogue.
    super(ErrorType.provider, code as ProviderCode, message);
  }
}

/** A notify or response whose signature, timestamp or format did not check out. Never trusted. */
export class VerificationError extends Error {
  override readonly name = 'VerificationError';
  constructor(
    readonly code: VerificationCode,
    message: string,
  ) {
    super(message);
  }
}
