import { describe, expect, it } from 'vitest';
import { ShouyinError, VerificationError } from '../lib/errors';
import type { AppleConfig } from './config';
import { APPLE_VERIFY_RECEIPT_URLS, receiptEndpoints, verifyReceipt, type ReceiptContext } from './receipt';

const CFG: AppleConfig = { bundle_id: 'com.example.app', environment: 'production', allow_sandbox: true, shared_secret: 'ab'.repeat(16) };

const ok = (environment: 'Sandbox' | 'Production', extra: Record<string, unknown> = {}) => ({
  status: 0,
  environment,
  receipt: {
    bundle_id: 'com.example.app',
    application_version: '42',
    receipt_creation_date_ms: '1700000000000',
    in_app: [
      {
        quantity: '2',
        product_id: 'coins',
        transaction_id: '1000',
        original_transaction_id: '1000',
        purchase_date_ms: '1700000001999',
        original_purchase_date_ms: '1700000001999',
        is_trial_period: 'false',
      },
    ],
  },
  ...extra,
});

/** Apple at two URLs: `answers[env]` is the JSON (or a Response) each endpoint gives, in order. */
function apple(answers: Partial<Record<'production' | 'sandbox', unknown[]>>, cfg: AppleConfig = CFG) {
  const calls: { env: string; body: Record<string, unknown> }[] = [];
  const endpoints = { production: 'https://prod.test/verifyReceipt', sandbox: 'https://sandbox.test/verifyReceipt' };
  const ctx: ReceiptContext = {
    cfg,
    livemode: true,
    endpoints,
    fetch: async (req) => {
      const env = req.url === endpoints.production ? 'production' : 'sandbox';
      calls.push({ env, body: (await req.json()) as Record<string, unknown> });
      const a = answers[env]?.shift();
      if (a === undefined) throw new Error(`unexpected call to ${env}`);
      if (a instanceof Error) throw a;
      return a instanceof Response ? a : Response.json(a);
    },
  };
  return { ctx, calls };
}

async function failure(p: Promise<unknown>): Promise<{ code: string; status?: number; kind: string }> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ShouyinError) return { code: e.code, status: e.status, kind: 'shouyin' };
    if (e instanceof VerificationError) return { code: e.code, kind: 'verification' };
    throw e;
  }
  return { code: 'ok', kind: 'none' };
}

