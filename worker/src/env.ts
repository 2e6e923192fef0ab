import type { CheckoutSession } from './session/durable-object';
import type { MerchantShard } from './merchant-shard';
import type { MerchantRegistry } from './registry/durable-object';

export interface Env {
  SHOUYIN_CONFIG?: string;
  /** Where this Worker is reachable (`https://pay.example.com`); else SHOUYIN_CONFIG's public_base_url. */
  PUBLIC_BASE_URL?: string;
  /** Comma-separated `sk_admin_…` keys for the operator's API (/v1/admin/…); routes/admin-auth.ts. */
  SHOUYIN_ADMIN_KEYS?: string;
  /**
   * The registry's master key(s): `<key id>:<base64 of 32 bytes>`, comma-separated during a rotation
   * (the first seals, all open). registry/sealing.ts; webhook endpoint secrets are sealed under it too
   * (webhooks/secret-box.ts).
   */
  SHOUYIN_MASTER_KEY?: string;
  /**
   * The secret session ids are tagged with (session/ids.ts), comma-separated during a rotation (the
   * first tags new ids). Unset: a published development secret (docs/deploy.md).
   */
  SHOUYIN_SESSION_ID_SECRET?: string;
  /** Days a session where money moved is kept after its last event (session/retention.ts); default 400. */
  SHOUYIN_SESSION_RETENTION_DAYS?: string;
  SESSIONS: DurableObjectNamespace<CheckoutSession>;
  MERCHANT_SHARDS: DurableObjectNamespace<MerchantShard>;
  /** The merchant registry (one object, "registry"); unbound, merchants come from SHOUYIN_CONFIG only. */
  MERCHANT_REGISTRY?: DurableObjectNamespace<MerchantRegistry>;
  /**
   * The provider sandbox Worker (sandbox/), a service binding: `/sandbox/*` is forwarded to it. Unbound
   * in a deployment without the sandbox, where `/sandbox/*` answers 404 `sandbox_not_deployed`.
   */
  SANDBOX?: Fetcher;
  ASSETS?: Fetcher;
}
