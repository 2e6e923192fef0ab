// The test control surface of the WeChat Pay simulator (conventions: "a control surface for tests").
// JSON, test merchants only: `Authorization: Bearer sk_test_…` names the merchant, whose mchid
// scopes every call. Workerd integration tests and browser tests drive payments through it.

import { Hono, type Context } from 'hono';
import { loadConfig, type MerchantConfig } from '../../config';
import { timingSafeEqual } from '../../crypto/timing-safe';
import type { NotifyMode } from '../ledger';
import { ledgerSettings, type LedgerSettings } from '../settings';
import { wechatLedger, type SandboxEnv } from '../types';
import { boundAppids, testWechatMerchant, type SandboxMerchant } from './merchants';
import { sandboxOpenid } from './openid';

type Vars = { merchant: MerchantConfig; wechat: { mchid: string }; found: SandboxMerchant; settings: LedgerSettings };
type Ctx = Context<SandboxEnv & { Variables: Vars }>;

export const wechatControl = new Hono<SandboxEnv & { Variables: Vars }>();

const err = (c: Ctx, status: 400 | 401 | 404, code: string, message: string) =>
  c.json({ error: { type: status === 401 ? 'authentication_error' : 'invalid_request_error', code, message } }, status);

wechatControl.use('*', async (c, next) => {
  const config = loadConfig(c.env);
  const key = /^Bearer (\S+)$/.exec(c.req.header('Authorization') ?? '')?.[1] ?? '';
  const merchant = key ? config.merchants.find((m) => m.secret_keys.some((k) => timingSafeEqual(k, key))) : undefined;
  if (!merchant) return err(c, 401, 'invalid_api_key', 'Send Authorization: Bearer <a test merchant\'s sk_test_ key> to use the sandbox control surface.');
  // The sandbox never acts for a live merchant, whatever key it shows.
  if (merchant.livemode) return err(c, 404, 'not_found', 'The sandbox serves test (sk_test_) merchants only.');
  const w = merchant.providers.wechat_pay;
  const found = w ? testWechatMerchant(config, w.api_version === 'v2' ? w.mch_id : w.mchid) : undefined;
  const settings = ledgerSettings(config);
  if (!found || !settings) return err(c, 404, 'not_found', 'This merchant has no WeChat Pay sandbox (providers.wechat_pay, and sandbox.wechat_pay for APIv3, are needed).');
  c.set('merchant', merchant);
  c.set('wechat', { mchid: found.mchid });
  c.set('found', found);
  c.set('settings', settings);
  await next();
});

