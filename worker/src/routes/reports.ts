// Merchant API reports (secret key, or the dashboard's session): how checkout sessions ended per Beijing
// day and channel (`GET /v1/reports/daily`), and the session a provider transaction id belongs to
// (`GET /v1/provider_transactions/:id`). Thin: validate → the merchant's shards (worker/src/reports).
// Mounted inside merchantRoutes (routes/merchant.ts), which authenticates.

import { Hono } from 'hono';
import { addDays, beijingDay, parseDate } from '../bills/time';
import { invalid, notFound } from '../lib/errors';
import { paymentIndexFor, statsShardName } from '../shards';
import type { AppEnv } from './http';

/** The longest range one daily report covers. */
export const MAX_REPORT_DAYS = 92;
export const DEFAULT_REPORT_DAYS = 30;

export const reportRoutes = new Hono<AppEnv>();

function dateParam(raw: string | undefined, param: string): string | undefined {
  if (raw === undefined) return undefined;
  const d = parseDate(raw);
  if (!d) throw invalid(param, `${param} must be a Beijing calendar date YYYY-MM-DD (got ${JSON.stringify(raw)}).`);
  return d;
}

reportRoutes.get('/reports/daily', async (c) => {
  const merchant = c.get('merchant');
  for (const k of Object.keys(c.req.query())) {
    if (k !== 'from' && k !== 'to') throw invalid(k, `Received unknown parameter: ${k}. The daily report takes from and to.`, 'parameter_unknown');
  }
  const today = beijingDay(Date.now());
  const to = dateParam(c.req.query('to'), 'to') ?? today;
  const from = dateParam(c.req.query('from'), 'from') ?? addDays(to, -(DEFAULT_REPORT_DAYS - 1));
  if (to > today) throw invalid('to', `${to} has not happened yet in Beijing time.`, 'date_in_future');
  if (from > to) throw invalid('from', `from (${from}) is after to (${to}).`);
  const days: string[] = [];
  for (let d = from; d <= to; d = addDays(d, 1)) {
    days.push(d);
    if (days.length > MAX_REPORT_DAYS) throw invalid('from', `A daily report covers at most ${MAX_REPORT_DAYS} days.`);
  }
  const stats = await Promise.all(days.map((d) => c.env.MERCHANT_SHARDS.getByName(statsShardName(merchant.id, d)).dayStats(merchant.id, d)));
  return c.json({ object: 'daily_report', timezone: 'Asia/Shanghai', from, to, livemode: merchant.livemode, days: stats });
});

/** A provider's transaction id: WeChat Pay's transaction_id, Alipay's trade_no, UnionPay's queryId. */
const TXN_ID = /^[0-9A-Za-z_-]{6,64}$/;

reportRoutes.get('/provider_transactions/:id', async (c) => {
  const merchant = c.get('merchant');
  const id = c.req.param('id');
  if (!TXN_ID.test(id)) throw notFound('provider transaction', id);
  const found = await paymentIndexFor(c.env, merchant.id, id).findPayment(merchant.id, id);
  if (!found) throw notFound('provider transaction', id);
  return c.json({
    object: 'provider_transaction',
    id: found.provider_transaction_id,
    session: found.session,
    attempt: found.attempt,
    anomaly: found.anomaly,
    created: Math.floor(found.at / 1000),
  });
});
