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

/** How a body is turned into text: a leading UTF-8 BOM is dropped unless `keepBom` (the notify routes keep it, so a rail that refuses one sees it). */
export interface ReadBodyOptions {
  keepBom?: boolean;
}

/**
 * Reads a body up to `limit` bytes and decodes it as strict UTF-8 (docs/reliability.md, "Notify bodies").
 * Refused, each with a ShouyinError whose code the caller can tell apart:
 * - `parameter_invalid` (param `content-encoding`) before a byte is read, when the request says its body is
 *   compressed or otherwise encoded: Shouyin never negotiates a Content-Encoding with anyone;
 * - `body_too_large` when Content-Length says more than `limit`, or — chunked, no Content-Length — as soon
 *   as `limit` bytes have been read: the rest is cancelled, never buffered;
 * - `parameter_invalid` (param `body`) when the bytes are not valid UTF-8: never replaced by U+FFFD, so
 *   nothing downstream (a signature check, a parser) ever sees text that differs from what was sent.
 */
export async function readBody(req: Request, limit: number, opts: ReadBodyOptions = {}): Promise<string> {
  refuseContentEncoding(req);
  return decodeBody(await readBodyBytes(req, limit), opts);
}

/** Anything but no Content-Encoding (or `identity`) is refused: RFC 9110 §8.4; Shouyin never offers compression. */
export function refuseContentEncoding(req: Request): void {
  const ce = req.headers.get('content-encoding');
  if (ce === null) return;
  const codings = ce
    .split(',')
    .map((x) => x.trim().toLowerCase())
    .filter((x) => x !== '');
  if (codings.every((x) => x === 'identity')) return;
  throw new ShouyinError(
    ErrorType.invalid_request,
    'parameter_invalid',
    'A Content-Encoding other than identity is not accepted: send the body uncompressed.',
    'content-encoding',
  );
}

async function readBodyBytes(req: Request, limit: number): Promise<Uint8Array> {
  const declared = Number(req.headers.get('content-length') ?? '0');
  if (declared > limit) throw new ShouyinError(ErrorType.invalid_request, 'body_too_large', `The body is larger than ${limit} bytes.`);
  if (!req.body) return new Uint8Array(0);
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
  return all;
}

// fatal, as crypto/encoding.ts's fromUtf8: invalid UTF-8 fails loudly instead of turning into U+FFFD.
const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
const strictKeepingBom = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function decodeBody(bytes: Uint8Array, opts: ReadBodyOptions): string {
  try {
    return (opts.keepBom ? strictKeepingBom : strict).decode(bytes);
  } catch {
    // The message never quotes the bytes: they are whatever was sent, and go nowhere.
    throw new ShouyinError(ErrorType.invalid_request, 'parameter_invalid', 'The body is not valid UTF-8.', 'body');
  }
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
