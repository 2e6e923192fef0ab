// Every wechat_v2_* vector of fixtures/vectors.json, reproduced by the signer the provider, the
// sandbox and the tests share (inside workerd: MD5 is a workerd extension,
// https://developers.cloudflare.com/workers/runtime-apis/web-crypto/).

import { describe, expect, it } from 'vitest';
import vectors from './fixtures/vectors.json';
import { appParams, bizPayUrl, decryptReqInfo, encryptReqInfo, jsapiParams, sign, signTypeOf, signed, signingString, verify, verifyInferred } from './sign';

const official = vectors.wechat_v2_official_sign;
const derived = vectors.wechat_v2_derived;
const KEY = official.key;

// https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=4_3
describe('v2 sign rule', () => {
  it('builds stringA and stringSignTemp exactly as the official example', () => {
    expect(signingString(official.params, KEY)).toBe(official.stringSignTemp);
    expect(official.stringSignTemp.startsWith(official.stringA)).toBe(true);
  });

  it('reproduces the official MD5 and HMAC-SHA256 signatures', async () => {
    expect(await sign(official.params, KEY, 'MD5')).toBe(official.MD5);
    expect(await sign(official.params, KEY, 'HMAC-SHA256')).toBe(official['HMAC-SHA256']);
  });

  it('skips empty and absent values and the sign itself, sorts by byte order (case-sensitive)', async () => {
    const withNoise = { ...official.params, attach: '', detail: undefined, sign: 'WHATEVER' };
    expect(await sign(withNoise, KEY, 'MD5')).toBe(official.MD5);
    expect(signingString({ b: '1', B: '2', a: '3' }, 'k')).toBe('B=2&a=3&b=1&key=k');
  });

  it('hashes UTF-8 bytes (a Chinese body is the classic 签名错误)', async () => {
    const s = await sign({ body: '腾讯充值中心-QQ会员充值', appid: 'wx1' }, KEY, 'MD5');
    expect(s).toMatch(/^[0-9A-F]{32}$/);
    expect(await verify({ body: '腾讯充值中心-QQ会员充值', appid: 'wx1', sign: s }, KEY, 'MD5')).toBe(true);
  });

  it('includes sign_type=HMAC-SHA256 in the signed fields when it is sent', async () => {
    const out = await signed({ ...official.params }, KEY, 'HMAC-SHA256');
    expect(out.sign_type).toBe('HMAC-SHA256');
    expect(out.sign).toBe(await sign({ ...official.params, sign_type: 'HMAC-SHA256' }, KEY, 'HMAC-SHA256'));
    expect(out.sign).not.toBe(official['HMAC-SHA256']);
    expect(await verify(out, KEY, 'HMAC-SHA256')).toBe(true);
  });
});

// https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=4_3,
// https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=9_7
describe('inferring the algorithm (the Native mode-1 callback and the sandbox only)', () => {
  it('by sign length when sign_type is absent: 64 → HMAC-SHA256, 32 → MD5', async () => {
    expect(signTypeOf({ sign: official['HMAC-SHA256'] })).toBe('HMAC-SHA256');
    expect(signTypeOf({ sign: official.MD5 })).toBe('MD5');
    expect(signTypeOf({ sign: 'ABC' })).toBeNull();
    expect(await verifyInferred({ ...official.params, sign: official['HMAC-SHA256'] }, KEY)).toBe(true);
    expect(await verifyInferred({ ...official.params, sign: official.MD5 }, KEY)).toBe(true);
    expect(await verifyInferred({ ...official.params, sign: official.MD5.toLowerCase() }, KEY)).toBe(true);
  });

  it('by sign_type when present, and refuses a sign_type it does not know', async () => {
    expect(await verifyInferred({ ...official.params, sign_type: 'MD5', sign: official['HMAC-SHA256'] }, KEY)).toBe(false);
    expect(signTypeOf({ sign_type: 'SHA1', sign: official.MD5 })).toBeNull();
    expect(await verifyInferred({ ...official.params, sign: 'ABC' }, KEY)).toBe(false);
  });
});

