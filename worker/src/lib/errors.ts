// One error taxonomy for the whole worker; `toHttp` in routes/http.ts is the only place that maps it to HTTP.

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

const STATUS: Record<ErrorType, number> = {
  invalid_request_error: 400,
  authentication_error: 401,
  not_found_error: 404,
  conflict_error: 409,
  idempotency_error: 409,
  provider_error: 502,
  configuration_error: 500,
  api_error: 500,
};

export class ShouyinError extends Error {
  override readonly name = 'ShouyinError';
  constructor(
    readonly type: ErrorType,
    readonly code: string,
    message: string,
    readonly param?: string,
    /** Overrides the type's default status (e.g. 413, 415, 429). */
    readonly statusOverride?: number,
  ) {
    super(message);
  }

  get status(): number {
    return this.statusOverride ?? STATUS[this.type];
  }

  toBody(): { error: { type: string; code: string; message: string; param?: string } } {
    return {
      error: {
        type: this.type,
        code: this.code,
        message: this.message,
        ...(this.param === undefined ? {} : { param: this.param }),
      },
    };
  }
}

export const invalid = (param: string, message: string, code = 'parameter_invalid'): ShouyinError =>
  new ShouyinError(ErrorType.invalid_request, code, message, param);

export const notFound = (what: string, id: string): ShouyinError =>
  new ShouyinError(ErrorType.not_found, 'resource_missing', `No such ${what}: '${id}'.`);

/** A provider answered with something we cannot use, or could not be reached. */
export class ProviderError extends ShouyinError {
  constructor(
    code: string,
    message: string,
    /** True when the outcome of the call is unknown (timeout, 5xx): query before deciding. */
    readonly retryable = false,
  ) {
    super(ErrorType.provider, code, message);
  }
}

/** A notify or response whose signature, timestamp or format did not check out. Never trusted. */
export class VerificationError extends Error {
  override readonly name = 'VerificationError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}
