import type { CheckoutSession } from './session/durable-object';
import type { MerchantShard } from './merchant-shard';

export interface Env {
  SHOUYIN_CONFIG?: string;
  /** Comma-separated `sk_admin_…` keys for the operator's API (/v1/admin/…); routes/admin-auth.ts. */
  SHOUYIN_ADMIN_KEYS?: string;
  /**
   * `<kid>:<base64 of 32 bytes>`, comma-separated during a rotation (the first encrypts): the key that
   * webhook endpoint secrets are stored encrypted under (webhooks/secret-box.ts).
   */
  SHOUYIN_MASTER_KEY?: string;
  SESSIONS: DurableObjectNamespace<CheckoutSession>;
  MERCHANT_SHARDS: DurableObjectNamespace<MerchantShard>;
  /**
   * The provider sandbox Worker (sandbox/), a service binding: `/sandbox/*` is forwarded to it. Unbound
   * in a deployment without the sandbox, where `/sandbox/*` answers 404 `sandbox_not_deployed`.
   */
  SANDBOX?: Fetcher;
  ASSETS?: Fetcher;
}
