// The UnionPay ZM settlement file parser on real-shaped records (sources in docs/reconciliation.md),
// and its writer (what the sandbox serves) read back by the parser.

import { describe, expect, it } from 'vitest';
import { encodeGbk } from '../../bills/gbk';
import { parseBeijing } from '../../bills/time';
import { parseUnionpayZm, writeZmRecord, ZM_FIELDS, ZM_RECORD_BYTES } from './bill-format';

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
  const consume = {
    tradeNo: 'S22',
    traceNo: '123456',
    txnTime: '1127160138',
    txnAmt: '8888',
    queryId: '512611271601382345671',
    orderId: 'Kq3vXw9ZbT2mR8nLpY4sHc1dA3',
    txnType: '01',
    txnSubType: '01',
    bizType: '000201',
    merId: '777290058110048',
    subMerAbbr: '银联商户简称',
  };
  const refund = {
    tradeNo: 'S30',
    txnTime: '1127170005',
    txnAmt: '1200',
    queryId: '512611271700052345672',
    orderId: 'Zx8cVb4NmQ6wE2rTyU9iOp1aR3',
    txnType: '04',
    txnSubType: '00',
    origQryId: '512611251500002345670',
    merId: '777290058110048',
  };

  it('slices fixed GBK byte widths (Chinese text in a field shifts nothing), consume → payment, 04 → refund', () => {
    const a = zmBytes(consume);
    expect(a.length).toBe(ZM_RECORD_BYTES);
    const file = new Uint8Array([...a, 0x0d, 0x0a, ...zmBytes(refund), 0x0d, 0x0a, ...zmBytes({ ...consume, txnType: '71', orderId: 'X' }), 0x0d, 0x0a]);
    const s = parseUnionpayZm(file, 'INN26112788ZM_777290058110048', '2026-11-27');
    expect(s.rows).toEqual([
      {
        kind: 'payment',
        outTradeNo: 'Kq3vXw9ZbT2mR8nLpY4sHc1dA3',
        providerTransactionId: '512611271601382345671',
        amount: 8888,
        time: parseBeijing('2026-11-27 16:01:38'),
        line: 1,
      },
      {
        kind: 'refund',
        outTradeNo: '',
        outRefundNo: 'Zx8cVb4NmQ6wE2rTyU9iOp1aR3',
        providerTransactionId: '512611251500002345670',
        providerRefundId: '512611271700052345672',
        amount: 1200,
        time: parseBeijing('2026-11-27 17:00:05'),
        line: 2,
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

  it("the sandbox writer produces records of the layout's width", () => {
    const line = writeZmRecord({ ...consume, subMerAbbr: 'shop' });
    expect(line.length).toBe(ZM_RECORD_BYTES);
    expect(parseUnionpayZm(new TextEncoder().encode(line), 'x', '2026-11-27').rows[0]).toMatchObject({ outTradeNo: consume.orderId, amount: 8888 });
  });
});
