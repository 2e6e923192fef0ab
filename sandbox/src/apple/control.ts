// The Apple sandbox's control surface (test mode only): what a test app would get from the App
// Store, minted on demand. `Authorization: Bearer <a test merchant's sk_test_ key>`; the merchant
// must have an `apple` section, whose bundle_id is the default everywhere.
//   POST /receipts       → {receipt_data}: a receipt for the verifyReceipt simulator
//   POST /transactions   → {signed_transaction}: a StoreKit 2 signedTransactionInfo
//   POST /notifications  → {signed_payload}: an App Store Server Notification V2, optionally sent
//   GET  /root_certificate → {root_certificate}: the PEM to pin in the merchant's apple.root_certificates
// Every call takes `defect` (transactions, notifications) or `status` (receipts) to exercise a
// refusal. Times in requests are Unix seconds, as in Shouyin's API.

import { Hono, type Context } from 'hono';
import type { AppleConfig } from '../../../worker/src/apple/config';
import { isInternalStatus, RECEIPT_STATUS } from '../../../worker/src/apple/status';
import type { MerchantConfig } from '../../../worker/src/config';
import { loadConfig, merchantByKey } from '../config';
import { OUTBOUND_TIMEOUT_MS } from '../../../worker/src/lib/outbound';
import { dispatch } from '../common/dispatch';
import type { SandboxEnv } from '../types';
import { sandboxRootPem } from './pki';
import { mintReceipt, type SandboxPurchase } from './receipts';
import { DEFECTS, TRANSACTION_TYPES, renewalPayload, sandboxSign, sandboxTransactionId, transactionPayload, type Defect, type TransactionSpec } from './signer';

type Vars = { merchant: MerchantConfig; apple: AppleConfig };
type Ctx = Context<SandboxEnv & { Variables: Vars }>;

export const appleControl = new Hono<SandboxEnv & { Variables: Vars }>();

class BadRequest extends Error {
  constructor(
    readonly param: string,
    message: string,
  ) {
    super(message);
  }
}

const err = (c: Ctx, status: 400 | 401 | 404, code: string, message: string, param?: string) =>
  c.json({ error: { type: status === 401 ? 'authentication_error' : 'invalid_request_error', code, message, ...(param ? { param } : {}) } }, status);

appleControl.use('*', async (c, next) => {
  const key = /^Bearer (\S+)$/.exec(c.req.header('Authorization') ?? '')?.[1] ?? '';
  const merchant = key ? await merchantByKey(loadConfig(c.env), key) : undefined;
  if (!merchant) return err(c, 401, 'invalid_api_key', "Send Authorization: Bearer <a test merchant's sk_test_ key> to use the Apple sandbox.");
  if (merchant.livemode) return err(c, 404, 'not_found', 'The sandbox serves test (sk_test_) merchants only.');
  if (!merchant.apple) return err(c, 404, 'not_found', `Merchant ${merchant.id} has no apple section in SHOUYIN_CONFIG.`);
  c.set('merchant', merchant);
  c.set('apple', merchant.apple);
  await next();
});

appleControl.onError((e, c) => {
  if (e instanceof BadRequest) return err(c as Ctx, 400, 'parameter_invalid', e.message, e.param);
  console.error('apple sandbox control error', e instanceof Error ? (e.stack ?? e.message) : String(e));
  return c.json({ error: { type: 'api_error', code: 'internal_error', message: 'The Apple sandbox failed; see the Worker log.' } }, 500);
});

async function body(c: Ctx): Promise<Record<string, unknown>> {
  const text = await c.req.text();
  if (text.trim() === '') return {};
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new BadRequest('(body)', 'The body must be a JSON object.');
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new BadRequest('(body)', 'The body must be a JSON object.');
  return v as Record<string, unknown>;
}

// ── field readers ───────────────────────────────────────────────────────────────────────────────

function only(o: Record<string, unknown>, allowed: readonly string[], path = ''): void {
  for (const k of Object.keys(o))
    if (!allowed.includes(k)) throw new BadRequest(`${path}${k}`, `Unknown parameter ${path}${k}; allowed: ${allowed.join(', ')}.`);
}

