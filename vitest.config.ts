import { cloudflareTest } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';
import { testConfig } from './worker/test/fixtures/config.ts';
import { onConsoleLog } from './worker/test/log-noise.ts';

// Worker code (unit + integration) runs inside workerd with real Durable Objects, SQLite and alarms.
// Widget unit tests run in Node. End-to-end browser tests have their own config (demo/vitest.e2e.config.ts).
export default defineConfig({
  test: {
    // Drops only the console lines specific tests cause on purpose (injected faults, forged notifies).
    onConsoleLog,
    projects: [
      {
        plugins: [
          cloudflareTest({
            wrangler: { configPath: './wrangler.toml' },
            miniflare: { bindings: { SHOUYIN_CONFIG: testConfig() } },
          }),
        ],
        test: { name: 'worker', include: ['worker/**/*.test.ts'] },
      },
      { test: { name: 'widget', include: ['widget/**/*.test.ts'], environment: 'node' } },
    ],
  },
});
