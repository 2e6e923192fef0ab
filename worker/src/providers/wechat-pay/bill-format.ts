// WeChat Pay's trade bill (交易账单, bill_type=ALL): the same CSV from APIv3 `/v3/bill/tradebill`
// (gzip with tar_type=GZIP) and APIv2 `/pay/downloadbill`. Shape, as in wechatpay-axios-plugin's
// tests/fixtures/bill.ALL.csv and its Formatter.castCsvBill:
//   - UTF-8 with a BOM, CRLF line ends;
//   - a header row of column names (plain commas);
//   - data rows whose every cell starts with a backtick (so Excel keeps long ids as text), split on
//     ",`" — which also keeps a comma inside a product name in its cell;
//   - then a summary header (总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额)
//     and one backticked summary row.
// 交易状态 SUCCESS is a payment (交易时间 = when it was paid); REFUND is a refund row, dated when the
// refund happened, with 微信退款单号 / 商户退款单号 / 申请退款金额; REVOKED (a reversed code payment)
// moves no money.

import { fenToYuan, parseCount, yuanToFen } from '../../bills/money';
import { check, type Statement, type StatementCheck, type StatementRow } from '../../bills/statement';
import { formatBeijing, parseBeijing } from '../../bills/time';
import { StatementFormatError, csvRows, decodeText } from '../../bills/decode';
import type { BillFormat } from '../types';

export const WECHAT_BILL_COLUMNS = [
  '交易时间',
  '公众账号ID',
  '商户号',
  '特约商户号',
  '设备号',
  '微信订单号',
  '商户订单号',
  '用户标识',
  '交易类型',
  '交易状态',
  '付款银行',
  '货币种类',
  '应结订单金额',
  '代金券金额',
  '微信退款单号',
  '商户退款单号',
  '退款金额',
  '充值券退款金额',
  '退款类型',
  '退款状态',
  '商品名称',
  '商户数据包',
  '手续费',
  '费率',
  '订单金额',
  '申请退款金额',
  '费率备注',
] as const;
export const WECHAT_SUMMARY_COLUMNS = [
  '总交易单数',
  '应结订单总金额',
  '退款总金额',
  '充值券退款总金额',
  '手续费总金额',
  '订单总金额',
  '申请退款总金额',
] as const;

const unTick = (s: string): string => (s.startsWith('`') ? s.slice(1) : s).trim();

export function parseWechatBill(text: string, file: string): Statement {
  const lines = text.split(/\r?\n/);
  let i = 0;
  while (i < lines.length && (lines[i] as string).trim() === '') i++;
  const headerLine = lines[i];
  if (headerLine === undefined || headerLine.startsWith('`')) throw new StatementFormatError(`${file}: no header row (交易时间,公众账号ID,…).`);
  const header = (csvRows(headerLine, file)[0] ?? []).map((h) => h.trim());
  const col = (name: string): number => header.indexOf(name);
  for (const need of ['交易时间', '微信订单号', '商户订单号', '交易状态']) {
    if (col(need) < 0) throw new StatementFormatError(`${file}: the header has no ${need} column.`);
  }
  const orderAmountCol = col('订单金额') >= 0 ? col('订单金额') : col('应结订单金额');
  const refundAmountCol = col('申请退款金额') >= 0 ? col('申请退款金额') : col('退款金额');
  if (orderAmountCol < 0 || refundAmountCol < 0) throw new StatementFormatError(`${file}: the header has no 订单金额 / 退款金额 columns.`);

  // Data rows: every line starting with a backtick until the summary header.
  const start = i + 1;
  let end = start;
  while (end < lines.length && (lines[end] as string).startsWith('`')) end++;
  const data = end > start ? csvRows(lines.slice(start, end).join('\n'), file, { delimiter: ',`' }) : [];

  const rows: StatementRow[] = [];
  let ignored = 0;
  let orderSum = 0;
  let refundSum = 0;
  data.forEach((raw, k) => {
    const line = start + k + 1;
    const cells = raw.map(unTick);
    const cell = (c: number): string => cells[c] ?? '';
    const money = (c: number, what: string): number => {
      const fen = yuanToFen(cell(c));
      if (fen === null) throw new StatementFormatError(`${file} line ${line}: ${what} ${JSON.stringify(cell(c))} is not an amount.`);
      return fen;
    };
    const time = parseBeijing(cell(col('交易时间')));
    if (time === null) throw new StatementFormatError(`${file} line ${line}: 交易时间 ${JSON.stringify(cell(col('交易时间')))} is not yyyy-MM-dd HH:mm:ss.`);
    const orderAmount = money(orderAmountCol, header[orderAmountCol] as string);
    const refundAmount = money(refundAmountCol, header[refundAmountCol] as string);
    orderSum += orderAmount;
    refundSum += refundAmount;
    const state = cell(col('交易状态'));
    const base = { outTradeNo: cell(col('商户订单号')), providerTransactionId: cell(col('微信订单号')), time, line };
    if (state === 'SUCCESS') {
      rows.push({ kind: 'payment', ...base, amount: orderAmount });
    } else if (state === 'REFUND') {
      const status = col('退款状态') >= 0 ? cell(col('退款状态')) : 'SUCCESS';
      // A refund still PROCESSING (or closed) has not moved money yet.
      if (status !== 'SUCCESS' && status !== '') {
        ignored++;
        return;
      }
      rows.push({
        kind: 'refund',
        ...base,
        outRefundNo: cell(col('商户退款单号')),
        providerRefundId: cell(col('微信退款单号')),
        amount: refundAmount,
      });
    } else {
      ignored++;
    }
  });

  const checks: StatementCheck[] = [];
  const sumHeader = lines[end];
  const sumValues = lines[end + 1];
  if (sumHeader !== undefined && sumHeader.trim() !== '' && sumValues !== undefined) {
    const names = (csvRows(sumHeader, file)[0] ?? []).map((h) => h.trim());
    const values = (csvRows(sumValues, file, { delimiter: ',`' })[0] ?? []).map(unTick);
    const get = (name: string): string | undefined => {
      const at = names.indexOf(name);
      return at < 0 ? undefined : values[at];
    };
    const count = get('总交易单数');
    if (count !== undefined && parseCount(count) !== null) checks.push(check('总交易单数', parseCount(count) as number, data.length));
    const orders = get(orderAmountCol === col('订单金额') ? '订单总金额' : '应结订单总金额');
    if (orders !== undefined && yuanToFen(orders) !== null) checks.push(check('订单总金额', yuanToFen(orders) as number, orderSum));
    const refunds = get(refundAmountCol === col('申请退款金额') ? '申请退款总金额' : '退款总金额');
    if (refunds !== undefined && yuanToFen(refunds) !== null) checks.push(check('申请退款总金额', yuanToFen(refunds) as number, refundSum));
  }
  return { rows, ignored, checks, file };
}

