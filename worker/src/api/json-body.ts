// Request bodies for routes declared with createRoute(): read with the merchant API's size limit and
// parsed by the same rules as every other route (routes/http.ts: a JSON object, else 400 invalid_json;
// over the limit, 413 body_too_large), then handed to the schema validator as a JSON request. Without
// it, the validator would answer a missing Content-Type with 415 and malformed JSON with its own 400,
// neither in our error shape.

import type { Context, MiddlewareHandler } from 'hono';
import { parseJsonObject, readBody, type AppEnv } from '../routes/http';

const RAW = new WeakMap<object, string>();

/** The body as the client sent it (for an Idempotency-Key fingerprint), after jsonBody() ran. */
export const rawBody = (c: Context<AppEnv>): string => RAW.get(c.req) ?? '';

export function jsonBody(limit: number): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const raw = await readBody(c.req.raw, limit);
    const parsed = parseJsonObject(raw);
    RAW.set(c.req, raw);
    const headers = new Headers(c.req.raw.headers);
    headers.set('content-type', 'application/json');
    headers.delete('content-length');
    c.req.raw = new Request(c.req.raw.url, { method: c.req.raw.method, headers, body: JSON.stringify(parsed) });
    c.req.bodyCache = {};
    await next();
  };
}
