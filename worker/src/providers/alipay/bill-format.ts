// Alipay's trade bill (bill_type=trade) from alipay.data.dataservice.bill.downloadurl.query: a zip of
// GBK CSV files, `<pid>_<yyyyMMdd>_业务明细.csv` (the detail) and `…_业务明细(汇总).csv` (totals).
// The detail, as public parsers and their fixtures show it (see docs/reconciliation.md for sources):
//   #支付宝业务明细查询
//   #账号：[2088…0156]
//   #起始日期：[2019年09月16日 00:00:00]   终止日期：[2019年09月17日 00:00:00]
//   #-----…业务明细列表-----…
//   支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,…,订单金额（元）,商家实收（元）,…,退款批次号/请求号,服务费（元）,分润（元）,备注
//   2019091622001458860515315453\t,service_1568601259302\t,交易\t,…          ← ids carry a trailing tab
//   #-----…业务明细列表结束-----…
//   #交易合计：N笔，商家实收共X元，商家优惠共Y元
//   #退款合计：N笔，商家实收退款共-X元，商家优惠退款共0.00元
//   #导出时间：[…]
// 业务类型 交易 is a payment; 退款 a refund of the same 商户订单号, named by 退款批次号/请求号 (our
// out_request_no), written with negative amounts.

import { fenToYuan, yuanToFen } from '../../bills/money';
import { check, type Statement, type StatementCheck, type StatementRow } from '../../bills/statement';
import { formatBeijing, parseBeijing } from '../../bills/time';
import { StatementFormatError, csvRows, decodeText } from '../../bills/decode';
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

export function parseAlipayBill(text: string, file: string): Statement {
  if (!text.startsWith(ALIPAY_DETAIL_TITLE)) throw new StatementFormatError(`${file} does not start with ${ALIPAY_DETAIL_TITLE}.`);
  // Comment lines (# …) carry the title, the period and the totals; the table is everything else.
  const table = csvRows(text, file, { comments: '#' });
  const header = (table[0] ?? []).map((h) => h.trim());
  const col = (name: string): number => header.indexOf(name);
  for (const need of ['支付宝交易号', '商户订单号', '业务类型', '完成时间', '订单金额（元）']) {
    if (col(need) < 0) throw new StatementFormatError(`${file}: the header has no ${need} column.`);
  }
  const receivedCol = col('商家实收（元）');
  const rows: StatementRow[] = [];
  let ignored = 0;
  const sums = { payments: 0, refunds: 0, paymentCount: 0, refundCount: 0, all: 0 };
  table.slice(1).forEach((raw, k) => {
    const line = k + 1;
    const cells = raw.map((c) => c.trim());
    const cell = (c: number): string => cells[c] ?? '';
    const money = (c: number, what: string): number => {
      const fen = yuanToFen(cell(c));
      if (fen === null) throw new StatementFormatError(`${file} record ${line}: ${what} ${JSON.stringify(cell(c))} is not an amount.`);
      return fen;
    };
    const type = cell(col('业务类型'));
    const amount = Math.abs(money(col('订单金额（元）'), '订单金额（元）'));
    const received = receivedCol >= 0 ? money(receivedCol, '商家实收（元）') : 0;
    const time = parseBeijing(cell(col('完成时间'))) ?? parseBeijing(cell(col('创建时间')));
    if (time === null) throw new StatementFormatError(`${file} record ${line}: 完成时间 ${JSON.stringify(cell(col('完成时间')))} is not yyyy-MM-dd HH:mm:ss.`);
    const base = { outTradeNo: cell(col('商户订单号')), providerTransactionId: cell(col('支付宝交易号')), time, line, amount };
    sums.all += received;
    if (type === '交易') {
      sums.payments += received;
      sums.paymentCount++;
      rows.push({ kind: 'payment', ...base });
    } else if (type === '退款') {
      sums.refunds += received;
      sums.refundCount++;
      const no = col('退款批次号/请求号') >= 0 ? cell(col('退款批次号/请求号')) : '';
      // A refund made without out_request_no (alipay.trade.refund requires one only for partial refunds)
      // is named by the trade's own out_trade_no.
      rows.push({ kind: 'refund', ...base, outRefundNo: no || base.outTradeNo });
    } else {
      ignored++;
    }
  });

  const checks: StatementCheck[] = [];
  const trade = /^#交易合计：(\d+)笔，商家实收共(-?\d+(?:\.\d+)?)元/m.exec(text);
  const refund = /^#退款合计：(\d+)笔，商家实收退款共(-?\d+(?:\.\d+)?)元/m.exec(text);
  if (trade) {
    // With a separate 退款合计 line, 交易合计 counts trades only; alone, it covers every row.
    const count = refund ? sums.paymentCount : sums.paymentCount + sums.refundCount;
    checks.push(check('交易合计 笔数', Number(trade[1]), count));
    const amount = yuanToFen(trade[2] as string);
    if (amount !== null) checks.push(check('交易合计 商家实收', amount, refund ? sums.payments : sums.all));
  }
  if (refund) {
    checks.push(check('退款合计 笔数', Number(refund[1]), sums.refundCount));
    const amount = yuanToFen(refund[2] as string);
    if (amount !== null) checks.push(check('退款合计 商家实收退款', amount, sums.refunds));
  }
  return { rows, ignored, checks, file };
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
}

/** The detail CSV text for one day (the writing twin of parseAlipayBill; the sandbox encodes it to GBK). */
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
        '0.00',
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

/** The (汇总) companion file, which Alipay ships beside the detail. Shouyin never reads it; its columns here are illustrative (not confirmed). */
export function writeAlipaySummary(input: { pid: string; date: string; lines: readonly AlipayBillLine[] }): string {
  const pay = input.lines.filter((l) => l.kind === 'payment');
  const ref = input.lines.filter((l) => l.kind === 'refund');
  const sum = (ls: readonly AlipayBillLine[]) => ls.reduce((n, l) => n + l.amount, 0);
  return [
    ALIPAY_SUMMARY_TITLE,
    `#账号：[${input.pid}]`,
    '#-----------------------------------------业务汇总列表----------------------------------------',
    '门店编号,门店名称,交易订单总笔数,退款订单总笔数,订单金额（元）,商家实收（元）',
    `合计,,${pay.length},${ref.length},${fenToYuan(sum(pay) - sum(ref))},${fenToYuan(sum(pay) - sum(ref))}`,
    '#----------------------------------------业务汇总列表结束-------------------------------------',
    '',
  ].join('\r\n');
}

/** The registry's view of the format: the detail file's bytes (GBK) → rows. */
export const alipayTradeBill: BillFormat = {
  name: 'Alipay trade bill detail (业务明细, GBK CSV)',
  parse: (file, fileName) => parseAlipayBill(decodeText(file, 'gbk', fileName), fileName),
};
