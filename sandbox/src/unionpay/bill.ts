// The UnionPay simulator's file download (https://open.unionpay.com/tjweb/acproduct/list?apiSvcId=448): a signed back
// request with txnType=76 txnSubType=01 fileType=00 settleDate=MMdd, posted to `/sandbox/unionpay/filedownload/`
// (UnionPay's filedownload host). The signed answer carries fileName `<merId>_<yyyyMMdd>.zip` and fileContent =
// base64(zlib(zip)), the zip laid out as UnionPay's own sample (802310048993424_20150905.zip in the official SDK demo):
// the ZM file `INN<yyMMdd>88ZM_<merId>` (worker/src/providers/unionpay/bill-format.ts) written from the ledger for the
// clearing day after the discrepancy switch (`/_control/bills`, ../bills.ts), and the RD summary `RD2010<yyMMdd>01_<merId>`.
// A day without movements is a zip with only the RD summary; a day not over yet, or one the switch holds back,
// answers respCode 98 文件不存在. A consume is written with 交易代码 S56 (as in the sample), a refund with S30
// (UNVERIFIED: the parser reads txnType); merCharge is 0.60% of txnAmt, D on a consume and C (returned) on a refund,
// and settleAmt is txnAmt − merCharge with the opposite letter. The sandbox serves today's file too.

import { Hono, type Context } from 'hono';
import { zipSync, zlibSync } from 'fflate';
import { loadConfig } from '../config';
import { toBase64 } from '../../../worker/src/crypto/encoding';
import { encodeGbk } from '../../../worker/src/bills/gbk';
import { directed, writeUnionpayRd, writeZmRecord } from '../../../worker/src/providers/unionpay/bill-format';
import { addDays, beijingDay, formatBeijing } from '../../../worker/src/bills/time';
import { applyMutations, billControl, clearingCutoff, feeOf, notReady, type BillItem } from '../bills';
import type { SandboxEnv } from '../types';
import { answer, checkRequest, echo, failure } from './auth';
import { RESP } from './model';
import { unionpayLedger, unionpayLedgerSettings } from './settings';

export const unionpayBills = new Hono<SandboxEnv>();

/** The fee the sandbox charges, 0.60% (the rate of UnionPay's own sample). */
export const UNIONPAY_SANDBOX_FEE_PERMILLE = 6;
/** The sandbox's acquirer code in the RD summary (收单机构). */
const SANDBOX_ACQUIRER = '00000000';

/** settleDate MMdd → the latest such date not after tomorrow (Beijing), or null when it is not a date. */
function settleDay(mmdd: string, today: string): string | null {
  if (!/^(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])$/.test(mmdd)) return null;
  const tomorrow = addDays(today, 1);
  const year = Number(tomorrow.slice(0, 4));
  return (
    [year, year - 1]
      .map((y) => `${y}-${mmdd.slice(0, 2)}-${mmdd.slice(2)}`)
      .find((d) => new Date(`${d}T00:00:00Z`).toISOString().slice(0, 10) === d && d <= tomorrow) ?? null
  );
}

function zmLine(i: BillItem, merId: string, n: number): string {
  const t = formatBeijing(i.time);
  const mmddhhmmss = t.slice(5, 7) + t.slice(8, 10) + t.slice(11, 13) + t.slice(14, 16) + t.slice(17, 19);
  const refund = i.kind === 'refund';
  const fee = feeOf(i.amount, UNIONPAY_SANDBOX_FEE_PERMILLE);
  return writeZmRecord({
    tradeNo: refund ? 'S30' : 'S56',
    acqInsCode: SANDBOX_ACQUIRER,
    traceNo: (i.extra.traceNo || String(n).padStart(6, '0')).slice(-6),
    txnTime: mmddhhmmss,
    payCardNo: i.extra.accNo || '6216261000000000018',
    txnAmt: String(i.amount),
    queryId: refund ? (i.refundId ?? '') : i.transactionId,
    orderId: refund ? (i.outRefundNo ?? '') : i.outTradeNo,
    payCardType: '01',
    merCharge: directed(fee, refund ? 'C' : 'D'),
    settleAmt: directed(i.amount - fee, refund ? 'D' : 'C'),
    txnType: refund ? '04' : '01',
    txnSubType: refund ? '00' : i.extra.txnSubType || '01',
    bizType: i.extra.bizType || '000201',
    origQryId: refund ? i.transactionId : '',
    merId,
    settleNetAmt: directed(i.amount - fee, refund ? 'D' : 'C'),
  });
}

async function download(c: Context<SandboxEnv>): Promise<Response> {
  const config = loadConfig(c.env);
  const settings = unionpayLedgerSettings(config);
  // Bytes, decoded as UTF-8 (what .text() does): workerd warns that a form body "does not appear to be text".
  const check = await checkRequest(config, new TextDecoder().decode(await c.req.arrayBuffer()));
  if (!settings) return c.text('sandbox.unionpay is not configured', 404);
  if (!check.ok) return failure(settings, check.fields, check.error);
  const f = check.fields;
  if (f.txnType !== '76' || f.txnSubType !== '01')
    return failure(settings, f, { respCode: '32', respMsg: `无此交易权限[文件下载须 txnType=76 txnSubType=01]` });
  if (f.fileType !== '00') return failure(settings, f, RESP.format('fileType'));
  const merId = f.merId as string;
  const ledger = unionpayLedger(c.env, merId);
  const now = await ledger.clock();
  const today = beijingDay(now);
  const date = settleDay(f.settleDate ?? '', today);
  if (!date) return failure(settings, f, RESP.format('settleDate'));
  const mutations = await ledger.billMutations(merId);
  // A clearing day still under way, or one the switch holds back: no file yet.
  const cutoff = clearingCutoff(mutations);
  if (date > (cutoff ? addDays(today, 1) : today) || notReady(mutations, date, now)) return failure(settings, f, { respCode: '98', respMsg: '文件不存在' });
  const items = applyMutations(await ledger.billItems(merId, date, cutoff), mutations, date);
  const ymd = date.replaceAll('-', '');
  const rd = writeUnionpayRd({
    merId,
    acqInsCode: SANDBOX_ACQUIRER,
    merName: '收银测试商户',
    settleDate: date,
    records: items.map((i) => ({ kind: i.kind, amount: i.amount, fee: (i.kind === 'refund' ? -1 : 1) * feeOf(i.amount, UNIONPAY_SANDBOX_FEE_PERMILLE) })),
  });
  const files: Record<string, Uint8Array> = { [`RD2010${ymd.slice(2)}01_${merId}`]: encodeGbk(rd) };
  if (items.length) files[`INN${ymd.slice(2)}88ZM_${merId}`] = encodeGbk(`${items.map((i, n) => zmLine(i, merId, n + 1)).join('\r\n')}\r\n`);
  return answer(settings, {
    ...echo(f),
    ...RESP.ok,
    settleDate: f.settleDate as string,
    fileType: '00',
    fileName: `${merId}_${ymd}.zip`,
    fileContent: toBase64(zlibSync(zipSync(files))),
  });
}

unionpayBills.post('/filedownload', (c) => download(c));
unionpayBills.post('/filedownload/', (c) => download(c));

unionpayBills.route(
  '/_control/bills',
  billControl((m) => m.providers.unionpay?.mer_id ?? null, unionpayLedger),
);
