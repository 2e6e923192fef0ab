import { describe, expect, it } from 'vitest';
import { ErrorCode, ErrorType, ProviderError, ShouyinError, errorDataResponse, httpStatus } from './errors';

describe('the error catalogue', () => {
  it('spells every code as its key, so a code is found by its name', () => {
    for (const [area, codes] of Object.entries(ErrorCode)) {
      for (const [key, code] of Object.entries(codes)) expect(code, `${area}.${key}`).toBe(key);
    }
  });

  it('maps each type to its HTTP status, and the few codes that differ to theirs', () => {
    const cases: [ErrorType, string, number][] = [
      [ErrorType.invalid_request, 'parameter_invalid', 400],
      [ErrorType.authentication, 'invalid_api_key', 401],
      [ErrorType.not_found, 'resource_missing', 404],
      [ErrorType.conflict, 'session_not_open', 409],
      [ErrorType.idempotency, 'idempotency_key_reused', 409],
      [ErrorType.provider, 'provider_unavailable', 502],
      [ErrorType.configuration, 'config_invalid', 500],
      [ErrorType.api, 'internal_error', 500],
      [ErrorType.invalid_request, 'body_too_large', 413],
      [ErrorType.invalid_request, 'websocket_expected', 426],
      [ErrorType.invalid_request, 'too_many_streams', 429],
      [ErrorType.authentication, 'origin_not_allowed', 403],
      [ErrorType.invalid_request, 'unknown_notify_endpoint', 404],
      // A provider's own code is passed on as it came; its type decides.
      [ErrorType.provider, 'ORDER_NOT_EXIST', 502],
    ];
    for (const [type, code, status] of cases) expect(httpStatus({ type, code }), code).toBe(status);
  });

  it('gives a thrown error and its RPC data the same answer', async () => {
    const e = new ShouyinError(ErrorType.invalid_request, ErrorCode.request.body_too_large, 'The body is larger than 10 bytes.');
    expect(e.status).toBe(413);
    const res = errorDataResponse(e.toData());
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ error: { type: 'invalid_request_error', code: 'body_too_large', message: 'The body is larger than 10 bytes.' } });
    const withParam = new ShouyinError(ErrorType.invalid_request, 'parameter_unknown', 'Received unknown parameter: .', '');
    expect(withParam.toBody()).toEqual({
      error: { type: 'invalid_request_error', code: 'parameter_unknown', message: 'Received unknown parameter: .', param: '' },
    });
    expect(await errorDataResponse(withParam.toData()).json()).toEqual(withParam.toBody());
  });

  it('keeps a provider error retryable and typed as a provider error', () => {
    const e = new ProviderError('unionpay_03', 'UnionPay answered respCode=03', true);
    expect([e.type, e.code, e.status, e.retryable]).toEqual(['provider_error', 'unionpay_03', 502, true]);
  });
});
