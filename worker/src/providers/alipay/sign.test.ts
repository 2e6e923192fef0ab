// Alipay RSA2 signing rules (https://opendocs.alipay.com/common/02kf5q, https://opendocs.alipay.com/common/02mse7,
// https://opendocs.alipay.com/open/270/105902) against the `alipay_*` vectors, and the signer/verifier twins against
// each other.

import { describe, expect, it } from 'vitest';
import { importRsaPrivateKey, importRsaPublicKey, rsaSign, rsaVerify } from '../../crypto/rsa';
import {
  SANDBOX_ALIPAY_PRIVATE_KEY,
  SANDBOX_ALIPAY_PUBLIC_KEY,
  TEST_APP_PRIVATE_KEY_BARE,
  TEST_APP_PRIVATE_KEY_PKCS1,
  TEST_APP_PRIVATE_KEY_PKCS8,
  TEST_APP_PUBLIC_KEY,
} from './fixtures/test-keys';
import { UPSTREAM_APP_KEYS } from './fixtures/upstream';
import vectors from './fixtures/vectors.json';
import { normalizePrivateKeyPem } from './keys';
import {
  alipayJson,
  encodeForm,
  extractSignedResponse,
  notifySignContent,
  parseFormStrict,
  requestSignContent,
  signNotify,
  signRequest,
  signResponse,
  topLevelMembers,
  verifyNotifySignature,
  verifyRequest,
  verifyResponseContent,
  type Params,
} from './sign';

/** `k=v&…` → params, splitting each pair at its first `=` (the vector's values hold no `&`). */
function pairs(s: string): Params {
  return Object.fromEntries(s.split('&').map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)]));
}

/**
 * The vector's string_to_sign signed with Shouyin's own test app key (fixtures/test-keys.ts), computed
 * with openssl rather than with this code (RSA2 = RSASSA-PKCS1-v1_5 over SHA-256), from this folder:
 *   jq -j .alipay_request_sign_derived.string_to_sign fixtures/vectors.json > sts.txt
 *   # app.pem: TEST_APP_PRIVATE_KEY_PKCS1 written out as a file
 *   openssl dgst -sha256 -sign app.pem sts.txt | openssl base64 -A
 * (The same command with alipay-sdk-nodejs-all's app-private-key.pem gives the vector's own `sign`.)
 */
const TEST_APP_KEY_SIGN =
  'DdFa4uIhcVAgM12F22At4WumoopYcLqOGvXiChEdV6afjn1TVLqaa6sb+MJMjAd/40OXWdcfn2r8UjiDGO8zm5jrDhqbFtkXtW1XDz3sQOXuvCpRWdHxkDhCqDhkg+zabjt9tlKRkKiZK9nBq4HSH6hAoa720O2ukhBa8idcXYy/GS6ZcW6JJmvQau9s+pFzOsr8K/7VosJWb/QM/l4w+g44icoMlVT3Ez8Q3akVh7LV8n1Nqx5WkflG4vDUPiMRdErt+62UyNDKh+dHMhP4808LpopvxBD+CJZBK18Ik5xHoIuGKV13URJnPt+lWYYHP5B+V/LQxOas+/+YTiogUA==';

