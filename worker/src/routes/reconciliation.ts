// `GET /v1/reconciliation/:date` (merchant API, secret key): the day's reconciliation report — the
// stored one (from the daily Cron Trigger, or an earlier request), or a fresh one; `?refresh=true`
// downloads the statements again. `GET /v1/reconciliation/:date/statements/:provider`: that provider's
// statement of the day as normalised CSV (bills/export.ts). Thin: validate → authenticate → the day's
// run shard. reconciliationRoutes reads `c.get('merchant')`; reconciliationApi puts the secret key in
// front of it, the dashboard its session cookie (worker/src/dashboard).

import { Hono } from 'hono';
import { downloadStatementOf, statementCsv } from '../bills/export';
import { reconShardName } from '../bills/run';
import { beijingDay, parseDate } from '../bills/time';
import { ErrorType, ShouyinError, notFound } from '../lib/errors';
import { authenticateMerchant, type AppEnv } from './http';

export const reconciliationRoutes = new Hono<AppEnv>();

function dayOf(raw: string): string {
  const date = parseDate(raw);
  if (!date)
    throw new ShouyinError(
      ErrorType.invalid_request,
      'parameter_invalid',
      `date must be a Beijing calendar date YYYY-MM-DD (got ${JSON.stringify(raw)}).`,
      'date',
    );
  // Providers publish a day's statement the next morning; today's is only what the sandbox can show.
  if (date > beijingDay(Date.now()))
    throw new ShouyinError(ErrorType.invalid_request, 'date_in_future', `${date} has not happened yet in Beijing time.`, 'date');
  return date;
}

reconciliationRoutes.get('/:date', async (c) => {
  const merchant = c.get('merchant');
  const date = dayOf(c.req.param('date'));
  const refresh = c.req.query('refresh');
  if (refresh !== undefined && refresh !== 'true' && refresh !== 'false') {
    throw new ShouyinError(ErrorType.invalid_request, 'parameter_invalid', 'refresh must be true or false.', 'refresh');
  }
  const report = await c.env.MERCHANT_SHARDS.getByName(reconShardName(merchant.id, date)).reconciliationReport(merchant.id, date, refresh === 'true');
  if (!report) throw new ShouyinError(ErrorType.not_found, 'resource_missing', `No merchant ${merchant.id}.`);
  return c.json(report);
});

reconciliationRoutes.get('/:date/statements/:provider', async (c) => {
  const merchant = c.get('merchant');
  const date = dayOf(c.req.param('date'));
  const provider = c.req.param('provider');
  const got = await downloadStatementOf(c.env, merchant, provider, date);
  if (got.kind === 'no_provider') throw notFound('provider configured for this merchant', provider);
  if (got.kind === 'unsupported') {
    throw new ShouyinError(ErrorType.invalid_request, 'parameter_invalid', `${provider} has no statement download.`, 'provider');
  }
  if (got.result.status !== 'ok') {
    // `empty` (no trades that day) and `not_ready` (ask again later) are answers, not errors: JSON instead of the CSV.
    return c.json({ object: 'statement', provider, date, status: got.result.status, reason: got.result.reason });
  }
  const csv = statementCsv(got.result.statement.rows);
  return new Response(csv, {
    headers: {
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': `attachment; filename="statement-${merchant.id}-${provider}-${date}.csv"`,
      'cache-control': 'no-store',
    },
  });
});

export const reconciliationApi = new Hono<AppEnv>();
reconciliationApi.use('*', async (c, next) => {
  c.set('merchant', await authenticateMerchant(c));
  await next();
});
reconciliationApi.route('/', reconciliationRoutes);
