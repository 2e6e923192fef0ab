// Builds WeChat Pay v3 notifies the way the provider (and our sandbox) signs them, using the
// provider module's own signing twins, so forged variants differ from a valid one by one thing.

import { encryptResource, signResponse } from '../src/providers/wechat-v3/sign';
import { SANDBOX_WECHAT_PRIVATE_KEY, TEST } from './fixtures/config';
import { BASE } from './helpers';
import { SELF } from 'cloudflare:test';

export interface TransactionOver {
  amount?: number;
  currency?: string;
  appid?: string;
  mchid?: string;
  transaction_id?: string;
}

export function transaction(outTradeNo: string, over: TransactionOver = {}): Record<string, unknown> {
  return {
    appid: over.appid ?? TEST.appid,
    mchid: over.mchid ?? TEST.mchid,
    out_trade_no: outTradeNo,
    transaction_id: over.transaction_id ?? `4200001${Date.now()}`,
    trade_type: 'NATIVE',
    trade_state: 'SUCCESS',
    trade_state_desc: '支付成功',
    bank_type: 'OTHERS',
    success_time: '2026-11-28T18:00:00+08:00',
    payer: { openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' },
    amount: { total: over.amount ?? 8888, payer_total: over.amount ?? 8888, currency: over.currency ?? 'CNY', payer_currency: 'CNY' },
  };
}

export interface SignedNotify {
  body: string;
  headers: Record<string, string>;
}

export async function signedNotify(
  plaintext: Record<string, unknown>,
  opts: { timestamp?: number; apiv3Key?: string; eventType?: string } = {},
): Promise<SignedNotify> {
  const resource = await encryptResource(opts.apiv3Key ?? TEST.apiv3_key, JSON.stringify(plaintext), 'transaction');
  const body = JSON.stringify({
    id: crypto.randomUUID(),
    create_time: '2026-11-28T18:00:01+08:00',
    resource_type: 'encrypt-resource',
    event_type: opts.eventType ?? 'TRANSACTION.SUCCESS',
    summary: '支付成功',
    resource: { original_type: 'transaction', ...resource },
  });
  const headers = await signResponse({
    serial: TEST.wechatpay_public_key_id,
    privateKey: SANDBOX_WECHAT_PRIVATE_KEY,
    body,
    timestamp: opts.timestamp ?? Math.floor(Date.now() / 1000),
  });
  return { body, headers: { ...headers, 'Content-Type': 'application/json' } };
}

export function postNotify(n: SignedNotify, merchant: string = TEST.merchant_id): Promise<Response> {
  return SELF.fetch(`${BASE}/notify/wechat_pay/${merchant}`, { method: 'POST', headers: n.headers, body: n.body });
}
