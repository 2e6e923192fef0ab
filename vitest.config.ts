import { cloudflareTest } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';
import { testConfig } from './worker/test/fixtures/config.ts';
import { TEST_ADMIN_KEY, TEST_MASTER_KEY } from './worker/test/fixtures/registry.ts';
import { onConsoleLog } from './worker/test/log-noise.ts';

// Worker and sandbox code (unit + integration) runs inside workerd with real Durable Objects, SQLite and
// alarms. Both projects run one test entry (worker/test/entry.ts): the Shouyin Worker as deployed and
// the sandbox Worker beside it, wired to each other by service bindings only, as in `wrangler dev`.
// Widget and dashboard unit tests run in Node. End-to-end browser tests have their own config (demo/vitest.e2e.config.ts).

const ledgers = {
  WECHATPAY_LEDGER: { className: 'SandboxLedger', useSQLite: true },
  ALIPAY_LEDGER: { className: 'AlipaySandboxLedger', useSQLite: true },
  UNIONPAY_LEDGER: { className: 'UnionpaySandboxLedger', useSQLite: true },
};
const live = {
  SESSIONS: { className: 'CheckoutSession', useSQLite: true },
  MERCHANT_SHARDS: { className: 'MerchantShard', useSQLite: true },
  MERCHANT_REGISTRY: { className: 'MerchantRegistry', useSQLite: true },
};

/**
 * The two Workers in one runtime. `self` is the name in the project's wrangler config: a service
 * binding to it is a binding to the test runner itself (the plugin points it there), so SANDBOX
 * reaches the `SandboxWorker` entrypoint, SHOUYIN the Shouyin Worker's default export and
 * SHOUYIN_MERCHANTS its `SandboxMerchants` entrypoint (the registry's test merchants).
 */
const pair = (self: string) => ({
  main: './worker/test/entry.ts',
  miniflare: {
    bindings: { SHOUYIN_CONFIG: testConfig(), SHOUYIN_MASTER_KEY: TEST_MASTER_KEY, SHOUYIN_ADMIN_KEYS: TEST_ADMIN_KEY },
    durableObjects: { ...live, ...ledgers },
    serviceBindings: {
      SANDBOX: { name: self, entrypoint: 'SandboxWorker' },
      SHOUYIN: self,
      SHOUYIN_MERCHANTS: { name: self, entrypoint: 'SandboxMerchants' },
    },
  },
});

export default defineConfig({
  test: {
    // Drops only the console lines specific tests cause on purpose (injected faults, forged notifies).
    onConsoleLog,
    projects: [
      {
        plugins: [cloudflareTest({ wrangler: { configPath: './wrangler.toml' }, ...pair('shouyin') })],
        test: { name: 'worker', include: ['worker/**/*.test.ts'] },
      },
      {
        plugins: [cloudflareTest({ wrangler: { configPath: './sandbox/wrangler.toml' }, ...pair('shouyin-sandbox') })],
        test: { name: 'sandbox', include: ['sandbox/**/*.test.ts'] },
      },
      { test: { name: 'widget', include: ['widget/**/*.test.ts'], environment: 'node' } },
      { test: { name: 'dashboard', include: ['dashboard/**/*.test.ts'], environment: 'node' } },
      // The server SDK (packages/sdk) in plain Node; its run against the real Worker is worker/test/sdk.test.ts.
      { test: { name: 'sdk', include: ['packages/sdk/**/*.test.ts'], environment: 'node' } },
    ],
  },
});
