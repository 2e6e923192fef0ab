// `providers.wechat_pay` with api_version "v2", and the official account (`oauth`) of both APIs:
// errors name the field's path and never echo a key.

import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../config';
import { WECHAT_TEST, testConfigObject } from '../../../test/fixtures/config';

type Doc = Record<string, any>;
const V2 = 3; // merchants[3] is the APIv2 test merchant (v2shop)
const V3OAUTH = 5;

function mutate(fn: (d: Doc) => void): string {
  const d = testConfigObject() as Doc;
  fn(d);
  return JSON.stringify(d);
}

function errorOf(raw: string): { message: string; param?: string } {
  try {
    parseConfig(raw);
  } catch (e) {
    return e as { message: string; param?: string };
  }
  throw new Error('expected the config to be refused');
}

describe('wechat_pay api_version "v2"', () => {
  it('parses the test merchants: MD5 by default, HMAC-SHA256 when asked, products, official account, app AppID', () => {
    const c = parseConfig(JSON.stringify(testConfigObject()));
    const v2 = c.merchants.find((m) => m.id === WECHAT_TEST.v2_merchant_id)!.providers.wechat_pay!;
    expect(v2).toMatchObject({
      api_version: 'v2',
      appid: WECHAT_TEST.v2_appid,
      mch_id: WECHAT_TEST.v2_mch_id,
      sign_type: 'MD5',
      oauth: { appid: WECHAT_TEST.mp_appid },
      app_appid: WECHAT_TEST.app_appid,
      native_products: { cola: { amount: 350, description: '可乐 Cola' } },
    });
    expect(c.merchants.find((m) => m.id === WECHAT_TEST.v2hmac_merchant_id)!.providers.wechat_pay).toMatchObject({ sign_type: 'HMAC-SHA256' });
    const v3 = c.merchants.find((m) => m.id === WECHAT_TEST.v3oauth_merchant_id)!.providers.wechat_pay!;
    expect(v3).toMatchObject({ api_version: 'v3', oauth: { appid: WECHAT_TEST.mp_appid }, app_appid: WECHAT_TEST.app_appid });
  });

  it("needs no sandbox signing key: the APIv2 simulator signs with each merchant's APIv2 key", () => {
    const only = testConfigObject() as Doc;
    only.merchants = [only.merchants[V2]];
    delete only.sandbox.wechat_pay;
    expect(parseConfig(JSON.stringify(only)).merchants[0]!.providers.wechat_pay?.api_version).toBe('v2');
  });

  const p = `merchants[${V2}].providers.wechat_pay`;
  it.each([
    [`${p}.apiv2_key`, (d: Doc) => (d.merchants[V2].providers.wechat_pay.apiv2_key = 'too-short'), /32-character APIv2 key/],
    [`${p}.mch_id`, (d: Doc) => (d.merchants[V2].providers.wechat_pay.mch_id = 'wx123'), /digits/],
    [`${p}.appid`, (d: Doc) => (d.merchants[V2].providers.wechat_pay.appid = '10000100'), /AppID/],
    [`${p}.sign_type`, (d: Doc) => (d.merchants[V2].providers.wechat_pay.sign_type = 'SHA1'), /"MD5" or "HMAC-SHA256"/],
    [`${p}.mchid`, (d: Doc) => (d.merchants[V2].providers.wechat_pay.mchid = '1'), /not a known field/],
    [`${p}.oauth.appsecret`, (d: Doc) => (d.merchants[V2].providers.wechat_pay.oauth.appsecret = 'x'), /AppSecret/],
    [`${p}.native_products.cola.amount`, (d: Doc) => (d.merchants[V2].providers.wechat_pay.native_products.cola.amount = 1.5), /integer number of fen/],
    [
      `${p}.native_products.bad id!`,
      (d: Doc) => (d.merchants[V2].providers.wechat_pay.native_products['bad id!'] = { amount: 1, description: 'x' }),
      /product_id/,
    ],
    [`${p}.mtls_certificate`, (d: Doc) => (d.merchants[V2].providers.wechat_pay.mtls_certificate = 'not a binding'), /mtls_certificates/],
    [`merchants[${V3OAUTH}].providers.wechat_pay.oauth.appid`, (d: Doc) => delete d.merchants[V3OAUTH].providers.wechat_pay.oauth.appid, /is missing/],
  ])('names %s', (path, fn, problem) => {
    const e = errorOf(mutate(fn));
    expect(e.param).toBe(path);
    expect(e.message).toContain(path);
    expect(e.message).toMatch(problem);
  });

  it('a live APIv2 merchant must name its mTLS certificate binding (refunds need the client certificate)', () => {
    const e = errorOf(
      mutate((d) => {
        d.merchants[1].providers.wechat_pay = { api_version: 'v2', appid: 'wx2421b1c4370ec43b', mch_id: '1230000109', apiv2_key: WECHAT_TEST.apiv2_key };
      }),
    );
    expect(e.param).toBe('merchants[1].providers.wechat_pay.mtls_certificate');
    expect(e.message).toContain('docs/wechat.md');
    const ok = parseConfig(
      mutate((d) => {
        d.merchants[1].providers.wechat_pay = {
          api_version: 'v2',
          appid: 'wx2421b1c4370ec43b',
          mch_id: '1230000109',
          apiv2_key: WECHAT_TEST.apiv2_key,
          mtls_certificate: 'WECHAT_PAY_CERT',
        };
      }),
    );
    expect(ok.merchants[1]!.providers.wechat_pay).toMatchObject({ mtls_certificate: 'WECHAT_PAY_CERT' });
  });

  it('never echoes the APIv2 key or the appsecret', () => {
    const key = 'SECRETKEYSECRETKEYSECRETKEY1234!';
    expect(errorOf(mutate((d) => (d.merchants[V2].providers.wechat_pay.apiv2_key = key))).message).not.toContain('SECRETKEY');
    expect(errorOf(mutate((d) => (d.merchants[V2].providers.wechat_pay.oauth.appsecret = 'topsecret!'))).message).not.toContain('topsecret');
  });
});
