import { describe, expect, it } from 'vitest';
import vectors from '../../crypto/fixtures/vectors.json';
import type { WechatPayV3Config } from './config';
import { fromBase64, toBase64 } from '../../crypto/encoding';
import { VerificationError } from '../../lib/errors';
import type { IncomingNotify, ProviderContext } from '../types';
import { wechatV3 } from './index';
import { encryptResource, signResponse } from './sign';

const n = vectors.wechat_v3_notify;
const kp = vectors.wechat_v3_rsa_keypair;
const TS = Number(n.headers['Wechatpay-Timestamp']);
const APIV3_KEY = '0123456789abcdefghijklmnopqrstuv';

const ctx: ProviderContext = {
  fetch: () => Promise.reject(new Error('no network in notify tests')),
  now: () => TS * 1000,
  testMode: true,
  sandboxBaseUrl: 'https://shouyin.test/sandbox',
};

// Platform-certificate mode, with the vector's certificate (whose private key is the wechatpay-go test key).
const cfg = (apiv3_key: string): WechatPayV3Config => ({
  api_version: 'v3',
  appid: 'wxd678efh567hg6787',
  mchid: '1230000109',
  merchant_serial: 'F5765756002FDD77',
  private_key: kp.private_key_pkcs8_pem,
  apiv3_key,
  platform_certificates: [{ serial: n.platform_cert_serial_hex, certificate: n.platform_cert_pem }],
});

const lower = (h: Record<string, string>): Record<string, string> => Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));

/** A notify as WeChat Pay would send it: body signed by the platform key. */
async function signedNotify(body: string): Promise<IncomingNotify> {
  const headers = await signResponse({ serial: n.platform_cert_serial_hex, privateKey: kp.private_key_pkcs8_pem, body, timestamp: TS });
  return { method: 'POST', headers: lower(headers), body, contentType: 'application/json' };
}

async function envelope(eventType: string, plaintext: object, originalType: string, mutate?: (r: Record<string, unknown>) => void): Promise<string> {
  const resource: Record<string, unknown> = { original_type: originalType, ...(await encryptResource(APIV3_KEY, JSON.stringify(plaintext), originalType)) };
  mutate?.(resource);
  return JSON.stringify({
    id: 'EV-2018022511223320873',
    create_time: '2024-01-02T00:30:00+08:00',
    resource_type: 'encrypt-resource',
    event_type: eventType,
    summary: '支付成功',
    resource,
  });
}

const transaction = {
  appid: 'wxd678efh567hg6787',
  mchid: '1230000109',
  out_trade_no: 'att_0123456789abcdef',
  transaction_id: '4200000000202401020000000001',
  trade_type: 'NATIVE',
  trade_state: 'SUCCESS',
  trade_state_desc: '支付成功',
  bank_type: 'OTHERS',
  success_time: '2024-01-02T00:30:05+08:00',
  payer: { openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' },
  amount: { total: 1999, payer_total: 1999, currency: 'CNY', payer_currency: 'CNY' },
};

async function failure(p: Promise<unknown>): Promise<string> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(VerificationError);
  return (e as VerificationError).code;
}

