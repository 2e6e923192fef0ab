// The dashboard's pure logic, apart from its elements (and tested in Node): the list API's query from a
// page's URL, the payments CSV, and what is left to refund.

import { addDays, beijingTime, csv, dayStartSeconds, isDate, yuan } from './format';
import type { Query } from './api';
import type { Channel, Session, Timeline } from './types';

export const STATUSES = ['open', 'paid', 'expired', 'canceled'] as const;
export const CHANNELS: Channel[] = ['wechat_pay', 'alipay', 'unionpay'];

/** The list API's filters from the page's URL. */
export function listQuery(q: URLSearchParams): Query {
  const from = q.get('from');
  const to = q.get('to');
  return {
    status: STATUSES.includes(q.get('status') as (typeof STATUSES)[number]) ? q.get('status') : undefined,
    channel: CHANNELS.includes(q.get('channel') as Channel) ? q.get('channel') : undefined,
    'created[gte]': isDate(from) ? dayStartSeconds(from) : undefined,
    'created[lt]': isDate(to) ? dayStartSeconds(addDays(to, 1)) : undefined,
  };
}

export const CSV_HEADER = [
  'session',
  'merchant_order_id',
  'status',
  'amount_yuan',
  'amount_refunded_yuan',
  'currency',
  'channel',
  'provider',
  'provider_transaction_id',
  'created_beijing',
  'paid_at_beijing',
  'description',
];

export function sessionsCsv(rows: readonly Session[]): string {
  return csv([
    CSV_HEADER,
    ...rows.map((s) => [
      s.id,
      s.merchant_order_id,
      s.status,
      yuan(s.payment?.amount ?? s.amount),
      yuan(s.amount_refunded),
      s.currency,
      s.payment?.channel ?? '',
      s.payment?.provider ?? '',
      s.payment?.provider_transaction_id ?? '',
      beijingTime(s.created),
      s.payment?.paid_at ? beijingTime(s.payment.paid_at) : '',
      s.description,
    ]),
  ]);
}

/** What is left to refund: the payment less merchant refunds that did not fail. */
export function refundable(t: Timeline): number {
  const s = t.session;
  if (s.status !== 'paid' || !s.payment) return 0;
  const committed = s.refunds.filter((r) => !r.automatic && r.status !== 'failed').reduce((n, r) => n + r.amount, 0);
  return Math.max(0, s.payment.amount - committed);
}
