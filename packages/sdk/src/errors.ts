// Errors the SDK throws. Every error Shouyin answers has a `type` (the kind of problem) and a stable
// `code` (docs/merchant-api.md#errors); the SDK throws the subclass for the type, so a caller can
// `catch (e) { if (e instanceof ConflictError && e.code === 'merchant_order_id_in_use') … }`.

/** The `type`s Shouyin answers with (worker/src/lib/errors.ts `ErrorType`), and the SDK's own `connection_error`. */
export type ErrorTypeName =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'not_found_error'
  | 'conflict_error'
  | 'idempotency_error'
  | 'provider_error'
  | 'configuration_error'
  | 'api_error'
  | 'connection_error';

export interface ShouyinErrorInit {
  type: string;
  code: string;
  message: string;
  param?: string | undefined;
  /** The HTTP status; null when no answer came back. */
  status: number | null;
  requestId?: string | null;
  /** The parsed error body, as Shouyin sent it. */
  raw?: unknown;
  cause?: unknown;
}

export class ShouyinError extends Error {
  override name = 'ShouyinError';
  /** `invalid_request_error`, `conflict_error`, … (a type this SDK does not know yet is kept as sent). */
  readonly type: string;
  /** Stable code: `parameter_invalid`, `merchant_order_id_in_use`, a provider's own code, … */
  readonly code: string;
  /** The request field or header the error is about, when there is one. */
  readonly param: string | undefined;
  /** The HTTP status; null for a connection error (no answer came back). */
  readonly status: number | null;
  /** The `request-id` (or Cloudflare's `cf-ray`) header of the answer, for support; null when absent. */
  readonly requestId: string | null;
  readonly raw: unknown;

  constructor(init: ShouyinErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.type = init.type;
    this.code = init.code;
    this.param = init.param;
    this.status = init.status;
    this.requestId = init.requestId ?? null;
    this.raw = init.raw;
  }
}

/** 400 (413 body_too_large): what was sent is wrong; `param` names the field. Do not retry unchanged. */
export class InvalidRequestError extends ShouyinError {
  override name = 'InvalidRequestError';
}
/** 401: a missing or unknown secret key. */
export class AuthenticationError extends ShouyinError {
  override name = 'AuthenticationError';
}
/** 404: no such object for this merchant (another merchant's ids answer the same). */
export class NotFoundError extends ShouyinError {
  override name = 'NotFoundError';
}
/** 409: the object's state forbids it now (`session_not_open`, `merchant_order_id_in_use`, `already_refunded`, …). */
export class ConflictError extends ShouyinError {
  override name = 'ConflictError';
}
/** 409: `idempotency_key_reused` (same key, other body) or `idempotency_key_in_use` (retried automatically). */
export class IdempotencyError extends ShouyinError {
  override name = 'IdempotencyError';
}
/** 502: a payment provider could not do it or could not be reached; `code` may be the provider's own. */
export class ProviderError extends ShouyinError {
  override name = 'ProviderError';
}
/** 500: the Shouyin deployment's configuration is wrong (the operator's to fix). */
export class ConfigurationError extends ShouyinError {
  override name = 'ConfigurationError';
}
/** 500: Shouyin's own failure, or an answer that was not a Shouyin answer. Retrying with the same Idempotency-Key is safe. */
export class ApiError extends ShouyinError {
  override name = 'ApiError';
}
/** No answer: the network failed or the request timed out (`code` is `connection_failed` or `timeout`). */
export class ConnectionError extends ShouyinError {
  override name = 'ConnectionError';
}

type ErrorClass = new (init: ShouyinErrorInit) => ShouyinError;

/** The subclass for each `type`; worker/test/sdk.test.ts checks these are exactly the worker's types. */
export const ERROR_CLASSES: Readonly<Record<Exclude<ErrorTypeName, 'connection_error'>, ErrorClass>> = {
  invalid_request_error: InvalidRequestError,
  authentication_error: AuthenticationError,
  not_found_error: NotFoundError,
  conflict_error: ConflictError,
  idempotency_error: IdempotencyError,
  provider_error: ProviderError,
  configuration_error: ConfigurationError,
  api_error: ApiError,
};

/** The error for a non-2xx answer: Shouyin's `{error: {type, code, message, param?}}`, or an ApiError when the body is not one. */
export function errorFromResponse(status: number, bodyText: string, requestId: string | null): ShouyinError {
  let body: unknown;
  try {
    body = JSON.parse(bodyText);
  } catch {
    body = undefined;
  }
  const e = (body as { error?: unknown } | undefined)?.error as Record<string, unknown> | undefined;
  if (e && typeof e === 'object' && typeof e.type === 'string' && typeof e.code === 'string' && typeof e.message === 'string') {
    const Class = Object.hasOwn(ERROR_CLASSES, e.type) ? ERROR_CLASSES[e.type as keyof typeof ERROR_CLASSES] : ShouyinError;
    return new Class({
      type: e.type,
      code: e.code,
      message: e.message,
      param: typeof e.param === 'string' ? e.param : undefined,
      status,
      requestId,
      raw: body,
    });
  }
  // Not Shouyin's error format: a proxy's or load balancer's page, or something else in front of the Worker.
  const excerpt = bodyText.length > 200 ? `${bodyText.slice(0, 200)}…` : bodyText;
  return new ApiError({
    type: 'api_error',
    code: 'unexpected_response',
    message: `HTTP ${status} with a body that is not a Shouyin error${excerpt ? `: ${excerpt}` : ' (empty)'}`,
    status,
    requestId,
    raw: bodyText,
  });
}
