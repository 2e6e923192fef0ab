// Alipay trade bill
// (https://opendocs.alipay.com/open/e099d91f_alipay.data.dataservice.bill.downloadurl.query?pathHash=2319d4ee):
// alipay.data.dataservice.bill.downloadurl.query {bill_type: trade, bill_date: yyyy-MM-dd} answers a short-lived
// bill_download_url (30 s, unauthenticated), which serves a zip of GBK CSV files. Every detail file is read — a large
// day comes split into `…_业务明细_1.csv`, `…_业务明细_2.csv` — found by its first line (#支付宝业务明细查询), whatever
// its name (names are GBK without the zip UTF-8 flag), and the (汇总) file (#支付宝业务汇总查询) is checked against them.
// A byte that is not GBK spoils its row only: the row is reported, the rest of the file is read.
// "No file" has two meanings here. isp.bill_not_exist — no bill for that day — is an empty statement (what public
// integrations do with it). A day's bill is generated the next morning and cannot be asked for before (the page
// above: T+1, usually ready by 09:00, later on some days); asked too early, the gateway refuses the arguments
// (isv.invalid-arguments): for a day that is not over or whose bill is not due yet, that is "not ready", not an error.

import type { AlipayConfig } from './config';
import { ProviderError } from '../../lib/errors';
import { decodeTextLenient, unzip } from '../../bills/decode';
import { fetchBytes, readStatement } from '../../bills/download';
import { ALIPAY_DETAIL_TITLE, ALIPAY_SUMMARY_TITLE, combineAlipayParts, parseAlipayDetail, parseAlipaySummary, type AlipayDetailPart } from './bill-format';
import type { StatementResult } from '../../bills/statement';
import { addDays, atClock, beijingDay } from '../../bills/time';
import type { ProviderContext } from '../types';
import { AlipayApiError, alipayCall } from './client';

export const BILL_METHOD = 'alipay.data.dataservice.bill.downloadurl.query';

/** Until this time (Beijing) on the next day, an answer that there is no bill yet means "not ready": ready by 09:00, later on some days. */
export const ALIPAY_BILL_DUE = '12:00';

const INVALID_ARGUMENTS = new Set(['isv.invalid-arguments', 'isv.invalid_arguments']);

export async function downloadStatement(ctx: ProviderContext, cfg: AlipayConfig, date: string): Promise<StatementResult> {
  let answer: Record<string, unknown>;
  try {
    answer = await alipayCall(ctx, cfg, BILL_METHOD, { bill_type: 'trade', bill_date: date });
  } catch (e) {
    if (e instanceof AlipayApiError) {
      const early = ctx.now() < atClock(addDays(date, 1), ALIPAY_BILL_DUE);
      if (INVALID_ARGUMENTS.has(e.subCode) && early) {
        return {
          status: 'not_ready',
          reason: `Alipay: ${e.message} (the bill for ${date} is generated on ${addDays(date, 1)}; today is ${beijingDay(ctx.now())})`,
        };
      }
      if (e.subCode === 'isp.bill_not_exist') return { status: 'empty', reason: `Alipay: ${e.message}` };
    }
    throw e;
  }
  const link = answer.bill_download_url;
  if (typeof link !== 'string' || !/^https?:\/\//.test(link)) throw new ProviderError('invalid_response', "Alipay's bill answer has no bill_download_url.");
  const { status, bytes } = await fetchBytes(ctx.fetch, new Request(link), 'Alipay bill');
  if (status !== 200) throw new ProviderError('provider_unavailable', `Alipay's bill download answered HTTP ${status} (the link lives 30 seconds).`, true);
  return readStatement('Alipay', () => {
    const parts: AlipayDetailPart[] = [];
    let summary: ReturnType<typeof parseAlipaySummary> | null = null;
    for (const [name, data] of unzip(bytes, 'the Alipay bill')) {
      if (!name.toLowerCase().endsWith('.csv')) continue;
      const base = name.slice(name.lastIndexOf('/') + 1);
      const { text, badLines } = decodeTextLenient(data, 'gbk');
      if (text.startsWith(ALIPAY_DETAIL_TITLE)) parts.push(parseAlipayDetail(text, base, badLines));
      else if (text.startsWith(ALIPAY_SUMMARY_TITLE)) summary = parseAlipaySummary(text, base);
    }
    if (parts.length === 0) throw new ProviderError('statement_unreadable', `Alipay statement: the bill zip for ${date} has no ${ALIPAY_DETAIL_TITLE} file.`);
    return { status: 'ok', statement: combineAlipayParts(parts, summary) } as const;
  });
}
