import { describe, expect, it } from 'vitest';
import vectors from '../../crypto/fixtures/vectors.json';
import { aesGcmDecrypt } from '../../crypto/aes-gcm';
import { exportPublicKeyPem, publicKeyFromCertificate, publicKeyFromPrivate } from '../../crypto/rsa';
import { VerificationError } from '../../lib/errors';
import { keyResolverFromConfig } from './keys';
import {
  buildAuthorization,
  encryptResource,
  appSign,
  jsapiPaySign,
  parseAuthorization,
  requestMessage,
  signResponse,
  verifyAuthorization,
  verifySignedMessage,
  type KeyResolver,
} from './sign';

const kp = vectors.wechat_v3_rsa_keypair;
const d = vectors.wechat_v3_derived;
const n = vectors.wechat_v3_notify;
const certKeys = keyResolverFromConfig({ platform_certificates: [{ serial: n.platform_cert_serial_hex, certificate: n.platform_cert_pem }] });
const lower = (h: Record<string, string>): Record<string, string> => Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));
const TS = Number(n.headers['Wechatpay-Timestamp']);

async function code(p: Promise<unknown>): Promise<string> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(VerificationError);
  return (e as VerificationError).code;
}

// https://pay.weixin.qq.com/doc/v3/merchant/4012365342
describe('request Authorization', () => {
  const native = d.authorization_native;

  it('reproduces the derived Native vector: message, signature and header', async () => {
    expect(requestMessage(native.method, native.url, native.timestamp, native.nonce, native.body)).toBe(native.message);
    const header = await buildAuthorization({
      mchid: kp.test_mchid,
      serialNo: kp.test_serial,
      privateKey: kp.private_key_pkcs8_pem,
      method: native.method,
      url: native.url,
      body: native.body,
      timestamp: native.timestamp,
      nonce: native.nonce,
    });
    expect(header).toBe(native.header.replace('<signature>', native.signature));
  });

  it('reproduces the derived GET query vector (empty body → message ends in \\n\\n)', async () => {
    const url = '/v3/pay/transactions/out-trade-no/1217752501201407033233368018?mchid=1230000109';
    expect(requestMessage('GET', url, native.timestamp, native.nonce, '')).toBe(d.authorization_query_get.message);
    const header = await buildAuthorization({
      mchid: kp.test_mchid,
      serialNo: kp.test_serial,
      privateKey: kp.private_key_pkcs8_pem,
      method: 'GET',
      url,
      body: '',
      timestamp: Number(native.timestamp),
      nonce: native.nonce,
    });
    expect(parseAuthorization(header)?.signature).toBe(d.authorization_query_get.signature);
  });

  it('defaults: 32-char nonce and a current timestamp', async () => {
    const a = parseAuthorization(
      await buildAuthorization({ mchid: '1', serialNo: 'AB', privateKey: kp.private_key_pkcs8_pem, method: 'GET', url: '/v3/x', body: '' }),
    );
    expect(a?.nonce_str).toMatch(/^[0-9A-Za-z]{32}$/);
    expect(Math.abs(Number(a?.timestamp) - Date.now() / 1000)).toBeLessThan(5);
  });

  it('parseAuthorization: any key order; null on a missing key, a wrong scheme or junk', () => {
    const h = 'WECHATPAY2-SHA256-RSA2048 serial_no="S",timestamp="1",signature="a/b+c==",mchid="M",nonce_str="N"';
    expect(parseAuthorization(h)).toEqual({ mchid: 'M', nonce_str: 'N', timestamp: '1', serial_no: 'S', signature: 'a/b+c==' });
    expect(parseAuthorization(h.replace(',mchid="M"', ''))).toBeNull();
    expect(parseAuthorization(h.replace('WECHATPAY2-SHA256-RSA2048', 'WECHATPAY2-SHA256-RSA'))).toBeNull();
    expect(parseAuthorization(`${h},mchid="X"`)).toBeNull();
    expect(parseAuthorization(`${h},junk`)).toBeNull();
  });

  it('verifyAuthorization: ok, wrong URL/body, stale, malformed', async () => {
    const publicKey = await publicKeyFromPrivate(kp.private_key_pkcs8_pem);
    const ts = 1_700_000_000;
    const req = { method: 'POST', url: '/sandbox/wechatpay/v3/pay/transactions/native', body: '{"a":1}' };
    const header = await buildAuthorization({ mchid: '1230000109', serialNo: 'F5765756002FDD77', privateKey: kp.private_key_pkcs8_pem, ...req, timestamp: ts });
    const now = ts * 1000;
    expect(await verifyAuthorization(header, { ...req, publicKey, now })).toEqual({ ok: true, mchid: '1230000109', serial_no: 'F5765756002FDD77' });
    expect(await verifyAuthorization(header, { ...req, url: '/v3/pay/transactions/native', publicKey, now })).toEqual({ ok: false, reason: 'bad_signature' });
    expect(await verifyAuthorization(header, { ...req, body: '{"a":2}', publicKey, now })).toEqual({ ok: false, reason: 'bad_signature' });
    expect(await verifyAuthorization(header, { ...req, method: 'GET', publicKey, now })).toEqual({ ok: false, reason: 'bad_signature' });
    expect(await verifyAuthorization(header, { ...req, publicKey, now: now + 300_000 })).toEqual({ ok: false, reason: 'stale_timestamp' });
    expect(await verifyAuthorization(header, { ...req, publicKey, now: now - 299_000 })).toMatchObject({ ok: true });
    expect(await verifyAuthorization('Bearer x', { ...req, publicKey, now })).toEqual({ ok: false, reason: 'malformed' });
  });
});

