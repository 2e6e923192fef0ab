import type { CheckoutSession } from './session/durable-object';
import type { MerchantShard } from './merchant-shard';

export interface Env {
  SHOUYIN_CONFIG?: string;
  /** Comma-separated `sk_admin_…` keys for the operator's API (/v1/admin/…); routes/admin-auth.ts. */
  SHOUYIN_ADMIN_KEYS?: string;
  /**
   * The secret session ids are tagged with (session/ids.ts), comma-separated during a rotation (the
   * first tags new ids). Unset: a published development secret (docs/deploy.md).
   */
  SHOUYIN_SESSION_ID_SECRET?: string;
  /** Days a session where money moved is kept after its last event (session/retention.ts); default 400. */
  SHOUYIN_SESSION_RETENTION_DAYS?: string;
  SESSIONS: DurableObjectNamespace<CheckoutSession>;
  MERCHANT_SHARDS: DurableObjectNamespace<MerchantShard>;
  /**
   * The provider sandbox Worker (sandbox/), a service binding: `/sandbox/*` is forwarded to it. Unbound
   * in a deployment without the sandbox, where `/sandbox/*` answers 404 `sandbox_not_deployed`.
   */
  SANDBOX?: Fetcher;
  ASSETS?: Fetcher;
}
