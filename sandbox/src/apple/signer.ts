// Signed App Store data from the sandbox (test mode only): JWSTransactionDecodedPayload,
// JWSRenewalInfoDecodedPayload and ResponseBodyV2DecodedPayload, signed with the test merchant's
// sandbox chain through apple/jws.ts signJws — the same twin tests use. Each `Defect` makes one
// thing a verifier must refuse, so every refusal has a test that reaches it through the Worker.

import type { MerchantConfig } from '../../../worker/src/config';
import { base64UrlDecode, base64UrlEncode, signJws } from '../../../worker/src/apple/jws';
import { fromUtf8, utf8 } from '../../../worker/src/crypto/encoding';
import { buildChain, sandboxChain, sandboxSecret, type SandboxChain } from './pki';

export const DEFECTS = ['wrong_root', 'intermediate_without_marker', 'leaf_without_marker', 'expired_leaf', 'der_signature', 'tampered_payload'] as const;
export type Defect = (typeof DEFECTS)[number];

const defective = new Map<string, Promise<SandboxChain>>();

/** The chain a token is signed with: the merchant's own, or a variant with one defect. */
function chainFor(merchant: MerchantConfig, defect: Defect | undefined): Promise<SandboxChain> {
  if (defect === undefined || defect === 'der_signature' || defect === 'tampered_payload') return sandboxChain(merchant);
  const secret = sandboxSecret(merchant);
  const id = `${merchant.id}\u0000${secret}\u0000${defect}`;
  let p = defective.get(id);
  if (!p) {
    p =
      defect === 'wrong_root'
        ? // Another key set under the very same names: only a signature check tells them apart.
          buildChain(secret, 'foreign/')
        : defect === 'intermediate_without_marker'
          ? buildChain(secret, '', { intermediateMarker: false })
          : defect === 'leaf_without_marker'
            ? buildChain(secret, '', { leafMarker: false })
            : buildChain(secret, '', { leafNotBefore: new Date(Date.UTC(2024, 0, 1)), leafNotAfter: new Date(Date.UTC(2024, 11, 31)) });
    p.catch(() => defective.delete(id));
    if (defective.size >= 64) defective.delete(defective.keys().next().value as string);
    defective.set(id, p);
  }
  return p;
}

/** Signs `payload` as the App Store would for this test merchant, with an optional defect. */
export async function sandboxSign(merchant: MerchantConfig, payload: Record<string, unknown>, defect?: Defect): Promise<string> {
  const chain = await chainFor(merchant, defect);
  const token = await signJws(payload, chain.leaf.keys.privateKey, {
    chain: [chain.leaf.der, chain.intermediate.der, chain.root.der],
    derSignature: defect === 'der_signature',
  });
  if (defect !== 'tampered_payload') return token;
  // Edit the payload after signing, as someone upgrading their purchase in transit would.
  const [h, p, s] = token.split('.') as [string, string, string];
  const edited = JSON.parse(fromUtf8(base64UrlDecode(p))) as Record<string, unknown>;
  if (typeof edited.productId === 'string') edited.productId = `${edited.productId}.premium`;
  else edited.notificationType = 'REFUND_REVERSED';
  return `${h}.${base64UrlEncode(utf8(JSON.stringify(edited)))}.${s}`;
}

export const TRANSACTION_TYPES = ['Auto-Renewable Subscription', 'Non-Consumable', 'Consumable', 'Non-Renewing Subscription'] as const;

export interface TransactionSpec {
  product_id: string;
  bundle_id: string;
  environment: 'Sandbox' | 'Production';
  type: (typeof TRANSACTION_TYPES)[number];
  transaction_id: string;
  original_transaction_id: string;
  quantity: number;
  purchase_date_ms: number;
  expires_date_ms?: number;
  revocation_date_ms?: number;
  revocation_reason?: 0 | 1;
  app_account_token?: string;
  signed_date_ms: number;
}

/** A JWSTransactionDecodedPayload (field names and units as Apple's: milliseconds, price in milliunits). */
export function transactionPayload(t: TransactionSpec): Record<string, unknown> {
  return {
    transactionId: t.transaction_id,
    originalTransactionId: t.original_transaction_id,
    ...(t.expires_date_ms !== undefined ? { webOrderLineItemId: `${t.transaction_id.slice(0, 12)}0001`, subscriptionGroupIdentifier: '20000001' } : {}),
    bundleId: t.bundle_id,
    productId: t.product_id,
    purchaseDate: t.purchase_date_ms,
    originalPurchaseDate: t.purchase_date_ms,
    ...(t.expires_date_ms !== undefined ? { expiresDate: t.expires_date_ms } : {}),
    quantity: t.quantity,
    type: t.type,
    ...(t.app_account_token !== undefined ? { appAccountToken: t.app_account_token } : {}),
    inAppOwnershipType: 'PURCHASED',
    signedDate: t.signed_date_ms,
    ...(t.revocation_date_ms !== undefined ? { revocationDate: t.revocation_date_ms, revocationReason: t.revocation_reason ?? 0 } : {}),
    environment: t.environment,
    transactionReason: 'PURCHASE',
    storefront: 'CHN',
    storefrontId: '143465',
    price: 6000,
    currency: 'CNY',
  };
}

/** A JWSRenewalInfoDecodedPayload for a subscription transaction. */
export function renewalPayload(t: TransactionSpec): Record<string, unknown> {
  return {
    originalTransactionId: t.original_transaction_id,
    autoRenewProductId: t.product_id,
    productId: t.product_id,
    autoRenewStatus: 1,
    signedDate: t.signed_date_ms,
    environment: t.environment,
    recentSubscriptionStartDate: t.purchase_date_ms,
    ...(t.expires_date_ms !== undefined ? { renewalDate: t.expires_date_ms } : {}),
  };
}

/** 16 digits, like App Store transaction identifiers. */
export function sandboxTransactionId(): string {
  const digits = crypto.getRandomValues(new Uint8Array(15));
  return `2${[...digits].map((d) => d % 10).join('')}`;
}
