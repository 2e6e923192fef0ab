// UnionPay's merchant settlement file (全渠道商户对账文件), downloaded by ./bill.ts with txnType=76: the
// answer's fileContent is base64 of a zlib-deflated zip (the official SDK's
// AcpService.deCodeFileContent: base64 decode, then java.util.zip.Inflater), named by fileName.
// Inside, the "ZM" file (全渠道商户一般交易明细流水文件, e.g. INN…ZM_<merId>) holds one fixed-width
// record per line in GBK: fields of fixed BYTE widths, each followed by one separator byte. The
// widths are those of the official demo's DemoBase.parseZMFile (《全渠道平台接入接口规范 第3部分 文件
// 接口》§6.1); the field names those of public parsers of the same layout. Which fields Shouyin reads:
// txnTime (MMddHHmmss), txnAmt (fen), queryId, orderId, txnType/txnSubType, origQryId, merId.
// Assumed, not confirmed from a real file: numeric fields right-aligned and zero-padded, text fields
// left-aligned and space-padded, CRLF between records.

import { check, type Statement, type StatementRow } from '../../bills/statement';
import { StatementFormatError } from '../../bills/decode';
import type { BillFormat } from '../types';

export const ZM_FIELDS = [
  ['tradeNo', 3],
  ['acqInsCode', 11],
  ['sendInsCode', 11],
  ['traceNo', 6],
  ['txnTime', 10],
  ['payCardNo', 19],
  ['txnAmt', 12],
  ['merCatCode', 4],
  ['termType', 2],
  ['queryId', 21],
  ['oldPayType', 2],
  ['orderId', 32],
  ['payCardType', 2],
  ['origTradeSysTraceNo', 6],
  ['origTradeTime', 10],
  ['merCharge', 13],
  ['settleAmt', 13],
  ['payType', 4],
  ['groupMerCode', 15],
  ['txnType', 2],
  ['txnSubType', 2],
  ['bizType', 6],
  ['accType', 2],
  ['billType', 4],
  ['billNo', 32],
  ['interactMode', 1],
  ['origQryId', 21],
  ['merId', 15],
  ['accountType', 1],
  ['subMerId', 15],
  ['subMerAbbr', 32],
  ['subMerAccountAmt', 13],
  ['settleNetAmt', 13],
  ['termId', 8],
  ['merReserved', 32],
  ['discountAmt', 13],
  ['invoiceAmt', 13],
  ['insAdditionCharge', 12],
  ['installmentNum', 2],
  ['tradeMedia', 1],
  ['reserved1', 32],
  ['reserved2', 98],
] as const;
export type ZmField = (typeof ZM_FIELDS)[number][0];
export type ZmRecord = Record<ZmField, string>;

/** Bytes of one record: every field plus one separator after each but the last. */
export const ZM_RECORD_BYTES = ZM_FIELDS.reduce((n, [, w]) => n + w, 0) + ZM_FIELDS.length - 1;

const gbk = new TextDecoder('gbk');

/** Splits the file's bytes into records (CRLF or LF), then each record into its fields by byte width. */
export function parseZmRecords(bytes: Uint8Array, file: string): ZmRecord[] {
  const out: ZmRecord[] = [];
  let start = 0;
  let line = 0;
  while (start < bytes.length) {
    let end = bytes.indexOf(0x0a, start);
    if (end < 0) end = bytes.length;
    let stop = end;
    if (stop > start && bytes[stop - 1] === 0x0d) stop--;
    line++;
    const rec = bytes.subarray(start, stop);
    start = end + 1;
    if (rec.every((b) => b === 0x20)) continue;
    // The last field (reserved) may be trimmed by some writers; everything up to merId must be there.
    let at = 0;
    const r = {} as ZmRecord;
    for (const [name, width] of ZM_FIELDS) {
      r[name] = at < rec.length ? gbk.decode(rec.subarray(at, Math.min(at + width, rec.length))).trim() : '';
      at += width + 1;
    }
    if (r.merId === '' || rec.length < ZM_RECORD_BYTES - 98 - 32 - 2) {
      throw new StatementFormatError(`${file} record ${line} is ${rec.length} bytes, too short for the ZM layout (${ZM_RECORD_BYTES} bytes).`);
    }
    out.push(r);
  }
  return out;
}

/** MMddHHmmss (Beijing) → ms, the year taken from the settlement date (a January file may hold late-December records). */
function zmTime(mmddhhmmss: string, settleDate: string): number | null {
  const m = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(mmddhhmmss);
  if (!m) return null;
  let year = Number(settleDate.slice(0, 4));
  if (Number(m[1]) > Number(settleDate.slice(5, 7))) year--;
  const t = Date.parse(`${year}-${m[1]}-${m[2]}T${m[3]}:${m[4]}:${m[5]}+08:00`);
  return Number.isNaN(t) ? null : t;
}

/** txnType 01 consume → payment; 04 refund (退货) and 31 consume undo (撤销) → refund; anything else moves no tracked money. */
export function parseUnionpayZm(bytes: Uint8Array, file: string, settleDate: string): Statement {
  const records = parseZmRecords(bytes, file);
  const rows: StatementRow[] = [];
  let ignored = 0;
  records.forEach((r, k) => {
    const line = k + 1;
    if (!/^\d{1,12}$/.test(r.txnAmt)) throw new StatementFormatError(`${file} record ${line}: txnAmt ${JSON.stringify(r.txnAmt)} is not fen.`);
    const time = zmTime(r.txnTime, settleDate);
    if (time === null) throw new StatementFormatError(`${file} record ${line}: txnTime ${JSON.stringify(r.txnTime)} is not MMddHHmmss.`);
    const amount = Number(r.txnAmt);
    if (r.txnType === '01') {
      rows.push({ kind: 'payment', outTradeNo: r.orderId, providerTransactionId: r.queryId, amount, time, line });
    } else if (r.txnType === '04' || r.txnType === '31') {
      rows.push({
        kind: 'refund',
        outTradeNo: '',
        outRefundNo: r.orderId,
        providerTransactionId: r.origQryId,
        providerRefundId: r.queryId,
        amount,
        time,
        line,
      });
    } else {
      ignored++;
    }
  });
  return { rows, ignored, checks: [check('records', records.length, rows.length + ignored)], file };
}

/** One record as the sandbox writes it (the writing twin of parseUnionpayZm). */
export function writeZmRecord(fields: Partial<ZmRecord>): string {
  const numeric = new Set<ZmField>(['txnAmt', 'merCharge', 'settleAmt', 'subMerAccountAmt', 'settleNetAmt', 'discountAmt', 'invoiceAmt', 'insAdditionCharge']);
  return ZM_FIELDS.map(([name, width]) => {
    const v = fields[name] ?? '';
    if (/[^\x20-\x7e]/.test(v)) throw new Error(`ZM field ${name} must be printable ASCII here (the writer pads by characters).`);
    if (v.length > width) throw new Error(`ZM field ${name} is ${v.length} characters, wider than ${width}.`);
    return numeric.has(name) ? v.padStart(width, '0') : v.padEnd(width, ' ');
  }).join(' ');
}

/** The registry's view of the format: the ZM file's bytes → rows; `date` is the settlement day (records carry no year). */
export const unionpayZmFile: BillFormat = {
  name: 'UnionPay ZM settlement file (全渠道商户一般交易明细流水文件)',
  parse: (file, fileName, date) => parseUnionpayZm(file, fileName, date),
};
