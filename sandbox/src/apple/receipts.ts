// The verifyReceipt simulator's receipts (test mode only). A real receipt is a PKCS#7 blob Apple
// signed; a sandbox receipt is the base64 of `SHOUYIN-SANDBOX-RECEIPT-V1.<b64url JSON>.<b64url MAC>`,
// the MAC keyed from the test merchant's secret key, so the simulator can tell its own receipts
// (status 0) from altered or foreign ones (21003) in any isolate. Only the simulator reads them.

import type { MerchantConfig } from '../../../worker/src/config';
import type { SandboxedConfig } from '../config';
import { fromBase64, fromUtf8, toBase64, utf8 } from '../../../worker/src/crypto/encoding';
import { hmacSha256 } from '../../../worker/src/crypto/hmac';
import { timingSafeEqual } from '../../../worker/src/crypto/timing-safe';
import { base64UrlDecode, base64UrlEncode } from '../../../worker/src/apple/jws';
import { sandboxSecret } from './pki';

export const RECEIPT_PREFIX = 'SHOUYIN-SANDBOX-RECEIPT-V1.';

export interface SandboxPurchase {
  product_id: string;
  quantity: number;
  transaction_id: string;
  original_transaction_id: string;
  purchase_date_ms: number;
  original_purchase_date_ms: number;
  /** Present for auto-renewable subscriptions. */
  expires_date_ms?: number;
  web_order_line_item_id?: string;
  cancellation_date_ms?: number;
  cancellation_reason?: '0' | '1';
}

export interface SandboxReceipt {
  merchant: string;
  environment: 'Sandbox' | 'Production';
  bundle_id: string;
  application_version: string;
  created_ms: number;
  purchases: SandboxPurchase[];
  /** Answer this status instead of verifying (21000–21199 except the routing codes), for error-path tests. */
  force_status?: number;
  /** `is-retryable` with a forced 211xx status. */
  is_retryable?: boolean;
}

async function mac(merchant: MerchantConfig, body: string): Promise<string> {
  const key = await hmacSha256(sandboxSecret(merchant), 'shouyin/apple-sandbox/v1/receipts');
  return base64UrlEncode(await hmacSha256(key, body));
}

/** The receipt-data (base64) an app would send for `r`. */
export async function mintReceipt(merchant: MerchantConfig, r: SandboxReceipt): Promise<string> {
  const body = base64UrlEncode(utf8(JSON.stringify(r)));
  return toBase64(utf8(`${RECEIPT_PREFIX}${body}.${await mac(merchant, body)}`));
}

export type OpenedReceipt = { kind: 'malformed' } | { kind: 'unauthenticated' } | { kind: 'ok'; receipt: SandboxReceipt; merchant: MerchantConfig };

/** 21002 for what is not a sandbox receipt at all, 21003 for one the simulator did not mint as is. */
export async function openReceipt(config: SandboxedConfig, receiptData: string): Promise<OpenedReceipt> {
  let text: string;
  try {
    text = fromUtf8(fromBase64(receiptData));
  } catch {
    return { kind: 'malformed' };
  }
  if (!text.startsWith(RECEIPT_PREFIX)) return { kind: 'malformed' };
  const [body, tag, ...rest] = text.slice(RECEIPT_PREFIX.length).split('.');
  if (!body || !tag || rest.length > 0) return { kind: 'malformed' };
  let r: SandboxReceipt;
  try {
    r = JSON.parse(fromUtf8(base64UrlDecode(body))) as SandboxReceipt;
  } catch {
    return { kind: 'unauthenticated' };
  }
  const merchant = config.merchants.find((m) => m.id === r?.merchant);
  // The simulator serves test merchants only; to it a live merchant does not exist.
  if (!merchant || merchant.livemode || !merchant.apple) return { kind: 'unauthenticated' };
  if (!timingSafeEqual(await mac(merchant, body), tag)) return { kind: 'unauthenticated' };
  return { kind: 'ok', receipt: r, merchant };
}

// ── the verifyReceipt answer, in Apple's wire shape (strings, *_ms, "Etc/GMT" dates) ───────────

const gmt = (ms: number): string => `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} Etc/GMT`;

function dated(out: Record<string, unknown>, field: string, ms: number | undefined): void {
  if (ms === undefined) return;
  out[field] = gmt(ms);
  out[`${field}_ms`] = String(ms);
}

function inApp(p: SandboxPurchase): Record<string, unknown> {
  const out: Record<string, unknown> = {
    quantity: String(p.quantity),
    product_id: p.product_id,
    transaction_id: p.transaction_id,
    original_transaction_id: p.original_transaction_id,
  };
  dated(out, 'purchase_date', p.purchase_date_ms);
  dated(out, 'original_purchase_date', p.original_purchase_date_ms);
  dated(out, 'expires_date', p.expires_date_ms);
  if (p.web_order_line_item_id) out.web_order_line_item_id = p.web_order_line_item_id;
  out.is_trial_period = 'false';
  if (p.expires_date_ms !== undefined) out.is_in_intro_offer_period = 'false';
  out.in_app_ownership_type = 'PURCHASED';
  dated(out, 'cancellation_date', p.cancellation_date_ms);
  if (p.cancellation_reason) out.cancellation_reason = p.cancellation_reason;
  return out;
}

/** The status-0 (or forced 21006) answer body for an authenticated receipt at the right endpoint. */
export function receiptAnswer(
  r: SandboxReceipt,
  receiptData: string,
  now: number,
  opts: { status: number; withPassword: boolean; excludeOld: boolean },
): Record<string, unknown> {
  const receipt: Record<string, unknown> = {
    receipt_type: r.environment === 'Sandbox' ? 'ProductionSandbox' : 'Production',
    adam_id: 0,
    app_item_id: 0,
    bundle_id: r.bundle_id,
    application_version: r.application_version,
    download_id: 0,
    version_external_identifier: 0,
    original_application_version: '1.0',
    in_app: r.purchases.map(inApp),
  };
  dated(receipt, 'receipt_creation_date', r.created_ms);
  dated(receipt, 'request_date', now);
  dated(receipt, 'original_purchase_date', r.created_ms);
  const out: Record<string, unknown> = { status: opts.status, environment: r.environment, receipt };
  const subs = r.purchases.filter((p) => p.expires_date_ms !== undefined);
  // Apple returns these only for receipts with auto-renewable subscriptions, with the shared secret.
  if (subs.length > 0 && opts.withPassword) {
    let latest = [...subs].sort((a, b) => b.purchase_date_ms - a.purchase_date_ms);
    if (opts.excludeOld) {
      const seen = new Set<string>();
      latest = latest.filter((p) => !seen.has(p.original_transaction_id) && seen.add(p.original_transaction_id));
    }
    out.latest_receipt_info = latest.map(inApp);
    const byOriginal = new Map<string, SandboxPurchase>();
    for (const p of latest) if (!byOriginal.has(p.original_transaction_id)) byOriginal.set(p.original_transaction_id, p);
    out.pending_renewal_info = [...byOriginal.values()].map((p) => {
      const expired = (p.expires_date_ms as number) < now;
      return {
        auto_renew_product_id: p.product_id,
        product_id: p.product_id,
        original_transaction_id: p.original_transaction_id,
        auto_renew_status: expired ? '0' : '1',
        ...(expired ? { expiration_intent: '1' } : {}),
      };
    });
    out.latest_receipt = receiptData;
  }
  return out;
}
