// The WeChat Pay trade bill parser (both APIs' statement) on a real-shaped file (sources in
// docs/reconciliation.md), and its writer (what the sandbox serves) read back by the parser.

import { describe, expect, it } from 'vitest';
import { StatementFormatError, decodeText } from '../../bills/decode';
import { parseBeijing } from '../../bills/time';
import { parseWechatBill, writeWechatBill } from './bill-format';
import { WECHAT_TRADEBILL } from './fixtures/tradebill';

describe('WeChat Pay trade bill', () => {
  it('reads BOM, CRLF, backticked cells, SUCCESS and REFUND rows, skips REVOKED, checks the summary', () => {
    const text = decodeText(new TextEncoder().encode(WECHAT_TRADEBILL), 'utf-8', 'bill');
    const s = parseWechatBill(text, 'tradebill.csv');
    expect(s.rows).toEqual([
      {
        kind: 'payment',
        outTradeNo: 'Kq3vXw9ZbT2mR8nLpY4sHc1dA1',
        providerTransactionId: '4200002926202611270311572201',
        amount: 8888,
        time: parseBeijing('2026-11-27 09:15:02'),
        line: 2,
      },
      {
        kind: 'payment',
        outTradeNo: 'Rt7bNc2QwE5yU1iOpA8sDf3gA1',
        providerTransactionId: '4200002926202611270311572202',
        amount: 1200,
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
        time: parseBeijing('2026-11-27 13:02:11'),
        line: 4,
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
      {
        time: t,
        appid: 'wx1',
        mchid: '1900000109',
        transactionId: '4200001',
        outTradeNo: 'A1',
        openid: 'o1',
        tradeType: 'NATIVE',
        state: 'SUCCESS',
        amount: 1,
        body: 'a`b, c',
      },
      {
        time: t + 1000,
        appid: 'wx1',
        mchid: '1900000109',
        transactionId: '4200001',
        outTradeNo: 'A1',
        openid: 'o1',
        tradeType: 'NATIVE',
        state: 'REFUND',
        amount: 0,
        refund: { refundId: '503', outRefundNo: 'R1', amount: 1 },
        body: 'x',
      },
    ]);
    expect(text.startsWith('\ufeff交易时间,')).toBe(true);
    const s = parseWechatBill(text.slice(1), 'x');
    expect(s.rows.map((r) => [r.kind, r.outTradeNo, r.outRefundNo, r.amount])).toEqual([
      ['payment', 'A1', undefined, 1],
      ['refund', 'A1', 'R1', 1],
    ]);
    expect(s.checks.every((c) => c.ok)).toBe(true);
  });
});
