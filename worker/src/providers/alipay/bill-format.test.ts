// The Alipay trade bill parser on a real-shaped file (sources in docs/reconciliation.md): fees,
// thousands separators, a byte that is not GBK, split detail files and the (汇总) file, and its
// writer (what the sandbox serves) read back by the parser.

import { describe, expect, it } from 'vitest';
import { decodeText } from '../../bills/decode';
import { encodeGbk } from '../../bills/gbk';
import { parseBeijing } from '../../bills/time';
import { moneyOf } from '../../bills/statement';
import {
  alipayTradeBill,
  combineAlipayParts,
  parseAlipayBill,
  parseAlipayDetail,
  parseAlipaySummary,
  writeAlipayBill,
  writeAlipaySummary,
  type AlipayBillLine,
  type AlipayDetailPart,
} from './bill-format';

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
  it('reads the GBK detail: comment lines skipped, tabs trimmed, refunds by out_request_no, fees by kind, totals checked', () => {
    const s = alipayTradeBill.parse(encodeGbk(ALIPAY_DETAIL), '2088_20261127_业务明细.csv', '2026-11-27');
    expect(s.rows).toEqual([
      {
        kind: 'payment',
        outTradeNo: 'Kq3vXw9ZbT2mR8nLpY4sHc1dA2',
        providerTransactionId: '2026112722001419931441931972',
        amount: 8888,
        settled: 8888,
        fee: 53,
        time: parseBeijing('2026-11-27 16:01:38'),
        line: 6,
        file: '2088_20261127_业务明细.csv',
      },
      {
        kind: 'refund',
        outTradeNo: 'Zx8cVb4NmQ6wE2rTyU9iOp1aA2',
        outRefundNo: 'Zx8cVb4NmQ6wE2rTyU9iOp1aR1',
        providerTransactionId: '2026112522001419931441888001',
        amount: 1200,
        settled: 1200,
        fee: -7,
        time: parseBeijing('2026-11-27 17:00:05'),
        line: 7,
        file: '2088_20261127_业务明细.csv',
      },
    ]);
    expect(s.checks.map((c) => [c.what, c.ok])).toEqual([
      ['交易合计 笔数', true],
      ['交易合计 商家实收', true],
      ['退款合计 笔数', true],
      ['退款合计 商家实收退款', true],
    ]);
    expect(s.notes).toEqual([]);
    expect(moneyOf(s.rows)).toEqual({ gross: 7688, fee: 46, net: 7642 });
  });

  it("with only a 交易合计 line, it counts every row; a refund without a request number is the trade's own", () => {
    const only = ALIPAY_DETAIL.replace(/#退款合计.*\r\n/, '')
      .replace('#交易合计：1笔，商家实收共88.88元', '#交易合计：2笔，商家实收共76.88元')
      .replace('Zx8cVb4NmQ6wE2rTyU9iOp1aR1\t', '\t');
    const s = parseAlipayBill(only, 'x');
    expect(s.checks.every((c) => c.ok)).toBe(true);
    expect(s.rows[1]?.outRefundNo).toBe('Zx8cVb4NmQ6wE2rTyU9iOp1aA2');
  });

  it('checks totals written with thousands separators, and the older 交易金额共 wording', () => {
    const big = ALIPAY_DETAIL.replaceAll('88.88', '1234567.89').replace('商家实收共1234567.89元', '商家实收共1,234,567.89元');
    expect(parseAlipayBill(big, 'x').checks.find((c) => c.what === '交易合计 商家实收')).toEqual({
      what: '交易合计 商家实收',
      declared: 123456789,
      computed: 123456789,
      ok: true,
    });
    const wrong = big.replace('1,234,567.89元', '1,234,567.80元');
    expect(parseAlipayBill(wrong, 'x').checks.find((c) => c.what === '交易合计 商家实收')?.ok).toBe(false);
    const older = ALIPAY_DETAIL.replace('#交易合计：1笔，商家实收共88.88元，商家优惠共0.00元', '#交易合计：1笔，交易金额共88.88元，优惠金额共0.00元').replace(
      '#退款合计：1笔，商家实收退款共-12.00元，商家优惠退款共0.00元',
      '#退款合计：1笔，交易退款金额共-12.00元，优惠退款金额共0.00元',
    );
    expect(parseAlipayBill(older, 'x').checks.map((c) => [c.what, c.ok])).toEqual([
      ['交易合计 笔数', true],
      ['交易合计 交易金额', true],
      ['退款合计 笔数', true],
      ['退款合计 交易退款金额', true],
    ]);
  });

  it('a byte that is not GBK spoils its row only: a product name is read round it, an amount leaves the row out, named', () => {
    const bytes = encodeGbk(ALIPAY_DETAIL);
    // 0xFF is never GBK (0x80 is: WHATWG's GBK reads it as €): put it in the first row's product name (机械键盘), then in the second row's amount.
    const name = [...encodeGbk('机械键盘')];
    const at = (needle: number[]) => bytes.findIndex((_, i) => needle.every((b, j) => bytes[i + j] === b));
    const inName = bytes.slice();
    inName[at(name)] = 0xff;
    const s = alipayTradeBill.parse(inName, 'd.csv', '2026-11-27');
    expect(s.rows).toHaveLength(2);
    expect(s.notes).toEqual([{ file: 'd.csv', line: 6, message: expect.stringContaining('商品名称'), skipped: false }]);
    expect(s.checks.every((c) => c.ok)).toBe(true);
    const inAmount = bytes.slice();
    inAmount[at([...encodeGbk('-12.00,-12.00')])] = 0xff;
    const t = alipayTradeBill.parse(inAmount, 'd.csv', '2026-11-27');
    expect(t.rows.map((r) => r.kind)).toEqual(['payment']);
    expect(t.notes).toEqual([{ file: 'd.csv', line: 7, message: expect.stringMatching(/not GBK in 订单金额（元）.*cannot be read/), skipped: true }]);
    // The totals still count the row the file has: they no longer match what could be read.
    expect(t.checks.find((c) => c.what === '退款合计 笔数')).toMatchObject({ declared: 1, computed: 0, ok: false });
  });

  it('refuses a file that is not the detail; an unreadable amount leaves its row out, named', () => {
    expect(() => parseAlipayBill('#支付宝业务汇总查询\r\n', 'x')).toThrow(/does not start with/);
    const s = parseAlipayBill(ALIPAY_DETAIL.replace('88.88,88.88', 'abc,88.88'), 'x');
    expect(s.rows.map((r) => r.kind)).toEqual(['refund']);
    expect(s.notes).toEqual([{ file: 'x', line: 6, message: '订单金额（元） "abc" is not an amount', skipped: true }]);
  });

  it('reads every part of a split detail as one day, checked against each part and the (汇总) file', () => {
    const t = parseBeijing('2026-11-27 10:00:00') as number;
    const line = (n: number): AlipayBillLine => ({
      tradeNo: `20261127220014199314419${String(n).padStart(5, '0')}`,
      outTradeNo: `A${n}`,
      kind: 'payment',
      subject: '键盘',
      created: t,
      finished: t + n,
      buyer: 'b***',
      amount: 1000 * n,
      fee: 6 * n,
    });
    const lines = [line(1), line(2), line(3), { ...line(1), kind: 'refund' as const, amount: 400, fee: -2, outRequestNo: 'A1R1' }];
    const detail = (part: AlipayBillLine[]) => writeAlipayBill({ pid: '2088', date: '2026-11-27', exportedAt: t, lines: part });
    const parts = [
      parseAlipayDetail(detail(lines.slice(0, 2)), '2088_20261127_业务明细_1.csv'),
      parseAlipayDetail(detail(lines.slice(2)), '2088_20261127_业务明细_2.csv'),
    ];
    const summary = parseAlipaySummary(writeAlipaySummary({ pid: '2088', date: '2026-11-27', lines }), '2088_20261127_业务明细(汇总).csv');
    expect(summary.values).toEqual({ '订单金额（元）': 5600, '商家实收（元）': 5600, '服务费（元）': -34 });
    const s = combineAlipayParts([parts[1] as AlipayDetailPart, parts[0] as AlipayDetailPart], summary);
    expect(s.rows.map((r) => [r.kind, r.outTradeNo, r.file])).toEqual([
      ['payment', 'A1', '2088_20261127_业务明细_1.csv'],
      ['payment', 'A2', '2088_20261127_业务明细_1.csv'],
      ['payment', 'A3', '2088_20261127_业务明细_2.csv'],
      ['refund', 'A1', '2088_20261127_业务明细_2.csv'],
    ]);
    expect(s.files).toEqual(['2088_20261127_业务明细_1.csv', '2088_20261127_业务明细_2.csv', '2088_20261127_业务明细(汇总).csv']);
    expect(s.checks.every((c) => c.ok)).toBe(true);
    expect(s.checks.map((c) => c.what)).toContain('汇总 合计 服务费（元）');
    expect(moneyOf(s.rows)).toEqual({ gross: 5600, fee: 34, net: 5566 });
    // One part's 合计 lines covering the whole day (not confirmed either way) are accepted too.
    const whole = parseAlipayDetail(detail(lines.slice(2)).replace('#交易合计：1笔，商家实收共30.00元', '#交易合计：3笔，商家实收共60.00元'), 'p2.csv');
    const first = parseAlipayDetail(detail(lines.slice(0, 2)).replace(/#交易合计.*\r\n#退款合计.*\r\n/, ''), 'p1.csv');
    const both = combineAlipayParts([first, whole], null);
    expect(both.checks.filter((c) => c.what.includes('all parts')).map((c) => c.ok)).toEqual([true, true, true, true]);
    // A summary that disagrees is reported.
    const off = combineAlipayParts(parts, { ...summary, values: { ...summary.values, '服务费（元）': -35 } });
    expect(off.checks.find((c) => c.what === '汇总 合计 服务费（元）')).toMatchObject({ declared: -35, computed: -34, ok: false });
  });

  it('the sandbox writer round-trips', () => {
    const t = parseBeijing('2026-11-27 10:00:00') as number;
    const text = writeAlipayBill({
      pid: '2088',
      date: '2026-11-27',
      exportedAt: t,
      lines: [
        { tradeNo: '2026112722001', outTradeNo: 'A1', kind: 'payment', subject: '键盘, 红', created: t, finished: t, buyer: 'b***', amount: 123, fee: 1 },
        {
          tradeNo: '2026112722001',
          outTradeNo: 'A1',
          kind: 'refund',
          subject: '键盘',
          created: t,
          finished: t + 5,
          buyer: 'b***',
          amount: 23,
          outRequestNo: 'R1',
        },
      ],
    });
    const s = parseAlipayBill(decodeText(encodeGbk(text), 'gbk', 'x'), 'x');
    expect(s.rows.map((r) => [r.kind, r.outTradeNo, r.outRefundNo, r.amount, r.fee])).toEqual([
      ['payment', 'A1', undefined, 123, 1],
      ['refund', 'A1', 'R1', 23, -0],
    ]);
    expect(s.checks.every((c) => c.ok)).toBe(true);
  });
});
