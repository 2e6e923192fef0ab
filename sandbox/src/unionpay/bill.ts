// The UnionPay simulator's file download (https://open.unionpay.com/tjweb/acproduct/list?apiSvcId=448): a signed back
// request with txnType=76 txnSubType=01 fileType=00 settleDate=MMdd, posted to `/sandbox/unionpay/filedownload/`
// (UnionPay's filedownload host). The signed answer carries fileName and fileContent =
// base64(zlib(zip)), the zip holding one ZM file (worker/src/providers/unionpay/bill-format.ts) written from the ledger
// for the Beijing day after the discrepancy switch (`/_control/bills`, ../bills.ts). A day without
// movements answers respCode 98 文件不存在 (UNVERIFIED code). The sandbox writes 交易代码 S22 for a
// consume and S30 for a refund (UNVERIFIED codes: Shouyin's parser reads txnType instead), the entry
// name INN<yyMMdd>88ZM_<merId> (the "88" is UNVERIFIED), and serves today's file too.

import { Hono, type Context } from 'hono';
import { zipSync, zlibSync } from 'fflate';
import { loadConfig } from '../config';
import { toBase64, utf8 } from '../../../worker/src/crypto/encoding';
import { writeZmRecord } from '../../../worker/src/providers/unionpay/bill-format';
import { beijingDay, formatBeijing } from '../../../worker/src/bills/time';
import { applyMutations, billControl, type BillItem } from '../bills';
import type { SandboxEnv } from '../types';
import { answer, checkRequest, echo, failure } from './auth';
import { RESP } from './model';
import { unionpayLedger, unionpayLedgerSettings } from './settings';

export const unionpayBills = new Hono<SandboxEnv>();

/** settleDate MMdd → the latest such date not after today (Beijing). */
function settleDay(mmdd: string): string | null {
  if (!/^(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])$/.test(mmdd)) return null;
  const today = beijingDay(Date.now());
  let year = Number(today.slice(0, 4));
  const d = (y: number) => `${y}-${mmdd.slice(0, 2)}-${mmdd.slice(2)}`;
  if (d(year) > today) year--;
  const date = d(year);
  return new Date(`${date}T00:00:00Z`).toISOString().slice(0, 10) === date ? date : null;
}

function zmLine(i: BillItem, merId: string, n: number): string {
  const t = formatBeijing(i.time);
  const mmddhhmmss = t.slice(5, 7) + t.slice(8, 10) + t.slice(11, 13) + t.slice(14, 16) + t.slice(17, 19);
  const refund = i.kind === 'refund';
  return writeZmRecord({
    tradeNo: refund ? 'S30' : 'S22',
    traceNo: (i.extra.traceNo || String(n).padStart(6, '0')).slice(-6),
    txnTime: mmddhhmmss,
    payCardNo: i.extra.accNo || '6216261000000000018',
    txnAmt: String(i.amount),
    queryId: refund ? (i.refundId ?? '') : i.transactionId,
    orderId: refund ? (i.outRefundNo ?? '') : i.outTradeNo,
    payCardType: '01',
    settleAmt: String(i.amount),
    txnType: refund ? '04' : '01',
    txnSubType: refund ? '00' : i.extra.txnSubType || '01',
    bizType: i.extra.bizType || '000201',
    origQryId: refund ? i.transactionId : '',
    merId,
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
  const date = settleDay(f.settleDate ?? '');
  if (!date) return failure(settings, f, RESP.format('settleDate'));
  const merId = f.merId as string;
  const ledger = unionpayLedger(c.env, merId);
  const items = applyMutations(await ledger.billItems(merId, date), await ledger.billMutations(merId), date);
  if (items.length === 0) return failure(settings, f, { respCode: '98', respMsg: '文件不存在' });
  const ymd = date.replaceAll('-', '');
  const zm = `${items.map((i, n) => zmLine(i, merId, n + 1)).join('\r\n')}\r\n`;
  const zip = zipSync({ [`INN${ymd.slice(2)}88ZM_${merId}`]: utf8(zm) });
  return answer(settings, {
    ...echo(f),
    ...RESP.ok,
    settleDate: f.settleDate as string,
    fileType: '00',
    fileName: `${merId}_${ymd}.zip`,
    fileContent: toBase64(zlibSync(zip)),
  });
}

unionpayBills.post('/filedownload', (c) => download(c));
unionpayBills.post('/filedownload/', (c) => download(c));

unionpayBills.route(
  '/_control/bills',
  billControl((m) => m.providers.unionpay?.mer_id ?? null, unionpayLedger),
);