function text(o: Record<string, unknown>, k: string, fallback?: string, path = ''): string {
  const v = o[k] ?? fallback;
  if (typeof v !== 'string' || v === '' || v.length > 200) throw new BadRequest(`${path}${k}`, `${path}${k} must be a string of 1–200 characters.`);
  return v;
}

function seconds(o: Record<string, unknown>, k: string, path = ''): number | undefined {
  const v = o[k];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw new BadRequest(`${path}${k}`, `${path}${k} must be a Unix time in seconds.`);
  return v * 1000;
}

function environment(o: Record<string, unknown>): 'Sandbox' | 'Production' {
  const v = o.environment ?? 'sandbox';
  if (v !== 'sandbox' && v !== 'production') throw new BadRequest('environment', 'environment must be "sandbox" (the default) or "production".');
  return v === 'sandbox' ? 'Sandbox' : 'Production';
}

function defect(o: Record<string, unknown>): Defect | undefined {
  const v = o.defect;
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !(DEFECTS as readonly string[]).includes(v)) throw new BadRequest('defect', `defect must be one of ${DEFECTS.join(', ')}.`);
  return v as Defect;
}

function quantity(o: Record<string, unknown>, path = ''): number {
  const v = o.quantity ?? 1;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 10)
    throw new BadRequest(`${path}quantity`, `${path}quantity must be an integer from 1 to 10.`);
  return v;
}

// ── receipts ────────────────────────────────────────────────────────────────────────────────────

const PURCHASE_KEYS = [
  'product_id',
  'quantity',
  'transaction_id',
  'original_transaction_id',
  'purchase_date',
  'expires_date',
  'cancellation_date',
  'cancellation_reason',
];

function purchase(v: unknown, i: number, now: number): SandboxPurchase {
  const path = `purchases[${i}].`;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new BadRequest(`purchases[${i}]`, 'Each purchase must be an object.');
  const o = v as Record<string, unknown>;
  only(o, PURCHASE_KEYS, path);
  const id = o.transaction_id === undefined ? sandboxTransactionId() : text(o, 'transaction_id', undefined, path);
  const purchased = seconds(o, 'purchase_date', path) ?? now;
  const reason = o.cancellation_reason;
  if (reason !== undefined && reason !== '0' && reason !== '1')
    throw new BadRequest(`${path}cancellation_reason`, `${path}cancellation_reason must be "0" or "1".`);
  const expires = seconds(o, 'expires_date', path);
  const cancelled = seconds(o, 'cancellation_date', path);
  return {
    product_id: text(o, 'product_id', undefined, path),
    quantity: quantity(o, path),
    transaction_id: id,
    original_transaction_id: o.original_transaction_id === undefined ? id : text(o, 'original_transaction_id', undefined, path),
    purchase_date_ms: purchased,
    original_purchase_date_ms: purchased,
    ...(expires !== undefined ? { expires_date_ms: expires, web_order_line_item_id: `${id.slice(0, 12)}0001` } : {}),
    ...(cancelled !== undefined ? { cancellation_date_ms: cancelled, cancellation_reason: (reason ?? '0') as '0' | '1' } : {}),
  };
}

/**
 * `{product_id | purchases:[{product_id, quantity?, transaction_id?, original_transaction_id?,
 * purchase_date?, expires_date?, cancellation_date?, cancellation_reason?}], environment?,
 * bundle_id?, status?, is_retryable?}` → 201 `{receipt_data, environment, bundle_id, purchases}`.
 */
// Shouyin trusts no built-in root: a test merchant pins this one to accept what the sandbox signs.
appleControl.get('/root_certificate', async (c) => c.json({ root_certificate: await sandboxRootPem(c.var.merchant) }));

