// `GET /v1/reconciliation/:date` (merchant API, secret key): the day's reconciliation report — the
// stored one (from the daily Cron Trigger, or an earlier request), or a fresh one; `?refresh=true`
// downloads the statements again. Thin: validate → authenticate → the day's run shard.

import { Hono } from 'hono';
import { reconShardName } from '../bills/run';
import { beijingDay, parseDate } from '../bills/time';
import { ErrorType, ShouyinError } from '../lib/errors';
import { authenticateMerchant, type AppEnv } from './http';

export const reconciliationApi = new Hono<AppEnv>();

reconciliationApi.get('/:date', async (c) => {
  const merchant = await authenticateMerchant(c);
  const raw = c.req.param('date');
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
  const refresh = c.req.query('refresh');
  if (refresh !== undefined && refresh !== 'true' && refresh !== 'false') {
    throw new ShouyinError(ErrorType.invalid_request, 'parameter_invalid', 'refresh must be true or false.', 'refresh');
  }
  const report = await c.env.MERCHANT_SHARDS.getByName(reconShardName(merchant.id, date)).reconciliationReport(merchant.id, date, refresh === 'true');
  if (!report) throw new ShouyinError(ErrorType.not_found, 'resource_missing', `No merchant ${merchant.id}.`);
  return c.json(report);
});
