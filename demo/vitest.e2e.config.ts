import { defineConfig } from 'vitest/config';

// The demo's tests, run by `npm test` after the worker and widget projects:
//   demo       unit tests of the demo shop and scripts (Node, fast)
//   e2e        the real demo in `wrangler dev`, driven in real Chromium (demo/e2e/)
// Run alone: npx vitest run -c demo/vitest.e2e.config.ts [--project e2e]
const root = decodeURIComponent(new URL('..', import.meta.url).pathname);

export default defineConfig({
  test: {
    root,
    projects: [
      {
        test: {
          name: 'demo',
          root,
          include: ['demo/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'e2e',
          root,
          include: ['demo/e2e/**/*.e2e.test.ts'],
          environment: 'node',
          globalSetup: ['demo/e2e/global-setup.mjs'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // One browser, one server: the steps of a checkout run in order.
          fileParallelism: false,
        },
      },
    ],
  },
});
