// Build-time whitespace minifier for the widget's templates (`html`…`` and `css`…``), which
// no JS minifier touches because template text is data. Only the static parts change; every
// `${…}` expression is copied as is (after minifying any templates nested inside it).
//
// html: a whitespace run containing a newline disappears next to a tag (after `>`, before `<` or
//       `>`) and becomes one space elsewhere (between attributes, or text and a binding), so
//       rendered text keeps its spaces.
// css:  whitespace runs become one space, then disappear around `{ } ; , > ~` and after `:`;
//       `0.5` becomes `.5`.

const minHtml = (s) => s.replace(/\s*\n\s*/g, (ws, at, all) => ('>'.includes(all[at - 1]) || '<>'.includes(all[at + ws.length]) ? '' : ' '));

const minCss = (s) =>
  s
    .replace(/\s+/g, ' ')
    .replace(/ ?([{};,>~]) ?/g, '$1')
    .replace(/: /g, ':')
    .replace(/([ :,(])0\./g, '$1.')
    .replace(/;}/g, '}');

/**
 * Scans TS/JS source: strings, comments and untagged templates are copied; `html` and `css`
 * tagged templates get their static text minified. Regex literals are not recognised: keep
 * backticks and quotes out of regexes in files this runs on.
 */
export function minifyTemplates(src) {
  let out = '';
  let i = 0;

  // Copies a template starting after its opening backtick; returns when the closing backtick is copied.
  const template = (min) => {
    let text = '';
    const flush = () => {
      out += min ? min(text) : text;
      text = '';
    };
    while (i < src.length) {
      const c = src[i];
      if (c === '\\') {
        text += c + src[i + 1];
        i += 2;
      } else if (c === '`') {
        flush();
        out += '`';
        i++;
        return;
      } else if (c === '$' && src[i + 1] === '{') {
        flush();
        out += '${';
        i += 2;
        code(true);
      } else {
        text += c;
        i++;
      }
    }
    throw new Error('minify-templates: unterminated template');
  };

  // Copies code until the `}` closing a `${` (when inExpr) or the end of the source.
  const code = (inExpr) => {
    let depth = 0;
    while (i < src.length) {
      const c = src[i];
      if (c === "'" || c === '"') {
        const start = i;
        for (i++; src[i] !== c; i++) if (src[i] === '\\') i++;
        out += src.slice(start, ++i);
      } else if (c === '/' && src[i + 1] === '/') {
        const end = src.indexOf('\n', i);
        const stop = end < 0 ? src.length : end;
        out += src.slice(i, stop);
        i = stop;
      } else if (c === '/' && src[i + 1] === '*') {
        const stop = src.indexOf('*/', i) + 2;
        out += src.slice(i, stop);
        i = stop;
      } else if (c === '`') {
        const tag = /(?:^|[^\w$.])(html|css)\s*$/.exec(out)?.[1];
        out += '`';
        i++;
        template(tag === 'html' ? minHtml : tag === 'css' ? minCss : undefined);
      } else {
        if (c === '{') depth++;
        if (c === '}' && depth-- === 0 && inExpr) {
          out += '}';
          i++;
          return;
        }
        out += c;
        i++;
      }
    }
  };

  code(false);
  return out;
}

/** Vite plugin applying `minifyTemplates` to the widget's own sources. */
export function minifyTemplatesPlugin() {
  return {
    name: 'shouyin:minify-templates',
    enforce: 'pre',
    transform(src, id) {
      const file = id.split('?')[0];
      if (!/[\\/]widget[\\/]src[\\/].*\.ts$/.test(file) || file.endsWith('.test.ts')) return null;
      return { code: minifyTemplates(src), map: null };
    },
  };
}