/** One bill line as the sandbox writes it. */
export interface WechatBillLine {
  time: number;
  appid: string;
  mchid: string;
  transactionId: string;
  outTradeNo: string;
  openid: string;
  tradeType: string;
  state: 'SUCCESS' | 'REFUND';
  /** 订单金额, fen (the payment; 0 on a refund line, as WeChat writes it). */
  amount: number;
  refund?: { refundId: string; outRefundNo: string; amount: number };
  body: string;
}

const y = fenToYuan;

/** The trade bill text for `lines` (the writing twin of parseWechatBill, used by the sandbox and tests). */
export function writeWechatBill(lines: readonly WechatBillLine[]): string {
  const out = [WECHAT_BILL_COLUMNS.join(',')];
  let orders = 0;
  let refunds = 0;
  for (const l of lines) {
    const pay = l.state === 'SUCCESS' ? l.amount : 0;
    const ref = l.refund?.amount ?? 0;
    orders += pay;
    refunds += ref;
    const cells = [
      formatBeijing(l.time),
      l.appid,
      l.mchid,
      '0',
      '',
      l.transactionId,
      l.outTradeNo,
      l.openid,
      l.tradeType,
      l.state,
      'OTHERS',
      'CNY',
      y(pay),
      '0.00',
      l.refund?.refundId ?? '0',
      l.refund?.outRefundNo ?? '0',
      y(ref),
      '0.00',
      l.refund ? 'ORIGINAL' : '',
      l.refund ? 'SUCCESS' : '',
      l.body.replaceAll('`', "'").replace(/[\r\n]/g, ' '),
      '',
      '0.00000',
      '0.60%',
      y(pay),
      y(ref),
      '',
    ];
    out.push(cells.map((c) => `\`${c}`).join(','));
  }
  out.push(WECHAT_SUMMARY_COLUMNS.join(','));
  const summary = [String(lines.length), y(orders), y(refunds), '0.00', '0.00000', y(orders), y(refunds)];
  out.push(summary.map((c) => `\`${c}`).join(','));
  return `\ufeff${out.join('\r\n')}\r\n`;
}

/** The registry's view of the format: the bill's bytes (UTF-8) → rows. */
export const wechatTradeBill: BillFormat = {
  name: 'WeChat Pay trade bill (交易账单, CSV)',
  parse: (file, fileName) => parseWechatBill(decodeText(file, 'utf-8', fileName), fileName),
};
