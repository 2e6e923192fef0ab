// The legacy verifyReceipt flow (https://developer.apple.com/documentation/appstorereceipts/verifyreceipt, deprecated
// by Apple but still how older apps prove a purchase): POST {"receipt-data","password","exclude-old-transactions"} to
// one environment; 21007 (a sandbox receipt at production) → ask the sandbox, 21008 (a production
// receipt at the sandbox) → ask production. One hop only: a second 21007/21008 is Apple
// contradicting itself, never a loop. The answer is normalised: Unix seconds, booleans, numbers.

import { ErrorType, ShouyinError } from '../lib/errors';
import type { AppleConfig, AppleEnvironment } from './config';
import { RECEIPT_STATUS, receiptStatusError } from './status';
import { checkAppAndEnvironment } from './transaction';

export const APPLE_VERIFY_RECEIPT_URLS: Record<AppleEnvironment, string> = {
  production: 'https://buy.itunes.apple.com/verifyReceipt',
  sandbox: 'https://sandbox.itunes.apple.com/verifyReceipt',
};

/** Where each environment's verifyReceipt is: Apple for live merchants, the built-in simulator for test ones, unless overridden. */
export function receiptEndpoints(cfg: AppleConfig, livemode: boolean, publicBaseUrl: string): Record<AppleEnvironment, string> {
  const sim = `${publicBaseUrl}/sandbox/apple`;
  return {
    production: cfg.verify_receipt_url ?? (livemode ? APPLE_VERIFY_RECEIPT_URLS.production : `${sim}/verifyReceipt`),
    sandbox: cfg.sandbox_url ?? (livemode ? APPLE_VERIFY_RECEIPT_URLS.sandbox : `${sim}/sandbox/verifyReceipt`),
  };
}

export interface ReceiptPurchase {
  product_id: string | null;
  quantity: number;
  transaction_id: string | null;
  original_transaction_id: string | null;
  purchase_date: number | null;
  original_purchase_date: number | null;
  /** Subscriptions only. */
  expires_date: number | null;
  /** Set when Apple customer support refunded the purchase. */
  cancellation_date: number | null;
  cancellation_reason: string | null;
  is_trial_period: boolean;
  is_in_intro_offer_period: boolean;
  web_order_line_item_id: string | null;
  subscription_group_identifier: string | null;
  in_app_ownership_type: string | null;
  app_account_token: string | null;
}

export interface ReceiptRenewal {
  product_id: string | null;
  auto_renew_product_id: string | null;
  original_transaction_id: string | null;
  auto_renew_status: boolean;
  expiration_intent: number | null;
  is_in_billing_retry_period: boolean;
  grace_period_expires_date: number | null;
}

export interface AppleReceipt {
  object: 'apple.receipt';
  livemode: boolean;
  /** The environment whose verifyReceipt accepted the receipt. */
  environment: AppleEnvironment;
  /** 0, or 21006: valid, but its (iOS 6-style) subscription has expired. */
  apple_status: 0 | 21006;
  subscription_expired: boolean;
  bundle_id: string;
  application_version: string | null;
  original_application_version: string | null;
  receipt_creation_date: number | null;
  in_app: ReceiptPurchase[];
  /** Apps with auto-renewable subscriptions (and a shared secret): every transaction, newest renewals included. */
  latest_receipt_info: ReceiptPurchase[];
  pending_renewal_info: ReceiptRenewal[];
  latest_receipt: string | null;
}

export interface ReceiptContext {
  cfg: AppleConfig;
  livemode: boolean;
  endpoints: Record<AppleEnvironment, string>;
  fetch: (request: Request) => Promise<Response>;
}

type Answer = Record<string, unknown> & { status: number };

const badResponse = (env: AppleEnvironment, why: string) =>
  new ShouyinError(
    ErrorType.provider,
    'apple_bad_response',
    `The ${env} verifyReceipt endpoint answered with something that is not a verifyReceipt response: ${why}.`,
  );

async function call(ctx: ReceiptContext, env: AppleEnvironment, body: string): Promise<Answer> {
  let res: Response;
  try {
    res = await ctx.fetch(
      new Request(ctx.endpoints[env], { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body }),
    );
  } catch (e) {
    const timeout = e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError');
    throw new ShouyinError(
      ErrorType.provider,
      'apple_unreachable',
      `The ${env} verifyReceipt endpoint ${timeout ? 'did not answer in time' : `could not be reached (${e instanceof Error ? e.message : String(e)})`}; retry later.`,
    );
  }
  const text = await res.text();
  if (!res.ok) {
    throw new ShouyinError(ErrorType.provider, 'apple_unavailable', `The ${env} verifyReceipt endpoint answered HTTP ${res.status}; retry later.`);
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw badResponse(env, 'not JSON');
  }
  if (typeof v !== 'object' || v === null || typeof (v as Answer).status !== 'number') throw badResponse(env, 'no numeric status');
  return v as Answer;
}

const isRouting = (s: number) => s === RECEIPT_STATUS.SANDBOX_RECEIPT || s === RECEIPT_STATUS.PRODUCTION_RECEIPT;

