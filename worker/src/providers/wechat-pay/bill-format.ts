// WeChat Pay's trade bill (交易账单, bill_type=ALL): the same CSV from APIv3 `/v3/bill/tradebill`
// (gzip with tar_type=GZIP) and APIv2 `/pay/downloadbill`
// (https://pay.weixin.qq.com/docs/merchant/products/bill-download/format-trade.html). Shape, as the
// format page describes it and as a real bill shows it (./fixtures/upstream/bill.ALL.csv):
//   - UTF-8 with a BOM, CRLF line ends;
//   - a header row of column names (plain commas);
//   - data rows whose every cell starts with a backtick (so Excel keeps long ids as text), split on
//     ",`" — which also keeps a comma inside a product name in its cell;
//   - then a summary header (总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额)
//     and one backticked summary row.
// 交易状态 SUCCESS is a payment, 交易时间 = when it was paid. REFUND is a refund row listed on the day the
// refund was REQUESTED (交易时间 is "发起退款成功时间", not when it succeeded), once, with the 退款状态 it had
// when the bill was made ("出账后退款状态不会更新"): SUCCESS, or PROCESSING / CHANGE for a refund still in
// flight, whose outcome only the refund query or notify tells; REFUNDCLOSE moved no money. REVOKED (a
// reversed code payment) moves no money either.
// 手续费 is written with five decimals, charged on a payment and returned (negative) on a refund.
// The older layout some merchants still receive (24 columns: 总金额 instead of 应结订单金额 and 订单金额, no
// 申请退款金额, a 5-column summary 总交易单数,总交易额,总退款金额,总代金券或立减优惠退款金额,手续费总金额) is read too;
// the format page says 总金额 is what 应结订单金额 became.

import { fenToYuan, fenToYuanPlaces, parseCount, unitsToFen, yuanToFen, yuanToUnits } from '../../bills/money';
import { check, type Statement, type StatementCheck, type StatementDating, type StatementRow } from '../../bills/statement';
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

/** WeChat dates refunds by their request day and statements by the calendar day (format page above). */
export const WECHAT_BILL_DATING: StatementDating = { day: 'calendar', refunds: 'requested' };

/** 手续费 and 手续费总金额 carry five decimals. */
const FEE_PLACES = 5;

const unTick = (s: string): string => (s.startsWith('`') ? s.slice(1) : s).trim();

/** Which columns a layout names its amounts with. */
interface Layout {
  /** What Shouyin asked for: 订单金额 (current), 总金额 (older layout). */
  order: string;
  /** What WeChat settles for a payment: 应结订单金额 (current), 总金额 (older). */
  settled: string;
  /** The refund asked for: 申请退款金额 (current), 退款金额 (older). */
  refund: string;
  /** Summary columns checked, each with the sum it declares. */
  summary: { count: string; order: string; settled: string | null; refund: string; refundSettled: string | null; fee: string };
}

const CURRENT: Layout = {
  order: '订单金额',
  settled: '应结订单金额',
  refund: '申请退款金额',
  summary: { count: '总交易单数', order: '订单总金额', settled: '应结订单总金额', refund: '申请退款总金额', refundSettled: '退款总金额', fee: '手续费总金额' },
};
const OLDER: Layout = {
  order: '总金额',
  settled: '总金额',
  refund: '退款金额',
  summary: { count: '总交易单数', order: '总交易额', settled: null, refund: '总退款金额', refundSettled: null, fee: '手续费总金额' },
};

