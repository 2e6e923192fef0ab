// Alipay's trade bill (bill_type=trade) from alipay.data.dataservice.bill.downloadurl.query: a zip of
// GBK CSV files, `<pid>_<yyyyMMdd>_业务明细.csv` (the detail; large days come split into
// `…_业务明细_1.csv`, `…_业务明细_2.csv`, …) and `…_业务明细(汇总).csv` (totals). The detail, as public
// parsers and their fixtures show it (see docs/reconciliation.md for sources):
//   #支付宝业务明细查询
//   #账号：[2088…0156]
//   #起始日期：[2019年09月16日 00:00:00]   终止日期：[2019年09月17日 00:00:00]
//   #-----…业务明细列表-----…
//   支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,…,订单金额（元）,商家实收（元）,…,退款批次号/请求号,服务费（元）,分润（元）,备注
//   2019091622001458860515315453\t,service_1568601259302\t,交易\t,…          ← ids carry a trailing tab
//   #-----…业务明细列表结束-----…
//   #交易合计：N笔，商家实收共X元，商家优惠共Y元          (older files: 交易金额共X元，优惠金额共Y元)
//   #退款合计：N笔，商家实收退款共-X元，商家优惠退款共0.00元
//   #导出时间：[…]
// 业务类型 交易 is a payment; 退款 a refund of the same 商户订单号, named by 退款批次号/请求号 (our
// out_request_no), written with negative amounts. Totals may carry thousands separators (7,563,180.81).
// The (汇总) file: a header 门店编号,门店名称,交易订单总笔数,退款订单总笔数,订单金额（元）,商家实收（元）,
// 支付宝优惠（元）,商家优惠（元）,卡消费金额（元）,服务费（元）,分润（元）,实收净额（元） and one row per store
// and a 合计 row; Shouyin checks the 合计 row's money columns against the sums of the detail rows.
// The sign Alipay writes 服务费 with is not confirmed from a real file: Shouyin counts a trade's fee as
// charged and a refund's as returned, whatever its written sign, and compares written sums as written.

import { fenToYuan, parseCount, yuanToFen } from '../../bills/money';
import { check, type Statement, type StatementCheck, type StatementDating, type StatementNote, type StatementRow } from '../../bills/statement';
import { formatBeijing, parseBeijing } from '../../bills/time';
import { StatementFormatError, csvRows, decodeTextLenient } from '../../bills/decode';
import type { BillFormat } from '../types';

export const ALIPAY_DETAIL_TITLE = '#支付宝业务明细查询';
export const ALIPAY_SUMMARY_TITLE = '#支付宝业务汇总查询';
export const ALIPAY_BILL_COLUMNS = [
  '支付宝交易号',
  '商户订单号',
  '业务类型',
  '商品名称',
  '创建时间',
  '完成时间',
  '门店编号',
  '门店名称',
  '操作员',
  '终端号',
  '对方账户',
  '订单金额（元）',
  '商家实收（元）',
  '支付宝红包（元）',
  '集分宝（元）',
  '支付宝优惠（元）',
  '商家优惠（元）',
  '券核销金额（元）',
  '券名称',
  '商家红包消费金额（元）',
  '卡消费金额（元）',
  '退款批次号/请求号',
  '服务费（元）',
  '分润（元）',
  '备注',
] as const;
export const ALIPAY_SUMMARY_COLUMNS = [
  '门店编号',
  '门店名称',
  '交易订单总笔数',
  '退款订单总笔数',
  '订单金额（元）',
  '商家实收（元）',
  '支付宝优惠（元）',
  '商家优惠（元）',
  '卡消费金额（元）',
  '服务费（元）',
  '分润（元）',
  '实收净额（元）',
] as const;

/** Alipay lists a movement on the Beijing day it completed; refunds are synchronous, listed when made. */
export const ALIPAY_BILL_DATING: StatementDating = { day: 'calendar', refunds: 'settled' };

/** Cells that decide a row: when one cannot be read, the row is left out and reported. */
const ESSENTIAL = ['支付宝交易号', '商户订单号', '业务类型', '订单金额（元）', '商家实收（元）', '退款批次号/请求号', '服务费（元）', '完成时间', '创建时间'];