// https://pay.weixin.qq.com/doc/v3/merchant/4013053420
describe('response / notify verification on the wechatpay-go notify vector', () => {
  const headers = lower(n.headers);
  const verify = (h: Record<string, string>, body = n.body, now = TS * 1000, keys: KeyResolver = certKeys): Promise<void> =>
    verifySignedMessage({ headers: h, body, keys, now });

  it('verifies at the frozen clock', async () => {
    await expect(verify(headers)).resolves.toBeUndefined();
  });

  it('one body byte changed → bad_signature', async () => {
    expect(await code(verify(headers, n.body.replace('"summary"', '"summarY"')))).toBe('bad_signature');
    expect(await code(verify(headers, `${n.body} `))).toBe('bad_signature');
  });

  it('timestamp changed (within the window) → bad_signature', async () => {
    expect(await code(verify({ ...headers, 'wechatpay-timestamp': String(TS + 1) }))).toBe('bad_signature');
  });

  it('signature character flipped → bad_signature', async () => {
    const s = headers['wechatpay-signature'] as string;
    const flipped = s[10] === 'A' ? 'B' : 'A';
    expect(await code(verify({ ...headers, 'wechatpay-signature': s.slice(0, 10) + flipped + s.slice(11) }))).toBe('bad_signature');
    expect(await code(verify({ ...headers, 'wechatpay-signature': '!!not base64!!' }))).toBe('bad_signature');
  });

  it('unknown serial → unknown_serial; serial case does not matter', async () => {
    expect(await code(verify({ ...headers, 'wechatpay-serial': '5FF637E711A638D4746B60B2E9EDA3680255A72C' }))).toBe('unknown_serial');
    await expect(verify({ ...headers, 'wechatpay-serial': 'd7ce59d1f522d701' })).resolves.toBeUndefined();
  });

  it('SIGNTEST probe → signtest_probe', async () => {
    expect(await code(verify({ ...headers, 'wechatpay-signature': `WECHATPAY/SIGNTEST/${headers['wechatpay-signature']}` }))).toBe('signtest_probe');
  });

  it('stale: now = ts+300 rejected, ts+299 and ts−299 accepted, ts−300 rejected', async () => {
    expect(await code(verify(headers, n.body, (TS + 300) * 1000))).toBe('stale_timestamp');
    await expect(verify(headers, n.body, (TS + 299) * 1000)).resolves.toBeUndefined();
    await expect(verify(headers, n.body, (TS - 299) * 1000)).resolves.toBeUndefined();
    expect(await code(verify(headers, n.body, (TS - 300) * 1000))).toBe('stale_timestamp');
    expect(await code(verify({ ...headers, 'wechatpay-timestamp': 'abc' }))).toBe('stale_timestamp');
  });

  it('missing headers → missing_header', async () => {
    for (const k of ['wechatpay-signature', 'wechatpay-timestamp', 'wechatpay-nonce', 'wechatpay-serial']) {
      const h = { ...headers };
      delete h[k];
      expect(await code(verify(h))).toBe('missing_header');
    }
  });

  it('an unsupported Wechatpay-Signature-Type is rejected', async () => {
    expect(await code(verify({ ...headers, 'wechatpay-signature-type': 'WECHATPAY2-SM2-WITH-SM3' }))).toBe('bad_signature');
  });
});

