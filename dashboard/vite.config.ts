import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The merchant dashboard (docs/dashboard.md): one page app served by the Worker under /dashboard/.
// It builds into widget/dist/dashboard/, inside the Worker's one [assets] directory (widget/dist,
// wrangler.toml), so the widget and the dashboard ship together. The widget's build empties
// widget/dist first, so build the widget, then this:
//   npx vite build -c widget/vite.config.ts && npx vite build -c dashboard/vite.config.ts
// then `node dashboard/scripts/size.mjs` checks the gzip budget.
const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  root: here('.'),
  base: '/dashboard/',
  publicDir: false,
  logLevel: 'warn',
  build: {
    outDir: here('../widget/dist/dashboard'),
    // Only its own folder: the widget's files beside it stay.
    emptyOutDir: true,
    target: 'es2021',
    minify: true,
    sourcemap: false,
    reportCompressedSize: false,
    // One entry, loaded by one script tag: no preload helper needed.
    modulePreload: { polyfill: false },
    rolldownOptions: {
      output: { comments: { annotation: false, jsdoc: false, legal: false } },
    },
  },
});
