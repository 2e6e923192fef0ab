import type { SandboxLedger } from './ledger';
import type { AlipaySandboxLedger } from './alipay/ledger';
import type { UnionpaySandboxLedger } from './unionpay/ledger';

/** The sandbox Worker's bindings (sandbox/wrangler.toml). */
export interface Env {
  /** The same document the Shouyin Worker reads: test merchants' keys and the `sandbox` section. */
  SHOUYIN_CONFIG?: string;
  /** The WeChat Pay simulator's ledger (APIv3 and APIv2). */
  WECHATPAY_LEDGER: DurableObjectNamespace<SandboxLedger>;
  /** The Alipay simulator's ledger. */
  ALIPAY_LEDGER: DurableObjectNamespace<AlipaySandboxLedger>;
  /** The UnionPay simulator's ledger. */
  UNIONPAY_LEDGER: DurableObjectNamespace<UnionpaySandboxLedger>;
  /**
   * The Shouyin Worker (a service binding): notifies to its public_base_url go here, because under
   * `wrangler dev` and the test runner no port is listening. Unbound, they go out with fetch.
   */
  SHOUYIN?: Fetcher;
}
