// Merchant-wide reports on the wire: how checkout sessions ended per Beijing day and channel
// (`GET /v1/reports/daily`) and the session a provider transaction id belongs to
// (`GET /v1/provider_transactions/{id}`); docs/merchant-api.md#daily-report.

import { CHANNELS, type Channel } from '../../contract';
import { parseDate } from '../../bills/time';
import type { ChannelDay as ChannelDayType, DayStats as DayStatsType } from '../../reports/outcomes';
import { z } from '../openapi';
import { Timestamp } from './common';

/** The longest range one daily report covers. */
export const MAX_REPORT_DAYS = 92;
export const DEFAULT_REPORT_DAYS = 30;

/** A Beijing calendar date in the query, named in its error when it is not one. */
const reportDate = (name: 'from' | 'to', description: string) =>
  z
    .string()
    .refine((d) => parseDate(d) !== null, { error: (iss) => `${name} must be a Beijing calendar date YYYY-MM-DD (got ${JSON.stringify(iss.input)}).` })
    .optional()
    .openapi({ param: { name, in: 'query' }, description, example: '2025-11-28' });

export const DailyReportQuery = z.strictObject(
  {
    from: reportDate('from', `The first day, YYYY-MM-DD (default: ${DEFAULT_REPORT_DAYS} days ending with \`to\`). At most ${MAX_REPORT_DAYS} days in all.`),
    to: reportDate('to', 'The last day, YYYY-MM-DD (default: today in Beijing); not after today.'),
  },
  { error: (iss) => (iss.code === 'unrecognized_keys' ? 'The daily report takes from and to.' : undefined) },
);

const ChannelDay = z
  .object({
    tried: z.number().int().openapi({ description: 'Ended sessions in which the shopper started an attempt on this channel.' }),
    paid: z.number().int().openapi({ description: 'Sessions paid with this channel.' }),
    paid_amount: z.number().int().openapi({ description: 'What they paid, integer fen.' }),
  })
  .openapi('ChannelDay') satisfies z.ZodType<ChannelDayType>;

const channelDays = z.object(Object.fromEntries(CHANNELS.map((c) => [c, ChannelDay])) as Record<Channel, typeof ChannelDay>);

export const DayStats = z
  .object({
    date: z.string().openapi({ description: 'The Beijing calendar day, YYYY-MM-DD.', example: '2025-11-28' }),
    ended: z.number().int().openapi({ description: 'Sessions that ended this day (paid, expired or canceled); open ones are not counted yet.' }),
    paid: z.number().int(),
    expired: z.number().int(),
    canceled: z.number().int(),
    paid_amount: z.number().int().openapi({ description: 'Fen paid this day, every channel.' }),
    channels: channelDays,
  })
  .openapi('DayStats') satisfies z.ZodType<DayStatsType>;

export const DailyReport = z
  .object({
    object: z.literal('daily_report'),
    timezone: z.literal('Asia/Shanghai'),
    from: z.string().openapi({ example: '2025-11-01' }),
    to: z.string().openapi({ example: '2025-11-28' }),
    livemode: z.boolean(),
    days: z.array(DayStats).openapi({ description: 'One entry per day from `from` to `to`, oldest first; a day without sessions has zeros.' }),
  })
  .openapi('DailyReport');

export const ProviderTransaction = z
  .object({
    object: z.literal('provider_transaction'),
    id: z.string().openapi({ description: "The provider's transaction id.", example: '4200002345202511281234567890' }),
    session: z.string().openapi({ description: 'The checkout session (`cs_…`) it paid, or tried to.', example: 'cs_4sV0yIuR0mYqKcEo5JmZ2b7Q' }),
    attempt: z.string().openapi({ description: 'The provider order number (out_trade_no / orderId) it was paid on.' }),
    anomaly: z
      .string()
      .nullable()
      .openapi({ description: "Why Shouyin did not take the money as the session's payment (`late_payment`, `duplicate_payment`…); null when it did." }),
    created: Timestamp.openapi({ description: 'When Shouyin filed it (Unix seconds).' }),
  })
  .openapi('ProviderTransaction');
