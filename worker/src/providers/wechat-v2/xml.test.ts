// The XML gate: DOCTYPE / ENTITY and every other markup declaration are refused before any parsing
// (XXE, billion laughs, parameter entities); what passes is flat WeChat XML, read as strings.

import { describe, expect, it } from 'vitest';
import { HOSTILE_XML } from './fixtures/hostile-xml';
import { XmlError, buildXml, parseFlatXml, refuseUnsafeXml } from './xml';

describe('refusing hostile XML before parsing', () => {
  it.each(HOSTILE_XML.filter(([, , code]) => code !== null && code !== 'not_xml'))('%s', (_name, payload, code) => {
    let err: unknown;
    try {
      parseFlatXml(payload);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(XmlError);
    expect((err as XmlError).code).toBe(code);
    // The gate alone refuses it: the parser never sees it.
    expect(() => refuseUnsafeXml(payload)).toThrow(XmlError);
  });

  it.each(HOSTILE_XML.filter(([, , code]) => code === 'not_xml'))('%s: passes the gate, refused by the parser', (_name, payload) => {
    expect(() => refuseUnsafeXml(payload)).not.toThrow();
    expect(() => parseFlatXml(payload)).toThrow(expect.objectContaining({ code: 'not_xml' }));
  });

  it('the well-formed flat ones parse, as strings exactly as sent', () => {
    const flat = HOSTILE_XML.filter(([, , code]) => code === null).map(([, payload]) => parseFlatXml(payload).attach);
    expect(flat).toEqual(['x'.repeat(60_000), 'x]]>y']);
  });

  it('takes UTF-8 declared in any spelling WeChat Pay or a library writes it', () => {
    for (const enc of ['UTF-8', 'utf-8', 'utf8', "'UTF-8'"]) {
      const quoted = enc.startsWith("'") ? enc : `"${enc}"`;
      expect(parseFlatXml(`<?xml version="1.0" encoding=${quoted}?><xml><a>1</a></xml>`)).toEqual({ a: '1' });
    }
  });

  it('checks the whole battery in bounded time (a regression guard, not a benchmark)', () => {
    const t0 = performance.now();
    for (let round = 0; round < 3; round++) {
      for (const [, payload] of HOSTILE_XML) {
        try {
          parseFlatXml(payload);
        } catch {
          // refused, as asserted above
        }
      }
    }
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  it('refuses a body over 64 KB', () => {
    expect(() => parseFlatXml(`<xml><a>${'x'.repeat(70_000)}</a></xml>`)).toThrow(/larger/);
  });
});

describe('flat WeChat XML', () => {
  it('reads CDATA and plain values as strings, untrimmed, with the XML declaration', () => {
    const m = parseFlatXml(
      '<?xml version="1.0" encoding="UTF-8"?>\n<xml>\n <return_code><![CDATA[SUCCESS]]></return_code>\n <total_fee>0101</total_fee>\n <body><![CDATA[ 可乐 & <Cola> ]]></body>\n <empty></empty><e2/>\n</xml>',
    );
    expect(m).toEqual({ return_code: 'SUCCESS', total_fee: '0101', body: ' 可乐 & <Cola> ', empty: '', e2: '' });
  });

  it('decodes the five predefined entities and character references in text, and leaves CDATA as written', () => {
    expect(parseFlatXml('<xml><a>a &lt; b &amp;&amp; c &#20013;&#x6587; &quot;&apos;</a><b><![CDATA[&amp;]]></b><c>&unknown;</c></xml>')).toEqual({
      a: 'a < b && c 中文 "\'',
      b: '&amp;',
      c: '&unknown;',
    });
  });

  it('joins split CDATA sections (how "]]>" is carried)', () => {
    expect(parseFlatXml('<xml><a><![CDATA[x]]]]><![CDATA[>y]]></a></xml>')).toEqual({ a: 'x]]>y' });
  });

  it.each([
    ['a duplicated field (two total_fee)', '<xml><total_fee>1</total_fee><total_fee>8888</total_fee></xml>', 'duplicate_field'],
    ['a nested element', '<xml><a><b>1</b></a></xml>', 'not_flat'],
    ['stray text', '<xml>hello<a>1</a></xml>', 'not_flat'],
    ['two roots', '<xml><a>1</a></xml><xml><a>2</a></xml>', 'not_xml'],
    ['another root', '<root><a>1</a></root>', 'not_xml'],
    ['not XML at all', 'return_code=SUCCESS', 'not_xml'],
    ['an unclosed tag', '<xml><a>1</a>', 'not_xml'],
  ])('refuses %s', (_n, text, code) => {
    expect(() => parseFlatXml(text)).toThrow(XmlError);
    try {
      parseFlatXml(text);
    } catch (e) {
      expect((e as XmlError).code).toBe(code);
    }
  });

  it('writes values with markup characters as CDATA and round-trips them', () => {
    const fields = { return_code: 'SUCCESS', body: '可乐 & <Cola> "x" it\'s', weird: 'a]]>b', n: '100' };
    const x = buildXml(fields);
    expect(x).toContain('<n>100</n>');
    expect(x).toContain('<body><![CDATA[可乐 & <Cola> "x" it\'s]]></body>');
    expect(parseFlatXml(x)).toEqual(fields);
    expect(() => buildXml({ 'a b': '1' })).toThrow();
  });
});