describe('request signing (alipay_request_sign_derived)', () => {
  const v = vectors.alipay_request_sign_derived;
  const params = pairs(v.string_to_sign);

  it('signs the sorted k=v string with sign_type in it and biz_content as sent', () => {
    expect(requestSignContent(params)).toBe(v.string_to_sign);
    expect(v.string_to_sign).toContain('&sign_type=RSA2&');
    expect(params.biz_content).toBe('{"out_trade_no":"T20240101001","total_amount":"88.88","subject":"测试商品"}');
  });

  it.each([
    ['PKCS#1 PEM (BEGIN RSA PRIVATE KEY)', TEST_APP_PRIVATE_KEY_PKCS1],
    ['PKCS#8 PEM (BEGIN PRIVATE KEY)', TEST_APP_PRIVATE_KEY_PKCS8],
    ['bare PKCS#1 base64 from the key tool', normalizePrivateKeyPem(TEST_APP_PRIVATE_KEY_BARE)],
  ])('reproduces openssl’s signature of the vector string from a %s key', async (_form, key) => {
    expect((await signRequest(params, key)).sign).toBe(TEST_APP_KEY_SIGN);
  });

  it('drops empty values and an existing sign from the string; order of insertion does not matter', async () => {
    const shuffled: Params = { version: '1.0', app_auth_token: '', sign: 'old', ...params, return_url: '' };
    expect(requestSignContent(shuffled)).toBe(v.string_to_sign);
    expect((await signRequest(shuffled, TEST_APP_PRIVATE_KEY_PKCS1)).sign).toBe(TEST_APP_KEY_SIGN);
  });

  it('the gateway side verifies with the app public key and reports its string-to-sign', async () => {
    const key = await importRsaPublicKey(TEST_APP_PUBLIC_KEY);
    const signed = await signRequest(params, TEST_APP_PRIVATE_KEY_PKCS1);
    expect(await verifyRequest(signed, key)).toEqual({ ok: true, content: v.string_to_sign });
    expect((await verifyRequest({ ...signed, total: '1' }, key)).ok).toBe(false);
    expect((await verifyRequest({ ...signed, sign: '' }, key)).ok).toBe(false);
    // One byte of biz_content changed after signing.
    expect((await verifyRequest({ ...signed, biz_content: signed.biz_content!.replace('88.88', '88.89') }, key)).ok).toBe(false);
  });

  // The upstream known answer itself, from the key that made it (alipay-sdk-nodejs-all's
  // app-private-key.pem, fixtures/upstream/).
  it('reproduces the vector’s own signature from alipay-sdk-nodejs-all’s app-private-key.pem (upstream)', async () => {
    expect((await signRequest(params, UPSTREAM_APP_KEYS.pkcs1)).sign).toBe(v.sign);
  });

  // Upstream ships the same key in its other forms too.
  it.each([
    ['app-private-key-pkcs8.pem', UPSTREAM_APP_KEYS.pkcs8],
    ['app-private-key-no-wrapper.pem', normalizePrivateKeyPem(UPSTREAM_APP_KEYS.bare)],
  ])('upstream’s %s signs identically (upstream)', async (_file, key) => {
    expect((await signRequest(params, key)).sign).toBe(v.sign);
  });

  it('upstream’s app-public-key.pem verifies the vector’s signature (upstream)', async () => {
    expect(await verifyRequest({ ...params, sign: v.sign }, await importRsaPublicKey(UPSTREAM_APP_KEYS.public))).toEqual({
      ok: true,
      content: v.string_to_sign,
    });
  });
});

