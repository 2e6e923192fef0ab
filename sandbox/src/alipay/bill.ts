// The Alipay simulator's statements
// (https://opendocs.alipay.com/open/e099d91f_alipay.data.dataservice.bill.downloadurl.query?pathHash=2319d4ee):
// `alipay.data.dataservice.bill.downloadurl.query` on the gateway (signed like every answer) gives a bill_download_url;
// that URL, unauthenticated as Alipay's is, serves a zip of GBK CSV files, `<pid>_<yyyyMMdd>_业务明细.csv` — or, when the
// switch splits it, `…_业务明细_1.csv`, `…_业务明细_2.csv`, … — and `…_业务明细(汇总).csv`
// (worker/src/providers/alipay/bill-format.ts), written from the ledger for the Beijing day after the discrepancy switch
// (`/_control/bills`, ../bills.ts). 服务费 is 0.60% of each trade, returned on a refund. A day without movements answers
// isp.bill_not_exist; a day the switch holds back answers isv.invalid_arguments, as Alipay does for a bill not generated
// yet. Alipay's link lives 30 seconds; the sandbox's 5 minutes. Unlike Alipay (T+1), the sandbox serves today's bill too,
// so tests can reconcile what they just paid.

import { Hono, type Context } from 'hono';
import { zipSync } from 'fflate';
import { loadConfig } from '../config';
import { fromBase64, toBase64, utf8 } from '../../../worker/src/crypto/encoding';
import { encodeGbk } from '../../../worker/src/bills/gbk';
import { ALIPAY_SANDBOX_FEE_PERMILLE, writeAlipayBill, writeAlipaySummary, type AlipayBillLine } from '../../../worker/src/providers/alipay/bill-format';
import { parseDate } from '../../../worker/src/bills/time';
import { BILL_METHOD } from '../../../worker/src/providers/alipay/bill';
import { applyMutations, billControl, feeOf, notReady, splitRows } from '../bills';
import type { SandboxEnv } from '../types';
import { authenticate, errorBody, mergeParams, signedAnswer, successBody } from './auth';
import { invalidArg, parseBiz, type GatewayError } from './model';
import { alipayLedger, alipayLedgerSettings, testMerchantByAppId, type AlipayTestMerchant } from './settings';

export const alipayBills = new Hono<SandboxEnv>();

const LINK_TTL_MS = 5 * 60_000;
const BILL_NOT_EXIST: GatewayError = { code: '40004', sub_code: 'isp.bill_not_exist', sub_msg: '账单不存在' };
const BILL_NOT_READY: GatewayError = { code: '40004', sub_code: 'isv.invalid_arguments', sub_msg: '入参不合法' };

async function billLines(env: SandboxEnv['Bindings'], appId: string, date: string): Promise<AlipayBillLine[] | 'not_ready'> {
  const ledger = alipayLedger(env, appId);
  const mutations = await ledger.billMutations(appId);
  if (notReady(mutations, date, await ledger.clock())) return 'not_ready';
  return applyMutations(await ledger.billItems(appId, date), mutations, date).map((i) => ({
    tradeNo: i.transactionId,
    outTradeNo: i.outTradeNo,
    kind: i.kind,
    subject: i.extra.subject ?? '',
    created: Number(i.extra.created ?? i.time),
    finished: i.time,
    buyer: i.extra.buyer ?? '',
    amount: i.amount,
    ...(i.outRefundNo ? { outRequestNo: i.outRefundNo } : {}),
    fee: (i.kind === 'refund' ? -1 : 1) * feeOf(i.amount, ALIPAY_SANDBOX_FEE_PERMILLE),
  }));
}

const b64url = (s: string) => toBase64(utf8(s)).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
const unb64url = (s: string) => new TextDecoder().decode(fromBase64(s.replaceAll('-', '+').replaceAll('_', '/')));

