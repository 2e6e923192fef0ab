import type { SandboxLedger } from './ledger';
import type { AlipaySandboxLedger } from './alipay/ledger';
import type { UnionpaySandboxLedger } from './unionpay/ledger';
import type { SandboxMerchants } from '../../worker/src/sandbox-merchants';

/** The sandbox Worker's bindings (sandbox/wrangler.toml). */
export interface Env {
  /** The same document the Shouyin Worker reads: test merchants' keys and the `sandbox` section. */
  SHOUYIN_CONFIG?: string;
  /** Where the Shouyin Worker is reachable; else SHOUYIN_CONFIG's public_base_url. */
  PUBLIC_BASE_URL?: string;
  /**
   * The Shouyin Worker's SandboxMerchants entrypoint (a service binding): the merchant registry's test
   * merchants, keys as hashes. Unbound, the sandbox serves SHOUYIN_CONFIG's test merchants only.
   */
  SHOUYIN_MERCHANTS?: Service<SandboxMerchants>;
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