/** One detail file read: its rows and what its own 合计 lines declare. */
export interface AlipayDetailPart {
  file: string;
  rows: StatementRow[];
  ignored: number;
  notes: StatementNote[];
  /** Sums over the part's rows, fen as written (refunds negative). */
  sums: { paymentCount: number; refundCount: number; received: { payment: number; refund: number }; order: { payment: number; refund: number }; fee: number };
  /** The 合计 lines: `received` is 商家实收共 (current files), `order` 交易金额共 (older files). */
  totals: { trade: { count: number; received?: number; order?: number } | null; refund: { count: number; received?: number; order?: number } | null };
}

/** Reads one detail file; `badLines` are lines with bytes that were not GBK (decodeTextLenient). */
export function parseAlipayDetail(text: string, file: string, badLines: readonly number[] = []): AlipayDetailPart {
  if (!text.startsWith(ALIPAY_DETAIL_TITLE)) throw new StatementFormatError(`${file} does not start with ${ALIPAY_DETAIL_TITLE}.`);
  const lines = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  const bad = new Set(badLines);
  let header: string[] | null = null;
  const part: AlipayDetailPart = {
    file,
    rows: [],
    ignored: 0,
    notes: [],
    sums: { paymentCount: 0, refundCount: 0, received: { payment: 0, refund: 0 }, order: { payment: 0, refund: 0 }, fee: 0 },
    totals: { trade: null, refund: null },
  };
  lines.forEach((raw, i) => {
    const line = i + 1;
    if (raw.startsWith('#')) {
      readTotal(raw, part);
      return;
    }
    if (raw.trim() === '') return;
    let cells: string[];
    try {
      cells = (csvRows(raw, file)[0] ?? []).map((c) => c.trim());
    } catch (e) {
      part.notes.push({ file, line, message: (e as Error).message, skipped: true });
      return;
    }
    if (header === null) {
      header = cells;
      for (const need of ['支付宝交易号', '商户订单号', '业务类型', '完成时间', '订单金额（元）']) {
        if (!header.includes(need)) throw new StatementFormatError(`${file}: the header has no ${need} column.`);
      }
      return;
    }
    readRow(header, cells, line, bad.has(line), part);
  });
  if (header === null) throw new StatementFormatError(`${file}: no header row (支付宝交易号,商户订单号,…).`);
  return part;
}

function readRow(header: string[], cells: string[], line: number, badBytes: boolean, part: AlipayDetailPart): void {
  const { file } = part;
  const col = (name: string): number => header.indexOf(name);
  const cell = (name: string): string => cells[col(name)] ?? '';
  const skip = (message: string) => part.notes.push({ file, line, message, skipped: true });
  if (badBytes) {
    const broken = ESSENTIAL.filter((n) => col(n) >= 0 && cell(n).includes('\ufffd'));
    if (broken.length) return void skip(`bytes that are not GBK in ${broken.join(', ')}: the row cannot be read`);
    const where = header.filter((_, c) => (cells[c] ?? '').includes('\ufffd'));
    part.notes.push({ file, line, message: `bytes that are not GBK in ${where.join(', ') || 'the row'} (shown as �); amounts and ids read`, skipped: false });
  }
  // Fen as written (refunds negative); a column the file does not have reads as `absent`.
  const money = (name: string, absent: number): number | null => (col(name) < 0 ? absent : yuanToFen(cell(name)));
  const order = money('订单金额（元）', 0);
  if (order === null) return void skip(`订单金额（元） ${JSON.stringify(cell('订单金额（元）'))} is not an amount`);
  const received = money('商家实收（元）', order);
  if (received === null) return void skip(`商家实收（元） ${JSON.stringify(cell('商家实收（元）'))} is not an amount`);
  const feeWritten = cell('服务费（元）') === '' ? 0 : money('服务费（元）', 0);
  if (feeWritten === null) return void skip(`服务费（元） ${JSON.stringify(cell('服务费（元）'))} is not an amount`);
  const time = parseBeijing(cell('完成时间')) ?? parseBeijing(cell('创建时间'));
  if (time === null) return void skip(`完成时间 ${JSON.stringify(cell('完成时间'))} is not yyyy-MM-dd HH:mm:ss`);
  const type = cell('业务类型');
  const base = {
    outTradeNo: cell('商户订单号'),
    providerTransactionId: cell('支付宝交易号'),
    time,
    line,
    file,
    amount: Math.abs(order),
    settled: Math.abs(received),
  };
  if (type === '交易') {
    part.sums.paymentCount++;
    part.sums.received.payment += received;
    part.sums.order.payment += order;
    part.sums.fee += feeWritten;
    part.rows.push({ kind: 'payment', ...base, fee: Math.abs(feeWritten) });
  } else if (type === '退款') {
    part.sums.refundCount++;
    part.sums.received.refund += received;
    part.sums.order.refund += order;
    part.sums.fee += feeWritten;
    const no = col('退款批次号/请求号') >= 0 ? cell('退款批次号/请求号') : '';
    // A refund made without out_request_no (alipay.trade.refund requires one only for partial refunds)
    // is named by the trade's own out_trade_no.
    part.rows.push({ kind: 'refund', ...base, outRefundNo: no || base.outTradeNo, fee: -Math.abs(feeWritten) });
  } else {
    part.ignored++;
  }
}