appleControl.post('/receipts', async (c) => {
  const b = await body(c);
  only(b, ['product_id', 'purchases', 'environment', 'bundle_id', 'status', 'is_retryable']);
  const now = Date.now();
  let purchases: SandboxPurchase[];
  if (b.purchases !== undefined) {
    if (b.product_id !== undefined) throw new BadRequest('product_id', 'Give product_id or purchases, not both.');
    if (!Array.isArray(b.purchases) || b.purchases.length > 50) throw new BadRequest('purchases', 'purchases must be an array of up to 50 purchases.');
    purchases = b.purchases.map((p, i) => purchase(p, i, now));
  } else {
    purchases = b.product_id === undefined ? [] : [purchase({ product_id: b.product_id }, 0, now)];
  }
  const status = b.status;
  if (status !== undefined) {
    const known = (typeof status === 'number' && status >= 21000 && status <= 21010) || (typeof status === 'number' && isInternalStatus(status));
    if (!known || !Number.isInteger(status) || status === RECEIPT_STATUS.SANDBOX_RECEIPT || status === RECEIPT_STATUS.PRODUCTION_RECEIPT) {
      throw new BadRequest('status', 'status must be a verifyReceipt error status (21000–21010 or 21100–21199); 21007 and 21008 come from environment.');
    }
  }
  if (b.is_retryable !== undefined && typeof b.is_retryable !== 'boolean') throw new BadRequest('is_retryable', 'is_retryable must be true or false.');
  const env = environment(b);
  const bundle = text(b, 'bundle_id', c.var.apple.bundle_id);
  const receiptData = await mintReceipt(c.var.merchant, {
    merchant: c.var.merchant.id,
    environment: env,
    bundle_id: bundle,
    application_version: '1.0',
    created_ms: now,
    purchases,
    ...(status !== undefined ? { force_status: status as number } : {}),
    ...(b.is_retryable !== undefined ? { is_retryable: b.is_retryable as boolean } : {}),
  });
  return c.json(
    {
      receipt_data: receiptData,
      environment: env.toLowerCase(),
      bundle_id: bundle,
      purchases: purchases.map((p) => ({ product_id: p.product_id, transaction_id: p.transaction_id, original_transaction_id: p.original_transaction_id })),
    },
    201,
  );
});

// ── signed transactions ─────────────────────────────────────────────────────────────────────────

const TRANSACTION_KEYS = [
  'product_id',
  'bundle_id',
  'environment',
  'type',
  'transaction_id',
  'original_transaction_id',
  'quantity',
  'purchase_date',
  'expires_date',
  'revocation_date',
  'revocation_reason',
  'app_account_token',
  'signed_date',
];

function transactionSpec(o: Record<string, unknown>, apple: AppleConfig, now: number, path = ''): TransactionSpec {
  only(o, TRANSACTION_KEYS, path);
  const type = o.type ?? (o.expires_date !== undefined ? 'Auto-Renewable Subscription' : 'Consumable');
  if (typeof type !== 'string' || !(TRANSACTION_TYPES as readonly string[]).includes(type))
    throw new BadRequest(`${path}type`, `${path}type must be one of ${TRANSACTION_TYPES.join(', ')}.`);
  const reason = o.revocation_reason;
  if (reason !== undefined && reason !== 0 && reason !== 1) throw new BadRequest(`${path}revocation_reason`, `${path}revocation_reason must be 0 or 1.`);
  const id = o.transaction_id === undefined ? sandboxTransactionId() : text(o, 'transaction_id', undefined, path);
  const expires = seconds(o, 'expires_date', path);
  const revoked = seconds(o, 'revocation_date', path);
  return {
    product_id: text(o, 'product_id', undefined, path),
    bundle_id: text(o, 'bundle_id', apple.bundle_id, path),
    environment: environment(o),
    type: type as TransactionSpec['type'],
    transaction_id: id,
    original_transaction_id: o.original_transaction_id === undefined ? id : text(o, 'original_transaction_id', undefined, path),
    quantity: quantity(o, path),
    purchase_date_ms: seconds(o, 'purchase_date', path) ?? now,
    ...(expires !== undefined ? { expires_date_ms: expires } : {}),
    ...(revoked !== undefined ? { revocation_date_ms: revoked, revocation_reason: (reason ?? 0) as 0 | 1 } : {}),
    ...(o.app_account_token !== undefined ? { app_account_token: text(o, 'app_account_token', undefined, path) } : {}),
    signed_date_ms: seconds(o, 'signed_date', path) ?? now,
  };
}

