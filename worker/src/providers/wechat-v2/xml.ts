// WeChat Pay v2 speaks flat XML: `<xml><k>v</k>…</xml>`, values as text or CDATA
// (https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=9_1). Every byte that reaches the parser has passed
// `refuseUnsafeXml` first: no DOCTYPE, no ENTITY, no markup declaration of any kind, so no external entity (XXE) and no
// entity expansion (billion laughs) can ever be attempted, whatever the parser's defaults. fast-xml-parser then runs
// with entity processing off; the five predefined entities and character references in plain text are decoded
// here, by hand, without any recursion.
//
// Encoding: WeChat Pay's APIv2 protocol rules (https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=4_1, 协议规则:
// 字符编码 统一采用UTF-8字符编码) say every message is UTF-8. The route has already decoded the bytes as strict UTF-8; a
// leading byte order mark, or an XML declaration naming any other encoding (UTF-16, GBK…), is refused here rather than
// read as something it says it is not. Shape: before the parser runs, one linear scan refuses attributes and any element
// nested deeper than `<xml><field>`, so the parser never walks a 10,000-level tree or a tag with thousands of attributes.

import { XMLParser } from 'fast-xml-parser';

/** Why an XML body was refused; `code` is stable (tests and logs use it). */
export class XmlError extends Error {
  override readonly name = 'XmlError';
  constructor(
    readonly code: 'unsafe_markup' | 'not_xml' | 'not_flat' | 'duplicate_field' | 'too_large' | 'not_utf8',
    message: string,
  ) {
    super(message);
  }
}

/** Notifies and answers are a few hundred bytes; anything near this is not WeChat Pay. */
export const MAX_XML_BYTES = 64 * 1024;

/**
 * Refuses, before any parsing: DOCTYPE and ENTITY declarations (any case), any other `<!…` markup
 * declaration except CDATA sections, and processing instructions other than a leading XML
 * declaration. That is everything XXE, billion-laughs and parameter-entity payloads need. Then: a byte
 * order mark or a declared encoding other than UTF-8, attributes, and nesting below the fields.
 */
export function refuseUnsafeXml(text: string): void {
  if (text.length > MAX_XML_BYTES) throw new XmlError('too_large', `The XML body is larger than ${MAX_XML_BYTES} bytes.`);
  if (/<!\s*(DOCTYPE|ENTITY)/i.test(text)) throw new XmlError('unsafe_markup', 'The XML carries a DOCTYPE or ENTITY declaration; WeChat Pay never sends one.');
  const withoutCdata = stripCdata(text);
  if (withoutCdata.includes('<!')) throw new XmlError('unsafe_markup', 'The XML carries a markup declaration or comment; WeChat Pay never sends one.');
  if (text.startsWith('\uFEFF')) throw new XmlError('not_utf8', 'The XML starts with a byte order mark; WeChat Pay sends plain UTF-8.');
  const declaration = /^\s*<\?xml\s([^?]*)\?>/.exec(withoutCdata);
  const encoding = declaration && /\bencoding\s*=\s*(?:"([^"]*)"|'([^']*)')/.exec(declaration[1] as string);
  if (encoding && !/^utf-?8$/i.test(encoding[1] ?? encoding[2] ?? '')) {
    throw new XmlError('not_utf8', 'The XML declaration names an encoding other than UTF-8; WeChat Pay sends UTF-8 only.');
  }
  const body = declaration ? withoutCdata.slice(declaration[0].length) : withoutCdata;
  if (body.includes('<?')) throw new XmlError('unsafe_markup', 'The XML carries a processing instruction; WeChat Pay never sends one.');
  refuseNonFlat(body);
}

/** The text without its CDATA sections, in one pass; an unterminated one is left in (and refused as `<!`). */
function stripCdata(text: string): string {
  let out = '';
  let from = 0;
  for (;;) {
    const open = text.indexOf('<![CDATA[', from);
    const close = open < 0 ? -1 : text.indexOf(']]>', open + 9);
    if (close < 0) return out + text.slice(from);
    out += text.slice(from, open);
    from = close + 3;
  }
}

/**
 * One pass over the tags (CDATA and the declaration already removed): no attribute anywhere, nothing deeper
 * than the root and its fields. Linear: each `<` is looked at once, and a `<` with no `>` after it ends the
 * scan (the parser then refuses the document as not well-formed).
 */
