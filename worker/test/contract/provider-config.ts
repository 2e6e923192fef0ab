// What an adapter needs to call its provider module directly (the statement download): a test
// merchant's provider settings as the Worker parsed them, and a provider context whose calls reach
// the built-in simulators through the Worker's own fetch handler.

import { SELF, env } from 'cloudflare:test';
import { loadConfig, type ProvidersConfig } from '../../src/config';
import type { ProviderContext } from '../../src/providers/types';
import { BASE } from '../helpers';

export function providersOf(merchantId: string): ProvidersConfig {
  const m = loadConfig(env).merchants.find((x) => x.id === merchantId);
  if (!m) throw new Error(`no merchant ${merchantId} in the test SHOUYIN_CONFIG`);
  return m.providers;
}

export const testProviderContext = (): ProviderContext => ({
  fetch: (r) => SELF.fetch(r),
  now: () => Date.now(),
  testMode: true,
  sandboxBaseUrl: `${BASE}/sandbox`,
});
