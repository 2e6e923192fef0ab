// Bytes to text and archives to files, with libraries that run in workerd: fflate (gzip, zlib,
// zip) and papaparse (CSV). Statements arrive as gzip (WeChat tar_type=GZIP), zip (Alipay, and
// UnionPay's zlib-deflated zip), in UTF-8 with a BOM (WeChat) or GBK (Alipay, UnionPay).
// workerd's TextDecoder implements the WHATWG encodings, GBK included (checked in decode.test.ts).

import { gunzipSync, unzipSync, unzlibSync } from 'fflate';
import Papa from 'papaparse';

export class StatementFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StatementFormatError';
  }
}

const BOM = '\ufeff';

/** Strict text decoding; a leading BOM is dropped. */
export function decodeText(bytes: Uint8Array, charset: 'utf-8' | 'gbk', what: string): string {
  let text: string;
  try {
    text = new TextDecoder(charset, { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new StatementFormatError(`${what} is not valid ${charset.toUpperCase()} text.`);
  }
  return text.startsWith(BOM) ? text.slice(1) : text;
}

/**
 * Lenient decoding for statements a single bad byte must not make unreadable: bytes that are not
 * `charset` become U+FFFD, and the 1-based lines they are on are returned so the parser can name
 * the rows it could not read exactly. A leading BOM is dropped.
 */
export function decodeTextLenient(bytes: Uint8Array, charset: 'utf-8' | 'gbk'): { text: string; badLines: number[] } {
  let text = new TextDecoder(charset, { fatal: false, ignoreBOM: false }).decode(bytes);
  if (text.startsWith(BOM)) text = text.slice(1);
  const badLines: number[] = [];
  if (text.includes('\ufffd')) {
    text.split('\n').forEach((line, i) => {
      if (line.includes('\ufffd')) badLines.push(i + 1);
    });
  }
  return { text, badLines };
}

export function gunzip(bytes: Uint8Array, what: string): Uint8Array {
  try {
    return gunzipSync(bytes);
  } catch (e) {
    throw new StatementFormatError(`${what} is not gzip data (${(e as Error).message}).`);
  }
}

/** zlib (RFC 1950) inflate: java.util.zip.Inflater's default, which UnionPay's fileContent uses. */
export function inflateZlib(bytes: Uint8Array, what: string): Uint8Array {
  try {
    return unzlibSync(bytes);
  } catch (e) {
    throw new StatementFormatError(`${what} is not zlib-deflated data (${(e as Error).message}).`);
  }
}

/**
 * Zip entries by name. Entry names without the zip UTF-8 flag come out of fflate as Latin-1; the
 * Chinese providers write them in GBK (Alipay's `…_业务明细.csv`), so such names are re-read as GBK.
 */
export function unzip(bytes: Uint8Array, what: string): Map<string, Uint8Array> {
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes);
  } catch (e) {
    throw new StatementFormatError(`${what} is not a zip archive (${(e as Error).message}).`);
  }
  const out = new Map<string, Uint8Array>();
  for (const [name, data] of Object.entries(files)) {
    if (name.endsWith('/')) continue;
    out.set(gbkName(name), data);
  }
  return out;
}

function gbkName(name: string): string {
  // Already Unicode (UTF-8 flag set), or plain ASCII: keep.
  if (![...name].some((ch) => ch.charCodeAt(0) >= 0x80) || [...name].some((ch) => ch.charCodeAt(0) > 0xff)) return name;
  try {
    return new TextDecoder('gbk', { fatal: true, ignoreBOM: false }).decode(Uint8Array.from(name, (ch) => ch.charCodeAt(0)));
  } catch {
    return name;
  }
}

/**
 * RFC 4180 rows; `comments` drops lines starting with that string; quoted cells keep commas and line
 * breaks. `delimiter` may be more than one character (WeChat's data rows split on ",`").
 */
export function csvRows(text: string, what: string, opts: { comments?: string; delimiter?: string } = {}): string[][] {
  const r = Papa.parse(text, { header: false, skipEmptyLines: 'greedy', comments: opts.comments ?? false, delimiter: opts.delimiter ?? ',', newline: '' });
  // Papaparse reports a short last row as an error; statements end with summary rows of their own
  // width, so only quoting errors matter.
  const bad = r.errors.find((e) => e.type === 'Quotes');
  if (bad) throw new StatementFormatError(`${what}: ${bad.message}${bad.row !== undefined ? ` (row ${bad.row + 1})` : ''}.`);
  return r.data;
}
