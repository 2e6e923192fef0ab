// UnionPay merchant settlement file (https://open.unionpay.com/tjweb/acproduct/list?apiSvcId=448): a back request with
// txnType=76, txnSubType=01, bizType=000000, fileType=00 and settleDate=MMdd, posted to the file-download host
// (filedownload[.test].95516.com). The signed answer carries fileName and fileContent =
// base64(zlib(zip)) (the official AcpService.deCodeFileContent); every ZM file in the zip is parsed by
// ./bill-format.ts and checked against the RD summary beside it. A zip with only the RD summary is a day without
// trades. respCode 98 is UnionPay's "file not available (yet)": not ready, asked again later — never "no trades".
// UnionPay dates by its own clearing day (清算日期, ./bill-format.ts UNIONPAY_BILL_DATING): Shouyin asks for the file
// whose settleDate is the day reconciled and the diff looks for late movements in the next day's file; see
// docs/reconciliation.md.

import { fromBase64 } from '../../crypto/encoding';
import { ProviderError } from '../../lib/errors';
import { inflateZlib, unzip } from '../../bills/decode';
import { readStatement } from '../../bills/download';
import { combineUnionpayFiles, parseUnionpayRd, parseUnionpayZm, type RdSummary } from './bill-format';
import type { StatementResult } from '../../bills/statement';
import type { ProviderContext } from '../types';
import { LIVE_GATEWAY, commonFields, gatewayBase, unionpayRequest } from './client';
import type { UnionpayConfig } from './config';
import { beijingCompact } from './time';

export const FILE_DOWNLOAD_LIVE = 'https://filedownload.95516.com';

/** The file-download host beside the configured gateway: gateway.X → filedownload.X, else `<gateway>/filedownload`. */
export function fileDownloadBase(ctx: ProviderContext, cfg: UnionpayConfig): string {
  const gateway = gatewayBase(ctx, cfg);
  if (gateway === LIVE_GATEWAY) return FILE_DOWNLOAD_LIVE;
  const u = new URL(gateway);
  if (u.hostname.startsWith('gateway.') && (u.pathname === '/' || u.pathname === ''))
    return `${u.protocol}//filedownload.${u.hostname.slice('gateway.'.length)}${u.port ? `:${u.port}` : ''}`;
  return `${gateway}/filedownload`;
}

export async function downloadStatement(ctx: ProviderContext, cfg: UnionpayConfig, date: string): Promise<StatementResult> {
  const fields = {
    ...commonFields(cfg, beijingCompact(ctx.now())),
    txnType: '76',
    txnSubType: '01',
    bizType: '000000',
    fileType: '00',
    settleDate: date.slice(5, 7) + date.slice(8, 10),
  };
  const answer = await unionpayRequest(ctx, cfg, '/', fields, fileDownloadBase(ctx, cfg));
  if (answer.respCode === '98')
    return { status: 'not_ready', reason: `UnionPay: respCode 98 ${answer.respMsg ?? ''} (the file for ${date} is not available yet)`.trim() };
  if (answer.respCode !== '00') {
    throw new ProviderError(
      `unionpay_${answer.respCode ?? 'unknown'}`,
      `UnionPay answered the file download with respCode=${answer.respCode ?? '?'}: ${answer.respMsg ?? ''}`,
      ['03', '04', '05', '06'].includes(answer.respCode ?? ''),
    );
  }
  const content = answer.fileContent;
  if (!content) throw new ProviderError('invalid_response', "UnionPay's file download answer has no fileContent.");
  return readStatement('UnionPay', () => {
    const zipName = answer.fileName ?? 'the settlement zip';
    const zip = inflateZlib(fromBase64(content.replace(/\s+/g, '')), `fileContent of ${zipName}`);
    const zm: ReturnType<typeof parseUnionpayZm>[] = [];
    let rd: RdSummary | null = null;
    for (const [name, data] of unzip(zip, zipName)) {
      const base = name.slice(name.lastIndexOf('/') + 1);
      if (base.includes('ZM_') && !base.includes('ZME_')) zm.push(parseUnionpayZm(data, base, date));
      else if (base.startsWith('RD')) rd = parseUnionpayRd(new TextDecoder('gbk').decode(data), base);
    }
    zm.sort((a, b) => a.file.localeCompare(b.file));
    if (zm.length === 0) {
      if (rd && rd.count === 0)
        return { status: 'empty', reason: `UnionPay: ${zipName} holds only the RD summary (${rd.file}): no trades cleared on ${date}` } as const;
      if (rd) throw new ProviderError('statement_unreadable', `UnionPay statement: ${zipName} has an RD summary of ${rd.count} transactions but no ZM file.`);
      throw new ProviderError('statement_unreadable', `UnionPay statement: ${zipName} for ${date} has no ZM file and no RD summary.`);
    }
    return { status: 'ok', statement: combineUnionpayFiles(zm, rd, date) } as const;
  });
}