const AMOUNT = '(-?[\\d,]+(?:\\.\\d+)?)';
const TRADE_TOTAL = new RegExp(`^#交易合计：([\\d,]+)笔，(商家实收共|交易金额共)${AMOUNT}元`);
const REFUND_TOTAL = new RegExp(`^#退款合计：([\\d,]+)笔，(商家实收退款共|交易退款金额共)${AMOUNT}元`);

function readTotal(line: string, part: AlipayDetailPart): void {
  for (const [re, key] of [
    [TRADE_TOTAL, 'trade'],
    [REFUND_TOTAL, 'refund'],
  ] as const) {
    const m = re.exec(line);
    if (!m) continue;
    const count = parseCount(m[1] as string);
    const amount = yuanToFen(m[3] as string);
    if (count === null) continue;
    const which = (m[2] as string).startsWith('商家实收') ? 'received' : 'order';
    part.totals[key] = { count, ...(amount === null ? {} : { [which]: amount }) };
  }
}

/** The (汇总) file's 合计 row: money columns as written, fen. */
export interface AlipaySummaryTotals {
  file: string;
  values: Partial<Record<'订单金额（元）' | '商家实收（元）' | '服务费（元）', number>>;
}

export function parseAlipaySummary(text: string, file: string): AlipaySummaryTotals {
  if (!text.startsWith(ALIPAY_SUMMARY_TITLE)) throw new StatementFormatError(`${file} does not start with ${ALIPAY_SUMMARY_TITLE}.`);
  const table = csvRows(text, file, { comments: '#' }).map((r) => r.map((c) => c.trim()));
  const header = table.find((r) => r.includes('服务费（元）') || r.includes('商家实收（元）'));
  const total = table.find((r) => r[0] === '合计');
  const values: AlipaySummaryTotals['values'] = {};
  if (header && total) {
    for (const name of ['订单金额（元）', '商家实收（元）', '服务费（元）'] as const) {
      const at = header.indexOf(name);
      const fen = at < 0 ? null : yuanToFen(total[at] ?? '');
      if (fen !== null) values[name] = fen;
    }
  }
  return { file, values };
}

/**
 * Every detail part of one day as one statement, checked against the parts' own 合计 lines and the
 * (汇总) file. Whether a split day's 合计 lines cover their own part or the whole day is not confirmed
 * from a real file: a part's totals are checked against the part, and, when they do not match it,
 * against every part together.
 */
