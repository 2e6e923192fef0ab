// The UnionPay settlement files: ZM records and the RD summary laid out byte for byte as UnionPay's own
// sample zip has them (the SDK demo's 802310048993424_20150905.zip: 607-byte GBK records, 交易代码 S56,
// merCharge D… and settleAmt C…, records timed the day after the clearing day), with Shouyin's own
// values; the year of a record across 12-31/01-01; and the writers the sandbox serves read back.

import { describe, expect, it } from 'vitest';
import { encodeGbk } from '../../bills/gbk';
import { moneyOf } from '../../bills/statement';
import { parseBeijing } from '../../bills/time';
import {
  combineUnionpayFiles,
  directed,
  parseUnionpayRd,
  parseUnionpayZm,
  unionpayZmFile,
  writeUnionpayRd,
  writeZmRecord,
  zmTime,
  ZM_FIELDS,
  ZM_RECORD_BYTES,
} from './bill-format';

/** One ZM record built byte by byte: each field GBK-encoded and padded to its BYTE width (numbers with zeros, text with spaces). */
function zmBytes(fields: Record<string, string>): Uint8Array {
  const zeros = ['txnAmt'];
  const out: number[] = [];
  ZM_FIELDS.forEach(([name, width], i) => {
    const b = encodeGbk(fields[name] ?? '');
    const pad = new Array(width - b.length).fill(zeros.includes(name) ? 0x30 : 0x20);
    out.push(...(zeros.includes(name) ? [...pad, ...b] : [...b, ...pad]));
    if (i < ZM_FIELDS.length - 1) out.push(0x20);
  });
  return new Uint8Array(out);
}
const file = (...records: Uint8Array[]) => new Uint8Array(records.flatMap((r) => [...r, 0x0d, 0x0a]));

/** A consume as the sample writes one: S56, D fee, C settlement, no txnSubType, merId and termId filled. */
const consume = (orderId: string, txnTime: string, fen: number, fee: number, over: Record<string, string> = {}) => ({
  tradeNo: 'S56',
  acqInsCode: '00010000',
  sendInsCode: '00049993',
  traceNo: txnTime.slice(4).slice(0, 6),
  txnTime,
  payCardNo: '622609******0048',
  txnAmt: String(fen),
  merCatCode: '4899',
  termType: '07',
  queryId: `2026${txnTime}${orderId.slice(-7)}`,
  oldPayType: '01',
  orderId,
  payCardType: '01',
  merCharge: directed(fee, 'D'),
  settleAmt: directed(fen - fee, 'C'),
  payType: '0001',
  txnType: '01',
  bizType: '000201',
  merId: '777290058110048',
  settleNetAmt: directed(fen - fee, 'C'),
  termId: '01080209',
  tradeMedia: '7',
  ...over,
});

// The sample's RD layout, with Shouyin's numbers: `count` consumes, `credit` yuan, `fee` yuan fees, `net` paid out.
const rdText = (count: number, credit: string, fee: string, net: string) =>
  [
    '                                                                         中国银联全渠道商户交易汇总表            ',
    '',
    '商户代码:777290058110048                                        清算币种:人民币',
    '收单机构:00010000                                               清算日期:20261127',
    '商户名称:收银测试                                               生成日期:20261128',
    '',
    '',
    '交易类型            交易笔数               交易金额                         费用                              资金清算差额',
    '                                         借              贷              借              贷               借                  贷',
    '_'.repeat(136),
    `自助消费                   ${count}            0.00${credit.padStart(16)}${fee.padStart(16)}            0.00            0.00${net.padStart(16)}`,
    '_'.repeat(136),
    `总计                       ${count}            0.00${credit.padStart(16)}${fee.padStart(16)}            0.00            0.00${net.padStart(16)}`,
    '',
  ].join('\r\n');
const RD = rdText(3, '2864.00', '17.18', '2846.82');

