import type { CheckoutSession } from './session/durable-object';
import type { MerchantShard } from './merchant-shard';
import type { SandboxLedger } from '../../sandbox/src/ledger';
import type { AlipaySandboxLedger } from '../../sandbox/src/alipay/ledger';
import type { UnionpaySandboxLedger } from '../../sandbox/src/unionpay/ledger';

export interface Env {
  SHOUYIN_CONFIG?: string;
  SESSIONS: DurableObjectNamespace<CheckoutSession>;
  MERCHANT_SHARDS: DurableObjectNamespace<MerchantShard>;
  SANDBOX: DurableObjectNamespace<SandboxLedger>;
  /** The Alipay simulator's ledger (test mode only). */
  SANDBOX_ALIPAY: DurableObjectNamespace<AlipaySandboxLedger>;
  /** The UnionPay simulator's ledger (test mode only). */
  SANDBOX_UNIONPAY: DurableObjectNamespace<UnionpaySandboxLedger>;
  ASSETS?: Fetcher;
}
