// Build outputs for distribution, next to shouyin.js and shouyin.iife.js:
//   shouyin.<hash>.js, shouyin.iife.<hash>.js  content-addressed copies: the name changes with every
//                                              change, so a server may cache them for a year (immutable)
//   shouyin.manifest.json                      {file: {versioned, integrity}} with each file's
//                                              Subresource Integrity hash (sha384)
//   shouyin.d.ts                               TypeScript declarations of the element and its events
//   shouyin.zh-TW.json                         the Traditional Chinese strings, fetched by the widget
//                                              only for a Traditional Chinese shopper (src/i18n/index.ts)
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

export const MANIFEST = 'shouyin.manifest.json';
/** The locales kept out of the bundle, by file name (the widget fetches `shouyin.<locale>.json`). */
export const LOCALE_FILES = { 'zh-TW': 'shouyin.zh-TW.json' };

/** `shouyin.js` → `shouyin.1a2b3c4d.js`: the first 8 hex digits of the content's SHA-256. */
export function versionedName(fileName, code) {
  const hash = createHash('sha256').update(code).digest('hex').slice(0, 8);
  return fileName.replace(/\.js$/, `.${hash}.js`);
}

export const integrity = (code) => `sha384-${createHash('sha384').update(code).digest('base64')}`;

export function distributionPlugin() {
  const manifest = {};
  return {
    name: 'shouyin:distribution',
    generateBundle(_options, bundle) {
      for (const chunk of Object.values(bundle)) {
        if (chunk.type !== 'chunk' || !chunk.isEntry) continue;
        const versioned = versionedName(chunk.fileName, chunk.code);
        this.emitFile({ type: 'asset', fileName: versioned, source: chunk.code });
        manifest[chunk.fileName] = { versioned, integrity: integrity(chunk.code) };
      }
      // The formats are generated one after the other: the last one writes the complete manifest.
      if (Object.keys(manifest).length === 2) {
        this.emitFile({ type: 'asset', fileName: MANIFEST, source: `${JSON.stringify(manifest, null, 2)}\n` });
        this.emitFile({ type: 'asset', fileName: 'shouyin.d.ts', source: readFileSync(new URL('../types/shouyin.d.ts', import.meta.url), 'utf8') });
        const zhTW = JSON.parse(readFileSync(new URL('../src/i18n/zh-TW.json', import.meta.url), 'utf8'));
        this.emitFile({ type: 'asset', fileName: LOCALE_FILES['zh-TW'], source: JSON.stringify(zhTW) });
      }
    },
  };
}