async function body(c: Ctx): Promise<Record<string, unknown>> {
  const text = await c.req.text();
  if (text.trim() === '') return {};
  const v: unknown = JSON.parse(text);
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/** `{"notify":"normal"|"drop"|"duplicate","copies":n}`: mark paid, then notify as asked. */
wechatControl.post('/orders/:no/pay', async (c) => {
  let b: Record<string, unknown>;
  try {
    b = await body(c);
  } catch {
    return err(c, 400, 'invalid_json', 'The body must be JSON: {"notify":"normal"|"drop"|"duplicate","copies":n}.');
  }
  const notify = b.notify ?? 'normal';
  if (notify !== 'normal' && notify !== 'drop' && notify !== 'duplicate') {
    return err(c, 400, 'parameter_invalid', 'notify must be "normal", "drop" or "duplicate".');
  }
  const copies = b.copies ?? 2;
  if (notify === 'duplicate' && (typeof copies !== 'number' || !Number.isInteger(copies) || copies < 2 || copies > 20)) {
    return err(c, 400, 'parameter_invalid', 'copies must be an integer from 2 to 20 (used with notify "duplicate").');
  }
  const r = await wechatLedger(c.env).pay(c.var.settings, { mchid: c.var.wechat.mchid, out_trade_no: c.req.param('no') }, { notify: notify as NotifyMode, copies: typeof copies === 'number' ? copies : 2 });
  if (r.result === 'not_found') return err(c, 404, 'order_not_found', `No sandbox order ${c.req.param('no')} for mchid ${c.var.wechat.mchid}.`);
  return c.json({ result: r.result, transaction: r.transaction ?? null, notify_id: r.notify_id ?? null }, r.result === 'closed' ? 400 : 200);
});

/** Send the payment notify once more, now (same id; creates it if it was dropped). */
wechatControl.post('/orders/:no/notify', async (c) => {
  const sent = await wechatLedger(c.env).notifyNow(c.var.settings, c.var.wechat.mchid, c.req.param('no'));
  if (!sent) return err(c, 404, 'order_not_found', `No paid sandbox order ${c.req.param('no')}: only a paid order has a payment notify.`);
  return c.json(sent);
});

/** Move an unpaid order past its time_expire: it becomes CLOSED (the shopper "lets it expire"). */
wechatControl.post('/orders/:no/expire', async (c) => {
  const o = await wechatLedger(c.env).expire(c.var.wechat.mchid, c.req.param('no'));
  if (!o) return err(c, 404, 'order_not_found', `No sandbox order ${c.req.param('no')}.`);
  return c.json({ trade_state: o.state });
});

/** `{"count": n}`: the next n reversals of this payment-code order fail (v2 SYSTEMERROR + recall=Y, v3 500 SYSTEM_ERROR). */
wechatControl.post('/orders/:no/reverse-failures', async (c) => {
  let b: Record<string, unknown>;
  try {
    b = await body(c);
  } catch {
    b = {};
  }
  const count = b.count ?? 1;
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 0 || count > 100) return err(c, 400, 'parameter_invalid', 'Send {"count": n} with n from 0 to 100.');
  const ok = await wechatLedger(c.env).failReversals(c.var.wechat.mchid, c.req.param('no'), count);
  return ok ? c.json({ reverse_failures: count }) : err(c, 404, 'order_not_found', `No payment-code order ${c.req.param('no')} for mchid ${c.var.wechat.mchid}.`);
});

/** The ledger of one order: the row, its Transaction JSON, refunds, notifies and every delivery. */
wechatControl.get('/orders/:no', async (c) => {
  const v = await wechatLedger(c.env).inspect(c.var.wechat.mchid, c.req.param('no'));
  return v ? c.json(v) : err(c, 404, 'order_not_found', `No sandbox order ${c.req.param('no')}.`);
});

/** Deliver every queued notify now regardless of schedule; answers what was sent and the replies. */
wechatControl.post('/flush', async (c) => c.json(await wechatLedger(c.env).flush(c.var.settings)));

/** `{"advance_seconds": n}` moves the simulator's clock forward (expiry, retry schedule); `{"reset": true}` undoes it. */
wechatControl.post('/clock', async (c) => {
  let b: Record<string, unknown>;
  try {
    b = await body(c);
  } catch {
    b = {};
  }
  const s = b.advance_seconds;
  if (b.reset !== true && (typeof s !== 'number' || !(s >= 0) || s > 366 * 86400)) {
    return err(c, 400, 'parameter_invalid', 'Send {"advance_seconds": n} with n ≥ 0, or {"reset": true}.');
  }
  const now = await wechatLedger(c.env).advanceClock(b.reset === true ? null : (s as number) * 1000);
  return c.json({ now: new Date(now).toISOString() });
});

/**
 * `{"appid"?: "wx…", "user"?: "…"}` → `{"openid"}`: the openid a sandbox WeChat user has under one of the
 * merchant's AppIDs (default: the official account's, else the main one), as the OAuth hop would
 * give it. JSAPI orders refuse openids that are not their appid's.
 */
wechatControl.post('/openid', async (c) => {
  let b: Record<string, unknown>;
  try {
    b = await body(c);
  } catch {
    b = {};
  }
  const appids = boundAppids(c.var.found);
  const appid = typeof b.appid === 'string' ? b.appid : (c.var.found.cfg.oauth?.appid ?? c.var.found.cfg.appid);
  if (!appids.includes(appid)) return err(c, 400, 'parameter_invalid', `appid must be one of this merchant's AppIDs: ${appids.join(', ')}.`);
  const user = typeof b.user === 'string' && b.user !== '' ? b.user : crypto.randomUUID();
  return c.json({ appid, openid: await sandboxOpenid(appid, user) });
});
