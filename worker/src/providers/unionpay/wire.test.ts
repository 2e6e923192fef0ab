// Raw k=v& answers with nested brackets, strict form bodies, and Beijing times
// (https://open.unionpay.com/tjweb/acproduct/list?apiSvcId=448,
// https://open.unionpay.com/tjweb/acproduct/APIList?acpAPIId=754&apiservId=448&version=V2.2).
import { describe, expect, it } from 'vitest';
import { beijingCompact, parseBeijingCompact } from './time';
import { WireError, encodeForm, parseForm, parseRawResponse } from './wire';

describe('parseRawResponse (sync answers: raw, not URL-encoded, brackets nest)', () => {
  it('keeps & and = inside {…} and […] in one value', () => {
    const f = parseRawResponse('accessType=0&reqReserved={a=1&b={c=2&d=3}}&respMsg=成功[0000000]&riskRateInfo={commodityName=键盘&x=[1&2]}&version=5.1.0');
    expect(f).toEqual({
      accessType: '0',
      reqReserved: '{a=1&b={c=2&d=3}}',
      respMsg: '成功[0000000]',
      riskRateInfo: '{commodityName=键盘&x=[1&2]}',
      version: '5.1.0',
    });
  });

  it('counts nesting where the official parseQString would close at the first brace', () => {
    // parseQString ends the value at the first '}', leaving `&y=2}` to become a bogus field.
    expect(parseRawResponse('a={x={1}&y=2}&b=3')).toEqual({ a: '{x={1}&y=2}', b: '3' });
  });

  it('keeps the CRLFs of signPubKeyCert and never decodes values', () => {
    const cert = '-----BEGIN CERTIFICATE-----\r\nMIIB+a/b==\r\n-----END CERTIFICATE-----';
    const f = parseRawResponse(`signPubKeyCert=${cert}&orderDesc=a+b%20c&signature=AB+/=`);
    expect(f.signPubKeyCert).toBe(cert);
    expect(f.orderDesc).toBe('a+b%20c');
    expect(f.signature).toBe('AB+/=');
  });

  it('strips one outer {…} wrapper like convertResultStringToMap', () => {
    expect(parseRawResponse('{respCode=00&respMsg=ok}')).toEqual({ respCode: '00', respMsg: 'ok' });
  });

  it('reads a value-less key as empty and skips empty segments', () => {
    expect(parseRawResponse('a=&b&&c=1&')).toEqual({ a: '', b: '', c: '1' });
  });

  it('refuses a repeated field and a nameless one', () => {
    expect(() => parseRawResponse('respCode=00&respCode=11')).toThrow(WireError);
    expect(() => parseRawResponse('=x')).toThrow(WireError);
  });

  it('tolerates a stray closing bracket', () => {
    expect(parseRawResponse('a=x]&b=y}&c=1')).toEqual({ a: 'x]', b: 'y}', c: '1' });
  });
});

describe('parseForm / encodeForm (notifies and front posts: decoded once)', () => {
  it('round-trips CRLF, Chinese, +, %, & and = in values', () => {
    const fields = { signPubKeyCert: '-----BEGIN-----\r\nA+B/C=\r\n-----END-----', respMsg: '成功[0000000]', odd: 'a+b%20c&d=e', empty: '' };
    const body = encodeForm(fields);
    expect(body).not.toContain('\r');
    expect(parseForm(body)).toEqual(fields);
  });

  it('decodes + as a space, exactly once', () => {
    expect(parseForm('a=1+2&b=%2B%2520')).toEqual({ a: '1 2', b: '+%20' });
  });

  it('refuses malformed escapes, invalid UTF-8 and repeated names', () => {
    expect(() => parseForm('a=%E4%B8')).toThrow(WireError);
    expect(() => parseForm('a=%zz')).toThrow(WireError);
    expect(() => parseForm('a=1&a=2')).toThrow(WireError);
  });
});

describe('Beijing txnTime', () => {
  it('formats UTC instants as Beijing wall time', () => {
    expect(beijingCompact(Date.UTC(2024, 0, 1, 4, 0, 0))).toBe('20240101120000');
    expect(beijingCompact(Date.UTC(2023, 11, 31, 16, 30, 5, 999))).toBe('20240101003005');
  });

  it('parses back, and refuses impossible dates', () => {
    expect(parseBeijingCompact('20240101120000')).toBe(Date.UTC(2024, 0, 1, 4, 0, 0));
    expect(parseBeijingCompact('20240230120000')).toBeNull();
    expect(parseBeijingCompact('2024010112000')).toBeNull();
  });
});
