// WeChat Pay APIv2 downloadbill (https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=9_6): POST /pay/downloadbill
// with the usual signed XML (bill_date yyyyMMdd, bill_type ALL). Success is the bill itself — the same CSV as APIv3's,
// UTF-8 — and is not signed; failure is the usual XML with return_code FAIL. "No Bill Exist" (no trades that
// day) is taken as an empty statement, "Bill Creating" as not ready: both texts are UNVERIFIED
// (recalled from the v2 documentation, not seen in SDK code here).

import type { WechatPayV2Config } from './config';
import { randomAlnum } from '../../crypto/encoding';
import { ProviderError } from '../../lib/errors';
import { decodeText } from '../../bills/decode';
import { fetchBytes, readStatement } from '../../bills/download';
import { parseWechatBill } from '../wechat-pay/bill-format';
import type { StatementResult } from '../../bills/statement';
import type { ProviderContext } from '../types';
import { baseUrl } from './client';
import { signed } from './sign';
import { buildXml, parseFlatXml } from './xml';

export async function downloadStatement(ctx: ProviderContext, cfg: WechatPayV2Config, date: string): Promise<StatementResult> {
  const fields = { appid: cfg.appid, mch_id: cfg.mch_id, nonce_str: randomAlnum(32), bill_date: date.replaceAll('-', ''), bill_type: 'ALL' };
  const req = new Request(`${baseUrl(ctx, cfg)}/pay/downloadbill`, {
    method: 'POST',
    headers: { 'Content-Type': 'text/xml; charset=utf-8', 'User-Agent': 'Shouyin/0.1' },
    body: buildXml(await signed(fields, cfg.apiv2_key, cfg.sign_type)),
  });
  const { status, bytes } = await fetchBytes(ctx.fetch, req, 'WeChat Pay bill');
  if (status !== 200) throw new ProviderError('provider_unavailable', `WeChat Pay answered HTTP ${status} to downloadbill.`, status >= 500);
  const text = readStatement('WeChat Pay', () => decodeText(bytes, 'utf-8', 'the downloadbill answer'));
  if (text.trimStart().startsWith('<xml')) {
    let answer: Record<string, string>;
    try {
      answer = parseFlatXml(text);
    } catch {
      throw new ProviderError('invalid_response', "WeChat Pay's downloadbill answer is neither a bill nor its XML.");
    }
    const msg = `${answer.return_msg ?? ''}`;
    if (/no bill exist/i.test(msg)) return { status: 'empty', reason: `WeChat Pay: ${msg}` };
    if (/bill creating/i.test(msg)) return { status: 'not_ready', reason: `WeChat Pay: ${msg}` };
    throw new ProviderError('provider_rejected', `WeChat Pay refused downloadbill: ${answer.return_code ?? '?'} ${msg} ${answer.error_code ?? ''}`.trim());
  }
  return readStatement('WeChat Pay', () => ({ status: 'ok', statement: parseWechatBill(text, `downloadbill_${date}.csv`) }) as const);
}