export function combineAlipayParts(parts: readonly AlipayDetailPart[], summary: AlipaySummaryTotals | null): Statement {
  if (parts.length === 0) throw new StatementFormatError(`no ${ALIPAY_DETAIL_TITLE} file.`);
  const sorted = [...parts].sort((a, b) => a.file.localeCompare(b.file, 'en', { numeric: true }));
  const all = sorted.reduce(
    (s, p) => ({
      paymentCount: s.paymentCount + p.sums.paymentCount,
      refundCount: s.refundCount + p.sums.refundCount,
      received: { payment: s.received.payment + p.sums.received.payment, refund: s.received.refund + p.sums.received.refund },
      order: { payment: s.order.payment + p.sums.order.payment, refund: s.order.refund + p.sums.order.refund },
      fee: s.fee + p.sums.fee,
    }),
    { paymentCount: 0, refundCount: 0, received: { payment: 0, refund: 0 }, order: { payment: 0, refund: 0 }, fee: 0 },
  );
  const checks: StatementCheck[] = [];
  for (const p of sorted) {
    const own = totalChecks(p.totals, p.sums);
    const whole = totalChecks(p.totals, all);
    const useWhole = sorted.length > 1 && own.some((c) => !c.ok) && whole.every((c) => c.ok);
    const label = sorted.length > 1 ? ` (${p.file}${useWhole ? ', all parts' : ''})` : '';
    for (const c of useWhole ? whole : own) checks.push({ ...c, what: `${c.what}${label}` });
  }
  if (summary) {
    const sums = {
      '订单金额（元）': all.order.payment + all.order.refund,
      '商家实收（元）': all.received.payment + all.received.refund,
      '服务费（元）': all.fee,
    };
    for (const [name, declared] of Object.entries(summary.values) as [keyof typeof sums, number][]) {
      checks.push(check(`汇总 合计 ${name}`, declared, sums[name]));
    }
  }
  const files = [...sorted.map((p) => p.file), ...(summary ? [summary.file] : [])];
  return {
    rows: sorted.flatMap((p) => p.rows),
    ignored: sorted.reduce((n, p) => n + p.ignored, 0),
    checks,
    file: sorted.map((p) => p.file).join(', '),
    files,
    notes: sorted.flatMap((p) => p.notes),
  };
}

function totalChecks(totals: AlipayDetailPart['totals'], sums: AlipayDetailPart['sums']): StatementCheck[] {
  const out: StatementCheck[] = [];
  const { trade, refund } = totals;
  if (trade) {
    // With a separate 退款合计 line, 交易合计 counts trades only; alone, it covers every row.
    out.push(check('交易合计 笔数', trade.count, refund ? sums.paymentCount : sums.paymentCount + sums.refundCount));
    if (trade.received !== undefined)
      out.push(check('交易合计 商家实收', trade.received, refund ? sums.received.payment : sums.received.payment + sums.received.refund));
    if (trade.order !== undefined) out.push(check('交易合计 交易金额', trade.order, refund ? sums.order.payment : sums.order.payment + sums.order.refund));
  }
  if (refund) {
    out.push(check('退款合计 笔数', refund.count, sums.refundCount));
    if (refund.received !== undefined) out.push(check('退款合计 商家实收退款', refund.received, sums.received.refund));
    if (refund.order !== undefined) out.push(check('退款合计 交易退款金额', refund.order, sums.order.refund));
  }
  return out;
}

/** One detail file as text → a statement (the single-file case of combineAlipayParts). */
export function parseAlipayBill(text: string, file: string, badLines: readonly number[] = []): Statement {
  return combineAlipayParts([parseAlipayDetail(text, file, badLines)], null);
}

export interface AlipayBillLine {
  tradeNo: string;
  outTradeNo: string;
  kind: 'payment' | 'refund';
  subject: string;
  created: number;
  finished: number;
  buyer: string;
  /** fen, positive; written negative on a refund line. */
  amount: number;
  outRequestNo?: string;
  /** 服务费, fen charged (+) on a trade or returned (−) on a refund; the sandbox writes it negated (deducted from the merchant). */
  fee?: number;
}

/** The rate the sandbox charges as 服务费, 0.60%. */
export const ALIPAY_SANDBOX_FEE_PERMILLE = 6;