describe('wechat-v3 parseNotify', () => {
  it('verifies and decrypts the wechatpay-go vector (16-byte key) → informational', async () => {
    const ev = await wechatV3.parseNotify(ctx, cfg(n.apiV3Key), { method: 'POST', headers: lower(n.headers), body: n.body, contentType: 'application/json' });
    expect(ev).toEqual({ kind: 'informational', attemptId: '', state: 'PAYSCORE.USER_OPEN_SERVICE', raw: JSON.parse(n.plaintext) });
  });

  it('TRANSACTION.SUCCESS → payment facts', async () => {
    const ev = await wechatV3.parseNotify(ctx, cfg(APIV3_KEY), await signedNotify(await envelope('TRANSACTION.SUCCESS', transaction, 'transaction')));
    expect(ev).toMatchObject({
      kind: 'payment',
      payment: {
        attemptId: 'att_0123456789abcdef',
        providerTransactionId: '4200000000202401020000000001',
        amount: 1999,
        currency: 'CNY',
        appId: 'wxd678efh567hg6787',
        providerMerchantId: '1230000109',
        paidAt: Date.UTC(2024, 0, 1, 16, 30, 5),
        payer: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o',
      },
    });
  });

  it('REFUND.SUCCESS / REFUND.ABNORMAL → refund events', async () => {
    const refund = {
      mchid: '1230000109',
      transaction_id: transaction.transaction_id,
      out_trade_no: transaction.out_trade_no,
      refund_id: '50000000382019052709732678859',
      out_refund_no: 're_1',
      refund_status: 'SUCCESS',
      success_time: '2024-01-02T01:00:00+08:00',
      user_received_account: '招商银行信用卡0403',
      amount: { total: 1999, refund: 500, payer_total: 1999, payer_refund: 500 },
    };
    expect(await wechatV3.parseNotify(ctx, cfg(APIV3_KEY), await signedNotify(await envelope('REFUND.SUCCESS', refund, 'refund')))).toMatchObject({
      kind: 'refund',
      attemptId: transaction.out_trade_no,
      refundId: 're_1',
      state: 'succeeded',
      providerRefundId: '50000000382019052709732678859',
    });
    expect(
      await wechatV3.parseNotify(
        ctx,
        cfg(APIV3_KEY),
        await signedNotify(await envelope('REFUND.ABNORMAL', { ...refund, refund_status: 'ABNORMAL' }, 'refund')),
      ),
    ).toMatchObject({ kind: 'refund', state: 'failed' });
  });

  it('rejects forgeries before parsing: body byte, SIGNTEST, stale clock, unknown serial', async () => {
    const ok = await signedNotify(await envelope('TRANSACTION.SUCCESS', transaction, 'transaction'));
    expect(await failure(wechatV3.parseNotify(ctx, cfg(APIV3_KEY), { ...ok, body: ok.body.replace('支付成功', '支付成劫') }))).toBe('bad_signature');
    expect(
      await failure(
        wechatV3.parseNotify(ctx, cfg(APIV3_KEY), {
          ...ok,
          headers: { ...ok.headers, 'wechatpay-signature': `WECHATPAY/SIGNTEST/${ok.headers['wechatpay-signature']}` },
        }),
      ),
    ).toBe('signtest_probe');
    expect(await failure(wechatV3.parseNotify({ ...ctx, now: () => (TS + 300) * 1000 }, cfg(APIV3_KEY), ok))).toBe('stale_timestamp');
    expect(await failure(wechatV3.parseNotify(ctx, { ...cfg(APIV3_KEY), platform_certificates: [] }, ok))).toBe('unknown_serial');
    // Not JSON at all, even when correctly signed.
    expect(await failure(wechatV3.parseNotify(ctx, cfg(APIV3_KEY), await signedNotify('<xml/>')))).toBe('malformed_notify');
  });

  it('tampered ciphertext (re-signed) → decrypt_failed; wrong APIv3 key → decrypt_failed', async () => {
    const body = await envelope('TRANSACTION.SUCCESS', transaction, 'transaction', (r) => {
      const ct = fromBase64(r.ciphertext as string);
      ct[3] = (ct[3] as number) ^ 0x40;
      r.ciphertext = toBase64(ct);
    });
    expect(await failure(wechatV3.parseNotify(ctx, cfg(APIV3_KEY), await signedNotify(body)))).toBe('decrypt_failed');
    const good = await signedNotify(await envelope('TRANSACTION.SUCCESS', transaction, 'transaction'));
    expect(await failure(wechatV3.parseNotify(ctx, cfg('vutsrqponmlkjihgfedcba9876543210'), good))).toBe('decrypt_failed');
  });

  it('wrong algorithm (re-signed) → unsupported_algorithm', async () => {
    const body = await envelope('TRANSACTION.SUCCESS', transaction, 'transaction', (r) => {
      r.algorithm = 'AEAD_AES_128_GCM';
    });
    expect(await failure(wechatV3.parseNotify(ctx, cfg(APIV3_KEY), await signedNotify(body)))).toBe('unsupported_algorithm');
  });

  it('a verified TRANSACTION.SUCCESS missing facts → malformed_notify', async () => {
    const { transaction_id: _omit, ...partial } = transaction;
    expect(await failure(wechatV3.parseNotify(ctx, cfg(APIV3_KEY), await signedNotify(await envelope('TRANSACTION.SUCCESS', partial, 'transaction'))))).toBe(
      'malformed_notify',
    );
  });
});

// https://pay.weixin.qq.com/doc/v3/merchant/4012791861
describe('wechat-v3 ack', () => {
  it('success is 204 with no body; failure is 4xx/5xx {"code":"FAIL"}', () => {
    expect(wechatV3.ack(true)).toEqual({ status: 204, headers: {}, body: '' });
    const bad = wechatV3.ack(false, { reason: 'unverified', message: 'bad_signature' });
    expect(bad.status).toBe(401);
    expect(JSON.parse(bad.body)).toEqual({ code: 'FAIL', message: 'bad_signature' });
    expect(wechatV3.ack(false, { reason: 'not_stored', message: 'storage unavailable' }).status).toBe(500);
    expect(wechatV3.ack(false, { reason: 'unknown_order', message: 'x' }).status).toBe(404);
    expect(wechatV3.ack(false, { reason: 'too_large', message: 'x' }).status).toBe(413);
  });
});
