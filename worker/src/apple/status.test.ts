import { describe, expect, it } from 'vitest';
import { receiptStatusError } from './status';

describe('verifyReceipt status → error', () => {
  // [status, is-retryable, HTTP status, type, code, param]
  const table: [number, boolean, number, string, string, string | undefined][] = [
    [21000, false, 502, 'provider_error', 'apple_request_unreadable', undefined],
    [21001, false, 502, 'provider_error', 'apple_unknown_status', undefined],
    [21002, false, 400, 'invalid_request_error', 'receipt_malformed', 'receipt_data'],
    [21003, false, 400, 'invalid_request_error', 'receipt_not_authenticated', 'receipt_data'],
    [21004, false, 500, 'configuration_error', 'apple_shared_secret_mismatch', undefined],
    [21005, false, 502, 'provider_error', 'apple_unavailable', undefined],
    [21009, false, 502, 'provider_error', 'apple_unavailable', undefined],
    [21010, false, 400, 'invalid_request_error', 'receipt_not_authorized', 'receipt_data'],
    [21100, true, 502, 'provider_error', 'apple_unavailable', undefined],
    [21150, false, 502, 'provider_error', 'apple_internal_error', undefined],
    [21199, true, 502, 'provider_error', 'apple_unavailable', undefined],
    [21200, false, 502, 'provider_error', 'apple_unknown_status', undefined],
    [-1, false, 502, 'provider_error', 'apple_unknown_status', undefined],
  ];

  it.each(table)('%i (is-retryable %s) → %i %s %s', (status, retryable, http, type, code, param) => {
    const e = receiptStatusError(status, retryable);
    expect(e.status).toBe(http);
    expect(e.toBody().error).toEqual({ type, code, message: expect.stringContaining(String(status)), ...(param ? { param } : {}) });
  });

  it('tells the merchant what to do', () => {
    expect(receiptStatusError(21004, false).message).toMatch(/apple\.shared_secret/);
    expect(receiptStatusError(21010, false).message).toMatch(/as if no purchase was made/);
    expect(receiptStatusError(21150, false).message).toMatch(/do not retry/);
    expect(receiptStatusError(21150, true).message).toMatch(/retry later/);
  });
});
