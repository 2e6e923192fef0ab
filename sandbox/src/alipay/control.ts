// The test control surface of the Alipay simulator (conventions: "a control surface for tests").
// JSON, test merchants only: `Authorization: Bearer sk_test_…` names the merchant, whose Alipay
// app_id scopes every call. Workerd integration tests and browser tests drive payments through it.

import { Hono, type Context } from 'hono';
import { loadConfig } from '../config';
import { clockRoute, controlBody, controlError, controlMerchant, notifyMode, payRequest } from '../common/control';
import { fenToYuan } from '../../../worker/src/providers/alipay/amount';
import { parseFormStrict, signResponse } from '../../../worker/src/providers/alipay/sign';
import { beijingDateTime } from '../../../worker/src/providers/alipay/time';
import { VerificationError } from '../../../worker/src/lib/errors';
import type { SandboxEnv } from '../types';
import { authenticate, errorBody } from './auth';
import { isGatewayError, parseBiz, queryJson, validateTrade } from './model';
import { alipayLedger, alipayLedgerSettings, testMerchant, type AlipayLedgerSettings, type AlipayTestMerchant } from './settings';

type Vars = { tm: AlipayTestMerchant; settings: AlipayLedgerSettings };
type Ctx = Context<SandboxEnv & { Variables: Vars }>;

export const alipayControl = new Hono<SandboxEnv & { Variables: Vars }>();

// The shared error shape (common/control.ts), under the short name every route here uses.
const err = controlError;

alipayControl.use('*', async (c, next) => {
  const auth = await controlMerchant(c);
  if (auth instanceof Response) return auth;
  const { config, merchant } = auth;
  const tm = testMerchant(merchant);
  const settings = alipayLedgerSettings(config);
  if (!tm || !settings) return err(c, 404, 'not_found', 'This merchant has no Alipay sandbox (providers.alipay and sandbox.alipay are needed).');
  c.set('tm', tm);
  c.set('settings', settings);
  await next();
});

const appId = (c: Ctx) => c.var.tm.alipay.app_id;

/** `{"notify":"normal"|"drop"|"duplicate","copies":n}`: the shopper pays the trade (scanning it first if need be). */
alipayControl.post('/orders/:no/pay', async (c) => {
  const mode = await payRequest(c);
  if (mode instanceof Response) return mode;
  const r = await alipayLedger(c.env, appId(c)).pay(c.var.settings, { app_id: appId(c), out_trade_no: c.req.param('no') }, mode);
  if (r.result === 'not_found') return err(c, 404, 'order_not_found', `No sandbox trade ${c.req.param('no')} for app_id ${appId(c)}.`);
  return c.json(
    { result: r.result, trade: r.trade ? queryJson(r.trade) : null, notify_id: r.notify_id ?? null },
    r.result === 'paid' || r.result === 'already_paid' ? 200 : 400,
  );
});

/**
 * What the Alipay app does with an app.pay order string: check it as the gateway would, create the
 * trade and pay it. Answers the pay result and the signed `alipay_trade_app_pay_response` the app
 * SDK hands back to the merchant's app
 * (https://opendocs.alipay.com/open/cd12c885_alipay.trade.app.pay?pathHash=c0e35284).
 */
