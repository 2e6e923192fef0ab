import { describe, expect, it } from 'vitest';
import { parseConfig, type MerchantConfig } from '../config';
import { APPLE_SANDBOX_ROOT_PEM, TEST, WECHAT_TEST, testConfigObject } from '../../test/fixtures/config';
import { UNIONPAY_SANDBOX_SIGN_CERT } from '../../test/fixtures/unionpay-certs';
import { DAY_MS, crossedThreshold, daysLeft, expiringWithin, merchantCredentials, withDaysLeft } from './health';

type Doc = { merchants: Record<string, any>[] };

/** The test configuration, with a WeChat Pay platform certificate on the demo merchant and an mTLS binding on the APIv2 one. */
function merchants(): Map<string, MerchantConfig> {
  const doc = testConfigObject() as unknown as Doc;
  const demo = doc.merchants.find((m) => m.id === TEST.merchant_id)!;
  demo.providers.wechat_pay.platform_certificates = [{ serial: '3EEC8A7B2584A1EB', certificate: UNIONPAY_SANDBOX_SIGN_CERT }];
  doc.merchants.find((m) => m.id === WECHAT_TEST.v2_merchant_id)!.providers.wechat_pay.mtls_certificate = 'WECHAT_PAY_CERT';
  return new Map(parseConfig(JSON.stringify(doc)).merchants.map((m) => [m.id, m]));
}

describe('merchantCredentials', () => {
  const all = merchants();

  it('lists every certificate of a merchant on every rail, with subject, serial and notAfter', () => {
    const list = merchantCredentials(all.get(TEST.merchant_id)!);
    expect(list.map((c) => [c.channel, c.credential, c.not_after])).toEqual([
      ['wechat_pay', 'providers.wechat_pay.platform_certificates[0]', '2046-01-01T00:00:00.000Z'],
      ['unionpay', 'providers.unionpay.sign_cert_id', null],
      ['unionpay', 'providers.unionpay.middle_cert', '2051-01-01T00:00:00.000Z'],
      ['unionpay', 'providers.unionpay.root_cert', '2056-01-01T00:00:00.000Z'],
      ['apple', 'apple.root_certificates[0]', '2049-12-31T23:59:59.000Z'],
    ]);
    const platform = list[0]!;
    expect(platform.serial).toBe('3EEC8A7B2584A1EB');
    expect(platform.subject).toContain('CN=041@Z2026-01-01@00040000:SIGN@00000001');
    // The signing certificate itself is not configured: its serial, no date, and how to find it.
    expect(list[1]).toMatchObject({ serial: '69629715588', subject: null, not_after: null });
    expect(list[1]!.note).toMatch(/openssl pkcs12/);
    expect(list[4]!.subject).toContain('Shouyin Sandbox Apple Root CA');
    expect(APPLE_SANDBOX_ROOT_PEM).toContain('BEGIN CERTIFICATE');
  });

  it('lists each certificate of an Alipay certificate-mode merchant, the root bundle one by one', () => {
    const list = merchantCredentials(all.get('certshop')!);
    expect(list.map((c) => c.credential)).toEqual([
      'providers.alipay.app_cert',
      'providers.alipay.alipay_cert',
      'providers.alipay.alipay_root_cert[0]',
      'providers.alipay.alipay_root_cert[1]',
    ]);
    expect(list.every((c) => c.channel === 'alipay' && c.not_after === '2056-11-20T17:59:06.000Z')).toBe(true);
    expect(list[0]!.serial).toBe('4B1D0A11CE0001');
    expect(list[3]!.subject).toContain('Shouyin Test Alipay Root CA R1');
  });

  it('lists the APIv2 mTLS binding with an unknown date, and nothing for public-key modes', () => {
    expect(merchantCredentials(all.get(WECHAT_TEST.v2_merchant_id)!)).toEqual([
      expect.objectContaining({ channel: 'wechat_pay', credential: 'providers.wechat_pay.mtls_certificate', serial: 'WECHAT_PAY_CERT', not_after: null }),
    ]);
    expect(merchantCredentials(all.get(WECHAT_TEST.v3oauth_merchant_id)!)).toEqual([]);
  });

  it('never carries key material', () => {
    const text = JSON.stringify([...all.values()].flatMap(merchantCredentials));
    expect(text).not.toMatch(/PRIVATE KEY|BEGIN|whsec_|sk_test_/);
  });
});

describe('expiry', () => {
  const middle = merchantCredentials(merchants().get(TEST.merchant_id)!)[2]!;
  const end = Date.parse(middle.not_after!);

  it('counts whole days left, negative once expired', () => {
    expect(daysLeft(middle.not_after!, end - 30 * DAY_MS)).toBe(30);
    expect(daysLeft(middle.not_after!, end - 23 * 3600_000)).toBe(0);
    expect(daysLeft(middle.not_after!, end + 1)).toBe(-1);
    expect(withDaysLeft(merchantCredentials(merchants().get(TEST.merchant_id)!)[1]!, end).days_left).toBeNull();
  });

  it('filters what expires within N days, expired included, soonest first', () => {
    const list = merchantCredentials(merchants().get(TEST.merchant_id)!);
    const first = Date.parse(list[0]!.not_after!); // the platform certificate, 2046: the earliest
    expect(expiringWithin(list, first - 31 * DAY_MS, 30)).toEqual([]);
    expect(expiringWithin(list, first - 30 * DAY_MS, 30).map((c) => c.credential)).toEqual(['providers.wechat_pay.platform_certificates[0]']);
    // At the middle certificate's end: the platform certificate (2046) and the Apple root (2049) expired before it.
    const later = expiringWithin(list, end, 30);
    expect(later.map((c) => [c.credential, c.days_left])).toEqual([
      ['providers.wechat_pay.platform_certificates[0]', -1826],
      ['apple.root_certificates[0]', -366],
      ['providers.unionpay.middle_cert', 0],
    ]);
  });

  it('names the tightest threshold crossed: 30, 7, 1 days, or none', () => {
    const at = (days: number) => crossedThreshold(middle, end - days * DAY_MS);
    expect(at(31)).toBeNull();
    expect(at(30)).toBe(30);
    expect(at(8)).toBe(30);
    expect(at(7)).toBe(7);
    expect(at(1.5)).toBe(7);
    expect(at(1)).toBe(1);
    expect(at(-10)).toBe(1);
    expect(crossedThreshold({ ...middle, not_after: null }, end)).toBeNull();
  });
});
