import type { CheckoutSession } from './session/durable-object';
import type { MerchantShard } from './merchant-shard';
import type { SandboxLedger } from './sandbox/ledger';

export interface Env {
  SHOUYIN_CONFIG?: string;
  SESSIONS: DurableObjectNamespace<CheckoutSession>;
  MERCHANT_SHARDS: DurableObjectNamespace<MerchantShard>;
  SANDBOX: DurableObjectNamespace<SandboxLedger>;
  ASSETS?: Fetcher;
}
