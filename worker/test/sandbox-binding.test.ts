// The provider sandbox is a Worker of its own, reached over the optional SANDBOX service binding
// (docs/test-mode.md). A deployment without it answers `/sandbox/*` with a plain 404 in the usual
// error shape; with it, the same URL reaches the simulator.

import { SELF, createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import worker from '../src/index';
import type { Env } from '../src/env';

const WALLET = 'https://shouyin.test/sandbox/wechatpay/wallet?code_url=weixin%3A%2F%2Fwxpay%2Fbizpayurl%3Fpr%3Dx';

describe('/sandbox/* and the SANDBOX binding', () => {
  it('without the binding (a production deployment): 404 sandbox_not_deployed, for every method', async () => {
    const { SANDBOX: _bound, ...production } = env as unknown as Env;
    for (const method of ['GET', 'POST']) {
      const ctx = createExecutionContext();
      const res = await worker.fetch(new Request(WALLET, { method, ...(method === 'POST' ? { body: '{}' } : {}) }), production as Env, ctx);
      await waitOnExecutionContext(ctx);
      expect(res.status).toBe(404);
      expect(await res.json()).toMatchObject({ error: { type: 'not_found_error', code: 'sandbox_not_deployed' } });
    }
  });

  it('with the binding: /sandbox/* is the simulator (its control surface asks for a test key)', async () => {
    const res = await SELF.fetch('https://shouyin.test/sandbox/wechatpay/_control/clock', { method: 'POST', body: '{}' });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { code: 'invalid_api_key' } });
  });
});