// The gateway call, taken before the trade gateway (gateway.ts) sees it: only this method.
alipayBills.on(['GET', 'POST'], '/gateway.do', async (c, next) => {
  const url = new URL(c.req.url);
  const body = c.req.method === 'POST' ? new TextDecoder().decode(await c.req.arrayBuffer()) : '';
  const merged = mergeParams(url.search, body);
  if (!merged.ok || merged.params.method !== BILL_METHOD) return next();
  const config = loadConfig(c.env);
  const settings = alipayLedgerSettings(config);
  if (!settings) return next();
  const auth = await authenticate(config, merged.params);
  const answer = (out: Record<string, unknown>) => signedAnswer(settings.signer_private_key, BILL_METHOD, out, auth.certSn);
  if (!auth.ok) return answer(errorBody(auth.error));
  const parsed = parseBiz(merged.params.biz_content);
  if (!parsed.ok) return answer(errorBody(parsed.error));
  const { bill_type: type, bill_date: rawDate } = parsed.biz as { bill_type?: unknown; bill_date?: unknown };
  if (type !== 'trade') return answer(errorBody(invalidArg('isv.invalid-arguments', '沙箱只提供 bill_type=trade（交易账单）')));
  const date = typeof rawDate === 'string' ? parseDate(rawDate) : null;
  if (!date) return answer(errorBody(invalidArg('isv.invalid-arguments', 'bill_date 须为 yyyy-MM-dd（沙箱不提供月账单）')));
  const lines = await billLines(c.env, auth.tm.alipay.app_id, date);
  if (lines === 'not_ready') return answer(errorBody(BILL_NOT_READY));
  if (lines.length === 0) return answer(errorBody(BILL_NOT_EXIST));
  const base = url.origin + url.pathname.replace(/\/gateway\.do$/, '');
  const token = b64url(JSON.stringify({ a: auth.tm.alipay.app_id, d: date, e: Date.now() + LINK_TTL_MS }));
  return answer(successBody({ bill_download_url: `${base}/bills/download?token=${token}` }));
});

// The download itself: no signature, a short-lived token, a zip of GBK files.
alipayBills.get('/bills/download', async (c: Context<SandboxEnv>) => {
  let t: { a?: unknown; d?: unknown; e?: unknown };
  try {
    t = JSON.parse(unb64url(c.req.query('token') ?? '')) as typeof t;
  } catch {
    t = {};
  }
  const tm: AlipayTestMerchant | undefined = typeof t.a === 'string' ? testMerchantByAppId(loadConfig(c.env), t.a) : undefined;
  const date = typeof t.d === 'string' ? parseDate(t.d) : null;
  if (!tm || !date || typeof t.e !== 'number' || t.e < Date.now()) return c.text('链接已失效', 404);
  const lines = await billLines(c.env, tm.alipay.app_id, date);
  if (lines === 'not_ready') return c.text('链接已失效', 404);
  const stem = `${tm.sellerId}_${date.replaceAll('-', '')}`;
  const rows = splitRows(await alipayLedger(c.env, tm.alipay.app_id).billMutations(tm.alipay.app_id));
  const files: Record<string, Uint8Array> = {};
  const detail = (part: readonly AlipayBillLine[]) => encodeGbk(writeAlipayBill({ pid: tm.sellerId, date, exportedAt: Date.now(), lines: part }));
  if (rows === null || lines.length <= rows) files[`${stem}_业务明细.csv`] = detail(lines);
  else for (let i = 0; i * rows < lines.length; i++) files[`${stem}_业务明细_${i + 1}.csv`] = detail(lines.slice(i * rows, (i + 1) * rows));
  files[`${stem}_业务明细(汇总).csv`] = encodeGbk(writeAlipaySummary({ pid: tm.sellerId, date, lines }));
  const zip = zipSync(files);
  return new Response(zip, { headers: { 'Content-Type': 'application/zip', 'Content-Disposition': `attachment; filename="${stem}.csv.zip"` } });
});

alipayBills.route(
  '/_control/bills',
  billControl((m) => m.providers.alipay?.app_id ?? null, alipayLedger),
);
