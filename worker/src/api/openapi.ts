// The merchant and client API are described by the same zod schemas the routes validate with
// (@hono/zod-openapi): one source for validation, for the types and for GET /openapi.json. A request
// that fails its schema becomes the same field-named 400 as every other invalid parameter: the first
// issue's path is the `param` (`created[gte]`, `line_items.0.amount` → `line_items[0].amount`).

import { OpenAPIHono, z } from '@hono/zod-openapi';
import type { Hook } from '@hono/zod-openapi';
import { ErrorCode, ErrorType, ShouyinError } from '../lib/errors';
import type { AppEnv } from '../routes/http';

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

/** The first schema issue as our error: missing, unknown or invalid, naming the field. */
export function issueToError(issues: readonly z.core.$ZodIssue[]): ShouyinError {
  const issue = issues[0];
  if (!issue) return new ShouyinError(ErrorType.invalid_request, ErrorCode.request.parameter_invalid, 'The request is invalid.');
  if (issue.code === 'unrecognized_keys') {
    const key = paramName([...issue.path, issue.keys[0] ?? '']);
    return new ShouyinError(ErrorType.invalid_request, ErrorCode.request.parameter_unknown, `Received unknown parameter: ${key}.`, key);
  }
  const param = paramName(issue.path);
  // zod reports the input only when asked to; its message says "received undefined" for a missing field.
  const missing = issue.code === 'invalid_type' && /received undefined$/.test(issue.message);
  if (missing) {
    return new ShouyinError(ErrorType.invalid_request, ErrorCode.request.parameter_missing, `Missing required param: ${param}.`, param);
  }
  const message = issue.message.startsWith(param) ? issue.message : `${param}: ${issue.message}`;
  return new ShouyinError(ErrorType.invalid_request, ErrorCode.request.parameter_invalid, message, param || undefined);
}

export const validationHook: Hook<unknown, AppEnv, string, unknown> = (result) => {
  if (!result.success) throw issueToError(result.error.issues);
};

/** A Hono app whose routes are declared with createRoute() and validated by their schemas. */
export function apiApp(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
}