describe('UnionPay settlement files', () => {
  it('reads records laid out as the sample: 607 bytes, S56, D/C amounts, the next day’s times; all three totals agree with the RD', () => {
    // Cleared on 11-27, timed on 11-28 — as the sample's 09-05 file holds records of 09-06 10:47–11:52.
    const recs = [consume('K3vXwA1', '1128104715', 197800, 1187), consume('K3vXwA2', '1128112203', 88800, 533)];
    const bytes = file(...recs.map(zmBytes));
    expect(zmBytes(recs[0] as Record<string, string>).length).toBe(ZM_RECORD_BYTES);
    expect(ZM_RECORD_BYTES).toBe(607);
    const zm = parseUnionpayZm(bytes, 'INN26112788ZM_777290058110048', '2026-11-27');
    expect(zm.rows).toEqual([
      {
        kind: 'payment',
        outTradeNo: 'K3vXwA1',
        providerTransactionId: '20261128104715K3vXwA1',
        amount: 197800,
        settled: 197800,
        fee: 1187,
        time: parseBeijing('2026-11-28 10:47:15'),
        line: 1,
        file: 'INN26112788ZM_777290058110048',
      },
      {
        kind: 'payment',
        outTradeNo: 'K3vXwA2',
        providerTransactionId: '20261128112203K3vXwA2',
        amount: 88800,
        settled: 88800,
        fee: 533,
        time: parseBeijing('2026-11-28 11:22:03'),
        line: 2,
        file: 'INN26112788ZM_777290058110048',
      },
    ]);
    const rd = parseUnionpayRd(rdText(2, '2866.00', '17.20', '2848.80'), 'RD201026112701_777290058110048');
    expect(rd).toEqual({ file: 'RD201026112701_777290058110048', settleDate: '2026-11-27', count: 2, amount: 286600, fee: 1720, net: 284880 });
    const s = combineUnionpayFiles([zm], rd, '2026-11-27');
    expect(s.checks).toEqual([
      { what: 'RD 清算日期', declared: 20261127, computed: 20261127, ok: true },
      { what: 'RD 总计 交易笔数', declared: 2, computed: 2, ok: true },
      { what: 'RD 总计 交易金额 (贷 − 借)', declared: 286600, computed: 286600, ok: true },
      { what: 'RD 总计 费用 (借 − 贷)', declared: 1720, computed: 1720, ok: true },
      { what: 'RD 总计 资金清算差额 (贷 − 借)', declared: 284880, computed: 284880, ok: true },
    ]);
    expect(s.files).toEqual(['INN26112788ZM_777290058110048', 'RD201026112701_777290058110048']);
    expect(moneyOf(s.rows)).toEqual({ gross: 286600, fee: 1720, net: 284880 });
  });

  it('reads the RD summary: 清算日期, and 笔数 with 借/贷 of 交易金额, 费用, 资金清算差额 on the 总计 line', () => {
    expect(parseUnionpayRd(RD, 'RD')).toEqual({ file: 'RD', settleDate: '2026-11-27', count: 3, amount: 286400, fee: 1718, net: 284682 });
    expect(() => parseUnionpayRd('商户代码:1\r\n', 'RD')).toThrow(/no 总计 line/);
    expect(() => parseUnionpayRd('总计  3  0.00  x\r\n', 'RD')).toThrow(/not 笔数 and six amounts/);
  });

  it('a refund: txnType 04, its own orderId (our refund number), the fee returned (merCharge C), settleAmt D', () => {
    const refund = consume('Zx8cVbR1', '1127170005', 1200, 7, {
      txnType: '04',
      txnSubType: '00',
      origQryId: '512611251500002345670',
      queryId: '512611271700052345672',
      merCharge: directed(7, 'C'),
      settleAmt: directed(1193, 'D'),
    });
    const zm = parseUnionpayZm(file(zmBytes(consume('K3vXwA1', '1127104715', 197800, 1187)), zmBytes(refund)), 'INN', '2026-11-27');
    expect(zm.rows[1]).toEqual({
      kind: 'refund',
      outTradeNo: '',
      outRefundNo: 'Zx8cVbR1',
      providerTransactionId: '512611251500002345670',
      providerRefundId: '512611271700052345672',
      amount: 1200,
      settled: 1200,
      fee: -7,
      time: parseBeijing('2026-11-27 17:00:05'),
      line: 2,
      file: 'INN',
    });
    expect(zm.sums).toEqual({ records: 2, amount: 196600, fee: 1180, settled: 196613 - 1193, ignored: 0 });
  });

  it('reads every ZM file of a zip as one day, and reports an RD that disagrees', () => {
    const a = parseUnionpayZm(file(zmBytes(consume('K3vXwA1', '1127104715', 197800, 1187))), 'INN26112788ZM_777290058110048', '2026-11-27');
    const b = parseUnionpayZm(file(zmBytes(consume('K3vXwA2', '1127112203', 88800, 533))), 'INN26112799ZM_777290058110048', '2026-11-27');
    const s = combineUnionpayFiles([a, b], parseUnionpayRd(RD, 'RD'), '2026-11-27');
    expect(s.rows.map((r) => [r.outTradeNo, r.file])).toEqual([
      ['K3vXwA1', 'INN26112788ZM_777290058110048'],
      ['K3vXwA2', 'INN26112799ZM_777290058110048'],
    ]);
    expect(s.checks.filter((c) => !c.ok).map((c) => [c.what, c.declared, c.computed])).toEqual([
      ['RD 总计 交易笔数', 3, 2],
      ['RD 总计 交易金额 (贷 − 借)', 286400, 286600],
      ['RD 总计 费用 (借 − 贷)', 1718, 1720],
      ['RD 总计 资金清算差额 (贷 − 借)', 284682, 284880],
    ]);
  });

  it('the year of a record is the one nearest the clearing day, both ways across the new year', () => {
    expect(zmTime('0101000510', '2026-12-31')).toBe(parseBeijing('2027-01-01 00:05:10'));
    expect(zmTime('1231235959', '2027-01-01')).toBe(parseBeijing('2026-12-31 23:59:59'));
    expect(zmTime('1127160138', '2026-11-27')).toBe(parseBeijing('2026-11-27 16:01:38'));
    expect(zmTime('0229120000', '2028-03-01')).toBe(parseBeijing('2028-02-29 12:00:00'));
    expect(zmTime('0230120000', '2026-03-01')).toBeNull();
    const s = parseUnionpayZm(zmBytes(consume('K3vXwA1', '0101000510', 100, 1)), 'x', '2026-12-31');
    expect(s.rows[0]?.time).toBe(parseBeijing('2027-01-01 00:05:10'));
  });

  it('refuses a record too short for the layout, a non-numeric amount, a merCharge without its direction', () => {
    expect(() => parseUnionpayZm(new TextEncoder().encode('S56 00000000001\r\n'), 'x', '2026-11-27')).toThrow(/too short/);
    expect(() => parseUnionpayZm(zmBytes(consume('A', '1127160138', 1, 0, { txnAmt: 'ABC' })), 'x', '2026-11-27')).toThrow(/not fen/);
    expect(() => parseUnionpayZm(zmBytes(consume('A', '1127160138', 1, 0, { merCharge: 'X000000000001' })), 'x', '2026-11-27')).toThrow(
      /merCharge "X000000000001" is not a directed amount/,
    );
  });

  it("the sandbox writers: records of the layout's width with D/C amounts, and an RD the parser reads back", () => {
    const line = writeZmRecord({ ...consume('K3vXwA1', '1127160138', 8888, 53), subMerAbbr: 'shop' });
    expect(line.length).toBe(ZM_RECORD_BYTES);
    expect(line).toContain(' D000000000053 C000000008835 ');
    const s = unionpayZmFile.parse(new TextEncoder().encode(line), 'x', '2026-11-27');
    expect(s.rows[0]).toMatchObject({ outTradeNo: 'K3vXwA1', amount: 8888, fee: 53 });
    const rd = writeUnionpayRd({
      merId: '777290058110048',
      acqInsCode: '00000000',
      merName: '收银测试',
      settleDate: '2026-11-27',
      records: [
        { kind: 'payment', amount: 197800, fee: 1187 },
        { kind: 'refund', amount: 1200, fee: -7 },
      ],
    });
    expect(parseUnionpayRd(rd, 'RD')).toEqual({ file: 'RD', settleDate: '2026-11-27', count: 2, amount: 196600, fee: 1180, net: 195420 });
    expect(rd.split('\r\n').find((l) => l.startsWith('总计'))).toBe(
      '总计                       2           12.00         1978.00           11.87            0.07            0.00         1954.20',
    );
  });
});
