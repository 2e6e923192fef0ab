// `GET /v1/reconciliation/{date}` (merchant API, secret key): the day's reconciliation report — the
// stored one (from the daily Cron Trigger, or an earlier request), or a fresh one; `?refresh=true`
// downloads the statements again. Thin: validate → the day's run shard. Mounted in the merchant
// routes (merchant.ts), behind whatever authenticates them.

import { createRoute } from '@hono/zod-openapi';
import { apiApp, defineRoute, z } from '../api/openapi';
import { INTERNAL, MERCHANT_AUTH, errors, secretKeyAuth } from '../api/schemas/common';
import { ReconciliationReportSchema } from '../api/schemas/reconciliation';
import { reconShardName } from '../bills/run';
import { beijingDay, parseDate } from '../bills/time';
import { ErrorType, ShouyinError } from '../lib/errors';

export const reconciliationRoutes = apiApp();

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
      params: z.object({
        date: z
          .string()
          .refine((d) => parseDate(d) !== null, { error: (iss) => `date must be a Beijing calendar date YYYY-MM-DD (got ${JSON.stringify(iss.input)}).` })
          .openapi({ param: { name: 'date', in: 'path' }, description: 'A Beijing calendar date, YYYY-MM-DD.', example: '2025-11-27' }),
      }),
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
    const date = parseDate(c.req.valid('param').date)!;
    // Providers publish a day's statement the next morning; today's is only what the sandbox can show.
    if (date > beijingDay(Date.now())) {
      throw new ShouyinError(ErrorType.invalid_request, 'date_in_future', `${date} has not happened yet in Beijing time.`, 'date');
    }
    const refresh = c.req.valid('query').refresh === 'true';
    const report = await c.env.MERCHANT_SHARDS.getByName(reconShardName(merchant.id, date)).reconciliationReport(merchant.id, date, refresh);
    if (!report) throw new ShouyinError(ErrorType.not_found, 'resource_missing', `No merchant ${merchant.id}.`);
    return c.json(report);
  },
);