/** Verifies a base64 app receipt with Apple (or the simulator). Throws ShouyinError, or VerificationError for app/environment checks. */
export async function verifyReceipt(ctx: ReceiptContext, receiptData: string, excludeOldTransactions?: boolean): Promise<AppleReceipt> {
  const body = JSON.stringify({
    'receipt-data': receiptData,
    ...(ctx.cfg.shared_secret !== undefined ? { password: ctx.cfg.shared_secret } : {}),
    ...(excludeOldTransactions !== undefined ? { 'exclude-old-transactions': excludeOldTransactions } : {}),
  });
  let env = ctx.cfg.environment;
  let a = await call(ctx, env, body);
  if (isRouting(a.status)) {
    const other: AppleEnvironment = a.status === RECEIPT_STATUS.SANDBOX_RECEIPT ? 'sandbox' : 'production';
    if (other === env) throw environmentConflict(env, a.status);
    if (other === 'sandbox' && !ctx.cfg.allow_sandbox) checkAppAndEnvironment(ctx.cfg, ctx.cfg.bundle_id, 'sandbox');
    env = other;
    a = await call(ctx, env, body);
    if (isRouting(a.status)) throw environmentConflict(env, a.status);
  }
  if (a.status !== RECEIPT_STATUS.OK && a.status !== RECEIPT_STATUS.SUBSCRIPTION_EXPIRED) {
    const retryable = a['is-retryable'] === true || a['is-retryable'] === 1 || a['is-retryable'] === '1';
    throw receiptStatusError(a.status, retryable);
  }
  const receipt = a.receipt;
  if (typeof receipt !== 'object' || receipt === null) throw badResponse(env, `status ${a.status} without a receipt`);
  const r = receipt as Record<string, unknown>;
  // Apple reports the environment it verified in; it must be the endpoint's own.
  const reported = a.environment === 'Sandbox' ? 'sandbox' : a.environment === 'Production' ? 'production' : env;
  if (reported !== env) throw badResponse(env, `it says environment ${JSON.stringify(a.environment)}`);
  checkAppAndEnvironment(ctx.cfg, r.bundle_id, env);
  return {
    object: 'apple.receipt',
    livemode: ctx.livemode,
    environment: env,
    apple_status: a.status as 0 | 21006,
    subscription_expired: a.status === RECEIPT_STATUS.SUBSCRIPTION_EXPIRED,
    bundle_id: r.bundle_id as string,
    application_version: text(r.application_version),
    original_application_version: text(r.original_application_version),
    receipt_creation_date: seconds(r.receipt_creation_date_ms),
    in_app: list(r.in_app).map(purchase),
    latest_receipt_info: list(a.latest_receipt_info).map(purchase),
    pending_renewal_info: list(a.pending_renewal_info).map(renewal),
    latest_receipt: text(a.latest_receipt),
  };
}

function environmentConflict(env: AppleEnvironment, status: number): ShouyinError {
  return new ShouyinError(
    ErrorType.provider,
    'apple_environment_conflict',
    `The ${env} verifyReceipt endpoint answered ${status}, sending the receipt back to the environment that had just refused it; check verify_receipt_url / sandbox_url.`,
  );
}

// ── normalisation: verifyReceipt sends most values as strings ("1", "true", "1609459200000") ──

function list(v: unknown): Record<string, unknown>[] {
  return Array.isArray(v) ? v.filter((x): x is Record<string, unknown> => typeof x === 'object' && x !== null) : [];
}

function text(v: unknown): string | null {
  if (typeof v === 'string' && v !== '') return v;
  if (typeof v === 'number') return String(v);
  return null;
}

function num(v: unknown): number | null {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : NaN;
  return Number.isFinite(n) ? n : null;
}

/** `*_ms` fields (Unix milliseconds as a string) → Unix seconds. */
function seconds(v: unknown): number | null {
  const n = num(v);
  return n === null ? null : Math.floor(n / 1000);
}

const flag = (v: unknown): boolean => v === true || v === 'true' || v === '1' || v === 1;

function purchase(p: Record<string, unknown>): ReceiptPurchase {
  return {
    product_id: text(p.product_id),
    quantity: num(p.quantity) ?? 1,
    transaction_id: text(p.transaction_id),
    original_transaction_id: text(p.original_transaction_id),
    purchase_date: seconds(p.purchase_date_ms),
    original_purchase_date: seconds(p.original_purchase_date_ms),
    expires_date: seconds(p.expires_date_ms),
    cancellation_date: seconds(p.cancellation_date_ms),
    cancellation_reason: text(p.cancellation_reason),
    is_trial_period: flag(p.is_trial_period),
    is_in_intro_offer_period: flag(p.is_in_intro_offer_period),
    web_order_line_item_id: text(p.web_order_line_item_id),
    subscription_group_identifier: text(p.subscription_group_identifier),
    in_app_ownership_type: text(p.in_app_ownership_type),
    app_account_token: text(p.app_account_token),
  };
}

function renewal(p: Record<string, unknown>): ReceiptRenewal {
  return {
    product_id: text(p.product_id),
    auto_renew_product_id: text(p.auto_renew_product_id),
    original_transaction_id: text(p.original_transaction_id),
    auto_renew_status: flag(p.auto_renew_status),
    expiration_intent: num(p.expiration_intent),
    is_in_billing_retry_period: flag(p.is_in_billing_retry_period),
    grace_period_expires_date: seconds(p.grace_period_expires_date_ms),
  };
}
