// The three statement parsers on real-shaped files (sources in docs/reconciliation.md), and each
// writer (what the sandbox serves) read back by its parser.

import { describe, expect, it } from 'vitest';
import { StatementFormatError, decodeText } from '../decode';
import { WECHAT_TRADEBILL } from '../fixtures/wechat-tradebill';
import { encodeGbk } from '../gbk';
import { parseBeijing } from '../time';
import { parseAlipayBill, writeAlipayBill } from './alipay';
import { parseUnionpayZm, writeZmRecord, ZM_FIELDS, ZM_RECORD_BYTES } from './unionpay';
import { parseWechatBill, writeWechatBill } from './wechat';

describe('WeChat Pay trade bill', () => {
  it('reads BOM, CRLF, backticked cells, SUCCESS and REFUND rows, skips REVOKED, checks the summary', () => {
    const text = decodeText(new TextEncoder().encode(WECHAT_TRADEBILL), 'utf-8', 'bill');
    const s = parseWechatBill(text, 'tradebill.csv');
    expect(s.rows).toEqual([
      { kind: 'payment', outTradeNo: 'Kq3vXw9ZbT2mR8nLpY4sHc1dA1', providerTransactionId: '4200002926202611270311572201', amount: 8888, time: parseBeijing('2026-11-27 09:15:02'), line: 2 },
      { kind: 'payment', outTradeNo: 'Rt7bNc2QwE5yU1iOpA8sDf3gA1', providerTransactionId: '4200002926202611270311572202', amount: 1200, time: parseBeijing('2026-11-27 11:40:37'), line: 3 },
      {
        kind: 'refund', outTradeNo: 'Zx8cVb4NmQ6wE2rTyU9iOp1aA1', outRefundNo: 'Zx8cVb4NmQ6wE2rTyU9iOp1aR1', providerRefundId: '50300908172026112712345678901',
        providerTransactionId: '4200002926202611250311570099', amount: 1000, time: parseBeijing('2026-11-27 13:02:11'), line: 4,
      },
    ]);
    expect(s.ignored).toBe(1);
    // 总交易单数 4; 订单总金额 105.88 counts the REVOKED row's 订单金额 too, as WeChat's file does.
    expect(s.checks).toEqual([
      { what: '总交易单数', declared: 4, computed: 4, ok: true },
      { what: '订单总金额', declared: 10588, computed: 10588, ok: true },
      { what: '申请退款总金额', declared: 1000, computed: 1000, ok: true },
    ]);
  });

  it('flags a file whose summary disagrees with its rows, and refuses a malformed one', () => {
    const tampered = WECHAT_TRADEBILL.replace('`4,`100.88', '`5,`100.88');
    expect(parseWechatBill(tampered, 'x').checks[0]).toMatchObject({ what: '总交易单数', declared: 5, computed: 4, ok: false });
    expect(() => parseWechatBill(WECHAT_TRADEBILL.replace('`0.60%,`88.88', '`0.60%,`8x.88'), 'x')).toThrow(StatementFormatError);
    expect(() => parseWechatBill('`2026-11-27 09:15:02,`wx', 'x')).toThrow(/no header/);
  });

  it('a day with only the summary is an empty statement', () => {
    const s = parseWechatBill(writeWechatBill([]), 'x');
    expect(s.rows).toEqual([]);
    expect(s.checks.every((c) => c.ok)).toBe(true);
  });

  it('the sandbox writer round-trips, backticks in a product name included', () => {
    const t = parseBeijing('2026-11-27 10:00:00') as number;
    const text = writeWechatBill([
      { time: t, appid: 'wx1', mchid: '1900000109', transactionId: '4200001', outTradeNo: 'A1', openid: 'o1', tradeType: 'NATIVE', state: 'SUCCESS', amount: 1, body: 'a`b, c' },
      { time: t + 1000, appid: 'wx1', mchid: '1900000109', transactionId: '4200001', outTradeNo: 'A1', openid: 'o1', tradeType: 'NATIVE', state: 'REFUND', amount: 0, refund: { refundId: '503', outRefundNo: 'R1', amount: 1 }, body: 'x' },
    ]);
    expect(text.startsWith('\ufeff交易时间,')).toBe(true);
    const s = parseWechatBill(text.slice(1), 'x');
    expect(s.rows.map((r) => [r.kind, r.outTradeNo, r.outRefundNo, r.amount])).toEqual([['payment', 'A1', undefined, 1], ['refund', 'A1', 'R1', 1]]);
    expect(s.checks.every((c) => c.ok)).toBe(true);
  });
});