alipayControl.post('/app/pay', async (c) => {
  const b = await controlBody(c);
  if (!b || typeof b.order_string !== 'string') return err(c, 400, 'parameter_invalid', 'Send {"order_string": "<the app payload>", "notify": …}.');
  const mode = notifyMode(c, b);
  if (mode instanceof Response) return mode;
  let params: Record<string, string>;
  try {
    params = parseFormStrict(b.order_string);
  } catch (e) {
    if (e instanceof VerificationError) return err(c, 400, 'order_string_invalid', e.message);
    throw e;
  }
  const auth = await authenticate(loadConfig(c.env), params);
  if (!auth.ok) return c.json({ result: 'refused', error: errorBody(auth.error) }, 400);
  if (auth.tm.alipay.app_id !== appId(c)) return err(c, 404, 'order_not_found', 'The order string belongs to another app.');
  if (params.method !== 'alipay.trade.app.pay')
    return c.json({ result: 'refused', error: errorBody({ code: '40002', sub_code: 'isv.invalid-method', sub_msg: '不是 alipay.trade.app.pay 订单' }) }, 400);
  const parsed = parseBiz(params.biz_content);
  if (!parsed.ok) return c.json({ result: 'refused', error: errorBody(parsed.error) }, 400);
  const input = validateTrade('alipay.trade.app.pay', parsed.biz, { app_id: appId(c), notify_url: params.notify_url, seller_id: c.var.tm.sellerId });
  if (isGatewayError(input)) return c.json({ result: 'refused', error: errorBody(input) }, 400);
  const ledger = alipayLedger(c.env, appId(c));
  const created = await ledger.createTrade(input);
  if (!created.ok) return c.json({ result: 'refused', error: errorBody(created.error) }, 400);
  const r = await ledger.pay(c.var.settings, { app_id: appId(c), out_trade_no: input.out_trade_no }, mode);
  const t = r.trade;
  const sdkResult = t
    ? await signResponse({
        key: 'alipay_trade_app_pay_response',
        body: {
          code: '10000',
          msg: 'Success',
          app_id: t.app_id,
          auth_app_id: t.app_id,
          charset: 'utf-8',
          timestamp: beijingDateTime(Date.now()),
          out_trade_no: t.out_trade_no,
          total_amount: fenToYuan(t.total),
          trade_no: t.trade_no,
          seller_id: t.seller_id,
        },
        privateKeyPem: c.var.settings.signer_private_key,
      })
    : null;
  return c.json({ result: r.result, trade: t ? queryJson(t) : null, notify_id: r.notify_id ?? null, sdk_result: sdkResult }, r.result === 'paid' ? 200 : 400);
});

/** Send the payment notify once more, now (same notify_id; created if it was dropped). */
alipayControl.post('/orders/:no/notify', async (c) => {
  const sent = await alipayLedger(c.env, appId(c)).notifyNow(c.var.settings, appId(c), c.req.param('no'));
  if (!sent) return err(c, 404, 'order_not_found', `No paid sandbox trade ${c.req.param('no')} with a notify_url: only a paid trade has a payment notify.`);
  return c.json(sent);
});

/** TRADE_SUCCESS → TRADE_FINISHED (the refund window is over), notified. */
alipayControl.post('/orders/:no/finish', async (c) => {
  const t = await alipayLedger(c.env, appId(c)).finish(c.var.settings, appId(c), c.req.param('no'));
  if (!t) return err(c, 400, 'order_not_paid', `Sandbox trade ${c.req.param('no')} is not TRADE_SUCCESS.`);
  return c.json({ trade_status: t.state });
});

/** Move an unpaid trade past its time_expire. */
alipayControl.post('/orders/:no/expire', async (c) => {
  const t = await alipayLedger(c.env, appId(c)).expire(appId(c), c.req.param('no'));
  if (!t) return err(c, 404, 'order_not_found', `No sandbox trade ${c.req.param('no')}.`);
  return c.json({ trade_status: t.state });
});

/** `{"count": n}`: the next n alipay.trade.cancel calls on this payment-code trade answer 40004 ACQ.SYSTEM_ERROR. */
alipayControl.post('/orders/:no/reverse-failures', async (c) => {
  const b = (await controlBody(c)) ?? {};
  const count = b.count ?? 1;
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 0 || count > 100)
    return err(c, 400, 'parameter_invalid', 'Send {"count": n} with n from 0 to 100.');
  const ok = await alipayLedger(c.env, appId(c)).failCancels(appId(c), c.req.param('no'), count);
  return ok ? c.json({ reverse_failures: count }) : err(c, 404, 'order_not_found', `No payment-code trade ${c.req.param('no')} for app_id ${appId(c)}.`);
});

/** The ledger of one trade: the row, what query answers, refunds, notifies and every delivery. */
alipayControl.get('/orders/:no', async (c) => {
  const v = await alipayLedger(c.env, appId(c)).inspect(appId(c), c.req.param('no'));
  return v ? c.json(v) : err(c, 404, 'order_not_found', `No sandbox trade ${c.req.param('no')}.`);
});

/** Deliver every queued notify now regardless of schedule; answers what was sent and the replies. */
alipayControl.post('/flush', async (c) => c.json(await alipayLedger(c.env, appId(c)).flush(c.var.settings)));

/** `{"advance_seconds": n}` moves the simulator's clock forward; `{"reset": true}` undoes it. */
alipayControl.post('/clock', (c) => clockRoute(c, (ms) => alipayLedger(c.env, appId(c)).advanceClock(ms)));