/** The detail CSV text for one day (the writing twin of parseAlipayDetail; the sandbox encodes it to GBK). */
export function writeAlipayBill(input: { pid: string; date: string; exportedAt: number; lines: readonly AlipayBillLine[] }): string {
  const cn = (d: string) => `${d.slice(0, 4)}年${d.slice(5, 7)}月${d.slice(8, 10)}日`;
  const next = new Date(Date.parse(`${input.date}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
  const out = [
    ALIPAY_DETAIL_TITLE,
    `#账号：[${input.pid}]`,
    `#起始日期：[${cn(input.date)} 00:00:00]   终止日期：[${cn(next)} 00:00:00]`,
    '#-----------------------------------------业务明细列表----------------------------------------',
    ALIPAY_BILL_COLUMNS.join(','),
  ];
  let trades = 0;
  let tradeSum = 0;
  let refunds = 0;
  let refundSum = 0;
  for (const l of input.lines) {
    const signed = l.kind === 'refund' ? -l.amount : l.amount;
    if (l.kind === 'refund') {
      refunds++;
      refundSum += signed;
    } else {
      trades++;
      tradeSum += signed;
    }
    const m = fenToYuan(signed);
    const subject = l.subject.replace(/[,\r\n"]/g, ' ');
    out.push(
      [
        `${l.tradeNo}\t`,
        `${l.outTradeNo}\t`,
        `${l.kind === 'refund' ? '退款' : '交易'}\t`,
        subject,
        formatBeijing(l.created),
        formatBeijing(l.finished),
        '\t',
        '\t',
        '\t',
        '\t',
        `${l.buyer}\t`,
        m,
        m,
        '0.00',
        '0.00',
        '0.00',
        '0.00',
        '0.00',
        '',
        '0.00\t',
        '0.00',
        l.outRequestNo ? `${l.outRequestNo}\t` : '\t',
        fenToYuan(-(l.fee ?? 0)),
        '0.00',
        '',
      ].join(','),
    );
  }
  const stamp = formatBeijing(input.exportedAt);
  out.push(
    '#-----------------------------------------业务明细列表结束------------------------------------',
    `#交易合计：${trades}笔，商家实收共${fenToYuan(tradeSum)}元，商家优惠共0.00元`,
    `#退款合计：${refunds}笔，商家实收退款共${fenToYuan(refundSum)}元，商家优惠退款共0.00元`,
    `#导出时间：[${stamp.slice(0, 4)}年${stamp.slice(5, 7)}月${stamp.slice(8, 10)}日 ${stamp.slice(11)}]`,
  );
  return `${out.join('\r\n')}\r\n`;
}

/** The (汇总) companion file: one 合计 row over every line (the sandbox has no stores). */
export function writeAlipaySummary(input: { pid: string; date: string; lines: readonly AlipayBillLine[] }): string {
  const pay = input.lines.filter((l) => l.kind === 'payment');
  const ref = input.lines.filter((l) => l.kind === 'refund');
  const sum = (ls: readonly AlipayBillLine[], f: (l: AlipayBillLine) => number) => ls.reduce((n, l) => n + f(l), 0);
  const received = sum(pay, (l) => l.amount) - sum(ref, (l) => l.amount);
  // Written as in the detail: a trade's fee negative (deducted), a refund's positive (returned).
  const fee = -sum(input.lines, (l) => l.fee ?? 0);
  const y = fenToYuan;
  return [
    ALIPAY_SUMMARY_TITLE,
    `#账号：[${input.pid}]`,
    '#-----------------------------------------业务汇总列表----------------------------------------',
    ALIPAY_SUMMARY_COLUMNS.join(','),
    ['合计', '', pay.length, ref.length, y(received), y(received), '0.00', '0.00', '0.00', y(fee), '0.00', y(received + fee)].join(','),
    '#----------------------------------------业务汇总列表结束-------------------------------------',
    '',
  ].join('\r\n');
}

/** The registry's view of the format: one detail file's bytes (GBK) → rows. */
export const alipayTradeBill: BillFormat = {
  name: 'Alipay trade bill detail (业务明细, GBK CSV)',
  parse: (file, fileName) => {
    const { text, badLines } = decodeTextLenient(file, 'gbk');
    return parseAlipayBill(text, fileName, badLines);
  },
  dating: ALIPAY_BILL_DATING,
};