// https://pay.weixin.qq.com/doc/v3/merchant/4013053249, https://pay.weixin.qq.com/doc/v3/merchant/4013053420
describe('key selection: public key id and platform certificates side by side', () => {
  it('PUB_KEY_ID → public key; other serials → certificates', async () => {
    const pem = await exportPublicKeyPem(await publicKeyFromCertificate(n.platform_cert_pem));
    const keys = keyResolverFromConfig({
      wechatpay_public_key_id: 'PUB_KEY_ID_0114232134912410000000000000',
      wechatpay_public_key: pem,
      platform_certificates: [{ serial: 'D7CE59D1F522D701', certificate: n.platform_cert_pem }],
    });
    expect(await keys('PUB_KEY_ID_0114232134912410000000000000')).toBeDefined();
    expect(await keys('pub_key_id_0114232134912410000000000000')).toBeUndefined();
    expect(await keys('D7CE59D1F522D701')).toBeDefined();
    expect(await keys('PUB_KEY_ID_OTHER')).toBeUndefined();
    const onlyPub = keyResolverFromConfig({ wechatpay_public_key_id: 'PUB_KEY_ID_1', wechatpay_public_key: pem });
    expect(await onlyPub('D7CE59D1F522D701')).toBeUndefined();
  });

  it('signResponse ↔ verifySignedMessage round trip in public-key mode, including an empty 204 body', async () => {
    const pem = await exportPublicKeyPem(await publicKeyFromPrivate(kp.private_key_pkcs8_pem));
    const keys = keyResolverFromConfig({ wechatpay_public_key_id: 'PUB_KEY_ID_TEST', wechatpay_public_key: pem });
    for (const body of ['', '{"code_url":"weixin://wxpay/bizpayurl?pr=abc"}']) {
      const h = await signResponse({ serial: 'PUB_KEY_ID_TEST', privateKey: kp.private_key_pkcs8_pem, body, timestamp: 1_700_000_000 });
      expect(h['Wechatpay-Signature-Type']).toBe('WECHATPAY2-SHA256-RSA2048');
      expect(h['Wechatpay-Nonce']).toMatch(/^[0-9A-Za-z]{32}$/);
      await expect(verifySignedMessage({ headers: lower(h), body, keys, now: 1_700_000_000_000 })).resolves.toBeUndefined();
    }
  });

  it('reproduces the notify vector signature with signResponse (same key as the platform certificate)', async () => {
    const h = await signResponse({
      serial: n.platform_cert_serial_hex,
      privateKey: kp.private_key_pkcs8_pem,
      body: n.body,
      timestamp: TS,
      nonce: n.headers['Wechatpay-Nonce'],
    });
    expect(h['Wechatpay-Signature']).toBe(n.headers['Wechatpay-Signature']);
  });
});

describe('resources and client invocation', () => {
  it('encryptResource round-trips with a 32-byte APIv3 key', async () => {
    const key = '0123456789abcdefghijklmnopqrstuv';
    const r = await encryptResource(key, '{"trade_state":"SUCCESS"}', 'transaction');
    expect(r.algorithm).toBe('AEAD_AES_256_GCM');
    expect(r.nonce).toMatch(/^[0-9A-Za-z]{12}$/);
    expect(await aesGcmDecrypt(key, r.nonce, r.associated_data, r.ciphertext)).toBe('{"trade_state":"SUCCESS"}');
  });

  it('reproduces the derived jsapi_paysign vector', async () => {
    const [appId, timeStamp, nonceStr, pkg] = d.jsapi_paysign.message.split('\n') as [string, string, string, string];
    expect(await jsapiPaySign({ appId, timeStamp, nonceStr, package: pkg, privateKey: kp.private_key_pkcs8_pem })).toBe(d.jsapi_paysign.paySign);
  });

  it('APP sign has the same four-line shape (appid, timestamp, noncestr, prepayid): the same lines give the vector', async () => {
    // RSASSA-PKCS1-v1_5 is deterministic, so feeding the vector's fourth line as prepayid must give its signature.
    const [appid, timestamp, noncestr, fourth] = d.jsapi_paysign.message.split('\n') as [string, string, string, string];
    expect(await appSign({ appid, timestamp, noncestr, prepayid: fourth, privateKey: kp.private_key_pkcs8_pem })).toBe(d.jsapi_paysign.paySign);
  });
});
