// The sandbox's part of SHOUYIN_CONFIG: the `sandbox` section, and the checks that each test merchant on
// a built-in simulator can verify what it signs. Every problem is named by its path; no key bytes echoed.

import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../worker/src/config';
import { CERT_APP_CERT, TEST_APP_PRIVATE_KEY_PKCS8 } from '../../worker/src/providers/alipay/fixtures/test-keys';
import { UPSTREAM_CERTS } from '../../worker/src/providers/alipay/fixtures/upstream';
import { testConfigObject } from '../../worker/test/fixtures/config';
import { IMPOSTOR_MIDDLE_CERT, UNIONPAY_MIDDLE_CERT, UNIONPAY_ROOT_CERT } from '../../worker/test/fixtures/unionpay-certs';
import { parseSandboxedConfig } from './config';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Doc = any;

function mutate(fn: (d: Doc) => void): string {
  const d = testConfigObject() as Doc;
  fn(d);
  return JSON.stringify(d);
}

function errorOf(raw: string): { message: string; param?: string } {
  try {
    parseSandboxedConfig(raw);
  } catch (e) {
    return e as { message: string; param?: string };
  }
  throw new Error('expected the config to be refused');
}

const message = (raw: string): string => {
  try {
    parseSandboxedConfig(raw);
    return 'ok';
  } catch (e) {
    return (e as Error).message;
  }
};

const A = 'merchants[0].providers.alipay';
const C = 'merchants[2].providers.alipay';

describe('SHOUYIN_CONFIG as the sandbox reads it', () => {
  it('reads the merchants as the Shouyin Worker does, and the sandbox section', () => {
    const raw = JSON.stringify(testConfigObject());
    const c = parseSandboxedConfig(raw);
    expect(c.merchants).toEqual(parseConfig(raw).merchants);
    expect(c.sandbox.time_scale).toBe(0.001);
    expect(c.sandbox.alipay?.private_key).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(c.sandbox.unionpay?.sign_cert).toContain('BEGIN CERTIFICATE');
  });

  it('refuses what the Shouyin Worker refuses, with the same error', () => {
    expect(errorOf('').message).toMatch(/npm start|wrangler secret put/);
    expect(errorOf(mutate((d) => (d.merchants[0].providers.wechat_pay.mchid = 'abc'))).param).toBe('merchants[0].providers.wechat_pay.mchid');
  });

  it.each([
    ['sandbox.wechat_pay', (d: Doc) => delete d.sandbox.wechat_pay, /built-in WeChat Pay sandbox/],
    ['sandbox.time_scale', (d: Doc) => (d.sandbox.time_scale = 0), /\(0, 1\]/],
    ['sandbox.notify_delay_seconds', (d: Doc) => (d.sandbox.notify_delay_seconds = 61), /between 0 and 60/],
    ['sandbox.surprise', (d: Doc) => (d.sandbox.surprise = 1), /not a known field/],
    ['sandbox.alipay', (d: Doc) => delete d.sandbox.alipay, /built-in Alipay sandbox/],
    ['sandbox.alipay.private_key', (d: Doc) => (d.sandbox.alipay.private_key = 'x'), /application private key|PEM/],
    [`${A}.alipay_public_key`, (d: Doc) => (d.sandbox.alipay.private_key = TEST_APP_PRIVATE_KEY_PKCS8), /public half of sandbox.alipay.private_key/],
    [`${C}.alipay_cert`, (d: Doc) => (d.merchants[2].providers.alipay.alipay_cert = CERT_APP_CERT), /sandbox.alipay.private_key/],
  ])('names %s', (path, fn, problem) => {
    const e = errorOf(mutate(fn));
    expect(e.param).toBe(path);
    expect(e.message).toContain(path);
    expect(e.message).toMatch(problem);
  });

  it('never echoes the simulator key in an error', () => {
    const e = errorOf(mutate((d) => (d.sandbox.wechat_pay.private_key = 'secret-simulator-key-bytes')));
    expect(e.param).toBe('sandbox.wechat_pay.private_key');
    expect(e.message).not.toContain('secret-simulator-key-bytes');
  });

  // Alipay's own certificate format, as issued (alipay-sdk-nodejs-all's fixture, committed under
  // worker/src/providers/alipay/fixtures/upstream/; docs/alipay.md "Upstream vectors"): refused as the
  // sandbox's for its key.
  it('refuses an Alipay-issued certificate as the sandbox’s, for its key (upstream)', () => {
    const asAlipay = errorOf(mutate((d) => (d.merchants[2].providers.alipay.alipay_cert = UPSTREAM_CERTS.alipay)));
    expect(asAlipay.param).toBe(`${C}.alipay_cert`);
    expect(asAlipay.message).toMatch(/sandbox.alipay.private_key/);
  });

  it('a test merchant with its own Alipay gateway needs no sandbox key', () => {
    const c = parseSandboxedConfig(
      mutate((d) => {
        delete d.sandbox.alipay;
        d.merchants[0].providers.alipay.gateway = 'https://openapi-sandbox.dl.alipaydev.com/gateway.do';
        d.merchants[2].providers.alipay.gateway = 'https://openapi-sandbox.dl.alipaydev.com/gateway.do';
        d.merchants[6].providers.alipay.gateway = 'https://openapi-sandbox.dl.alipaydev.com/gateway.do';
      }),
    );
    expect(c.merchants[0]?.providers.alipay?.gateway).toBe('https://openapi-sandbox.dl.alipaydev.com/gateway.do');
    expect(c.sandbox.alipay).toBeUndefined();
  });

  it('a test merchant on the built-in UnionPay sandbox must trust the sandbox’s chain, and needs sandbox.unionpay', () => {
    const withUnionpay = (edit: (u: Doc, doc: Doc) => void) => mutate((doc) => edit(doc.merchants[0].providers.unionpay, doc));
    expect(message(withUnionpay((u) => void (u.middle_cert = IMPOSTOR_MIDDLE_CERT)))).toContain('must be sandbox.unionpay.middle_cert');
    expect(message(withUnionpay((_u, doc) => void delete doc.sandbox.unionpay))).toContain('sandbox.unionpay is missing');
    // With its own gateway (UnionPay's test environment), the sandbox's chain is not required.
    expect(
      message(
        withUnionpay((u, doc) => {
          u.gateway = 'https://gateway.test.95516.com';
          u.middle_cert = IMPOSTOR_MIDDLE_CERT;
          delete doc.sandbox.unionpay;
          doc.merchants[1].providers.unionpay.gateway = 'https://gateway.95516.com';
          doc.merchants[6].providers.unionpay.gateway = 'https://gateway.test.95516.com';
        }),
      ),
    ).toBe('ok');
  });

  it('the UnionPay simulator’s signing certificate must be issued by its middle', () => {
    const doc = testConfigObject() as Doc;
    doc.sandbox.unionpay.sign_cert = UNIONPAY_MIDDLE_CERT;
    expect(message(JSON.stringify(doc))).toContain('sandbox.unionpay.sign_cert was not issued by middle_cert');
    doc.sandbox.unionpay.sign_cert = UNIONPAY_ROOT_CERT;
    expect(message(JSON.stringify(doc))).toContain('sandbox.unionpay.sign_cert was not issued by middle_cert');
  });
});
