// The UnionPay ACP simulator, mounted at `/sandbox/unionpay`: the gateway (`/gateway/api/*.do`),
// the shopper's cashier (`/cashier`, `/qr`, `/app`) and the test control surface (`/_control/…`).
// Documented in docs/unionpay.md ("The sandbox").

import { Hono } from 'hono';
import type { SandboxEnv } from '../types';
import { unionpayGateway } from './api';
import { unionpayCashier } from './cashier';
import { unionpayControl } from './control';

export { UnionpaySandboxLedger } from './ledger';

export const unionpaySandbox = new Hono<SandboxEnv>();

unionpaySandbox.route('/_control', unionpayControl);
unionpaySandbox.route('/', unionpayCashier);
unionpaySandbox.route('/', unionpayGateway);
