// What every route shares: how an error becomes an answer (through lib/errors.ts's one HTTP mapping),
// who is calling, and reading a request's body.

import type { Context } from 'hono';
import type { MerchantConfig } from '../config';
import type { Env } from '../env';
import { ErrorCode, ErrorType, ShouyinError, errorDataResponse, notFound, type ErrorData } from '../lib/errors';
import { merchantByApiKey } from '../merchants';
import { isWellFormedClientSecret } from '../session/ids';

/** `rawBody`: the request body as received, kept by the API's body reader (api/openapi.ts) for Idempotency-Key fingerprints. */
export type AppEnv = { Bindings: Env; Variables: { merchant: MerchantConfig; rawBody: string } };

/**
 * A session's refusal as a merchant route answers it. "No such session" reads the same whether the id
 * was made up, is another merchant's, or its session was deleted by retention (SECURITY.md, "Session ids").
 */
export function sessionErrorResponse(e: ErrorData, id: string): Response {
  return e.type === ErrorType.not_found ? errorResponse(notFound('checkout session', id)) : errorDataResponse(e);
}

export function errorResponse(err: unknown): Response {
  // Configuration problems are the operator's to fix; the message names the field, never a secret.
  if (err instanceof ShouyinError) return errorDataResponse(err.toData());
  console.error('unhandled error', err instanceof Error ? (err.stack ?? err.message) : String(err));
  return errorDataResponse({
    type: ErrorType.api,
    code: ErrorCode.internal.internal_error,
    message: 'Something went wrong on our side. Retrying with the same Idempotency-Key is safe.',
  });
}

function bearer(c: Context): string | null {
  const h = c.req.header('authorization');
  if (!h) return null;
  const m = /^Bearer\s+(\S+)$/i.exec(h);
  return m?.[1] ?? null;
}

/** The merchant whose secret key is presented (merchants.ts compares hashes, in constant time). */
export async function authenticateMerchant(c: Context<AppEnv>): Promise<MerchantConfig> {
  const key = bearer(c);
  if (!key) {
    throw new ShouyinError(ErrorType.authentication, 'missing_api_key', 'Send your secret key as `Authorization: Bearer sk_test_…`.');
  }
  if (key.startsWith('pk_') || key.startsWith('cs_')) {
    throw new ShouyinError(ErrorType.authentication, 'invalid_api_key', 'This endpoint needs a secret key (sk_…), not a client secret.');
  }
  const found = await merchantByApiKey(c.env, key);
  if (!found) {
    // Never echo the key; show its prefix so a test/live mix-up is visible.
    throw new ShouyinError(ErrorType.authentication, 'invalid_api_key', `Invalid API key provided: ${key.slice(0, 8)}…`);
  }
  return found;
}

/**
 * The client secret of a client API call, checked for its shape only. Asked before the session is
 * looked up, so a missing or malformed secret is answered alike whether the session exists or not;
 * a well-formed wrong one reads as no such session (SECURITY.md, "Client secrets").
 */
export function clientSecretOf(c: Context): string {
  const s = bearer(c);
  if (!s) {
    throw new ShouyinError(ErrorType.authentication, 'missing_client_secret', 'Send the session client secret as `Authorization: Bearer cs_…_secret_…`.');
  }
  if (!isWellFormedClientSecret(s)) throw malformedClientSecret('authorization');
  return s;
}

/** A client secret that is not `cs_<id>_secret_<random>`, named by where it came (`param`). */
export const malformedClientSecret = (param: string): ShouyinError =>
  new ShouyinError(
    ErrorType.authentication,
    'invalid_client_secret',
    "The client secret is not of the form cs_…_secret_… (a checkout session's `client_secret`).",
    param,
  );

/** Reads a body up to `limit` bytes; a bigger one is refused before it is buffered. */
export async function readBody(req: Request, limit: number): Promise<string> {
  const declared = Number(req.headers.get('content-length') ?? '0');
  if (declared > limit) throw new ShouyinError(ErrorType.invalid_request, 'body_too_large', `The body is larger than ${limit} bytes.`);
  if (!req.body) return '';
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw new ShouyinError(ErrorType.invalid_request, 'body_too_large', `The body is larger than ${limit} bytes.`);
    }
    chunks.push(value);
  }
  const all = new Uint8Array(size);
  let o = 0;
  for (const ch of chunks) {
    all.set(ch, o);
    o += ch.byteLength;
  }
  return new TextDecoder('utf-8', { fatal: false, ignoreBOM: false }).decode(all);
}

export function parseJsonObject(text: string): Record<string, unknown> {
  if (text.trim() === '') return {};
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new ShouyinError(
      ErrorType.invalid_request,
      'invalid_json',
      'The request body is not valid JSON. Send `Content-Type: application/json` with a JSON object.',
    );
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new ShouyinError(ErrorType.invalid_request, 'invalid_json', 'The request body must be a JSON object.');
  }
  return v as Record<string, unknown>;
}
