// The Alipay trade bill parser on a real-shaped file (sources in docs/reconciliation.md), and its
// writer (what the sandbox serves) read back by the parser.

import { describe, expect, it } from 'vitest';
import { decodeText } from '../../bills/decode';
import { encodeGbk } from '../../bills/gbk';
import { parseBeijing } from '../../bills/time';
import { parseAlipayBill, writeAlipayBill } from './bill-format';

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
      {
        kind: 'payment',
        outTradeNo: 'Kq3vXw9ZbT2mR8nLpY4sHc1dA2',
        providerTransactionId: '2026112722001419931441931972',
        amount: 8888,
        time: parseBeijing('2026-11-27 16:01:38'),
        line: 1,
      },
      {
        kind: 'refund',
        outTradeNo: 'Zx8cVb4NmQ6wE2rTyU9iOp1aA2',
        outRefundNo: 'Zx8cVb4NmQ6wE2rTyU9iOp1aR1',
        providerTransactionId: '2026112522001419931441888001',
        amount: 1200,
        time: parseBeijing('2026-11-27 17:00:05'),
        line: 2,
      },
    ]);
    expect(s.checks.map((c) => [c.what, c.ok])).toEqual([
      ['交易合计 笔数', true],
      ['交易合计 商家实收', true],
      ['退款合计 笔数', true],
      ['退款合计 商家实收退款', true],
    ]);
  });

  it("with only a 交易合计 line, it counts every row; a refund without a request number is the trade's own", () => {
    const only = ALIPAY_DETAIL.replace(/#退款合计.*\r\n/, '')
      .replace('#交易合计：1笔，商家实收共88.88元', '#交易合计：2笔，商家实收共76.88元')
      .replace('Zx8cVb4NmQ6wE2rTyU9iOp1aR1\t', '\t');
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
      pid: '2088',
      date: '2026-11-27',
      exportedAt: t,
      lines: [
        { tradeNo: '2026112722001', outTradeNo: 'A1', kind: 'payment', subject: '键盘, 红', created: t, finished: t, buyer: 'b***', amount: 123 },
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
    expect(s.rows.map((r) => [r.kind, r.outTradeNo, r.outRefundNo, r.amount])).toEqual([
      ['payment', 'A1', undefined, 123],
      ['refund', 'A1', 'R1', 23],
    ]);
    expect(s.checks.every((c) => c.ok)).toBe(true);
  });
});
