// What the merchant registry answers, as plain data (it crosses the Durable Object RPC boundary): the
// admin API's MerchantSummary, the index the hot path caches, and one merchant's entry as the config
// parser reads it. Nothing here is sealed: summaries and the index hold no secret, an entry is
// opened only for the Worker that serves it.

import type { Channel } from '../contract';

/**
 * On every request the Shouyin Worker sends the sandbox Worker: the registry version its lookups see,
 * so the sandbox fetches the registry's test merchants again only when that changed
 * (sandbox/src/config.ts). A hint, never trusted for anything else; the Worker sets or removes it on
 * every request it forwards.
 */
export const REGISTRY_VERSION_HEADER = 'shouyin-registry-version';

export interface ApiKeySummary {
  id: string;
  /** `sk_test_` / `sk_live_` and the key's next four characters: enough to tell keys apart, never to use one. */
  prefix: string;
  /** Unix seconds; null for a key listed in SHOUYIN_CONFIG. */
  created: number | null;
  /** Unix seconds after which the key is refused; null while it has no end. */
  expires_at: number | null;
}

/** The admin API's view of a merchant (API.md "Admin routes"): never a secret. */
export interface MerchantSummary {
  id: string;
  object: 'merchant';
  name: string;
  livemode: boolean;
  allowed_origins: string[];
  webhook: { url: string } | null;
  channels: Channel[];
  apple: boolean;
  api_keys: ApiKeySummary[];
  /** Counts the merchant's changes in the registry (0 for a merchant only in SHOUYIN_CONFIG). */
  version: number;
  created: number | null;
  updated: number | null;
  source: 'registry' | 'config';
  /** Only when the stored entry no longer opens or validates: why, by field (it is then not served). */
  error?: { param: string; message: string };
}

/** What the hot path caches per isolate: no secret, enough to know which ids and key hashes the registry holds. */
export interface RegistryIndex {
  /** Grows by one with every change to the registry. */
  version: number;
  merchants: { id: string; livemode: boolean }[];
  /** Keys not revoked: SHA-256 hex of the key, and until when it is accepted (unix seconds, null: no end). */
  keys: { hash: string; merchant: string; expires_at: number | null }[];
}

/** One merchant opened: its SHOUYIN_CONFIG-shaped entry (without secret_keys, with livemode). */
export type OpenedEntry =
  | { ok: true; id: string; entry: Record<string, unknown>; sandbox_seed: string | null }
  | { ok: false; id: string; error: { param: string; message: string } };

/** A registry test merchant as the sandbox Worker sees it: keys as hashes only. */
export interface TestMerchantExport {
  entry: Record<string, unknown>;
  /** SHA-256 hex of each key currently accepted. */
  key_hashes: string[];
  /** The seed the Apple simulator derives this merchant's signing chain from. */
  sandbox_seed: string;
}
