// The Apple sandbox (test mode only), mounted at /sandbox/apple:
//   POST /verifyReceipt           the production verifyReceipt (buy.itunes.apple.com) simulator
//   POST /sandbox/verifyReceipt   the sandbox one (sandbox.itunes.apple.com)
//   /_control/…                   mint receipts, signed transactions and notifications (control.ts)
// Both endpoints know only receipts minted by /_control/receipts, for test merchants, and follow
// Apple's routing rule: a sandbox receipt at production is 21007, a production one at the sandbox 21008.

import { Hono, type Context } from 'hono';
import { loadConfig } from '../config';
import { RECEIPT_STATUS, isInternalStatus } from '../../../worker/src/apple/status';
import type { SandboxEnv } from '../types';
import { appleControl } from './control';
import { openReceipt, receiptAnswer } from './receipts';

export const appleSandbox = new Hono<SandboxEnv>();

appleSandbox.route('/_control', appleControl);

// Apple answers every verifyReceipt request with HTTP 200 and a JSON `status`.
async function simulate(c: Context<SandboxEnv>, endpoint: 'Production' | 'Sandbox'): Promise<Response> {
  const answer = (status: number, extra: Record<string, unknown> = {}) => c.json({ status, ...extra });
  if (c.req.method !== 'POST') return answer(RECEIPT_STATUS.BAD_JSON);
  let body: unknown;
  try {
    body = JSON.parse(await c.req.text());
  } catch {
    return answer(RECEIPT_STATUS.BAD_JSON);
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return answer(RECEIPT_STATUS.BAD_JSON);
  const b = body as Record<string, unknown>;
  const data = b['receipt-data'];
  if (typeof data !== 'string' || data === '') return answer(RECEIPT_STATUS.MALFORMED);
  const opened = await openReceipt(loadConfig(c.env), data);
  if (opened.kind === 'malformed') return answer(RECEIPT_STATUS.MALFORMED);
  if (opened.kind === 'unauthenticated') return answer(RECEIPT_STATUS.NOT_AUTHENTICATED);
  const { receipt: r, merchant } = opened;
  if (r.environment !== endpoint) {
    return answer(endpoint === 'Production' ? RECEIPT_STATUS.SANDBOX_RECEIPT : RECEIPT_STATUS.PRODUCTION_RECEIPT);
  }
  // The shared secret: a wrong one is always 21004; a missing one is 21004 for receipts holding
  // auto-renewable subscriptions (the simulator's reading of Apple's "password" rule).
  const password = b.password;
  const hasSubscription = r.purchases.some((p) => p.expires_date_ms !== undefined);
  if (password !== undefined ? password !== merchant.apple?.shared_secret : hasSubscription) {
    return answer(RECEIPT_STATUS.SHARED_SECRET_MISMATCH, { environment: r.environment });
  }
  const now = Date.now();
  const opts = { withPassword: password !== undefined, excludeOld: b['exclude-old-transactions'] === true };
  if (r.force_status !== undefined) {
    if (r.force_status === RECEIPT_STATUS.SUBSCRIPTION_EXPIRED) return c.json(receiptAnswer(r, data, now, { ...opts, status: r.force_status }));
    return answer(r.force_status, { environment: r.environment, ...(isInternalStatus(r.force_status) ? { 'is-retryable': r.is_retryable === true } : {}) });
  }
  return c.json(receiptAnswer(r, data, now, { ...opts, status: RECEIPT_STATUS.OK }));
}

appleSandbox.all('/verifyReceipt', (c) => simulate(c, 'Production'));
appleSandbox.all('/sandbox/verifyReceipt', (c) => simulate(c, 'Sandbox'));
