// The merchant and client API are described by the same zod schemas the routes validate with
// (@hono/zod-openapi): one source for validation, for the types and for GET /openapi.json. A request
// that fails its schema becomes the same field-named 400 as every other invalid parameter: the first
// issue's path is the `param` (`created[gte]`, `line_items.0.amount` → `line_items[0].amount`).

import { OpenAPIHono, z } from '@hono/zod-openapi';
import type { Hook, RouteConfig, RouteHandler } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { ErrorCode, ErrorType, ShouyinError, type RequestCode } from '../lib/errors';
import { parseJsonObject, readBody, type AppEnv } from '../routes/http';

export { z };

/** `a.0.b` → `a[0].b`: how docs and errors name a nested field. */
export function paramName(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out === '' ? String(p) : `.${String(p)}`;
  }
  return out;
}

/** A schema's own message for a missing field starts like this (see `required` below). */
const MISSING = 'Missing required param';

/**
 * The error-map option for a field that must be present: `Missing required param: <field>…` when it
 * is absent, `invalid` (a string, or built from the value sent) otherwise.
 */
export const required =
  (missing: string, invalid: string | ((input: unknown) => string)) =>
  (issue: { input?: unknown }): string =>
    issue.input === undefined ? `${MISSING}: ${missing}` : typeof invalid === 'string' ? invalid : invalid(issue.input);

/** A custom issue may name the catalogue code to answer with (`params: { code: 'auth_code_invalid' }`). */
const codeOf = (issue: z.core.$ZodIssue): RequestCode =>
  issue.code === 'custom' && typeof issue.params?.code === 'string' ? (issue.params.code as RequestCode) : ErrorCode.request.parameter_invalid;

/**
 * The schema issue a caller should fix first, as our error. An unknown parameter comes first (it is
 * usually a misspelling of a field that then reads as missing), then the first issue in field order.
 */
export function issueToError(issues: readonly z.core.$ZodIssue[]): ShouyinError {
  const issue = issues.find((i) => i.code === 'unrecognized_keys') ?? issues[0];
  if (!issue) return new ShouyinError(ErrorType.invalid_request, ErrorCode.request.parameter_invalid, 'The request is invalid.');
  if (issue.code === 'unrecognized_keys') {
    const key = paramName([...issue.path, issue.keys[0] ?? '']);
    // zod's own text says "Unrecognized key"; a schema's own message adds what the call does take.
    const hint = issue.message.startsWith('Unrecognized key') ? '' : ` ${issue.message}`;
    return new ShouyinError(ErrorType.invalid_request, ErrorCode.request.parameter_unknown, `Received unknown parameter: ${key}.${hint}`, key);
  }
  const param = paramName(issue.path);
  if (issue.message.startsWith(MISSING)) {
    return new ShouyinError(ErrorType.invalid_request, ErrorCode.request.parameter_missing, issue.message, param);
  }
  // zod's own text for an absent field ends "received undefined".
  if (issue.code === 'invalid_type' && /received undefined$/.test(issue.message)) {
    return new ShouyinError(ErrorType.invalid_request, ErrorCode.request.parameter_missing, `${MISSING}: ${param}.`, param);
  }
  const message = issue.message.startsWith(param) ? issue.message : `${param}: ${issue.message}`;
  return new ShouyinError(ErrorType.invalid_request, codeOf(issue), message, param || undefined);
}

export const validationHook: Hook<unknown, AppEnv, string, unknown> = (result) => {
  if (!result.success) throw issueToError(result.error.issues);
};

/** A Hono app whose routes are declared with createRoute() and validated by their schemas. */
export function apiApp(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
}

/** The body size every merchant API call takes unless its route says otherwise. */
export const DEFAULT_BODY_LIMIT = 16 * 1024;

/**
 * Reads a JSON body the way every Shouyin route does: refused over `limit` bytes before it is
 * buffered, `invalid_json` when it is not a JSON object, and an absent body read as `{}` — then
 * validated by `schema`. The raw text is kept (`c.var.rawBody`) for Idempotency-Key fingerprints.
 */
function jsonBody(schema: z.ZodType, limit: number): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const raw = await readBody(c.req.raw, limit);
    const parsed = await schema.safeParseAsync(parseJsonObject(raw));
    if (!parsed.success) throw issueToError(parsed.error.issues);
    c.set('rawBody', raw);
    c.req.addValidatedData('json', parsed.data as object);
    await next();
  };
}

/** A route of the API: its OpenAPI description and how its JSON body (if any) is read. */
export type ApiRoute = RouteConfig & { bodyLimit?: number };

/**
 * Declares `route` on `app`: documented as written, validated by its schemas, answered by `handler`.
 * The body is read by jsonBody (our size limit and error codes, no Content-Type requirement) rather
 * than by the library's validator; query and path parameters go through the app's validation hook.
 * Handlers answer with any Response: errors take the shape of the Error schema (routes/http.ts), and
 * the conformance tests check every answer against the document (worker/test/openapi.test.ts).
 */
export function defineRoute<R extends ApiRoute>(
  app: OpenAPIHono<AppEnv>,
  route: R,
  handler: (c: Parameters<RouteHandler<R, AppEnv>>[0]) => Response | Promise<Response>,
): void {
  const { bodyLimit, middleware, ...documented } = route;
  app.openAPIRegistry.registerPath(documented);
  const media = route.request?.body?.content['application/json'];
  const schema = media && 'schema' in media ? media.schema : undefined;
  const { body: _documentedOnly, ...request } = route.request ?? {};
  const own = schema instanceof z.ZodType ? [jsonBody(schema, bodyLimit ?? DEFAULT_BODY_LIMIT)] : [];
  const extra = middleware === undefined ? [] : Array.isArray(middleware) ? middleware : [middleware];
  app.openapi({ ...documented, request, hide: true, middleware: [...own, ...extra] } as RouteConfig, handler as never);
}
