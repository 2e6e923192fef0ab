// WeChat Pay APIv3 trade bill (https://pay.weixin.qq.com/doc/v3/merchant/4012791887; wechatpay-go FAQ "如何下载账单"). Two
// steps:
//   1. GET /v3/bill/tradebill?bill_date=&bill_type=ALL&tar_type=GZIP → {hash_type, hash_value, download_url},
//      a normal signed call whose answer is verified like any other;
//   2. GET download_url (…/v3/billdownload/file?token=…), SIGNED like any request but answered WITHOUT
//      a Wechatpay-Signature: the file is checked against step 1's SHA1 digest instead, which is over the
//      original bill (gzip decompressed first).
// NO_STATEMENT_EXIST: the merchant had no trade or refund that day. STATEMENT_CREATING: not ready yet
// (bills are generated from about 08:00–10:00 the next day).

import type { WechatPayV3Config } from './config';
import { randomAlnum } from '../../crypto/encoding';
import { ProviderError } from '../../lib/errors';
import { decodeText, gunzip } from '../../bills/decode';
import { fetchBytes, isGzip, readStatement, sha1Hex } from '../../bills/download';
import { parseWechatBill } from '../wechat-pay/bill-format';
import type { StatementResult } from '../../bills/statement';
import type { ProviderContext } from '../types';
import { WechatApiError, baseUrl, wechatRequest } from './client';
import { buildAuthorization } from './sign';

export async function downloadStatement(ctx: ProviderContext, cfg: WechatPayV3Config, date: string): Promise<StatementResult> {
  let apply: { hash_type?: unknown; hash_value?: unknown; download_url?: unknown };
  try {
    apply = ((await wechatRequest(ctx, cfg, 'GET', `/v3/bill/tradebill?bill_date=${date}&bill_type=ALL&tar_type=GZIP`)).data ?? {}) as typeof apply;
  } catch (e) {
    if (e instanceof WechatApiError && e.code === 'NO_STATEMENT_EXIST') return { status: 'empty', reason: `WeChat Pay: ${e.message}` };
    if (e instanceof WechatApiError && e.code === 'STATEMENT_CREATING') return { status: 'not_ready', reason: `WeChat Pay: ${e.message}` };
    throw e;
  }
  if (typeof apply.download_url !== 'string' || typeof apply.hash_value !== 'string') {
    throw new ProviderError('invalid_response', "WeChat Pay's tradebill answer has no download_url / hash_value.");
  }
  // The download is signed with the merchant's key: only ever send that to WeChat Pay's own origin.
  const url = new URL(apply.download_url);
  if (url.origin !== new URL(baseUrl(ctx, cfg)).origin) {
    throw new ProviderError('invalid_response', `WeChat Pay's download_url points at ${url.origin}, not at the API's origin.`);
  }
  const authorization = await buildAuthorization({
    mchid: cfg.mchid,
    serialNo: cfg.merchant_serial,
    privateKey: cfg.private_key,
    method: 'GET',
    url: url.pathname + url.search,
    body: '',
    timestamp: Math.floor(ctx.now() / 1000),
    nonce: randomAlnum(32),
  });
  const { status, bytes } = await fetchBytes(
    ctx.fetch,
    new Request(url, { headers: { Authorization: authorization, Accept: '*/*', 'User-Agent': 'Shouyin/0.1' } }),
    'WeChat Pay trade bill',
  );
  if (status !== 200) throw new ProviderError('provider_unavailable', `WeChat Pay answered ${status} to the bill download.`, status >= 500);
  const plain = readStatement('WeChat Pay', () => (isGzip(bytes) ? gunzip(bytes, 'the trade bill') : bytes));
  if ((apply.hash_type ?? 'SHA1') === 'SHA1' && (await sha1Hex(plain)) !== apply.hash_value.toLowerCase()) {
    throw new ProviderError(
      'statement_digest_mismatch',
      'The downloaded WeChat Pay trade bill does not match the SHA1 digest of the tradebill answer: not trusted.',
      true,
    );
  }
  return readStatement(
    'WeChat Pay',
    () => ({ status: 'ok', statement: parseWechatBill(decodeText(plain, 'utf-8', 'the trade bill'), `tradebill_${date}.csv`) }) as const,
  );
}