describe('sync responses (alipay_sync_response)', () => {
  const v = vectors.alipay_sync_response;
  const raw = `{"alipay_trade_pay_response":${v.signed_content},"sign":"${v.sign}"}`;

  it('finds the exact raw text of <method>_response and verifies it', async () => {
    const r = extractSignedResponse(raw, 'alipay.trade.pay');
    expect(r).toEqual({ key: 'alipay_trade_pay_response', content: v.signed_content, sign: v.sign });
    expect(await verifyResponseContent(r.content, r.sign!, await importRsaPublicKey(v.alipay_public_key_spki_base64))).toBe(true);
  });

  it('a re-serialised answer no longer verifies', async () => {
    const key = await importRsaPublicKey(v.alipay_public_key_spki_base64);
    const reserialised = JSON.stringify(JSON.parse(v.signed_content), null, 1);
    expect(await verifyResponseContent(reserialised, v.sign, key)).toBe(false);
  });

  it('keeps whitespace, key order, \\/ escapes and raw UTF-8 exactly as received', () => {
    const content = '{ "code" : "10000","msg":"Success","qr_code":"https:\\/\\/qr.alipay.com\\/bax0","subject":"测试\\u5546品","n":[1,{"a":"}"}]}';
    const text = ` {"alipay_trade_precreate_response" :${content} , "alipay_cert_sn":"abc", "sign" : "c2ln" } `;
    expect(extractSignedResponse(text, 'alipay.trade.precreate')).toEqual({ key: 'alipay_trade_precreate_response', content, sign: 'c2ln', certSn: 'abc' });
  });

  it('falls back to error_response, and refuses answers with neither, duplicates or junk', () => {
    expect(extractSignedResponse('{"error_response":{"code":"40002"},"sign":"x"}', 'alipay.trade.query').key).toBe('error_response');
    expect(() => extractSignedResponse('{"other_response":{}}', 'alipay.trade.query')).toThrow(/neither/);
    expect(() => extractSignedResponse('{"alipay_trade_query_response":{},"alipay_trade_query_response":{}}', 'alipay.trade.query')).toThrow(/twice/);
    expect(() => extractSignedResponse('<html>', 'alipay.trade.query')).toThrow(/not JSON/);
    expect(() => extractSignedResponse('{"alipay_trade_query_response":"x"}', 'alipay.trade.query')).toThrow(/not a JSON object/);
    expect([...topLevelMembers('{"a":1,"b":{"c":[2,3]},"d":"e"}')]).toEqual([
      ['a', '1'],
      ['b', '{"c":[2,3]}'],
      ['d', '"e"'],
    ]);
  });

  it('the signer twin emits \\/ escapes and raw UTF-8, signed over exactly what it emits', async () => {
    const text = await signResponse({
      key: 'alipay_trade_precreate_response',
      body: { code: '10000', qr_code: 'https://qr.alipay.com/bax0', subject: '测试' },
      privateKeyPem: SANDBOX_ALIPAY_PRIVATE_KEY,
      certSn: 'sn1',
    });
    expect(text).toMatch(
      /^\{"alipay_trade_precreate_response":\{"code":"10000","qr_code":"https:\\\/\\\/qr\.alipay\.com\\\/bax0","subject":"测试"\},"alipay_cert_sn":"sn1","sign":"[A-Za-z0-9+/=]+"\}$/,
    );
    const r = extractSignedResponse(text, 'alipay.trade.precreate');
    const key = await importRsaPublicKey(SANDBOX_ALIPAY_PUBLIC_KEY);
    expect(await verifyResponseContent(r.content, r.sign!, key)).toBe(true);
    expect(JSON.parse(r.content).qr_code).toBe('https://qr.alipay.com/bax0');
  });

  it('retries once with \\/ turned into / (the Java and .NET SDKs’ rule), and only that', async () => {
    const key = await importRsaPublicKey(SANDBOX_ALIPAY_PUBLIC_KEY);
    const text = await signResponse({ key: 'k_response', body: { url: 'https://a/b' }, privateKeyPem: SANDBOX_ALIPAY_PRIVATE_KEY, signOver: 'unescaped' });
    const r = extractSignedResponse(text, 'k');
    expect(r.content).toBe('{"url":"https:\\/\\/a\\/b"}');
    expect(await rsaVerify(key, r.content, r.sign!)).toBe(false);
    expect(await verifyResponseContent(r.content, r.sign!, key)).toBe(true);
    // Nothing else is forgiven: the same signature over other content fails both ways.
    expect(await verifyResponseContent('{"url":"https:\\/\\/a\\/c"}', r.sign!, key)).toBe(false);
    expect(alipayJson({ a: '</script>' })).toBe('{"a":"<\\/script>"}');
  });
});