describe('verification', () => {
  it('fails for one changed byte, another key, or no sign', async () => {
    expect(await verify({ ...official.params, body: 'test ', sign: official.MD5 }, KEY, 'MD5')).toBe(false);
    expect(await verify({ ...official.params, sign: official.MD5 }, `${KEY.slice(0, -1)}e`, 'MD5')).toBe(false);
    expect(await verify({ ...official.params }, KEY, 'MD5')).toBe(false);
    expect(await verify({ ...official.params, sign: official.MD5.toLowerCase() }, KEY, 'MD5')).toBe(true);
  });
});

// https://pay.weixin.qq.com/wiki/doc/api/native.php?chapter=4_3: the merchant chooses the algorithm.
describe("verification uses the merchant's sign_type only", () => {
  it('refuses a valid MD5 sign when the merchant chose HMAC-SHA256, and the other way round', async () => {
    const md5 = { ...official.params, sign: official.MD5 };
    const hmac = { ...official.params, sign: official['HMAC-SHA256'] };
    expect(await verify(md5, KEY, 'HMAC-SHA256')).toBe(false);
    expect(await verify(hmac, KEY, 'MD5')).toBe(false);
    expect(await verify(md5, KEY, 'MD5')).toBe(true);
    expect(await verify(hmac, KEY, 'HMAC-SHA256')).toBe(true);
  });

  it('refuses a message whose declared sign_type is not the merchant’s, however it is signed', async () => {
    const md5Declared = await signed({ ...official.params, sign_type: 'MD5' }, KEY, 'MD5');
    expect(await verify(md5Declared, KEY, 'MD5')).toBe(true);
    expect(await verify(md5Declared, KEY, 'HMAC-SHA256')).toBe(false);
    const hmacDeclared = await signed({ ...official.params }, KEY, 'HMAC-SHA256');
    expect(await verify(hmacDeclared, KEY, 'MD5')).toBe(false);
  });
});

// https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=7_7&index=6
describe('client invocation', () => {
  it('JSAPI paySign: MD5 and HMAC-SHA256 vectors', async () => {
    for (const v of [derived.jsapi_md5, derived.jsapi_hmac]) {
      const p = await jsapiParams({
        appId: v.params.appId,
        prepayId: v.params.package.slice('prepay_id='.length),
        timeStamp: v.params.timeStamp,
        nonceStr: v.params.nonceStr,
        key: KEY,
        signType: v.params.signType as 'MD5' | 'HMAC-SHA256',
      });
      expect(p).toEqual({ ...v.params, paySign: v.paySign });
    }
  });

  it('APP sign over appid, noncestr, package=Sign=WXPay, partnerid, prepayid, timestamp', async () => {
    const v = derived.app_md5;
    const p = await appParams({
      appid: v.params.appid,
      mchId: v.params.partnerid,
      prepayId: v.params.prepayid,
      timestamp: v.params.timestamp,
      noncestr: v.params.noncestr,
      key: KEY,
      signType: 'MD5',
    });
    expect(p).toEqual({ ...v.params, sign: v.sign });
  });

  it('Native mode-1 bizpayurl: the exact link of the vector', async () => {
    const v = derived.bizpayurl_md5;
    expect(
      await bizPayUrl({
        appid: v.params.appid,
        mchId: v.params.mch_id,
        productId: v.params.product_id,
        timeStamp: v.params.time_stamp,
        nonceStr: v.params.nonce_str,
        key: KEY,
      }),
    ).toBe(v.url);
  });
});

// https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=9_16&index=10
describe('refund notify req_info: AES-256-ECB, key = MD5 hex of the APIv2 key', () => {
  const v = vectors.req_info_ecb;

  it('decrypts the OpenSSL-made vector', async () => {
    expect(await decryptReqInfo(v.req_info, v.key)).toBe(v.plaintext);
  });

  it('encrypts to the same bytes OpenSSL does', async () => {
    expect(await encryptReqInfo(v.plaintext, v.key)).toBe(v.req_info);
  });

  it('refuses another key and altered bytes', async () => {
    await expect(decryptReqInfo(v.req_info, `${v.key.slice(0, -1)}e`)).rejects.toThrow();
    const altered = `${v.req_info.slice(0, -6)}AAAA==`;
    await expect(decryptReqInfo(altered, v.key)).rejects.toThrow();
  });
});
