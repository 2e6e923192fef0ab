// providers.unionpay validation: every error names the field and what to do (sandbox.unionpay:
// sandbox/src/config.test.ts).
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../config';
import { testConfigObject } from '../../../test/fixtures/config';

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
  it('accepts the test fixture', () => {
    const c = parseConfig(withUnionpay(() => {}));
    expect(c.merchants[0]!.providers.unionpay?.mer_id).toBe('777290058110048');
  });

  it('certId must be the DECIMAL serial, not hex', () => {
    expect(message(withUnionpay((u) => void (u.sign_cert_id = '10360C8A84')))).toContain(
      'merchants[0].providers.unionpay.sign_cert_id must be the DECIMAL serial',
    );
  });

  it('mer_id is 15 digits; sign_key a PEM private key (never echoed)', () => {
    expect(message(withUnionpay((u) => void (u.mer_id = '7772900581')))).toContain('mer_id must be the 15-digit');
    const m = message(withUnionpay((u) => void (u.sign_key = 'MIIEvQ-secret-bytes')));
    expect(m).toContain('sign_key must be the PEM private key extracted from the .pfx');
    expect(m).not.toContain('secret-bytes');
  });

  it('root and middle swapped, or from different environments, are caught', () => {
    expect(message(withUnionpay((u) => void ([u.root_cert, u.middle_cert] = [u.middle_cert, u.root_cert])))).toMatch(
      /middle_cert was not issued by root_cert .*swapped/,
    );
    expect(message(withUnionpay((u) => void (u.root_cert = 'not a pem')))).toContain('root_cert must be a PEM certificate');
  });

  it('unknown fields are refused; a live gateway must be https', () => {
    expect(message(withUnionpay((u) => void (u.secure_key = 'x')))).toContain('merchants[0].providers.unionpay.secure_key is not a known field');
    expect(message(withUnionpay((_u, doc) => void (doc.merchants[1].providers.unionpay.gateway = 'http://gateway.95516.com')))).toContain(
      'must be an https URL',
    );
  });
});
