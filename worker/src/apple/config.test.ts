import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config';
import vectors from '../crypto/fixtures/vectors.json';
import { derToPem } from '../crypto/pem';
import { testConfigObject } from '../../test/fixtures/config';
import { buildChain } from '../../../sandbox/src/apple/pki';
import { parseAppleConfig } from './config';

const P = 'merchants[0].apple';
const SECRET = '5f2e8a1c9b3d4e7f8a6b2c1d0e9f8a7b';

function problem(v: unknown, livemode = false): string {
  try {
    parseAppleConfig(v, P, livemode);
  } catch (e) {
    return (e as Error).message;
  }
  return 'ok';
}

describe('apple config', async () => {
  const chain = await buildChain('sk_test_config00000000000000000000', '');
  const rootPem = derToPem(chain.root.der, 'CERTIFICATE');
  const intermediatePem = derToPem(chain.intermediate.der, 'CERTIFICATE');

  it('defaults: production first, sandbox allowed, Apple endpoints', () => {
    expect(parseAppleConfig({ bundle_id: 'com.example.app' }, P, false)).toEqual({
      bundle_id: 'com.example.app',
      environment: 'production',
      allow_sandbox: true,
    });
  });

  it('reads every field', () => {
    const cfg = parseAppleConfig(
      {
        bundle_id: 'com.example.app',
        shared_secret: SECRET,
        environment: 'sandbox',
        allow_sandbox: true,
        root_certificates: [rootPem.replace(/\n/g, '\\n')],
        verify_receipt_url: 'https://verify.example/verifyReceipt',
        sandbox_url: 'https://verify.example/sandbox/verifyReceipt',
      },
      P,
      true,
    );
    expect(cfg.shared_secret).toBe(SECRET);
    expect(cfg.environment).toBe('sandbox');
    expect(cfg.root_certificates).toHaveLength(1);
    expect(cfg.sandbox_url).toBe('https://verify.example/sandbox/verifyReceipt');
  });

  it('names the field of every problem', () => {
    expect(problem('x')).toBe(`SHOUYIN_CONFIG ${P} must be an object.`);
    expect(problem({})).toBe(`SHOUYIN_CONFIG ${P}.bundle_id is missing.`);
    expect(problem({ bundle_id: 'myapp' })).toMatch(
      /^SHOUYIN_CONFIG merchants\[0\]\.apple\.bundle_id must be the app's bundle identifier .*\(got "myapp"\)\.$/,
    );
    expect(problem({ bundle_id: 'com.example_app' })).toMatch(/apple\.bundle_id must be/);
    expect(problem({ bundle_id: 'com.example.app', bundleId: 'x' })).toBe(`SHOUYIN_CONFIG ${P}.bundleId is not a known field.`);
    expect(problem({ bundle_id: 'com.example.app', environment: 'Production' })).toMatch(
      /apple\.environment must be "production" or "sandbox" \(got "Production"\)/,
    );
    expect(problem({ bundle_id: 'com.example.app', allow_sandbox: 'no' })).toBe(`SHOUYIN_CONFIG ${P}.allow_sandbox must be true or false.`);
    expect(problem({ bundle_id: 'com.example.app', environment: 'sandbox', allow_sandbox: false })).toMatch(
      /apple\.allow_sandbox is false while environment is "sandbox"/,
    );
    expect(problem({ bundle_id: 'com.example.app', root_certificates: [] })).toMatch(/apple\.root_certificates must be a non-empty array/);
    expect(problem({ bundle_id: 'com.example.app', root_certificates: ['nope'] })).toMatch(/apple\.root_certificates\[0\] must be a PEM certificate/);
    expect(problem({ bundle_id: 'com.example.app', root_certificates: [rootPem, intermediatePem] })).toMatch(
      /apple\.root_certificates\[1\] is not a root certificate/,
    );
    expect(problem({ bundle_id: 'com.example.app', root_certificates: [rootPem], verify_receipt_url: 'http://verify.example/x' }, true)).toMatch(
      /apple\.verify_receipt_url must be an https URL/,
    );
  });

  it('never echoes the shared secret', () => {
    const wrong = 'not-the-secret-zzzzzzzzzzzzzzzzzzzzzz';
    const msg = problem({ bundle_id: 'com.example.app', shared_secret: wrong });
    expect(msg).toMatch(/^SHOUYIN_CONFIG merchants\[0\]\.apple\.shared_secret must be the 32-hex-character app-specific shared secret/);
    expect(msg).not.toContain(wrong);
  });

  it('a live merchant must pin Apple Root CA - G3; a test merchant may trust its sandbox instead', () => {
    expect(problem({ bundle_id: 'com.example.app' }, true)).toMatch(/apple\.root_certificates is missing: a live merchant must pin Apple Root CA - G3/);
    expect(problem({ bundle_id: 'com.example.app', root_certificates: [rootPem] }, true)).toBe('ok');
    expect(problem({ bundle_id: 'com.example.app' }, false)).toBe('ok');
  });

  it('refuses an RSA root: App Store JWS chain to an ECC root', () => {
    // A self-signed RSA certificate (the WeChat Pay vector).
    expect(problem({ bundle_id: 'com.example.app', root_certificates: [vectors.wechat_v3_notify.platform_cert_pem] })).toMatch(
      /root_certificates\[0\] holds no EC key/,
    );
  });

  it('is a known merchant field of SHOUYIN_CONFIG', () => {
    const doc = testConfigObject() as { merchants: Record<string, unknown>[] };
    const m = doc.merchants[0] as Record<string, unknown>;
    m.apple = { bundle_id: 'com.example.app', environment: 'staging' };
    expect(() => parseConfig(JSON.stringify(doc))).toThrow(/^SHOUYIN_CONFIG merchants\[0\]\.apple\.environment must be "production" or "sandbox"/);
    m.apple = { bundle_id: 'com.example.app' };
    expect(parseConfig(JSON.stringify(doc)).merchants[0]?.apple?.bundle_id).toBe('com.example.app');
  });
});
