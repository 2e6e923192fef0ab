import type { CheckoutSession } from './session/durable-object';
import type { MerchantShard } from './merchant-shard';

export interface Env {
  SHOUYIN_CONFIG?: string;
  /** Where this Worker is reachable (`https://pay.example.com`); else SHOUYIN_CONFIG's public_base_url. */
  PUBLIC_BASE_URL?: string;
  /** Comma-separated `sk_admin_…` keys for the operator's API (/v1/admin/…); routes/admin-auth.ts. */
  SHOUYIN_ADMIN_KEYS?: string;
  SESSIONS: DurableObjectNamespace<CheckoutSession>;
  MERCHANT_SHARDS: DurableObjectNamespace<MerchantShard>;
  /**
   * The provider sandbox Worker (sandbox/), a service binding: `/sandbox/*` is forwarded to it. Unbound
   * in a deployment without the sandbox, where `/sandbox/*` answers 404 `sandbox_not_deployed`.
   */
  SANDBOX?: Fetcher;
  ASSETS?: Fetcher;
}
