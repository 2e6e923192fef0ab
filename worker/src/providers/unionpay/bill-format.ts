// UnionPay's merchant settlement files (全渠道商户对账文件), downloaded by ./bill.ts with txnType=76: the
// answer's fileContent is base64 of a zlib-deflated zip (the official SDK's
// AcpService.deCodeFileContent: base64 decode, then java.util.zip.Inflater), named by fileName
// (`<merId>_<yyyyMMdd>.zip`). What the zip holds, as UnionPay's own sample shows it (the SDK demo's
// 对账文件样例 802310048993424_20150905.zip; 《全渠道平台接入接口规范 第3部分 文件接口》):
//   - `INN<yyMMdd>88ZM_<merId>`, the ZM file (全渠道商户一般交易明细流水文件): one record per line, GBK,
//     CRLF, fields of fixed BYTE widths each followed by one separator byte — the widths of the official
//     demo's DemoBase.parseZMFile, 607 bytes a record. Numbers are right-aligned and zero-padded, text
//     left-aligned and space-padded; merCharge (商户手续费), settleAmt (结算金额) and settleNetAmt carry a
//     direction letter before 12 digits: D debits the merchant, C credits it (a consume: merCharge
//     D000000002861, settleAmt C000000473939 = txnAmt − merCharge).
//   - `RD…_<merId>`, the day's summary (中国银联全渠道商户交易汇总表): GBK text with the 清算日期, then
//     tables of 交易笔数 / 交易金额 / 费用 / 资金清算差额, each amount as 借 and 贷, and a 总计 line.
//   - ZME files (errors and adjustments), which Shouyin does not read.
// A zip may hold more than one ZM file: every one is read. A zip with only the RD summary is a day
// without trades.
// Which fields Shouyin reads: txnTime (MMddHHmmss, no year), txnAmt (fen), queryId, orderId, txnType,
// origQryId, merCharge, settleAmt.

import { check, type Statement, type StatementCheck, type StatementDating, type StatementRow } from '../../bills/statement';
import { yuanToFen } from '../../bills/money';
import { StatementFormatError } from '../../bills/decode';
import { addDays } from '../../bills/time';
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

/** Bytes of one record: every field plus one separator after each but the last (607). */
export const ZM_RECORD_BYTES = ZM_FIELDS.reduce((n, [, w]) => n + w, 0) + ZM_FIELDS.length - 1;

/**
 * UnionPay lists a movement on its clearing day (清算日期): the file asked for with settleDate=MMdd holds
 * what cleared that day, which moves to the next day for transactions after the daily cut-off. The
 * cut-off is commonly given as 23:00 Beijing (not confirmed from a real file: the official sample's
 * records are all at 10:47–11:52). Refunds are listed on the day they clear.
 */
export const UNIONPAY_BILL_DATING: StatementDating = { day: 'clearing', cutoff: '23:00', refunds: 'settled' };

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

/**
 * MMddHHmmss (Beijing) → ms. The record carries no year: the year is the one that puts it nearest the
 * settlement day, so a 12-31 file's 01-01 record is next year's and a 01-01 file's 12-31 record last year's.
 */
export function zmTime(mmddhhmmss: string, settleDate: string): number | null {
  const m = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(mmddhhmmss);
  if (!m) return null;
  const anchor = Date.parse(`${settleDate}T12:00:00+08:00`);
  const year = Number(settleDate.slice(0, 4));
  let best: number | null = null;
  for (const y of [year - 1, year, year + 1]) {
    const iso = `${y}-${m[1]}-${m[2]}`;
    const t = Date.parse(`${iso}T${m[3]}:${m[4]}:${m[5]}+08:00`);
    // Reject dates the calendar does not have (02-30), which Date.parse rolls over.
    if (Number.isNaN(t) || new Date(Date.parse(`${iso}T00:00:00Z`)).toISOString().slice(0, 10) !== iso) continue;
    if (best === null || Math.abs(t - anchor) < Math.abs(best - anchor)) best = t;
  }
  return best;
}

/** A directed amount (`D000000002861`, `C000000473939`, or plain digits) → signed fen from the merchant's side: C +, D −. */
export function directedFen(v: string, plain: 'C' | 'D'): number | null {
  const m = /^([CD]?)(\d{1,13})$/.exec(v);
  if (!m) return null;
  const fen = Number(m[2]);
  return (m[1] || plain) === 'C' ? fen : -fen;
}

