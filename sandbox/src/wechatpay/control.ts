// The test control surface of the WeChat Pay simulator (conventions: "a control surface for tests").
// JSON, test merchants only: `Authorization: Bearer sk_test_…` names the merchant, whose mchid
// scopes every call. Workerd integration tests and browser tests drive payments through it.

import { Hono } from 'hono';
import type { MerchantConfig } from '../../../worker/src/config';
import { clockRoute, controlBody, controlError, controlMerchant, payRequest } from '../common/control';
import { ledgerSettings, type LedgerSettings } from '../settings';
import { wechatLedger, type SandboxEnv } from '../types';
import { boundAppids, testWechatMerchant, type SandboxMerchant } from './merchants';
import { sandboxOpenid } from './openid';

type Vars = { merchant: MerchantConfig; wechat: { mchid: string }; found: SandboxMerchant; settings: LedgerSettings };

export const wechatControl = new Hono<SandboxEnv & { Variables: Vars }>();

// The shared error shape (common/control.ts), under the short name every route here uses.
const err = controlError;

wechatControl.use('*', async (c, next) => {
  const auth = await controlMerchant(c);
  if (auth instanceof Response) return auth;
  const { config, merchant } = auth;
  const w = merchant.providers.wechat_pay;
  const found = w ? testWechatMerchant(config, w.api_version === 'v2' ? w.mch_id : w.mchid) : undefined;
  const settings = ledgerSettings(config);
  if (!found || !settings)
    return err(c, 404, 'not_found', 'This merchant has no WeChat Pay sandbox (providers.wechat_pay, and sandbox.wechat_pay for APIv3, are needed).');
  c.set('merchant', merchant);
  c.set('wechat', { mchid: found.mchid });
  c.set('found', found);
  c.set('settings', settings);
  await next();
});

/** `{"notify":"normal"|"drop"|"duplicate","copies":n}`: mark paid, then notify as asked. */
wechatControl.post('/orders/:no/pay', async (c) => {
  const mode = await payRequest(c);
  if (mode instanceof Response) return mode;
  const r = await wechatLedger(c.env, c.var.wechat.mchid).pay(c.var.settings, { mchid: c.var.wechat.mchid, out_trade_no: c.req.param('no') }, mode);
  if (r.result === 'not_found') return err(c, 404, 'order_not_found', `No sandbox order ${c.req.param('no')} for mchid ${c.var.wechat.mchid}.`);
  return c.json({ result: r.result, transaction: r.transaction ?? null, notify_id: r.notify_id ?? null }, r.result === 'closed' ? 400 : 200);
});

/** Send the payment notify once more, now (same id; creates it if it was dropped). */
wechatControl.post('/orders/:no/notify', async (c) => {
  const sent = await wechatLedger(c.env, c.var.wechat.mchid).notifyNow(c.var.settings, c.var.wechat.mchid, c.req.param('no'));
  if (!sent) return err(c, 404, 'order_not_found', `No paid sandbox order ${c.req.param('no')}: only a paid order has a payment notify.`);
  return c.json(sent);
});

/** Move an unpaid order past its time_expire: it becomes CLOSED (the shopper "lets it expire"). */
wechatControl.post('/orders/:no/expire', async (c) => {
  const o = await wechatLedger(c.env, c.var.wechat.mchid).expire(c.var.wechat.mchid, c.req.param('no'));
  if (!o) return err(c, 404, 'order_not_found', `No sandbox order ${c.req.param('no')}.`);
  return c.json({ trade_state: o.state });
});

/** `{"count": n}`: the next n reversals of this payment-code order fail (v2 SYSTEMERROR + recall=Y, v3 500 SYSTEM_ERROR). */
wechatControl.post('/orders/:no/reverse-failures', async (c) => {
  const b = (await controlBody(c)) ?? {};
  const count = b.count ?? 1;
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 0 || count > 100)
    return err(c, 400, 'parameter_invalid', 'Send {"count": n} with n from 0 to 100.');
  const ok = await wechatLedger(c.env, c.var.wechat.mchid).failReversals(c.var.wechat.mchid, c.req.param('no'), count);
  return ok
    ? c.json({ reverse_failures: count })
    : err(c, 404, 'order_not_found', `No payment-code order ${c.req.param('no')} for mchid ${c.var.wechat.mchid}.`);
});

/** The ledger of one order: the row, its Transaction JSON, refunds, notifies and every delivery. */
wechatControl.get('/orders/:no', async (c) => {
  const v = await wechatLedger(c.env, c.var.wechat.mchid).inspect(c.var.wechat.mchid, c.req.param('no'));
  return v ? c.json(v) : err(c, 404, 'order_not_found', `No sandbox order ${c.req.param('no')}.`);
});

/** Deliver every queued notify now regardless of schedule; answers what was sent and the replies. */
wechatControl.post('/flush', async (c) => c.json(await wechatLedger(c.env, c.var.wechat.mchid).flush(c.var.settings)));

/** `{"advance_seconds": n}` moves the simulator's clock forward (expiry, retry schedule); `{"reset": true}` undoes it. */
wechatControl.post('/clock', (c) => clockRoute(c, (ms) => wechatLedger(c.env, c.var.wechat.mchid).advanceClock(ms)));

/**
 * `{"appid"?: "wx…", "user"?: "…"}` → `{"openid"}`: the openid a sandbox WeChat user has under one of the
 * merchant's AppIDs (default: the official account's, else the main one), as the OAuth hop would
 * give it. JSAPI orders refuse openids that are not their appid's.
 */
wechatControl.post('/openid', async (c) => {
  const b = (await controlBody(c)) ?? {};
  const appids = boundAppids(c.var.found);
  const appid = typeof b.appid === 'string' ? b.appid : (c.var.found.cfg.oauth?.appid ?? c.var.found.cfg.appid);
  if (!appids.includes(appid)) return err(c, 400, 'parameter_invalid', `appid must be one of this merchant's AppIDs: ${appids.join(', ')}.`);
  const user = typeof b.user === 'string' && b.user !== '' ? b.user : crypto.randomUUID();
  return c.json({ appid, openid: await sandboxOpenid(appid, user) });
});
