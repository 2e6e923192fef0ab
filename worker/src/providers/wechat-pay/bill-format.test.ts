// The WeChat Pay trade bill parser (both APIs' statement): a real bill as WeChat Pay wrote it
// (./fixtures/upstream, MIT), a detailed file of Shouyin's own in the same shape, refunds in flight,
// fees, the older 24-column layout, and the writer (what the sandbox serves) read back.

import { describe, expect, it } from 'vitest';
import { StatementFormatError, decodeText } from '../../bills/decode';
import { moneyOf } from '../../bills/statement';
import { parseBeijing } from '../../bills/time';
import { parseWechatBill, wechatTradeBill, writeWechatBill } from './bill-format';
import { WECHAT_TRADEBILL } from './fixtures/tradebill';
import { UPSTREAM_BILL_ALL } from './fixtures/upstream';

describe('WeChat Pay trade bill', () => {
  it('reads a real bill whole: 45 rows, refunds on their request day, five-decimal fees, every summary total agrees', () => {
    const s = wechatTradeBill.parse(new TextEncoder().encode(UPSTREAM_BILL_ALL), 'bill.ALL.csv', '2019-02-19');
    expect(s.rows).toHaveLength(45);
    expect(s.rows.filter((r) => r.kind === 'payment')).toHaveLength(31);
    const refunds = s.rows.filter((r) => r.kind === 'refund');
    expect(refunds).toHaveLength(14);
    // A refund row names the order it refunds (paid on the 16th) and is dated when the refund was asked for (the 19th).
    expect(refunds[0]).toEqual({
      kind: 'refund',
      outTradeNo: 'autotest_20190216081946_82335',
      outRefundNo: 'REF4200000263201902167700963919',
      providerRefundId: '50000709672019011908420787722',
      providerTransactionId: '4200000263201902167700134212',
      amount: 1,
      settled: 1,
      fee: 0,
      time: parseBeijing('2019-02-19 05:01:46'),
      line: 2,
    });
    expect(refunds.every((r) => !r.inFlight)).toBe(true);
    expect(s.checks).toEqual([
      { what: '总交易单数', declared: 45, computed: 45, ok: true },
      { what: '订单总金额', declared: 47, computed: 47, ok: true },
      { what: '应结订单总金额', declared: 47, computed: 47, ok: true },
      { what: '申请退款总金额', declared: 14, computed: 14, ok: true },
      { what: '退款总金额', declared: 14, computed: 14, ok: true },
      { what: '手续费总金额', declared: 8, computed: 8, ok: true },
    ]);
    // 0.47 settled − 0.14 refunded − 0.08 fees.
    expect(moneyOf(s.rows)).toEqual({ gross: 33, fee: 8, net: 25 });
  });

  it('reads BOM, CRLF, backticked cells, SUCCESS and REFUND rows, skips REVOKED, checks the summary', () => {
    const text = decodeText(new TextEncoder().encode(WECHAT_TRADEBILL), 'utf-8', 'bill');
    const s = parseWechatBill(text, 'tradebill.csv');
    expect(s.rows).toEqual([
      {
        kind: 'payment',
        outTradeNo: 'Kq3vXw9ZbT2mR8nLpY4sHc1dA1',
        providerTransactionId: '4200002926202611270311572201',
        amount: 8888,
        settled: 8888,
        fee: 53,
        time: parseBeijing('2026-11-27 09:15:02'),
        line: 2,
      },
      {
        kind: 'payment',
        outTradeNo: 'Rt7bNc2QwE5yU1iOpA8sDf3gA1',
        providerTransactionId: '4200002926202611270311572202',
        amount: 1200,
        settled: 1200,
        fee: 7,
        time: parseBeijing('2026-11-27 11:40:37'),
        line: 3,
      },
      {
        kind: 'refund',
        outTradeNo: 'Zx8cVb4NmQ6wE2rTyU9iOp1aA1',
        outRefundNo: 'Zx8cVb4NmQ6wE2rTyU9iOp1aR1',
        providerRefundId: '50300908172026112712345678901',
        providerTransactionId: '4200002926202611250311570099',
        amount: 1000,
        settled: 1000,
        fee: -6,
        time: parseBeijing('2026-11-27 13:02:11'),
        line: 4,
      },
    ]);
    expect(s.ignored).toBe(1);
    // 总交易单数 4; 订单总金额 105.88 counts the REVOKED row's 订单金额 too, as WeChat's file does.
    expect(s.checks).toEqual([
      { what: '总交易单数', declared: 4, computed: 4, ok: true },
      { what: '订单总金额', declared: 10588, computed: 10588, ok: true },
      { what: '应结订单总金额', declared: 10088, computed: 10088, ok: true },
      { what: '申请退款总金额', declared: 1000, computed: 1000, ok: true },
      { what: '退款总金额', declared: 1000, computed: 1000, ok: true },
      { what: '手续费总金额', declared: 54, computed: 54, ok: true },
    ]);
  });

  it('a refund still PROCESSING (or CHANGE) when the bill was made is a row in flight; REFUNDCLOSE moved nothing', () => {
    const refundLine = WECHAT_TRADEBILL.split('\r\n')[3] as string;
    const as = (status: string) => WECHAT_TRADEBILL.replace(refundLine, refundLine.replace('`ORIGINAL,`SUCCESS,', `\`ORIGINAL,\`${status},`));
    for (const status of ['PROCESSING', 'CHANGE']) {
      const s = parseWechatBill(as(status), 'x');
      expect(s.rows.find((r) => r.kind === 'refund')).toMatchObject({ outRefundNo: 'Zx8cVb4NmQ6wE2rTyU9iOp1aR1', amount: 1000, inFlight: true });
    }
    const closed = parseWechatBill(as('REFUNDCLOSE'), 'x');
    expect(closed.rows.some((r) => r.kind === 'refund')).toBe(false);
    expect(closed.ignored).toBe(2);
  });

  it('compares the fee total at its five decimals, and flags a file whose summary disagrees with its rows', () => {
    const feeOff = parseWechatBill(WECHAT_TRADEBILL.replace('`0.54000,`105.88', '`0.54001,`105.88'), 'x');
    expect(feeOff.checks.find((c) => c.what === '手续费总金额')).toMatchObject({ declared: 54, computed: 54, ok: false });
    const tampered = WECHAT_TRADEBILL.replace('`4,`100.88', '`5,`100.88');
    expect(parseWechatBill(tampered, 'x').checks[0]).toMatchObject({ what: '总交易单数', declared: 5, computed: 4, ok: false });
    expect(() => parseWechatBill(WECHAT_TRADEBILL.replace('`0.60%,`88.88', '`0.60%,`8x.88'), 'x')).toThrow(StatementFormatError);
    expect(() => parseWechatBill(WECHAT_TRADEBILL.replace('`0.53000,', '`0.5x000,'), 'x')).toThrow(/手续费 "0.5x000"/);
    expect(() => parseWechatBill('`2026-11-27 09:15:02,`wx', 'x')).toThrow(/no header/);
  });

  it('reads the older 24-column layout (总金额, a 5-column summary), as in the v2 documentation', () => {
    const older = [
      '交易时间,公众账号ID,商户号,子商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,总金额,代金券或立减优惠金额,微信退款单号,商户退款单号,退款金额,代金券或立减优惠退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率',
      '`2014-11-10 16:33:45,`wx2421b1c4370ec43b,`10000100,`0,`1000,`1001690740201411100005734289,`1415640626,`085e9858e3ba5186aafcbaed1,`MICROPAY,`SUCCESS,`OTHERS,`CNY,`0.01,`0.0,`0,`0,`0,`0,`,`,`被扫支付测试,`订单额外描述,`0,`0.60%',
      '`2014-11-10 17:02:11,`wx2421b1c4370ec43b,`10000100,`0,`1000,`1001690740201411100005734289,`1415640626,`085e9858e3ba5186aafcbaed1,`MICROPAY,`REFUND,`OTHERS,`CNY,`0,`0.0,`2004690740201411100005734290,`1415640626R1,`0.01,`0,`ORIGINAL,`SUCCESS,`被扫支付测试,`订单额外描述,`0,`0.60%',
      '总交易单数,总交易额,总退款金额,总代金券或立减优惠退款金额,手续费总金额',
      '`2,`0.01,`0.01,`0.0,`0',
    ].join('\r\n');
    const s = parseWechatBill(older, 'downloadbill.csv');
    expect(s.rows.map((r) => [r.kind, r.outTradeNo, r.outRefundNo, r.amount, r.settled])).toEqual([
      ['payment', '1415640626', undefined, 1, 1],
      ['refund', '1415640626', '1415640626R1', 1, 1],
    ]);
    expect(s.checks).toEqual([
      { what: '总交易单数', declared: 2, computed: 2, ok: true },
      { what: '总交易额', declared: 1, computed: 1, ok: true },
      { what: '总退款金额', declared: 1, computed: 1, ok: true },
      { what: '手续费总金额', declared: 0, computed: 0, ok: true },
    ]);
  });

  it('refuses a header with neither layout, naming what it found', () => {
    const odd = '交易时间,微信订单号,商户订单号,交易状态,退款金额,金额\r\n`2026-11-27 09:15:02,`42,`A1,`SUCCESS,`0.00,`1.00\r\n';
    expect(() => parseWechatBill(odd, 'x')).toThrow(/neither the current amount columns .* nor the older layout's 总金额; 6 columns/);
  });

  it('a day with only the summary is an empty statement', () => {
    const s = parseWechatBill(writeWechatBill([]), 'x');
    expect(s.rows).toEqual([]);
    expect(s.checks.every((c) => c.ok)).toBe(true);
  });

  it('the sandbox writer round-trips, backticks in a product name, fees and a PROCESSING refund included', () => {
    const t = parseBeijing('2026-11-27 10:00:00') as number;
    const common = { appid: 'wx1', mchid: '1900000109', transactionId: '4200001', outTradeNo: 'A1', openid: 'o1', tradeType: 'NATIVE' };
    const text = writeWechatBill([
      { ...common, time: t, state: 'SUCCESS', amount: 10000, fee: 60, body: 'a`b, c' },
      { ...common, time: t + 1000, state: 'REFUND', amount: 0, refund: { refundId: '503', outRefundNo: 'R1', amount: 2500 }, fee: -15, body: 'x' },
      {
        ...common,
        time: t + 2000,
        state: 'REFUND',
        amount: 0,
        refund: { refundId: '504', outRefundNo: 'R2', amount: 100, status: 'PROCESSING' },
        fee: -1,
        body: 'x',
      },
    ]);
    expect(text.startsWith('\ufeff交易时间,')).toBe(true);
    expect(text).toContain('`0.60000,`0.60%');
    const s = parseWechatBill(text.slice(1), 'x');
    expect(s.rows.map((r) => [r.kind, r.outTradeNo, r.outRefundNo, r.amount, r.fee, r.inFlight ?? false])).toEqual([
      ['payment', 'A1', undefined, 10000, 60, false],
      ['refund', 'A1', 'R1', 2500, -15, false],
      ['refund', 'A1', 'R2', 100, -1, true],
    ]);
    expect(s.checks.every((c) => c.ok)).toBe(true);
    expect(moneyOf(s.rows)).toEqual({ gross: 7400, fee: 44, net: 7356 });
  });
});
