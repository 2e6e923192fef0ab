// The sandbox Worker: the built-in provider simulators, served under `/sandbox/*` on the Shouyin
// Worker's own origin (the Shouyin Worker forwards `/sandbox/*` here over its SANDBOX service binding).
// Test merchants' adapters reach it through the same request code as the real provider, only the base
// URL differs. It never serves a live merchant: every entry point resolves a test merchant.

import { Hono } from 'hono';
import { ErrorType, ShouyinError } from '../../worker/src/lib/errors';
import { errorResponse } from '../../worker/src/routes/http';
import type { SandboxEnv } from './types';
import { refreshConfig } from './config';
import { REGISTRY_VERSION_HEADER } from '../../worker/src/registry/types';
import { wechatApi } from './wechatpay/api';
import { wechatControl } from './wechatpay/control';
import { wechatWallet } from './wechatpay/wallet';
import { alipaySandbox } from './alipay';
import { unionpaySandbox } from './unionpay';
import { appleSandbox } from './apple';
import { wechatBills } from './wechatpay/bill';
import { alipayBills } from './alipay/bill';
import { unionpayBills } from './unionpay/bill';

export { SandboxLedger } from './ledger';
export { AlipaySandboxLedger } from './alipay/ledger';
export { UnionpaySandboxLedger } from './unionpay/ledger';

export const sandboxApp = new Hono<SandboxEnv>();

// Statements (对账单) of the three simulators and their discrepancy switch (`/<provider>/_control/bills`),
// before the rest: WeChat's bill download is signed on the way in but not on the way out.
sandboxApp.route('/wechatpay', wechatBills);
sandboxApp.route('/alipay', alipayBills);
sandboxApp.route('/unionpay', unionpayBills);

// WeChat Pay APIv3: `/wechatpay/v3/…` (signed API), `/wechatpay/wallet` (the shopper),
// `/wechatpay/_control/…` (tests).
sandboxApp.route('/wechatpay/_control', wechatControl);
sandboxApp.route('/wechatpay/wallet', wechatWallet);
sandboxApp.route('/wechatpay', wechatApi);

// Alipay: `/alipay/gateway.do` (the signed gateway; page/wap cashier), `/alipay/cashier` (the shopper),
// `/alipay/_control/…` (tests).
sandboxApp.route('/alipay', alipaySandbox);

// UnionPay ACP 5.1.0: `/unionpay/gateway/api/*.do` (the signed gateway; frontTransReq answers with the
// cashier), `/unionpay/cashier`, `/unionpay/qr`, `/unionpay/app` (the shopper), `/unionpay/_control/…` (tests).
sandboxApp.route('/unionpay', unionpaySandbox);
// Apple: `/apple/verifyReceipt` + `/apple/sandbox/verifyReceipt` (the two verifyReceipt environments), `/apple/_control/…`.
sandboxApp.route('/apple', appleSandbox);

/** The Worker's app: the simulators where shoppers and merchants see them, `/sandbox/…`. */
export const app = new Hono<SandboxEnv>();
// The same error shapes the Shouyin Worker answers with, as when the sandbox was part of it.
app.onError((err) => errorResponse(err));
// The test merchants as of this request: SHOUYIN_CONFIG's and the registry's (config.ts).
app.use('/sandbox/*', async (c, next) => {
  const hint = Number(c.req.header(REGISTRY_VERSION_HEADER) ?? 'NaN');
  await refreshConfig(c.env, Number.isSafeInteger(hint) && hint >= 0 ? hint : null);
  await next();
});
app.route('/sandbox', sandboxApp);
app.notFound(() => errorResponse(new ShouyinError(ErrorType.not_found, 'route_not_found', 'No such route. See the README for the API.')));

export default { fetch: app.fetch } satisfies ExportedHandler<SandboxEnv['Bindings']>;
