// Build-time trim of qrcode-generator (MIT, Kazuhiko Arase) for the widget bundle.
//
// The encoder ships GIF, data-URL, <img>/<table>/SVG/ASCII/canvas renderers, a base64 codec and the
// Numeric/Alphanumeric/Kanji segment encoders inside one closure, so no bundler can tree-shake
// them; together they are about a third of the library, and the Reed-Solomon block table for the
// four error-correction levels is another tenth. The widget encodes in byte mode at level M and
// draws its own SVG path, so everything else is cut from the source here (about 4 KB gzipped of
// the 16 KB budget). Every cut must match exactly: a version bump that moves them fails the build
// instead of shipping a broken encoder. `trim-qrcode.test.ts` checks that the trimmed encoder
// draws the same modules as the full one.

/** Instance methods deleted outright. */
const METHODS = [
  '_this.createTableTag',
  '_this.createSvgTag',
  '_this.createDataURL',
  '_this.createImgTag',
  'const escapeXml',
  'const _createHalfASCII',
  '_this.createASCII',
  '_this.renderTo2dContext',
  'qrcode.createStringToBytes',
];

/** Module-level helpers replaced by `null` (addData's switch still names the segment encoders). */
const HELPERS = [
  'qrNumber',
  'qrAlphaNum',
  'qrKanji',
  'byteArrayOutputStream',
  'base64EncodeOutputStream',
  'base64DecodeInputStream',
  'gifImage',
  'createDataURL',
];

/** Index just past the `}` (and `;`, when present) closing the function assigned at `from`. */
function endOfFunction(src, from) {
  let i = src.indexOf('{', from);
  let depth = 0;
  for (; i < src.length; i++) {
    const c = src[i];
    if (c === "'" || c === '"' || c === '`') {
      for (i++; src[i] !== c; i++) if (src[i] === '\\') i++;
    } else if (c === '/' && src[i + 1] === '/') {
      i = src.indexOf('\n', i);
    } else if (c === '/' && src[i + 1] === '*') {
      i = src.indexOf('*/', i) + 1;
    } else if (c === '{') {
      depth++;
    } else if (c === '}' && --depth === 0) {
      return src[i + 1] === ';' ? i + 2 : i + 1;
    }
  }
  throw new Error(`trim-qrcode: unbalanced braces after ${from}`);
}

function cut(src, head, replacement) {
  const start = src.indexOf(`${head} = function`);
  if (start < 0 || src.indexOf(`${head} = function`, start + 1) >= 0) {
    throw new Error(`trim-qrcode: expected exactly one "${head} = function" in qrcode-generator`);
  }
  return src.slice(0, start) + replacement + src.slice(endOfFunction(src, start));
}

/**
 * Keeps only level M in RS_BLOCK_TABLE (rows go L, M, Q, H for each version 1..40); the other
 * rows become array holes, which the library already reports as 'bad rs block' if asked for.
 */
function onlyLevelM(src) {
  const head = 'const RS_BLOCK_TABLE = [';
  const start = src.indexOf(head);
  const end = src.indexOf('];', start);
  if (start < 0 || end < 0) throw new Error('trim-qrcode: RS_BLOCK_TABLE not found in qrcode-generator');
  const rows = src.slice(start + head.length, end).match(/\[[\d,\s]+\]/g) ?? [];
  if (rows.length !== 160) throw new Error(`trim-qrcode: RS_BLOCK_TABLE has ${rows.length} rows, expected 160`);
  const table = rows.map((row, i) => (i % 4 === 1 ? row.replace(/\s+/g, '') : '')).join(',');
  return `${src.slice(0, start)}${head}${table}${src.slice(end)}`;
}

/** The trimmed source of qrcode-generator's `dist/qrcode.mjs`: byte mode, level M, no renderers. */
export function trimQrcode(src) {
  let out = src;
  for (const m of METHODS) out = cut(out, m, '');
  for (const h of HELPERS) out = cut(out, `const ${h}`, `const ${h} = null;`);
  return onlyLevelM(out);
}

/** Vite/Rolldown plugin applying `trimQrcode` to the library's ES build. */
export function trimQrcodePlugin() {
  return {
    name: 'shouyin:trim-qrcode',
    transform(code, id) {
      if (!/[\\/]qrcode-generator[\\/]dist[\\/]qrcode\.mjs$/.test(id.split('?')[0])) return null;
      return { code: trimQrcode(code), map: null };
    },
  };
}
