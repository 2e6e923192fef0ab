// The parts of the `_control` surfaces (conventions: "a control surface for tests") that do not
// depend on the provider: who is calling (a test merchant's sk_test_ key), the error shape, and the
// simulated clock. Each provider then finds its own sandbox for the merchant and scopes calls by it.

import type { Context } from 'hono';
import type { MerchantConfig } from '../../../worker/src/config';
import { loadConfig, merchantByKey, type SandboxedConfig } from '../config';

// biome-ignore lint/suspicious/noExplicitAny: any provider's Hono context (each has its own env type)
type AnyCtx = Context<any>;

/** The control surfaces answer errors in the gateway's own JSON shape, so SDK-style clients read them. */
export const controlError = (c: AnyCtx, status: 400 | 401 | 404, code: string, message: string) =>
  c.json({ error: { type: status === 401 ? 'authentication_error' : 'invalid_request_error', code, message } }, status);

/**
 * The merchant named by `Authorization: Bearer sk_…`, or the error Response to answer with.
 * Keys are compared as hashes, in constant time, as on the real API.
 */
export async function controlMerchant(c: AnyCtx): Promise<{ config: SandboxedConfig; merchant: MerchantConfig } | Response> {
  const config = loadConfig(c.env);
  const key = /^Bearer (\S+)$/.exec(c.req.header('Authorization') ?? '')?.[1] ?? '';
  const merchant = key ? await merchantByKey(config, key) : undefined;
  if (!merchant)
    return controlError(c, 401, 'invalid_api_key', "Send Authorization: Bearer <a test merchant's sk_test_ key> to use the sandbox control surface.");
  // The sandbox never acts for a live merchant, whatever key it shows.
  if (merchant.livemode) return controlError(c, 404, 'not_found', 'The sandbox serves test (sk_test_) merchants only.');
  return { config, merchant };
}

/**
 * `POST /clock`: `{"advance_seconds": n}` moves the simulator's clock forward; `{"reset": true}`
 * undoes it. A body that is not a JSON object counts as `{}`.
 */
export async function clockRoute(c: AnyCtx, advanceClock: (ms: number | null) => Promise<number>): Promise<Response> {
  let b: Record<string, unknown> = {};
  const text = await c.req.text();
  try {
    const v: unknown = text.trim() === '' ? {} : JSON.parse(text);
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) b = v as Record<string, unknown>;
  } catch {
    // Unparseable: treated as {} and refused below, as before.
  }
  const s = b.advance_seconds;
  if (b.reset !== true && (typeof s !== 'number' || !(s >= 0) || s > 366 * 86400)) {
    return controlError(c, 400, 'parameter_invalid', 'Send {"advance_seconds": n} with n ≥ 0, or {"reset": true}.');
  }
  const now = await advanceClock(b.reset === true ? null : (s as number) * 1000);
  return c.json({ now: new Date(now).toISOString() });
}

/**
 * The `{"notify":"normal"|"drop"|"duplicate","copies":n}` options of a control `pay`, checked the
 * same way for every provider; the error Response when they are not valid.
 */
export function notifyMode(c: AnyCtx, b: Record<string, unknown>): { notify: 'normal' | 'drop' | 'duplicate'; copies: number } | Response {
  const notify = b.notify ?? 'normal';
  if (notify !== 'normal' && notify !== 'drop' && notify !== 'duplicate')
    return controlError(c, 400, 'parameter_invalid', 'notify must be "normal", "drop" or "duplicate".');
  const copies = b.copies ?? 2;
  if (notify === 'duplicate' && (typeof copies !== 'number' || !Number.isInteger(copies) || copies < 2 || copies > 20)) {
    return controlError(c, 400, 'parameter_invalid', 'copies must be an integer from 2 to 20 (used with notify "duplicate").');
  }
  return { notify, copies: typeof copies === 'number' ? copies : 2 };
}

/** A control call's JSON object body: `{}` when empty, null when it is not a JSON object. */
export async function controlBody(c: AnyCtx): Promise<Record<string, unknown> | null> {
  const text = await c.req.text();
  if (text.trim() === '') return {};
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** The body of a `/orders/:no/pay` control call: how to notify, or the 400 that says why not. */
export async function payRequest(c: AnyCtx): Promise<{ notify: 'normal' | 'drop' | 'duplicate'; copies: number } | Response> {
  const b = await controlBody(c);
  if (!b) return controlError(c, 400, 'invalid_json', 'The body must be JSON: {"notify":"normal"|"drop"|"duplicate","copies":n}.');
  return notifyMode(c, b);
}
