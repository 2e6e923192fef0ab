// The built-in provider simulators (architecture §8). The lead mounts `sandboxApp` at `/sandbox`;
// test merchants' adapters reach it through the same request code as the real provider, only the
// base URL differs. It never serves a live merchant: every entry point resolves a test merchant.

import { Hono } from 'hono';
import type { SandboxEnv } from './types';
import { wechatApi } from './wechatpay/api';
import { wechatControl } from './wechatpay/control';
import { wechatWallet } from './wechatpay/wallet';

export { SandboxLedger } from './ledger';

export const sandboxApp = new Hono<SandboxEnv>();

// WeChat Pay APIv3: `/wechatpay/v3/…` (signed API), `/wechatpay/wallet` (the shopper),
// `/wechatpay/_control/…` (tests).
sandboxApp.route('/wechatpay/_control', wechatControl);
sandboxApp.route('/wechatpay/wallet', wechatWallet);
sandboxApp.route('/wechatpay', wechatApi);