function refuseNonFlat(body: string): void {
  let depth = 0;
  let at = body.indexOf('<');
  while (at >= 0) {
    const end = body.indexOf('>', at);
    if (end < 0) return;
    const tag = body.slice(at + 1, end);
    if (tag.startsWith('/')) depth--;
    else {
      const selfClosing = tag.endsWith('/');
      const inner = selfClosing ? tag.slice(0, -1) : tag;
      if (/\s\S/.test(inner.trimEnd())) throw new XmlError('not_flat', "An XML element carries attributes; WeChat Pay's XML has none.");
      if (!selfClosing && ++depth > 2) throw new XmlError('not_flat', "The XML nests elements; WeChat Pay's XML is flat.");
    }
    at = body.indexOf('<', end);
  }
}

const parser = new XMLParser({
  // Entities are never expanded by the parser (refuseUnsafeXml has already removed any declaration).
  processEntities: false,
  htmlEntities: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  ignoreAttributes: true,
  // Values are strings exactly as sent: no number parsing, no trimming (signatures cover the bytes).
  parseTagValue: false,
  trimValues: false,
  cdataPropName: '#cdata',
  preserveOrder: true,
});

const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** The five predefined entities and numeric references; anything else is left as written. */
function decodeText(s: string): string {
  return s.replace(/&(lt|gt|amp|quot|apos|#[0-9]{1,7}|#x[0-9A-Fa-f]{1,6});/g, (m, e: string) => {
    if (e[0] !== '#') return PREDEFINED[e] as string;
    const cp = e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
    return cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff) ? String.fromCodePoint(cp) : m;
  });
}

type Node = Record<string, unknown>;

function textOf(parts: unknown, tag: string): string {
  if (!Array.isArray(parts)) throw new XmlError('not_flat', `<${tag}> is not a simple value.`);
  let out = '';
  for (const p of parts as Node[]) {
    const keys = Object.keys(p);
    if (keys.length === 1 && keys[0] === '#text') out += decodeText(String(p['#text']));
    else if (keys.length === 1 && keys[0] === '#cdata') {
      for (const c of p['#cdata'] as Node[]) out += String(c['#text'] ?? '');
    } else throw new XmlError('not_flat', `<${tag}> holds nested elements; WeChat Pay's XML is flat.`);
  }
  return out;
}

/**
 * Parses `<root><k>v</k>…</root>` into a map. Refuses unsafe markup first, then anything that is not
 * exactly one `root` element holding simple fields, and any field that appears twice (a duplicated
 * `total_fee` must not let the verifier and the reader see different values).
 */
export function parseFlatXml(text: string, root = 'xml'): Record<string, string> {
  refuseUnsafeXml(text);
  let doc: Node[];
  try {
    doc = parser.parse(text, true) as Node[];
  } catch (e) {
    throw new XmlError('not_xml', `Not well-formed XML: ${(e as Error).message}`);
  }
  const elements = doc.filter((n) => !('#text' in n && String(n['#text']).trim() === ''));
  const top = elements[0];
  if (elements.length !== 1 || !top || Object.keys(top).length !== 1 || !(root in top)) {
    throw new XmlError('not_xml', `Expected one <${root}> element at the top.`);
  }
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const child of top[root] as Node[]) {
    const [tag, ...rest] = Object.keys(child);
    if (tag === undefined || rest.length > 0) throw new XmlError('not_flat', `Unexpected content in <${root}>.`);
    if (tag === '#text') {
      if (String(child['#text']).trim() !== '') throw new XmlError('not_flat', `Stray text in <${root}>.`);
      continue;
    }
    if (tag === '#cdata') throw new XmlError('not_flat', `Stray CDATA in <${root}>.`);
    if (Object.hasOwn(out, tag)) throw new XmlError('duplicate_field', `<${tag}> appears more than once.`);
    out[tag] = textOf(child[tag], tag);
  }
  return { ...out };
}

const NEEDS_CDATA = /[<>&'"]/;
const TAG = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * `<xml>…</xml>` from a flat map, in the given order. Values with markup characters go in CDATA (as
 * the axios plugin does, https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=9_1), split around any `]]>`; the
 * rest are written as they are.
 */
export function buildXml(fields: Record<string, string>, root = 'xml'): string {
  let out = `<${root}>`;
  for (const [k, v] of Object.entries(fields)) {
    if (!TAG.test(k)) throw new TypeError(`Not an XML tag name: ${JSON.stringify(k)}`);
    const value = NEEDS_CDATA.test(v) ? `<![CDATA[${v.replaceAll(']]>', ']]]]><![CDATA[>')}]]>` : v;
    out += `<${k}>${value}</${k}>`;
  }
  return `${out}</${root}>`;
}
