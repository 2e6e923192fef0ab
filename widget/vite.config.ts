import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { distributionPlugin } from './scripts/distribution.mjs';
import { LICENSES_FILE, licensesPlugin } from './scripts/licenses.mjs';
import { minifyTemplatesPlugin } from './scripts/minify-templates.mjs';

// Library build of the widget: one self-contained file per format (no runtime dependency,
// nothing external: a merchant page loads exactly one script). Run from the repo root:
//   npx vite build -c widget/vite.config.ts
// then `node widget/scripts/size.mjs` checks the 12 KB gzip budget.
const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  root: here('.'),
  publicDir: false,
  logLevel: 'warn',
  plugins: [minifyTemplatesPlugin(), licensesPlugin(), distributionPlugin()],
  build: {
    outDir: here('./dist'),
    emptyOutDir: true,
    target: 'es2021',
    minify: true,
    sourcemap: false,
    reportCompressedSize: false,
    lib: {
      entry: here('./src/index.ts'),
      name: 'Shouyin',
      formats: ['es', 'iife'],
      fileName: (format) => (format === 'es' ? 'shouyin.js' : `shouyin.${format}.js`),
    },
    rolldownOptions: {
      // The IIFE build reads document.currentScript instead (see src/api-base.ts).
      checks: { emptyImportMeta: false },
      output: {
        // Vite keeps whitespace in ES library builds (for downstream bundlers); this file is served
        // to browsers as is, so minify it fully.
        minify: true,
        comments: { annotation: false, jsdoc: false, legal: false },
        // The licence of what is bundled (Shouyin's own code only) is in this file, next to the bundle.
        postBanner: `/*! Shouyin (MIT); notices: ${LICENSES_FILE} */`,
      },
    },
  },
});
