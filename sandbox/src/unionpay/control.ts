// The test control surface of the UnionPay simulator (conventions: "a control surface for tests").
// JSON, test merchants only: `Authorization: Bearer sk_test_…` names the merchant, whose merId scopes
// every call. Workerd integration tests and browser tests drive payments through it.

import { Hono } from 'hono';
import type { MerchantConfig } from '../../../worker/src/config';
import { clockRoute, controlError, controlMerchant, payRequest } from '../common/control';
import type { UnionpayConfig } from '../../../worker/src/providers/unionpay/config';
import type { SandboxEnv } from '../types';
import { testMerchant, unionpayLedger, unionpayLedgerSettings, type UnionpayLedgerSettings } from './settings';

type Vars = { merchant: MerchantConfig; unionpay: UnionpayConfig; settings: UnionpayLedgerSettings };

export const unionpayControl = new Hono<SandboxEnv & { Variables: Vars }>();

// The shared error shape (common/control.ts), under the short name every route here uses.
const err = controlError;

unionpayControl.use('*', async (c, next) => {
  const auth = await controlMerchant(c);
  if (auth instanceof Response) return auth;
  const { config, merchant } = auth;
  const tm = testMerchant(merchant);
  const settings = unionpayLedgerSettings(config);
  if (!tm || !settings) return err(c, 404, 'not_found', 'This merchant has no UnionPay sandbox (providers.unionpay and sandbox.unionpay are needed).');
  c.set('merchant', merchant);
  c.set('unionpay', tm.unionpay);
  c.set('settings', settings);
  await next();
});

/** `{"notify":"normal"|"drop"|"duplicate","copies":n}`: mark the consume paid, then notify as asked. */
unionpayControl.post('/orders/:orderId/pay', async (c) => {
  const mode = await payRequest(c);
  if (mode instanceof Response) return mode;
  const orderId = c.req.param('orderId');
  const r = await unionpayLedger(c.env, c.var.unionpay.mer_id).pay(c.var.settings, { mer_id: c.var.unionpay.mer_id, order_id: orderId }, mode);
  if (r.result === 'not_found') {
    return err(
      c,
      404,
      'order_not_found',
      `No sandbox order ${orderId} for merId ${c.var.unionpay.mer_id} (a page/h5 order exists only once the browser posted the form).`,
    );
  }
  return c.json({ result: r.result, order: r.order ?? null, notify_id: r.notify_id ?? null }, r.result === 'failed' ? 400 : 200);
});

/** Send the payment notify once more, now (created if it was dropped). */
unionpayControl.post('/orders/:orderId/notify', async (c) => {
  const sent = await unionpayLedger(c.env, c.var.unionpay.mer_id).notifyNow(c.var.settings, c.var.unionpay.mer_id, c.req.param('orderId'));
  if (!sent) return err(c, 404, 'order_not_found', `No paid sandbox order ${c.req.param('orderId')}: only a paid order has a payment notify.`);
  return c.json(sent);
});

/** Move an unpaid order past its payTimeout: it fails (the shopper let it expire). */
unionpayControl.post('/orders/:orderId/expire', async (c) => {
  const o = await unionpayLedger(c.env, c.var.unionpay.mer_id).expire(c.var.unionpay.mer_id, c.req.param('orderId'));
  if (!o) return err(c, 404, 'order_not_found', `No sandbox order ${c.req.param('orderId')}.`);
  return c.json({ state: o.state });
});

/** The ledger of one consume: the order, its refunds, its notifies and every delivery. */
unionpayControl.get('/orders/:orderId', async (c) => {
  const v = await unionpayLedger(c.env, c.var.unionpay.mer_id).inspect(c.var.unionpay.mer_id, c.req.param('orderId'));
  return v ? c.json(v) : err(c, 404, 'order_not_found', `No sandbox order ${c.req.param('orderId')}.`);
});

/** Settle processing refunds and send every queued notify now; answers what was sent and the replies. */
unionpayControl.post('/flush', async (c) => c.json(await unionpayLedger(c.env, c.var.unionpay.mer_id).flush(c.var.settings)));

/** `{"advance_seconds": n}` moves the simulator's clock forward (payTimeout, retry schedule); `{"reset": true}` undoes it. */
unionpayControl.post('/clock', (c) => clockRoute(c, (ms) => unionpayLedger(c.env, c.var.unionpay.mer_id).advanceClock(ms)));
