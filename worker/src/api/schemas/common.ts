// Pieces every list and resource schema shares: the list envelope, `limit` and `starting_after`, the
// error body, and error messages that name the field (api/openapi.ts turns the first issue into our 400).

import { z } from '../openapi';

/**
 * A zod error message for an input that is present but wrong. A missing input keeps zod's own message,
 * which issueToError recognises and answers as `parameter_missing`.
 */
export const says =
  (message: string) =>
  (issue: { input?: unknown }): string | undefined =>
    issue.input === undefined ? undefined : message;

export const ErrorBody = z
  .object({
    error: z.object({
      type: z.string().openapi({ example: 'invalid_request_error' }),
      code: z.string().openapi({ example: 'parameter_invalid' }),
      message: z.string(),
      param: z.string().optional().openapi({ description: 'The query or body field, or the header, the error is about.' }),
    }),
  })
  .openapi('ErrorResponse');

export const errorResponses = {
  400: {
    description: 'A parameter is missing, unknown or invalid (`param` names it), or `starting_after` is not a cursor of this list.',
    content: { 'application/json': { schema: ErrorBody } },
  },
  401: { description: 'No secret key, or an unknown one.', content: { 'application/json': { schema: ErrorBody } } },
} as const;

export const notFoundResponse = {
  404: { description: "No such object, or another merchant's.", content: { 'application/json': { schema: ErrorBody } } },
} as const;

export const limitParam = z.coerce
  .number({ error: says('limit must be an integer between 1 and 100.') })
  .int({ error: 'limit must be an integer between 1 and 100.' })
  .min(1, { error: 'limit must be an integer between 1 and 100.' })
  .max(100, { error: 'limit must be an integer between 1 and 100.' })
  .optional()
  .default(20)
  .openapi({ param: { name: 'limit', in: 'query' }, description: 'Items per page, 1–100.', example: 20 });

export const startingAfterParam = z
  .string({ error: says('starting_after must be the next_cursor of a previous page of this list.') })
  .max(300, { error: 'starting_after must be the next_cursor of a previous page of this list.' })
  .optional()
  .openapi({
    param: { name: 'starting_after', in: 'query' },
    description: "The previous page's `next_cursor`. Bound to this merchant, this list and these filters (else 400 `invalid_cursor`).",
  });

/** `created[gte]` / `created[lt]`: Unix seconds. */
export const unixSecondsParam = (name: string, description: string) =>
  z.coerce
    .number({ error: says(`${name} must be a Unix time in whole seconds.`) })
    .int({ error: `${name} must be a Unix time in whole seconds.` })
    .min(0, { error: `${name} must be a Unix time in whole seconds.` })
    .max(99_999_999_999, { error: `${name} must be a Unix time in whole seconds.` })
    .optional()
    .openapi({ param: { name, in: 'query' }, description, example: 1764352000 });

/** The list envelope every list answers with. */
export const listOf = <T extends z.ZodType>(item: T, name: string) =>
  z
    .object({
      object: z.literal('list'),
      data: z.array(item),
      has_more: z.boolean(),
      next_cursor: z.string().nullable().openapi({ description: 'Pass as `starting_after` for the next page; null on the last one.' }),
    })
    .openapi(name);
