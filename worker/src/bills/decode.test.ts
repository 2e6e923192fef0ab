// Text, archives and money as statements need them, inside workerd (whose TextDecoder does GBK).

import { gzipSync, zipSync, zlibSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { StatementFormatError, csvRows, decodeText, decodeTextLenient, gunzip, inflateZlib, unzip } from './decode';
import { encodeGbk } from './gbk';
import { fenToYuan, fenToYuanPlaces, parseCount, unitsToFen, yuanToFen, yuanToUnits } from './money';
import { addDays, beijingDay, dayStart, parseBeijing, parseDate } from './time';

const hex = (b: Uint8Array) => [...b].map((x) => x.toString(16).padStart(2, '0')).join('');

describe('charset', () => {
  it('workerd decodes GBK, and the GBK encoder writes what Python / Java write', () => {
    expect(new TextDecoder('gbk').decode(new Uint8Array([0xd6, 0xa7, 0xb8, 0xb6, 0xb1, 0xa6]))).toBe('支付宝');
    // Python: '支付宝业务明细'.encode('gbk').hex(), '银联'.encode('gbk').hex()
    expect(hex(encodeGbk('支付宝业务明细'))).toBe('d6a7b8b6b1a6d2b5cef1c3f7cfb8');
    expect(hex(encodeGbk('银联 ok'))).toBe('d2f8c1aa206f6b');
    expect(hex(encodeGbk('😀'))).toBe('3f');
    const text = '#支付宝业务明细查询，（元）—商家实收【测试】';
    expect(decodeText(encodeGbk(text), 'gbk', 'x')).toBe(text);
  });

  it('decodes leniently when asked, naming the lines with bytes that are not GBK', () => {
    const bytes = encodeGbk('#支付宝业务明细查询\r\n键盘,88.88\r\n乌龙茶,12.00\r\n');
    const broken = bytes.slice();
    broken[broken.indexOf(0x2c, 20) - 1] = 0xff;
    const { text, badLines } = decodeTextLenient(broken, 'gbk');
    expect(badLines).toEqual([2]);
    expect(text.split('\r\n')[2]).toBe('乌龙茶,12.00');
    expect(decodeTextLenient(bytes, 'gbk').badLines).toEqual([]);
  });

  it('drops a UTF-8 BOM and refuses bytes that are not the charset', () => {
    expect(decodeText(new Uint8Array([0xef, 0xbb, 0xbf, 0x61]), 'utf-8', 'x')).toBe('a');
    expect(() => decodeText(new Uint8Array([0xff, 0xfe, 0xfd]), 'utf-8', 'the bill')).toThrow(/not valid UTF-8/);
  });
});

describe('archives', () => {
  const data = new TextEncoder().encode('交易时间,商户订单号\n');
  it('gunzips, inflates zlib, and refuses what is not', () => {
    expect(gunzip(gzipSync(data), 'x')).toEqual(data);
    expect(inflateZlib(zlibSync(data), 'x')).toEqual(data);
    expect(() => gunzip(data, 'the trade bill')).toThrow(StatementFormatError);
    expect(() => inflateZlib(data, 'fileContent')).toThrow(/zlib/);
  });

  it('reads zip entry names in UTF-8 (flag set) and in GBK (no flag), as Alipay writes them', () => {
    const gbkName = encodeGbk('2088_20261127_业务明细.csv');
    // fflate writes ASCII names without the UTF-8 flag: write a placeholder of the same byte length,
    // then put the GBK bytes in both the local and the central header (the CRC covers content only).
    const placeholder = 'x'.repeat(gbkName.length);
    const zip = zipSync({ [placeholder]: data, 'utf8_名称.csv': data });
    const bytes = new Uint8Array(zip);
    const needle = new TextEncoder().encode(placeholder);
    let found = 0;
    for (let i = 0; i + needle.length <= bytes.length; i++) {
      if (needle.every((b, j) => bytes[i + j] === b)) {
        bytes.set(gbkName, i);
        found++;
      }
    }
    expect(found).toBe(2);
    const files = unzip(bytes, 'the bill zip');
    expect([...files.keys()].sort()).toEqual(['2088_20261127_业务明细.csv', 'utf8_名称.csv']);
    expect(() => unzip(data, 'the bill zip')).toThrow(/not a zip/);
  });
});

describe('csv', () => {
  it('keeps quoted commas, skips comment lines, splits on a multi-character delimiter', () => {
    expect(csvRows('a,"b,c",d\r\n#note\r\ne,f,g\r\n', 'x', { comments: '#' })).toEqual([
      ['a', 'b,c', 'd'],
      ['e', 'f', 'g'],
    ]);
    expect(csvRows('`1,`乌龙茶, 500g,`3', 'x', { delimiter: ',`' })).toEqual([['`1', '乌龙茶, 500g', '3']]);
  });
});

describe('money and days', () => {
  it('yuan text → fen exactly', () => {
    expect(yuanToFen('88.88')).toBe(8888);
    expect(yuanToFen('-3000.00')).toBe(-300000);
    expect(yuanToFen('0.1')).toBe(10);
    expect(yuanToFen('45')).toBe(4500);
    expect(yuanToFen('0.001')).toBeNull();
    expect(yuanToFen('1e3')).toBeNull();
    expect(parseCount('45.0')).toBe(45);
    expect(fenToYuan(-1)).toBe('-0.01');
  });

  it('thousands separators where well formed, five-decimal fees exactly, rounding to the fen', () => {
    expect(yuanToFen('7,563,180.81')).toBe(756318081);
    expect(yuanToFen('-1,234.5')).toBe(-123450);
    expect(yuanToFen('1,23.00')).toBeNull();
    expect(yuanToFen('12,3456.00')).toBeNull();
    expect(parseCount('23,811')).toBe(23811);
    expect(yuanToUnits('0.53000', 5)).toBe(53000);
    expect(yuanToUnits('-0.06000', 5)).toBe(-6000);
    expect(yuanToUnits('0.000001', 5)).toBeNull();
    expect(unitsToFen(53000, 5)).toBe(53);
    expect(unitsToFen(59400, 5)).toBe(59);
    expect(unitsToFen(-59500, 5)).toBe(-60);
    expect(fenToYuanPlaces(-6, 5)).toBe('-0.06000');
  });

  it('Beijing days start at 16:00 UTC the day before', () => {
    expect(dayStart('2026-11-27')).toBe(Date.parse('2026-11-26T16:00:00Z'));
    expect(beijingDay(Date.parse('2026-11-26T16:00:00Z'))).toBe('2026-11-27');
    expect(beijingDay(Date.parse('2026-11-26T15:59:59Z'))).toBe('2026-11-26');
    expect(parseBeijing('2026-11-27 00:00:01')).toBe(Date.parse('2026-11-26T16:00:01Z'));
    expect(parseDate('2026-02-30')).toBeNull();
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
  });
});
