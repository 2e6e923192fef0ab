// The registry's test merchants for the sandbox Worker (sandbox/), over its SHOUYIN_MERCHANTS service
// binding to this entrypoint: a merchant created through the admin API pays in the simulators like
// one in SHOUYIN_CONFIG. Only sk_test_ merchants are ever returned, with their keys as SHA-256 hashes;
// a live merchant's credentials never leave this Worker. Nothing reaches this entrypoint but a service
// binding the account's owner configured.

import { WorkerEntrypoint } from 'cloudflare:workers';
import type { Env } from './env';
import { registryStub } from './registry/durable-object';
import type { TestMerchantExport } from './registry/types';

export class SandboxMerchants extends WorkerEntrypoint<Env> {
  /** The registry's version: the sandbox fetches the merchants again only when it changed. */
  async version(): Promise<number> {
    return (await registryStub(this.env)?.version()) ?? 0;
  }

  async testMerchants(): Promise<TestMerchantExport[]> {
    // Entries are JSON; the RPC typing cannot express `unknown` values, hence the cast.
    const list = ((await registryStub(this.env)?.testMerchants()) ?? []) as TestMerchantExport[];
    // The registry lists test merchants only; checked again here, where the boundary is.
    return list.filter((m) => m.entry.livemode === false);
  }
}