/** One ZM file's records as rows. txnType 01 consume → payment; 04 refund (退货) and 31 consume undo (撤销) → refund. */
export function parseUnionpayZm(bytes: Uint8Array, file: string, settleDate: string): Statement & { sums: ZmSums } {
  const records = parseZmRecords(bytes, file);
  const rows: StatementRow[] = [];
  let ignored = 0;
  const sums: ZmSums = { records: records.length, amount: 0, fee: 0, settled: 0, ignored: 0 };
  records.forEach((r, k) => {
    const line = k + 1;
    if (!/^\d{1,12}$/.test(r.txnAmt)) throw new StatementFormatError(`${file} record ${line}: txnAmt ${JSON.stringify(r.txnAmt)} is not fen.`);
    const time = zmTime(r.txnTime, settleDate);
    if (time === null) throw new StatementFormatError(`${file} record ${line}: txnTime ${JSON.stringify(r.txnTime)} is not MMddHHmmss.`);
    const amount = Number(r.txnAmt);
    // merCharge is a debit of the merchant on a consume (D), a credit back on a refund (C); unsigned means charged.
    const charge = r.merCharge === '' ? 0 : directedFen(r.merCharge, 'D');
    if (charge === null)
      throw new StatementFormatError(`${file} record ${line}: merCharge ${JSON.stringify(r.merCharge)} is not a directed amount (D/C and 12 digits).`);
    const settle = r.settleAmt === '' ? null : directedFen(r.settleAmt, 'C');
    if (r.settleAmt !== '' && settle === null) {
      throw new StatementFormatError(`${file} record ${line}: settleAmt ${JSON.stringify(r.settleAmt)} is not a directed amount (D/C and 12 digits).`);
    }
    const fee = -charge;
    sums.fee += fee;
    sums.settled += settle ?? 0;
    if (r.txnType === '01') {
      sums.amount += amount;
      rows.push({ kind: 'payment', outTradeNo: r.orderId, providerTransactionId: r.queryId, amount, time, line, file, settled: amount, fee });
    } else if (r.txnType === '04' || r.txnType === '31') {
      sums.amount -= amount;
      rows.push({
        kind: 'refund',
        outTradeNo: '',
        outRefundNo: r.orderId,
        providerTransactionId: r.origQryId,
        providerRefundId: r.queryId,
        amount,
        time,
        line,
        file,
        settled: amount,
        fee,
      });
    } else {
      ignored++;
      sums.ignored++;
    }
  });
  return { rows, ignored, checks: [], file, sums };
}

/** What a day's ZM records add up to, to hold against the RD summary. */
export interface ZmSums {
  records: number;
  /** Σ txnAmt, consumes + and refunds −. */
  amount: number;
  /** Σ fee from the merchant's side (charged +, returned −). */
  fee: number;
  /** Σ settleAmt, C + and D −. */
  settled: number;
  /** Records of other transaction types (not counted in `amount`). */
  ignored: number;
}

/** The RD summary's 总计 line and its 清算日期. */
export interface RdSummary {
  file: string;
  /** `YYYY-MM-DD`, from 清算日期:yyyyMMdd. */
  settleDate: string | null;
  count: number;
  /** 交易金额 贷 − 借, fen. */
  amount: number;
  /** 费用 借 − 贷, fen (what the merchant paid). */
  fee: number;
  /** 资金清算差额 贷 − 借, fen (what UnionPay pays out). */
  net: number;
}

/** Reads the RD file (GBK text already decoded). */
export function parseUnionpayRd(text: string, file: string): RdSummary {
  const date = /清算日期\s*[:：]\s*(\d{4})(\d{2})(\d{2})/.exec(text);
  const total = text.split(/\r?\n/).find((l) => /^\s*总计\s/.test(l));
  if (!total) throw new StatementFormatError(`${file}: no 总计 line (the RD summary of 交易笔数, 交易金额, 费用, 资金清算差额).`);
  const cells = total.trim().split(/\s+/).slice(1);
  const nums = cells.map((c) => (/^\d+$/.test(c) ? Number(c) : yuanToFen(c)));
  if (nums.length < 7 || nums.some((n) => n === null)) {
    throw new StatementFormatError(
      `${file}: the 总计 line ${JSON.stringify(total.trim())} is not 笔数 and six amounts (借/贷 of 交易金额, 费用, 资金清算差额).`,
    );
  }
  const [count, amountDebit, amountCredit, feeDebit, feeCredit, netDebit, netCredit] = nums as number[];
  return {
    file,
    settleDate: date ? `${date[1]}-${date[2]}-${date[3]}` : null,
    count: count as number,
    amount: (amountCredit as number) - (amountDebit as number),
    fee: (feeDebit as number) - (feeCredit as number),
    net: (netCredit as number) - (netDebit as number),
  };
}