// The detail file as public parsers' fixtures show it: comment header and footer lines, ids with a
// trailing tab, refunds named by 退款批次号/请求号 with negative amounts, GBK on the wire.
const ALIPAY_DETAIL = [
  '#支付宝业务明细查询',
  '#账号：[20880000000000010156]',
  '#起始日期：[2026年11月27日 00:00:00]   终止日期：[2026年11月28日 00:00:00]',
  '#-----------------------------------------业务明细列表----------------------------------------',
  '支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,对方账户,订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,商家优惠（元）,券核销金额（元）,券名称,商家红包消费金额（元）,卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注',
  '2026112722001419931441931972\t,Kq3vXw9ZbT2mR8nLpY4sHc1dA2\t,交易\t,机械键盘,2026-11-27 16:01:34,2026-11-27 16:01:38,\t,\t,\t,\t,**博(156******89)\t,88.88,88.88,0.00,0.00,0.00,0.00,0.00,,0.00\t,0.00,\t,-0.53,0.00,',
  '2026112522001419931441888001\t,Zx8cVb4NmQ6wE2rTyU9iOp1aA2\t,退款\t,乌龙茶,2026-11-25 15:00:00,2026-11-27 17:00:05,\t,\t,\t,\t,**博(156******89)\t,-12.00,-12.00,0.00,0.00,0.00,0.00,0.00,,0.00\t,0.00,Zx8cVb4NmQ6wE2rTyU9iOp1aR1\t,0.07,0.00,退款',
  '#-----------------------------------------业务明细列表结束------------------------------------',
  '#交易合计：1笔，商家实收共88.88元，商家优惠共0.00元',
  '#退款合计：1笔，商家实收退款共-12.00元，商家优惠退款共0.00元',
  '#导出时间：[2026年11月28日 09:12:10]',
  '',
].join('\r\n');