describe('verifyReceipt', () => {
  it('asks production first and sends receipt-data, password and exclude-old-transactions', async () => {
    const { ctx, calls } = apple({ production: [ok('Production')] });
    const r = await verifyReceipt(ctx, 'cmVjZWlwdA==', true);
    expect(calls).toEqual([{ env: 'production', body: { 'receipt-data': 'cmVjZWlwdA==', password: CFG.shared_secret, 'exclude-old-transactions': true } }]);
    expect(r).toMatchObject({
      object: 'apple.receipt',
      environment: 'production',
      apple_status: 0,
      subscription_expired: false,
      bundle_id: 'com.example.app',
      receipt_creation_date: 1700000000,
    });
    expect(r.in_app).toEqual([
      expect.objectContaining({
        product_id: 'coins',
        quantity: 2,
        transaction_id: '1000',
        purchase_date: 1700000001,
        expires_date: null,
        cancellation_date: null,
        is_trial_period: false,
      }),
    ]);
  });

  it('21007 → the sandbox', async () => {
    const { ctx, calls } = apple({ production: [{ status: 21007 }], sandbox: [ok('Sandbox')] });
    expect((await verifyReceipt(ctx, 'eA==')).environment).toBe('sandbox');
    expect(calls.map((c) => c.env)).toEqual(['production', 'sandbox']);
  });

  it('21008 → production, when the sandbox is asked first', async () => {
    const { ctx, calls } = apple({ sandbox: [{ status: 21008 }], production: [ok('Production')] }, { ...CFG, environment: 'sandbox' });
    expect((await verifyReceipt(ctx, 'eA==')).environment).toBe('production');
    expect(calls.map((c) => c.env)).toEqual(['sandbox', 'production']);
  });

  it('one hop only: Apple contradicting itself is an error, never a loop', async () => {
    const a = apple({ production: [{ status: 21007 }], sandbox: [{ status: 21008 }] });
    expect(await failure(verifyReceipt(a.ctx, 'eA=='))).toMatchObject({ code: 'apple_environment_conflict', status: 502 });
    expect(a.calls).toHaveLength(2);
    const b = apple({ production: [{ status: 21008 }] });
    expect(await failure(verifyReceipt(b.ctx, 'eA=='))).toMatchObject({ code: 'apple_environment_conflict' });
  });

  it('allow_sandbox false: a 21007 is refused without asking the sandbox', async () => {
    const { ctx, calls } = apple({ production: [{ status: 21007 }] }, { ...CFG, allow_sandbox: false });
    expect(await failure(verifyReceipt(ctx, 'eA=='))).toEqual({ code: 'environment_mismatch', kind: 'verification' });
    expect(calls).toHaveLength(1);
  });

  it('refuses a genuine receipt of another app', async () => {
    const other = ok('Production');
    other.receipt.bundle_id = 'com.other.app';
    const { ctx } = apple({ production: [other] });
    expect(await failure(verifyReceipt(ctx, 'eA=='))).toEqual({ code: 'bundle_id_mismatch', kind: 'verification' });
  });

  it('21006 is an answer: valid, subscription expired', async () => {
    const { ctx } = apple({ production: [{ ...ok('Production'), status: 21006 }] });
    expect(await verifyReceipt(ctx, 'eA==')).toMatchObject({ apple_status: 21006, subscription_expired: true });
  });

  it('maps error statuses, passing is-retryable on', async () => {
    expect(await failure(verifyReceipt(apple({ production: [{ status: 21003 }] }).ctx, 'eA=='))).toMatchObject({
      code: 'receipt_not_authenticated',
      status: 400,
    });
    expect(await failure(verifyReceipt(apple({ production: [{ status: 21150, 'is-retryable': true }] }).ctx, 'eA=='))).toMatchObject({
      code: 'apple_unavailable',
    });
    expect(await failure(verifyReceipt(apple({ production: [{ status: 21150, 'is-retryable': false }] }).ctx, 'eA=='))).toMatchObject({
      code: 'apple_internal_error',
    });
    // An error after the fallback is the second environment's.
    expect(await failure(verifyReceipt(apple({ production: [{ status: 21007 }], sandbox: [{ status: 21004 }] }).ctx, 'eA=='))).toMatchObject({
      code: 'apple_shared_secret_mismatch',
      status: 500,
    });
  });

  it('transport problems are provider errors', async () => {
    expect(await failure(verifyReceipt(apple({ production: [new Response('busy', { status: 503 })] }).ctx, 'eA=='))).toMatchObject({
      code: 'apple_unavailable',
      status: 502,
    });
    expect(await failure(verifyReceipt(apple({ production: [new Response('<html>')] }).ctx, 'eA=='))).toMatchObject({ code: 'apple_bad_response' });
    expect(await failure(verifyReceipt(apple({ production: [{ environment: 'Production' }] }).ctx, 'eA=='))).toMatchObject({ code: 'apple_bad_response' });
    expect(await failure(verifyReceipt(apple({ production: [{ status: 0, environment: 'Production' }] }).ctx, 'eA=='))).toMatchObject({
      code: 'apple_bad_response',
    });
    expect(await failure(verifyReceipt(apple({ production: [ok('Sandbox')] }).ctx, 'eA=='))).toMatchObject({ code: 'apple_bad_response' });
    const timeout = Object.assign(new Error('The operation timed out.'), { name: 'TimeoutError' });
    const t = await failure(verifyReceipt(apple({ production: [timeout] }).ctx, 'eA=='));
    expect(t).toMatchObject({ code: 'apple_unreachable', status: 502 });
  });

  it('sends no password when none is configured', async () => {
    const { ctx, calls } = apple({ production: [ok('Production')] }, { bundle_id: 'com.example.app', environment: 'production', allow_sandbox: true });
    await verifyReceipt(ctx, 'eA==');
    expect(calls[0]?.body).toEqual({ 'receipt-data': 'eA==' });
  });

  it('normalises subscriptions: latest_receipt_info and pending_renewal_info', async () => {
    const { ctx } = apple({
      production: [
        ok('Production', {
          latest_receipt: 'bGF0ZXN0',
          latest_receipt_info: [
            {
              product_id: 'pro.monthly',
              transaction_id: '2001',
              original_transaction_id: '2000',
              purchase_date_ms: '1700000000000',
              expires_date_ms: '1702592000000',
              cancellation_date_ms: '1701000000000',
              cancellation_reason: '1',
              is_in_intro_offer_period: 'true',
              web_order_line_item_id: '9001',
            },
          ],
          pending_renewal_info: [
            {
              product_id: 'pro.monthly',
              auto_renew_product_id: 'pro.yearly',
              original_transaction_id: '2000',
              auto_renew_status: '0',
              expiration_intent: '1',
              is_in_billing_retry_period: '0',
              grace_period_expires_date_ms: '1702600000000',
            },
          ],
        }),
      ],
    });
    const r = await verifyReceipt(ctx, 'eA==');
    expect(r.latest_receipt).toBe('bGF0ZXN0');
    expect(r.latest_receipt_info[0]).toMatchObject({
      product_id: 'pro.monthly',
      quantity: 1,
      expires_date: 1702592000,
      cancellation_date: 1701000000,
      cancellation_reason: '1',
      is_in_intro_offer_period: true,
      web_order_line_item_id: '9001',
    });
    expect(r.pending_renewal_info[0]).toEqual({
      product_id: 'pro.monthly',
      auto_renew_product_id: 'pro.yearly',
      original_transaction_id: '2000',
      auto_renew_status: false,
      expiration_intent: 1,
      is_in_billing_retry_period: false,
      grace_period_expires_date: 1702600000,
    });
  });

  it('endpoints: Apple for live merchants, the built-in simulator for test ones, overrides win', () => {
    expect(receiptEndpoints(CFG, true, 'https://pay.example')).toEqual(APPLE_VERIFY_RECEIPT_URLS);
    expect(receiptEndpoints(CFG, false, 'https://pay.example')).toEqual({
      production: 'https://pay.example/sandbox/apple/verifyReceipt',
      sandbox: 'https://pay.example/sandbox/apple/sandbox/verifyReceipt',
    });
    expect(receiptEndpoints({ ...CFG, sandbox_url: 'https://s.example/v' }, false, 'https://pay.example').sandbox).toBe('https://s.example/v');
  });
});
