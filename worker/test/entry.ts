// The test runner's Worker: the Shouyin Worker exactly as deployed (its default export and Durable
// Objects), and the sandbox Worker beside it as a named entrypoint. The two reach each other only over
// service bindings, as in `wrangler dev` and a deployment — the Shouyin Worker's SANDBOX binding points
// at `SandboxWorker`, the sandbox's SHOUYIN at the default export (vitest.config.ts) — but they share
// one isolate, so tests can watch the global fetch of both and look inside every Durable Object.

import { WorkerEntrypoint } from 'cloudflare:workers';
import sandbox from '../../sandbox/src/index';
import type { Env as SandboxEnv } from '../../sandbox/src/env';

export { default, CheckoutSession, MerchantShard, MerchantRegistry, SandboxMerchants } from '../src/index';
export { SandboxLedger, AlipaySandboxLedger, UnionpaySandboxLedger } from '../../sandbox/src/index';

export class SandboxWorker extends WorkerEntrypoint<SandboxEnv> {
  override fetch(request: Request): Promise<Response> {
    return Promise.resolve(sandbox.fetch(request, this.env, this.ctx));
  }
}
