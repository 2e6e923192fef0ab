// `GET /v1/reconciliation/{date}` (merchant API, secret key): the day's reconciliation report — the
// stored one (from the daily Cron Trigger, or an earlier request), or a fresh one; `?refresh=true`
// downloads the statements again. `GET /v1/reconciliation/{date}/statements/{provider}`: that
// provider's statement of the day as normalised CSV (bills/export.ts). Thin: validate → the day's run
// shard. Mounted in the merchant routes (merchant.ts), behind whatever authenticates them: the secret
// key (merchantApi) or the dashboard's session cookie (worker/src/dashboard).

import { createRoute } from '@hono/zod-openapi';
import { apiApp, defineRoute, z } from '../api/openapi';
import { INTERNAL, MERCHANT_AUTH, errors, secretKeyAuth } from '../api/schemas/common';
import { ReconciliationReportSchema, StatementCsv, StatementUnavailable } from '../api/schemas/reconciliation';
import { downloadStatementOf, statementCsv } from '../bills/export';
import { reconShardName } from '../bills/run';
import { beijingDay, parseDate } from '../bills/time';
import { ErrorType, ShouyinError, notFound } from '../lib/errors';

export const reconciliationRoutes = apiApp();

const dateParam = z
  .string()
  .refine((d) => parseDate(d) !== null, { error: (iss) => `date must be a Beijing calendar date YYYY-MM-DD (got ${JSON.stringify(iss.input)}).` })
  .openapi({ param: { name: 'date', in: 'path' }, description: 'A Beijing calendar date, YYYY-MM-DD.', example: '2025-11-27' });

/** The validated date, refused when it has not happened yet. */
function pastDay(raw: string): string {
  const date = parseDate(raw)!;
  // Providers publish a day's statement the next morning; today's is only what the sandbox can show.
  if (date > beijingDay(Date.now())) {
    throw new ShouyinError(ErrorType.invalid_request, 'date_in_future', `${date} has not happened yet in Beijing time.`, 'date');
  }
  return date;
}

defineRoute(
  reconciliationRoutes,
  createRoute({
    method: 'get',
    path: '/{date}',
    operationId: 'retrieveReconciliationReport',
    tags: ['Reconciliation'],
    summary: "A day's reconciliation report",
    description: 'The stored report of a Beijing calendar day, or one computed now. A report asked for over the API sends no webhook (docs/reconciliation.md).',
    security: secretKeyAuth,
    request: {
      params: z.object({ date: dateParam }),
      query: z.object({
        refresh: z
          .enum(['true', 'false'], { error: 'refresh must be true or false.' })
          .optional()
          .openapi({ param: { name: 'refresh', in: 'query' }, description: "`true`: download the providers' statements again." }),
      }),
    },
    responses: {
      200: { description: 'The report.', content: { 'application/json': { schema: ReconciliationReportSchema } } },
      ...errors({ 400: ['parameter_invalid', 'date_in_future'], 401: MERCHANT_AUTH, 404: ['resource_missing'], 500: INTERNAL }),
    },
  }),
  async (c) => {
    const merchant = c.get('merchant');
    const date = pastDay(c.req.valid('param').date);
    const refresh = c.req.valid('query').refresh === 'true';
    const report = await c.env.MERCHANT_SHARDS.getByName(reconShardName(merchant.id, date)).reconciliationReport(merchant.id, date, refresh);
    if (!report) throw new ShouyinError(ErrorType.not_found, 'resource_missing', `No merchant ${merchant.id}.`);
    return c.json(report);
  },
);

defineRoute(
  reconciliationRoutes,
  createRoute({
    method: 'get',
    path: '/{date}/statements/{provider}',
    operationId: 'downloadStatement',
    tags: ['Reconciliation'],
    summary: "One provider's statement of a day, as CSV",
    description:
      "Downloaded from the provider now, exactly as the reconciliation run downloads it, and written in the one row shape every provider's file is read into, so the provider's statement and the report can be put side by side in a spreadsheet (docs/reconciliation.md#the-normalised-statement). When the provider has no statement for the day (yet), the answer is a JSON `statement` object instead.",
    security: secretKeyAuth,
    request: {
      params: z.object({
        date: dateParam,
        provider: z.string().openapi({
          param: { name: 'provider', in: 'path' },
          description: "A provider configured for the merchant, as named in the report's `providers[].provider`. One the merchant does not have is a 404.",
          example: 'wechat-v3',
        }),
      }),
    },
    responses: {
      200: {
        description: 'The statement as CSV (`Content-Disposition: attachment`), or, as JSON, why there is none.',
        content: { 'text/csv': { schema: StatementCsv }, 'application/json': { schema: StatementUnavailable } },
      },
      ...errors({
        400: ['parameter_invalid', 'date_in_future'],
        401: MERCHANT_AUTH,
        404: ['resource_missing'],
        500: INTERNAL,
        502: [
          'provider_unavailable',
          'provider_unreachable',
          'provider_error',
          'invalid_response',
          'response_unverified',
          'statement_unreadable',
          'statement_digest_mismatch',
        ],
      }),
    },
  }),
  async (c) => {
    const merchant = c.get('merchant');
    const params = c.req.valid('param');
    const date = pastDay(params.date);
    const provider = params.provider;
    const got = await downloadStatementOf(c.env, merchant, provider, date);
    if (got.kind === 'no_provider') throw notFound('provider configured for this merchant', provider);
    if (got.kind === 'unsupported') {
      throw new ShouyinError(ErrorType.invalid_request, 'parameter_invalid', `${provider} has no statement download.`, 'provider');
    }
    if (got.result.status !== 'ok') {
      // `empty` (no trades that day) and `not_ready` (ask again later) are answers, not errors: JSON instead of the CSV.
      return c.json({ object: 'statement', provider, date, status: got.result.status, reason: got.result.reason });
    }
    return new Response(statementCsv(got.result.statement.rows), {
      headers: {
        'content-type': 'text/csv; charset=utf-8',
        'content-disposition': `attachment; filename="statement-${merchant.id}-${provider}-${date}.csv"`,
        'cache-control': 'no-store',
      },
    });
  },
);