/** Transaction fields (see TRANSACTION_KEYS) + `defect?` → 201 `{signed_transaction, transaction_id}`. */
appleControl.post('/transactions', async (c) => {
  const b = await body(c);
  const d = defect(b);
  const { defect: _d, ...fields } = b;
  const spec = transactionSpec(fields, c.var.apple, Date.now());
  const token = await sandboxSign(c.var.merchant, transactionPayload(spec), d);
  return c.json({ signed_transaction: token, transaction_id: spec.transaction_id }, 201);
});

// ── App Store Server Notifications V2 ───────────────────────────────────────────────────────────

/**
 * `{notification_type, subtype?, transaction?: {…transaction fields}, environment?, bundle_id?,
 * app_apple_id? (null: none), defect?, send?}` → 201 `{signed_payload, notification_uuid, delivery?}`. `send: true`
 * posts it to this merchant's /notify/apple/:merchant at once and reports the answer. A Production
 * notification carries `appAppleId` (the merchant's apple.app_apple_id, or `app_apple_id`), as Apple's
 * do; a Sandbox one carries none (https://developer.apple.com/documentation/appstoreservernotifications/data).
 */
appleControl.post('/notifications', async (c) => {
  const b = await body(c);
  only(b, ['notification_type', 'subtype', 'transaction', 'environment', 'bundle_id', 'app_apple_id', 'defect', 'send']);
  const d = defect(b);
  const type = text(b, 'notification_type');
  if (!/^[A-Z_]{1,64}$/.test(type))
    throw new BadRequest('notification_type', 'notification_type must be an App Store notification type such as ONE_TIME_CHARGE, DID_RENEW or REFUND.');
  const now = Date.now();
  const env = environment(b);
  const bundle = text(b, 'bundle_id', c.var.apple.bundle_id);
  const data: Record<string, unknown> = { bundleId: bundle, bundleVersion: '1', environment: env };
  if (b.app_apple_id !== undefined && b.app_apple_id !== null && (typeof b.app_apple_id !== 'number' || !Number.isSafeInteger(b.app_apple_id)))
    throw new BadRequest('app_apple_id', 'app_apple_id must be a whole number, or null for none.');
  const appAppleId = b.app_apple_id === null ? undefined : ((b.app_apple_id as number | undefined) ?? c.var.apple.app_apple_id);
  if (env === 'Production' && appAppleId !== undefined) data.appAppleId = appAppleId;
  if (b.transaction !== undefined) {
    if (typeof b.transaction !== 'object' || b.transaction === null || Array.isArray(b.transaction))
      throw new BadRequest('transaction', 'transaction must be an object.');
    const t = b.transaction as Record<string, unknown>;
    const spec = transactionSpec({ environment: env.toLowerCase(), bundle_id: bundle, ...t }, c.var.apple, now, 'transaction.');
    data.signedTransactionInfo = await sandboxSign(c.var.merchant, transactionPayload(spec));
    if (spec.type === 'Auto-Renewable Subscription') {
      data.signedRenewalInfo = await sandboxSign(c.var.merchant, renewalPayload(spec));
      data.status = spec.revocation_date_ms !== undefined ? 5 : 1;
    }
  }
  const uuid = crypto.randomUUID();
  const payload = {
    notificationType: type,
    ...(b.subtype !== undefined ? { subtype: text(b, 'subtype') } : {}),
    notificationUUID: uuid,
    data,
    version: '2.0',
    signedDate: now,
  };
  const signed = await sandboxSign(c.var.merchant, payload, d);
  let delivery: { status: number; body: string } | undefined;
  if (b.send === true) {
    const config = loadConfig(c.env);
    const res = await dispatch(
      new Request(`${config.public_base_url}/notify/apple/${c.var.merchant.id}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'App Store Server Notifications (Shouyin sandbox)' },
        body: JSON.stringify({ signedPayload: signed }),
        signal: AbortSignal.timeout(OUTBOUND_TIMEOUT_MS),
      }),
      config.public_base_url,
    );
    delivery = { status: res.status, body: await res.text() };
  } else if (b.send !== undefined && b.send !== false) {
    throw new BadRequest('send', 'send must be true or false.');
  }
  return c.json({ signed_payload: signed, notification_uuid: uuid, ...(delivery ? { delivery } : {}) }, 201);
});
