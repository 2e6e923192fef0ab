// providers.unionpay / sandbox.unionpay validation: every error names the field and what to do.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../config';
import { testConfigObject } from '../../../test/fixtures/config';
import { UNIONPAY_MIDDLE_CERT, UNIONPAY_ROOT_CERT, IMPOSTOR_MIDDLE_CERT } from '../../../test/fixtures/unionpay-certs';

type O = Record<string, any>;
function withUnionpay(edit: (u: O, doc: O) => void): string {
  const doc = testConfigObject() as O;
  edit(doc.merchants[0].providers.unionpay, doc);
  return JSON.stringify(doc);
}
const message = (raw: string): string => {
  try {
    parseConfig(raw);
    return 'ok';
  } catch (e) {
    return (e as Error).message;
  }
};

describe('providers.unionpay', () => {
  it('accepts the test fixture (built-in sandbox, chain = sandbox.unionpay’s)', () => {
    const c = parseConfig(withUnionpay(() => {}));
    expect(c.merchants[0]!.providers.unionpay?.mer_id).toBe('777290058110048');
    expect(c.sandbox.unionpay?.sign_cert).toContain('BEGIN CERTIFICATE');
  });

  it('certId must be the DECIMAL serial, not hex', () => {
    expect(message(withUnionpay((u) => void (u.sign_cert_id = '10360C8A84')))).toContain('merchants[0].providers.unionpay.sign_cert_id must be the DECIMAL serial');
  });

  it('mer_id is 15 digits; sign_key a PEM private key (never echoed)', () => {
    expect(message(withUnionpay((u) => void (u.mer_id = '7772900581')))).toContain('mer_id must be the 15-digit');
    const m = message(withUnionpay((u) => void (u.sign_key = 'MIIEvQ-secret-bytes')));
    expect(m).toContain('sign_key must be the PEM private key extracted from the .pfx');
    expect(m).not.toContain('secret-bytes');
  });

  it('root and middle swapped, or from different environments, are caught', () => {
    expect(message(withUnionpay((u) => void ([u.root_cert, u.middle_cert] = [u.middle_cert, u.root_cert])))).toMatch(/middle_cert was not issued by root_cert .*swapped/);
    expect(message(withUnionpay((u) => void (u.root_cert = 'not a pem')))).toContain('root_cert must be a PEM certificate');
  });

  it('a test merchant on the built-in sandbox must trust the sandbox’s chain, and needs sandbox.unionpay', () => {
    expect(message(withUnionpay((u) => void (u.middle_cert = IMPOSTOR_MIDDLE_CERT)))).toContain('must be sandbox.unionpay.middle_cert');
    expect(message(withUnionpay((_u, doc) => void delete doc.sandbox.unionpay))).toContain('sandbox.unionpay is missing');
    // With its own gateway (UnionPay's test environment), the sandbox's chain is not required.
    expect(message(withUnionpay((u, doc) => {
      u.gateway = 'https://gateway.test.95516.com';
      u.middle_cert = IMPOSTOR_MIDDLE_CERT;
      delete doc.sandbox.unionpay;
      doc.merchants[1].providers.unionpay.gateway = 'https://gateway.95516.com';
      doc.merchants[6].providers.unionpay.gateway = 'https://gateway.test.95516.com';
    }))).toBe('ok');
  });

  it('unknown fields are refused; a live gateway must be https', () => {
    expect(message(withUnionpay((u) => void (u.secure_key = 'x')))).toContain('merchants[0].providers.unionpay.secure_key is not a known field');
    expect(message(withUnionpay((_u, doc) => void (doc.merchants[1].providers.unionpay.gateway = 'http://gateway.95516.com')))).toContain('must be an https URL');
  });
});

describe('sandbox.unionpay', () => {
  it('its signing certificate must be issued by its middle', () => {
    const doc = testConfigObject() as O;
    doc.sandbox.unionpay.sign_cert = UNIONPAY_MIDDLE_CERT;
    expect(message(JSON.stringify(doc))).toContain('sandbox.unionpay.sign_cert was not issued by middle_cert');
    doc.sandbox.unionpay.sign_cert = UNIONPAY_ROOT_CERT;
    expect(message(JSON.stringify(doc))).toContain('sandbox.unionpay.sign_cert was not issued by middle_cert');
  });
});