export function parseWechatBill(text: string, file: string): Statement {
  const lines = text.split(/\r?\n/);
  let i = 0;
  while (i < lines.length && (lines[i] as string).trim() === '') i++;
  const headerLine = lines[i];
  if (headerLine === undefined || headerLine.startsWith('`')) throw new StatementFormatError(`${file}: no header row (交易时间,公众账号ID,…).`);
  const header = (csvRows(headerLine, file)[0] ?? []).map((h) => h.trim());
  const col = (name: string): number => header.indexOf(name);
  for (const need of ['交易时间', '微信订单号', '商户订单号', '交易状态', '退款金额']) {
    if (col(need) < 0) throw new StatementFormatError(`${file}: the header has no ${need} column.`);
  }
  const layout = col('订单金额') >= 0 && col('应结订单金额') >= 0 && col('申请退款金额') >= 0 ? CURRENT : col('总金额') >= 0 ? OLDER : null;
  if (!layout) {
    throw new StatementFormatError(
      `${file}: the header has neither the current amount columns (应结订单金额, 订单金额, 申请退款金额) nor the older layout's 总金额; ${header.length} columns: ${header.join(',')}.`,
    );
  }
  const feeCol = col('手续费');

  // Data rows: every line starting with a backtick until the summary header.
  const start = i + 1;
  let end = start;
  while (end < lines.length && (lines[end] as string).startsWith('`')) end++;
  const data = end > start ? csvRows(lines.slice(start, end).join('\n'), file, { delimiter: ',`' }) : [];

  const rows: StatementRow[] = [];
  let ignored = 0;
  const sums = { order: 0, settled: 0, refund: 0, refundSettled: 0, feeUnits: 0 };
  data.forEach((raw, k) => {
    const line = start + k + 1;
    const cells = raw.map(unTick);
    const cell = (c: number): string => cells[c] ?? '';
    const money = (name: string): number => {
      const fen = yuanToFen(cell(col(name)));
      if (fen === null) throw new StatementFormatError(`${file} line ${line}: ${name} ${JSON.stringify(cell(col(name)))} is not an amount.`);
      return fen;
    };
    const time = parseBeijing(cell(col('交易时间')));
    if (time === null) throw new StatementFormatError(`${file} line ${line}: 交易时间 ${JSON.stringify(cell(col('交易时间')))} is not yyyy-MM-dd HH:mm:ss.`);
    const order = money(layout.order);
    const settled = money(layout.settled);
    const refund = money(layout.refund);
    const refundSettled = money('退款金额');
    let feeUnits = 0;
    if (feeCol >= 0) {
      const u = yuanToUnits(cell(feeCol), FEE_PLACES);
      if (u === null) throw new StatementFormatError(`${file} line ${line}: 手续费 ${JSON.stringify(cell(feeCol))} is not an amount.`);
      feeUnits = u;
    }
    sums.order += order;
    sums.settled += settled;
    sums.refund += refund;
    sums.refundSettled += refundSettled;
    sums.feeUnits += feeUnits;
    const fee = unitsToFen(feeUnits, FEE_PLACES);
    const state = cell(col('交易状态'));
    const base = { outTradeNo: cell(col('商户订单号')), providerTransactionId: cell(col('微信订单号')), time, line };
    if (state === 'SUCCESS') {
      rows.push({ kind: 'payment', ...base, amount: order, settled, fee });
    } else if (state === 'REFUND') {
      const status = col('退款状态') >= 0 ? cell(col('退款状态')) : '';
      // Closed before the bill was made: nothing moved.
      if (status === 'REFUNDCLOSE') {
        ignored++;
        return;
      }
      rows.push({
        kind: 'refund',
        ...base,
        outRefundNo: cell(col('商户退款单号')),
        providerRefundId: cell(col('微信退款单号')),
        amount: refund,
        settled: refundSettled,
        fee,
        // PROCESSING, or CHANGE (退款异常: the bank refused it, the merchant redirects it): not final yet.
        ...(status === 'SUCCESS' || status === '' ? {} : { inFlight: true }),
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
    const get = (name: string | null): string | undefined => {
      const at = name === null ? -1 : names.indexOf(name);
      return at < 0 ? undefined : values[at];
    };
    const fen = (name: string | null, computed: number) => {
      const v = get(name);
      const declared = v === undefined ? null : yuanToFen(v);
      if (declared !== null) checks.push(check(name as string, declared, computed));
    };
    const count = get(layout.summary.count);
    if (count !== undefined && parseCount(count) !== null) checks.push(check(layout.summary.count, parseCount(count) as number, data.length));
    fen(layout.summary.order, sums.order);
    fen(layout.summary.settled, sums.settled);
    fen(layout.summary.refund, sums.refund);
    fen(layout.summary.refundSettled, sums.refundSettled);
    // The fee total is compared at its own five decimals, then shown in fen.
    const feeTotal = get(layout.summary.fee);
    const declaredFee = feeTotal === undefined ? null : yuanToUnits(feeTotal, FEE_PLACES);
    if (declaredFee !== null && feeCol >= 0) {
      const c = check(layout.summary.fee, unitsToFen(declaredFee, FEE_PLACES), unitsToFen(sums.feeUnits, FEE_PLACES));
      checks.push({ ...c, ok: declaredFee === sums.feeUnits });
    }
  }
  return { rows, ignored, checks, file };
}

/** One bill line as the sandbox writes it. */
export interface WechatBillLine {
  /** 交易时间: paid, or (a refund) requested. */
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
  /** 退款状态 as of when the bill is made (REFUND lines; SUCCESS when absent). */
  refund?: { refundId: string; outRefundNo: string; amount: number; status?: 'SUCCESS' | 'PROCESSING' | 'CHANGE' | 'REFUNDCLOSE' };
  /** 手续费, fen: charged on a payment, returned (negative) on a refund. */
  fee?: number;
  body: string;
}

const y = fenToYuan;

/** The fee rate the sandbox writes in 费率 (and charges), 0.60% — WeChat Pay's usual rate. */
export const WECHAT_SANDBOX_FEE_PERMILLE = 6;

/** The trade bill text for `lines` (the writing twin of parseWechatBill, used by the sandbox and tests). */
export function writeWechatBill(lines: readonly WechatBillLine[]): string {
  const out = [WECHAT_BILL_COLUMNS.join(',')];
  let orders = 0;
  let refunds = 0;
  let fees = 0;
  for (const l of lines) {
    const pay = l.state === 'SUCCESS' ? l.amount : 0;
    const ref = l.refund?.amount ?? 0;
    const fee = l.fee ?? 0;
    orders += pay;
    refunds += ref;
    fees += fee;
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
      l.refund ? (l.refund.status ?? 'SUCCESS') : '',
      l.body.replaceAll('`', "'").replace(/[\r\n]/g, ' '),
      '',
      fenToYuanPlaces(fee, FEE_PLACES),
      `${(WECHAT_SANDBOX_FEE_PERMILLE / 10).toFixed(2)}%`,
      y(pay),
      y(ref),
      '',
    ];
    out.push(cells.map((c) => `\`${c}`).join(','));
  }
  out.push(WECHAT_SUMMARY_COLUMNS.join(','));
  const summary = [String(lines.length), y(orders), y(refunds), '0.00', fenToYuanPlaces(fees, FEE_PLACES), y(orders), y(refunds)];
  out.push(summary.map((c) => `\`${c}`).join(','));
  return `\ufeff${out.join('\r\n')}\r\n`;
}

/** The registry's view of the format: the bill's bytes (UTF-8) → rows. */
export const wechatTradeBill: BillFormat = {
  name: 'WeChat Pay trade bill (交易账单, CSV)',
  parse: (file, fileName) => parseWechatBill(decodeText(file, 'utf-8', fileName), fileName),
  dating: WECHAT_BILL_DATING,
};