describe('Alipay trade bill', () => {
  it('reads the GBK detail: comment lines skipped, tabs trimmed, refunds by out_request_no, totals checked', () => {
    const s = parseAlipayBill(decodeText(encodeGbk(ALIPAY_DETAIL), 'gbk', 'detail'), '2088_20261127_业务明细.csv');
    expect(s.rows).toEqual([
      { kind: 'payment', outTradeNo: 'Kq3vXw9ZbT2mR8nLpY4sHc1dA2', providerTransactionId: '2026112722001419931441931972', amount: 8888, time: parseBeijing('2026-11-27 16:01:38'), line: 1 },
      {
        kind: 'refund', outTradeNo: 'Zx8cVb4NmQ6wE2rTyU9iOp1aA2', outRefundNo: 'Zx8cVb4NmQ6wE2rTyU9iOp1aR1', providerTransactionId: '2026112522001419931441888001',
        amount: 1200, time: parseBeijing('2026-11-27 17:00:05'), line: 2,
      },
    ]);
    expect(s.checks.map((c) => [c.what, c.ok])).toEqual([['交易合计 笔数', true], ['交易合计 商家实收', true], ['退款合计 笔数', true], ['退款合计 商家实收退款', true]]);
  });

  it('with only a 交易合计 line, it counts every row; a refund without a request number is the trade\'s own', () => {
    const only = ALIPAY_DETAIL.replace(/#退款合计.*\r\n/, '').replace('#交易合计：1笔，商家实收共88.88元', '#交易合计：2笔，商家实收共76.88元').replace('Zx8cVb4NmQ6wE2rTyU9iOp1aR1\t', '\t');
    const s = parseAlipayBill(only, 'x');
    expect(s.checks.every((c) => c.ok)).toBe(true);
    expect(s.rows[1]?.outRefundNo).toBe('Zx8cVb4NmQ6wE2rTyU9iOp1aA2');
  });

  it('refuses a file that is not the detail, and an unreadable amount', () => {
    expect(() => parseAlipayBill('#支付宝业务汇总查询\r\n', 'x')).toThrow(/does not start with/);
    expect(() => parseAlipayBill(ALIPAY_DETAIL.replace('88.88,88.88', 'abc,88.88'), 'x')).toThrow(/not an amount/);
  });

  it('the sandbox writer round-trips', () => {
    const t = parseBeijing('2026-11-27 10:00:00') as number;
    const text = writeAlipayBill({
      pid: '2088', date: '2026-11-27', exportedAt: t, lines: [
        { tradeNo: '2026112722001', outTradeNo: 'A1', kind: 'payment', subject: '键盘, 红', created: t, finished: t, buyer: 'b***', amount: 123 },
        { tradeNo: '2026112722001', outTradeNo: 'A1', kind: 'refund', subject: '键盘', created: t, finished: t + 5, buyer: 'b***', amount: 23, outRequestNo: 'R1' },
      ],
    });
    const s = parseAlipayBill(decodeText(encodeGbk(text), 'gbk', 'x'), 'x');
    expect(s.rows.map((r) => [r.kind, r.outTradeNo, r.outRefundNo, r.amount])).toEqual([['payment', 'A1', undefined, 123], ['refund', 'A1', 'R1', 23]]);
    expect(s.checks.every((c) => c.ok)).toBe(true);
  });
});

/** One ZM record built byte by byte: each field GBK-encoded and padded to its BYTE width. */
function zmBytes(fields: Record<string, string>): Uint8Array {
  const out: number[] = [];
  ZM_FIELDS.forEach(([name, width], i) => {
    const b = encodeGbk(fields[name] ?? '');
    const pad = new Array(width - b.length).fill(['txnAmt', 'settleAmt'].includes(name) ? 0x30 : 0x20);
    out.push(...(['txnAmt', 'settleAmt'].includes(name) ? [...pad, ...b] : [...b, ...pad]));
    if (i < ZM_FIELDS.length - 1) out.push(0x20);
  });
  return new Uint8Array(out);
}

describe('UnionPay ZM file', () => {
  const consume = { tradeNo: 'S22', traceNo: '123456', txnTime: '1127160138', txnAmt: '8888', queryId: '512611271601382345671', orderId: 'Kq3vXw9ZbT2mR8nLpY4sHc1dA3', txnType: '01', txnSubType: '01', bizType: '000201', merId: '777290058110048', subMerAbbr: '银联商户简称' };
  const refund = { tradeNo: 'S30', txnTime: '1127170005', txnAmt: '1200', queryId: '512611271700052345672', orderId: 'Zx8cVb4NmQ6wE2rTyU9iOp1aR3', txnType: '04', txnSubType: '00', origQryId: '512611251500002345670', merId: '777290058110048' };

  it('slices fixed GBK byte widths (Chinese text in a field shifts nothing), consume → payment, 04 → refund', () => {
    const a = zmBytes(consume);
    expect(a.length).toBe(ZM_RECORD_BYTES);
    const file = new Uint8Array([...a, 0x0d, 0x0a, ...zmBytes(refund), 0x0d, 0x0a, ...zmBytes({ ...consume, txnType: '71', orderId: 'X' }), 0x0d, 0x0a]);
    const s = parseUnionpayZm(file, 'INN26112788ZM_777290058110048', '2026-11-27');
    expect(s.rows).toEqual([
      { kind: 'payment', outTradeNo: 'Kq3vXw9ZbT2mR8nLpY4sHc1dA3', providerTransactionId: '512611271601382345671', amount: 8888, time: parseBeijing('2026-11-27 16:01:38'), line: 1 },
      {
        kind: 'refund', outTradeNo: '', outRefundNo: 'Zx8cVb4NmQ6wE2rTyU9iOp1aR3', providerTransactionId: '512611251500002345670', providerRefundId: '512611271700052345672',
        amount: 1200, time: parseBeijing('2026-11-27 17:00:05'), line: 2,
      },
    ]);
    expect(s.ignored).toBe(1);
  });

  it('a record from late December in a January file belongs to the year before', () => {
    const s = parseUnionpayZm(zmBytes({ ...consume, txnTime: '1231235959' }), 'x', '2027-01-01');
    expect(s.rows[0]?.time).toBe(parseBeijing('2026-12-31 23:59:59'));
  });

  it('refuses a record too short for the layout or a non-numeric amount', () => {
    expect(() => parseUnionpayZm(new TextEncoder().encode('S22 00000000001\r\n'), 'x', '2026-11-27')).toThrow(/too short/);
    expect(() => parseUnionpayZm(zmBytes({ ...consume, txnAmt: 'ABC' }), 'x', '2026-11-27')).toThrow(/not fen/);
  });

  it('the sandbox writer produces records of the layout\'s width', () => {
    const line = writeZmRecord({ ...consume, subMerAbbr: 'shop' });
    expect(line.length).toBe(ZM_RECORD_BYTES);
    expect(parseUnionpayZm(new TextEncoder().encode(line), 'x', '2026-11-27').rows[0]).toMatchObject({ outTradeNo: consume.orderId, amount: 8888 });
  });
});