describe('notifies (alipay_notify_rsacheckv1 / v2)', () => {
  const v1 = vectors.alipay_notify_rsacheckv1;
  const v2 = vectors.alipay_notify_rsacheckv2_keeps_sign_type;

  it('rsaCheckV1: sign and sign_type excluded, values as parsed, sorted', async () => {
    const params = v1.params as Params;
    expect(notifySignContent(params)).toBe(v1.string_to_verify);
    expect(await verifyNotifySignature(params, params.sign!, await importRsaPublicKey(v1.alipay_public_key_spki_base64))).toBe(true);
  });

  it('the vector verifies only with sign_type excluded', async () => {
    const params = v1.params as Params;
    const key = await importRsaPublicKey(v1.alipay_public_key_spki_base64);
    const withSignType = `${v1.string_to_verify.replace('&subject=', '&sign_type=RSA2&subject=')}`;
    expect(await rsaVerify(key, withSignType, params.sign!)).toBe(false);
  });

  it('a servicemarket notify signed the V2 way (sign_type kept) is not a trade notify and fails V1', async () => {
    const params = v2.params as Params;
    const key = await importRsaPublicKey(v2.alipay_public_key_pem);
    expect(await verifyNotifySignature(params, params.sign!, key)).toBe(false);
    // The vector itself holds: it verifies over every field but sign, sign_type included (rsaCheckV2).
    const v2Content = Object.keys(params)
      .filter((k) => k !== 'sign')
      .sort()
      .map((k) => `${k}=${params[k]}`)
      .join('&');
    expect(await rsaVerify(key, v2Content, params.sign!)).toBe(true);
  });

  it('survives the form round trip: encoded once, parsed once (+ in sign, spaces, JSON, Chinese)', async () => {
    const params = v1.params as Params;
    const body = encodeForm(params);
    expect(body).toContain(
      'sign=QfTb8tqE1BMhS5qAnXtvsF3%2FjBkEvu9q9en0pdbBUDDjvKycZhQb7h8GDs4FKfi049PynaNuatxSgLb%2FnLWZpXyyh0LEWdK2S6Ri7nPwrVgOs08zugLO20vOQz44y3ti2Ncm8%2FwZts1Fr2gZ7pShnVX3d1B50hbsXnObT1r%2FU8ONNQjWXd0HIul4TG%2BQ3fm3',
    );
    const parsed = parseFormStrict(body);
    expect(parsed).toEqual(params);
    expect(await verifyNotifySignature(parsed, parsed.sign!, await importRsaPublicKey(v1.alipay_public_key_spki_base64))).toBe(true);
    // The gmt_create value arrives as `2019-08-15+15%3A56%3A22` from a form encoder that writes + for space.
    expect(parseFormStrict('gmt_create=2019-08-15+15%3A56%3A22').gmt_create).toBe('2019-08-15 15:56:22');
  });

  it('the signer twin signs what the verifier checks', async () => {
    const signed = await signNotify({ out_trade_no: 'A1', total_amount: '0.01', trade_status: 'TRADE_SUCCESS', empty: '' }, SANDBOX_ALIPAY_PRIVATE_KEY);
    expect(signed.sign_type).toBe('RSA2');
    const key = await importRsaPublicKey(SANDBOX_ALIPAY_PUBLIC_KEY);
    expect(await verifyNotifySignature(signed, signed.sign!, key)).toBe(true);
    // Empty values stay in the string (as the official SDKs' getSignCheckContentV1 builds it).
    expect(notifySignContent(signed)).toBe('empty=&out_trade_no=A1&total_amount=0.01&trade_status=TRADE_SUCCESS');
    expect(await verifyNotifySignature({ ...signed, total_amount: '0.02' }, signed.sign!, key)).toBe(false);
    // A signature made with the app's key is not Alipay's.
    const forged = await rsaSign(await importRsaPrivateKey(TEST_APP_PRIVATE_KEY_PKCS1), notifySignContent(signed));
    expect(await verifyNotifySignature(signed, forged, key)).toBe(false);
  });
});

describe('form parsing', () => {
  it('decodes + as space and %XX as UTF-8, once', () => {
    expect(parseFormStrict('a=1+2&b=%E6%B5%8B%E8%AF%95&c=%252F&d=')).toEqual({ a: '1 2', b: '测试', c: '%2F', d: '' });
  });

  it('refuses a key given twice, a pair without =, and broken escapes', () => {
    expect(() => parseFormStrict('a=1&a=1')).toThrow(/twice/);
    expect(() => parseFormStrict('a=1&b')).toThrow(/no "="/);
    expect(() => parseFormStrict('a=%E6%B5')).toThrow(/percent-encoded/);
  });

  it('encodes every value once', () => {
    expect(encodeForm({ a: '1 2', b: 'x/y+z', c: '测' })).toBe('a=1%202&b=x%2Fy%2Bz&c=%E6%B5%8B');
  });
});
