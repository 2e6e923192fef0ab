// What every provider shares about failure: an answer that does not have the shape the provider
// documents (ShapeError, turned into a ProviderError by answerNotDocumented), and the HTTP status of
// a failure acknowledgement to a notify.

import { ErrorCode, ProviderError } from '../lib/errors';
import type { AckFailure, AckFailureReason } from './types';

/** A provider's answer or notify does not have the documented shape (a field missing, of the wrong kind…). */
export class ShapeError extends Error {
  override readonly name = 'ShapeError';
}

/**
 * `<provider>'s <what> answer is not what <spec> documents: …`, e.g. WeChat Pay's prepay answer
 * against APIv3. `retryable` when the order may exist all the same (query before deciding).
 */
export function answerNotDocumented(provider: string, spec: string, what: string, e: unknown, retryable = false): ProviderError {
  const detail = e instanceof ShapeError ? e.message : String(e);
  return new ProviderError(ErrorCode.provider.invalid_response, `${provider}'s ${what} answer is not what ${spec} documents: ${detail}`, retryable);
}

/**
 * Every provider retries a notify on any answer but its success acknowledgement, so the status of a
 * failure only tells the provider's logs (and whoever reads them) why: 401 for a notify that did not
 * verify (a forgery or a probe), 404 for an order that is not Shouyin's, 413 for a body over the cap,
 * 500 when the effect could not be stored (the retry is wanted).
 */
const FAILURE_STATUS: Record<AckFailureReason, number> = {
  unverified: 401,
  unknown_order: 404,
  too_large: 413,
  not_stored: 500,
};

export const ackFailureStatus = (failure: AckFailure | undefined): number => FAILURE_STATUS[failure?.reason ?? 'not_stored'];
