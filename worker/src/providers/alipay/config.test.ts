// providers.alipay validation: each problem named by its path, no key bytes echoed (sandbox.alipay:
// sandbox/src/config.test.ts).

import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../config';
import { ALIPAY_TEST, testConfigObject } from '../../../test/fixtures/config';
import {
  CERT_ALIPAY_CERT,
  CERT_APP_CERT,
  SANDBOX_ALIPAY_PUBLIC_KEY,
  TEST_APP_PRIVATE_KEY_BARE,
  TEST_APP_PRIVATE_KEY_PKCS8,
  TEST_APP_PUBLIC_KEY,
} from './fixtures/test-keys';
import { UPSTREAM_CERTS } from './fixtures/upstream';
import { rsaPrivateNumbers } from './keys';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Doc = any;

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

const A = 'merchants[0].providers.alipay';
const C = 'merchants[2].providers.alipay';

describe('providers.alipay', () => {
  it('accepts public-key mode with a PKCS#1 key and certificate mode with a PKCS#8 key', () => {
    const c = parseConfig(JSON.stringify(testConfigObject()));
    expect(c.merchants[0]?.providers.alipay).toMatchObject({
      app_id: ALIPAY_TEST.app_id,
      seller_id: ALIPAY_TEST.seller_id,
      alipay_public_key: SANDBOX_ALIPAY_PUBLIC_KEY,
    });
    const cert = c.merchants[2]?.providers.alipay;
    expect(cert?.app_cert).toBe(CERT_APP_CERT);
    expect(cert?.alipay_public_key).toBeUndefined();
  });

  it('wraps a bare base64 key from Alipay’s key tool in the PEM lines its DER calls for', () => {
    const c = parseConfig(mutate((d) => (d.merchants[0].providers.alipay.private_key = TEST_APP_PRIVATE_KEY_BARE)));
    const pem = c.merchants[0]!.providers.alipay!.private_key;
    expect(pem).toMatch(/^-----BEGIN RSA PRIVATE KEY-----\n/);
    expect(rsaPrivateNumbers(pem)).toEqual(rsaPrivateNumbers(TEST_APP_PRIVATE_KEY_PKCS8));
  });

  it.each([
    [`${A}.app_id`, (d: Doc) => (d.merchants[0].providers.alipay.app_id = '2021'), /16-digit APPID/],
    [`${A}.app_id`, (d: Doc) => delete d.merchants[0].providers.alipay.app_id, /is missing/],
    [`${A}.private_key`, (d: Doc) => (d.merchants[0].providers.alipay.private_key = 'nope'), /application private key/],
    [
      `${A}.private_key`,
      (d: Doc) => (d.merchants[0].providers.alipay.private_key = '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----'),
      /not a readable RSA private key/,
    ],
    [`${A}.alipay_public_key`, (d: Doc) => delete d.merchants[0].providers.alipay.alipay_public_key, /public-key mode.*certificate mode/],
    [`${A}.alipay_public_key`, (d: Doc) => (d.merchants[0].providers.alipay.alipay_public_key = 'abc'), /not a readable RSA public key/],
    [`${A}.alipay_public_key`, (d: Doc) => (d.merchants[0].providers.alipay.alipay_public_key = TEST_APP_PUBLIC_KEY), /app public key/],
    [`${A}.alipay_public_key`, (d: Doc) => (d.merchants[0].providers.alipay.app_cert = CERT_APP_CERT), /not both/],
    [`${A}.seller_id`, (d: Doc) => (d.merchants[0].providers.alipay.seller_id = '1234'), /2088/],
    [`${A}.surprise`, (d: Doc) => (d.merchants[0].providers.alipay.surprise = 1), /not a known field/],
    [`${C}.alipay_root_cert`, (d: Doc) => delete d.merchants[2].providers.alipay.alipay_root_cert, /certificate mode needs/],
    [`${C}.app_cert`, (d: Doc) => (d.merchants[2].providers.alipay.app_cert = 'x'), /PEM certificate/],
    [`${C}.app_cert`, (d: Doc) => (d.merchants[2].providers.alipay.app_cert = CERT_ALIPAY_CERT), /public half of private_key/],
    [
      `${C}.alipay_cert`,
      (d: Doc) => (d.merchants[2].providers.alipay.alipay_cert = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----'),
      /cannot be read/,
    ],
    ['merchants[1].providers.alipay.gateway', (d: Doc) => (d.merchants[1].providers.alipay.gateway = 'http://openapi.alipay.com/gateway.do'), /https/],
  ])('names %s', (path, fn, problem) => {
    const e = errorOf(mutate(fn));
    expect(e.param).toBe(path);
    expect(e.message).toContain(path);
    expect(e.message).toMatch(problem);
  });

  // Alipay's own certificate format, as issued (alipay-sdk-nodejs-all's alipayCertPublicKey_RSA2.crt,
  // fixtures/upstream/): read, and refused only for its key.
  it('reads an Alipay-issued certificate and refuses it only for its key (upstream)', () => {
    const issued = UPSTREAM_CERTS.alipay;
    const asApp = errorOf(mutate((d) => (d.merchants[2].providers.alipay.app_cert = issued)));
    expect(asApp.param).toBe(`${C}.app_cert`);
    expect(asApp.message).toMatch(/public half of private_key/);
  });

  it('never echoes a private key in an error', () => {
    const e = errorOf(mutate((d) => (d.merchants[0].providers.alipay.private_key = '-----BEGIN RSA PRIVATE KEY-----secretbytes-----END RSA PRIVATE KEY-----')));
    expect(e.message).not.toContain('secretbytes');
  });
});
