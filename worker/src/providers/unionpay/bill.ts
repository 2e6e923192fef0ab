// UnionPay merchant settlement file (https://open.unionpay.com/tjweb/acproduct/list?apiSvcId=448): a back request with
// txnType=76, txnSubType=01, bizType=000000, fileType=00 and settleDate=MMdd, posted to the file-download host
// (filedownload[.test].95516.com). The signed answer carries fileName and fileContent =
// base64(zlib(zip)) (the official AcpService.deCodeFileContent); the zip's ZM file is parsed by
// ./bill-format.ts. respCode 98 ("文件不存在") is taken as no file for that day (UNVERIFIED).
// UnionPay clears on its own day (清算日, commonly cut at 23:00, UNVERIFIED): Shouyin asks for the
// file whose settleDate is the Beijing date reconciled; see docs/reconciliation.md.

import { fromBase64 } from '../../crypto/encoding';
import { ProviderError } from '../../lib/errors';
import { inflateZlib, unzip } from '../../bills/decode';
import { readStatement } from '../../bills/download';
import { parseUnionpayZm } from './bill-format';
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
  if (answer.respCode === '98') return { status: 'empty', reason: `UnionPay: ${answer.respMsg ?? 'no file'}` };
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
    const zip = inflateZlib(fromBase64(content.replace(/\s+/g, '')), `fileContent of ${answer.fileName ?? 'the file'}`);
    for (const [name, data] of unzip(zip, answer.fileName ?? 'the settlement zip')) {
      const base = name.slice(name.lastIndexOf('/') + 1);
      if (base.includes('ZM_') && !base.includes('ZME_')) return { status: 'ok', statement: parseUnionpayZm(data, base, date) } as const;
    }
    throw new ProviderError('statement_unreadable', `UnionPay statement: ${answer.fileName ?? 'the zip'} for ${date} has no ZM file.`);
  });
}
