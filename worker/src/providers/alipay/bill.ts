// Alipay trade bill
// (https://opendocs.alipay.com/open/e099d91f_alipay.data.dataservice.bill.downloadurl.query?pathHash=2319d4ee):
// alipay.data.dataservice.bill.downloadurl.query {bill_type: trade, bill_date: yyyy-MM-dd} answers a short-lived
// bill_download_url (30 s, unauthenticated), which serves a zip of GBK CSV files. The detail file is found by its first
// line (#支付宝业务明细查询), whatever its name (names are GBK without the zip UTF-8 flag). isp.bill_not_exist — no bill for
// that day — is an empty statement (what public integrations do with it).

import type { AlipayConfig } from './config';
import { ProviderError } from '../../lib/errors';
import { decodeText, unzip } from '../../bills/decode';
import { fetchBytes, readStatement } from '../../bills/download';
import { ALIPAY_DETAIL_TITLE, parseAlipayBill } from './bill-format';
import type { StatementResult } from '../../bills/statement';
import type { ProviderContext } from '../types';
import { AlipayApiError, alipayCall } from './client';

export const BILL_METHOD = 'alipay.data.dataservice.bill.downloadurl.query';

export async function downloadStatement(ctx: ProviderContext, cfg: AlipayConfig, date: string): Promise<StatementResult> {
  let answer: Record<string, unknown>;
  try {
    answer = await alipayCall(ctx, cfg, BILL_METHOD, { bill_type: 'trade', bill_date: date });
  } catch (e) {
    if (e instanceof AlipayApiError && e.subCode === 'isp.bill_not_exist') return { status: 'empty', reason: `Alipay: ${e.message}` };
    throw e;
  }
  const link = answer.bill_download_url;
  if (typeof link !== 'string' || !/^https?:\/\//.test(link)) throw new ProviderError('invalid_response', "Alipay's bill answer has no bill_download_url.");
  const { status, bytes } = await fetchBytes(ctx.fetch, new Request(link), 'Alipay bill');
  if (status !== 200) throw new ProviderError('provider_unavailable', `Alipay's bill download answered HTTP ${status} (the link lives 30 seconds).`, true);
  return readStatement('Alipay', () => {
    for (const [name, data] of unzip(bytes, 'the Alipay bill')) {
      if (!name.toLowerCase().endsWith('.csv')) continue;
      const text = decodeText(data, 'gbk', name);
      if (text.startsWith(ALIPAY_DETAIL_TITLE)) return { status: 'ok', statement: parseAlipayBill(text, name) } as const;
    }
    throw new ProviderError('statement_unreadable', `Alipay statement: the bill zip for ${date} has no ${ALIPAY_DETAIL_TITLE} file.`);
  });
}
