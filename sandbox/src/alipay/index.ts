// The Alipay simulator (https://opendocs.alipay.com/common/02kf5q, docs/alipay.md), mounted by sandbox/index.ts at
// `/sandbox/alipay`:
//   /gateway.do      the signed gateway (GET/POST), JSON answers; page.pay / wap.pay render the cashier
//   /cashier         the shopper's cashier behind a precreate qr_code, and its Pay / Cancel forms
//   /_control/…      the test control surface (sk_test_ keys only)
// Test merchants only: to every entry point a live merchant's app_id does not exist.

import { Hono } from 'hono';
import type { SandboxEnv } from '../types';
import { alipayCashier } from './cashier';
import { alipayControl } from './control';
import { alipayGateway } from './gateway';

export { AlipaySandboxLedger } from './ledger';

export const alipaySandbox = new Hono<SandboxEnv>();

alipaySandbox.route('/_control', alipayControl);
alipaySandbox.route('/cashier', alipayCashier);
alipaySandbox.route('/', alipayGateway);
