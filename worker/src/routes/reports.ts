// Merchant API reports (secret key, or the dashboard's session): how checkout sessions ended per Beijing
// day and channel (`GET /v1/reports/daily`), and the session a provider transaction id belongs to
// (`GET /v1/provider_transactions/{id}`). Thin: validate → the merchant's shards (worker/src/reports).
// Mounted inside merchantRoutes (routes/merchant.ts), behind whatever authenticates them.

import { createRoute } from '@hono/zod-openapi';
import { apiApp, defineRoute, z } from '../api/openapi';
import { INTERNAL, MERCHANT_AUTH, errors, secretKeyAuth } from '../api/schemas/common';
import { DEFAULT_REPORT_DAYS, DailyReport, DailyReportQuery, MAX_REPORT_DAYS, ProviderTransaction } from '../api/schemas/reports';
import { addDays, beijingDay, parseDate } from '../bills/time';
import { invalid, notFound } from '../lib/errors';
import { paymentIndexFor, statsShardName } from '../shards';

export const reportRoutes = apiApp();

defineRoute(
  reportRoutes,
  createRoute({
    method: 'get',
    path: '/reports/daily',
    operationId: 'retrieveDailyReport',
    tags: ['Reports'],
    summary: 'How checkout sessions ended, per Beijing day and channel',
    description: `Sessions that ended (paid, expired, canceled) on each Beijing calendar day from \`from\` to \`to\` (at most ${MAX_REPORT_DAYS} days), with what each channel was tried for and paid. Sessions still open are counted on the day they end.`,
    security: secretKeyAuth,
    request: { query: DailyReportQuery },
    responses: {
      200: { description: 'One entry per day.', content: { 'application/json': { schema: DailyReport } } },
      ...errors({ 400: ['parameter_invalid', 'parameter_unknown', 'date_in_future'], 401: MERCHANT_AUTH, 500: INTERNAL }),
    },
  }),
  async (c) => {
    const merchant = c.get('merchant');
    const query = c.req.valid('query');
    const today = beijingDay(Date.now());
    // The schema accepted both dates.
    const to = query.to === undefined ? today : parseDate(query.to)!;
    const from = query.from === undefined ? addDays(to, -(DEFAULT_REPORT_DAYS - 1)) : parseDate(query.from)!;
    if (to > today) throw invalid('to', `${to} has not happened yet in Beijing time.`, 'date_in_future');
    if (from > to) throw invalid('from', `from (${from}) is after to (${to}).`);
    const days: string[] = [];
    for (let d = from; d <= to; d = addDays(d, 1)) {
      days.push(d);
      if (days.length > MAX_REPORT_DAYS) throw invalid('from', `A daily report covers at most ${MAX_REPORT_DAYS} days.`);
    }
    const stats = await Promise.all(days.map((d) => c.env.MERCHANT_SHARDS.getByName(statsShardName(merchant.id, d)).dayStats(merchant.id, d)));
    return c.json({ object: 'daily_report', timezone: 'Asia/Shanghai', from, to, livemode: merchant.livemode, days: stats });
  },
);

/** A provider's transaction id: WeChat Pay's transaction_id, Alipay's trade_no, UnionPay's queryId. */
const TXN_ID = /^[0-9A-Za-z_-]{6,64}$/;

defineRoute(
  reportRoutes,
  createRoute({
    method: 'get',
    path: '/provider_transactions/{id}',
    operationId: 'retrieveProviderTransaction',
    tags: ['Reports'],
    summary: 'The session a provider transaction id belongs to',
    description:
      "Looks up a transaction id from a provider's statement or merchant platform (WeChat Pay's transaction_id, Alipay's trade_no, UnionPay's queryId), including money Shouyin did not take as a session's payment (`anomaly`). Another merchant's is a 404, like one Shouyin never saw.",
    security: secretKeyAuth,
    request: {
      params: z.object({
        id: z.string().openapi({
          param: { name: 'id', in: 'path' },
          description: "The provider's transaction id (6–64 letters, digits, `_` or `-`).",
          example: '4200002345202511281234567890',
        }),
      }),
    },
    responses: {
      200: { description: 'The session and attempt it paid.', content: { 'application/json': { schema: ProviderTransaction } } },
      ...errors({ 401: MERCHANT_AUTH, 404: ['resource_missing'], 500: INTERNAL }),
    },
  }),
  async (c) => {
    const merchant = c.get('merchant');
    const { id } = c.req.valid('param');
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
  },
);