/** Every ZM file of one zip as one statement, checked against the RD summary when the zip has one. */
export function combineUnionpayFiles(zm: readonly (Statement & { sums: ZmSums })[], rd: RdSummary | null, settleDate: string): Statement {
  const sums = zm.reduce(
    (s, f) => ({
      records: s.records + f.sums.records,
      amount: s.amount + f.sums.amount,
      fee: s.fee + f.sums.fee,
      settled: s.settled + f.sums.settled,
      ignored: s.ignored + f.sums.ignored,
    }),
    { records: 0, amount: 0, fee: 0, settled: 0, ignored: 0 } as ZmSums,
  );
  const checks: StatementCheck[] = [];
  if (rd) {
    if (rd.settleDate !== null) checks.push(check('RD 清算日期', Number(rd.settleDate.replaceAll('-', '')), Number(settleDate.replaceAll('-', ''))));
    checks.push(check('RD 总计 交易笔数', rd.count, sums.records));
    // Other transaction types would count in 交易金额 with directions Shouyin does not model.
    if (sums.ignored === 0) checks.push(check('RD 总计 交易金额 (贷 − 借)', rd.amount, sums.amount));
    checks.push(check('RD 总计 费用 (借 − 贷)', rd.fee, sums.fee));
    checks.push(check('RD 总计 资金清算差额 (贷 − 借)', rd.net, sums.settled));
  }
  const names = zm.map((f) => f.file);
  return {
    rows: zm.flatMap((f) => f.rows),
    ignored: sums.ignored,
    checks,
    file: names.join(', '),
    files: [...names, ...(rd ? [rd.file] : [])],
  };
}

/** ZM amount fields: written zero-padded, or (merCharge, settleAmt, settleNetAmt) as given with their D/C letter. */
const NUMERIC = new Set<ZmField>(['txnAmt', 'merCharge', 'settleAmt', 'subMerAccountAmt', 'settleNetAmt', 'discountAmt', 'invoiceAmt', 'insAdditionCharge']);

/** `D` / `C` and 12 digits, as merCharge and settleAmt are written. */
export const directed = (fen: number, direction: 'C' | 'D'): string => `${direction}${String(Math.abs(fen)).padStart(12, '0')}`;

/** One record as the sandbox writes it (the writing twin of parseUnionpayZm). */
export function writeZmRecord(fields: Partial<ZmRecord>): string {
  return ZM_FIELDS.map(([name, width]) => {
    const v = fields[name] ?? '';
    if (/[^\x20-\x7e]/.test(v)) throw new Error(`ZM field ${name} must be printable ASCII here (the writer pads by characters).`);
    if (v.length > width) throw new Error(`ZM field ${name} is ${v.length} characters, wider than ${width}.`);
    return NUMERIC.has(name) && !/^[CD]/.test(v) ? v.padStart(width, '0') : v.padEnd(width, ' ');
  }).join(' ');
}

/** The RD summary for a day (the writing twin of parseUnionpayRd), in the sample's layout; the sandbox encodes it to GBK. */
export function writeUnionpayRd(input: {
  merId: string;
  acqInsCode: string;
  merName: string;
  settleDate: string;
  /** Each record: consume or refund, its txnAmt and fee (fen, charged + / returned −). */
  records: readonly { kind: 'payment' | 'refund'; amount: number; fee: number }[];
}): string {
  const yuan = (fen: number) => (fen / 100).toFixed(2).padStart(16);
  const row = (label: string, records: readonly { kind: 'payment' | 'refund'; amount: number; fee: number }[]) => {
    let amountDebit = 0;
    let amountCredit = 0;
    let feeDebit = 0;
    let feeCredit = 0;
    for (const r of records) {
      if (r.kind === 'payment') amountCredit += r.amount;
      else amountDebit += r.amount;
      if (r.fee >= 0) feeDebit += r.fee;
      else feeCredit -= r.fee;
    }
    const net = amountCredit - amountDebit - feeDebit + feeCredit;
    // A label of n CJK characters is 2n columns wide: the count ends at column 28 as in the sample.
    const pad = ' '.repeat(Math.max(1, 28 - label.length * 2 - String(records.length).length));
    return `${label}${pad}${records.length}${[amountDebit, amountCredit, feeDebit, feeCredit, Math.max(-net, 0), Math.max(net, 0)].map(yuan).join('')}`;
  };
  const rule = '_'.repeat(136);
  const consumes = input.records.filter((r) => r.kind === 'payment');
  const refunds = input.records.filter((r) => r.kind === 'refund');
  return [
    `${' '.repeat(73)}中国银联全渠道商户交易汇总表            `,
    '',
    `商户代码:${input.merId}${' '.repeat(40)}清算币种:人民币`,
    `收单机构:${input.acqInsCode}${' '.repeat(47)}清算日期:${input.settleDate.replaceAll('-', '')}`,
    `商户名称:${input.merName}${' '.repeat(47)}生成日期:${addDays(input.settleDate, 1).replaceAll('-', '')}`,
    '',
    '',
    '交易类型            交易笔数               交易金额                         费用                              资金清算差额',
    `${' '.repeat(41)}借              贷              借              贷               借                  贷`,
    rule,
    row('自助消费', consumes),
    ...(refunds.length ? [row('退货', refunds)] : []),
    rule,
    row('总计', input.records),
    '',
  ].join('\r\n');
}

/** The registry's view of the format: one ZM file's bytes → rows; `date` is the settlement day (records carry no year). */
export const unionpayZmFile: BillFormat = {
  name: 'UnionPay ZM settlement file (全渠道商户一般交易明细流水文件)',
  parse: (file, fileName, date) => combineUnionpayFiles([parseUnionpayZm(file, fileName, date)], null, date),
  dating: UNIONPAY_BILL_DATING,
};
