// `POST /v1/checkout/sessions` validation, field by field and at each boundary: what is refused, and
// that every refusal names the field (`param`) the merchant has to fix. The body's schema runs first
// (as the route does), then the merchant's own rules (sessionParamsFor).

import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { loadConfig, type MerchantConfig } from '../../config';
import { ShouyinError } from '../../lib/errors';
import { ALIPAY_TEST, TEST } from '../../../test/fixtures/config';
import { issueToError } from '../openapi';
import { CreateSessionBody, MAX_AMOUNT, sessionParamsFor } from './sessions';

/** What the route does with a body: the schema, then the merchant's rules. Throws the route's error. */
function validateCreateSession(body: Record<string, unknown>, merchant: MerchantConfig) {
  const parsed = CreateSessionBody.safeParse(body);
  if (!parsed.success) throw issueToError(parsed.error.issues);
  return sessionParamsFor(parsed.data, merchant);
}

const merchants = loadConfig(env).merchants;
const merchant = (id: string): MerchantConfig => {
  const m = merchants.find((x) => x.id === id);
  if (!m) throw new Error(`no merchant ${id} in the test config`);
  return m;
};
/** Test mode, WeChat Pay + Alipay + UnionPay configured. */
const TEST_MERCHANT = merchant(TEST.merchant_id);
/** Live mode, the same three channels. */
const LIVE_MERCHANT = merchant(TEST.live_merchant_id);
/** Test mode, Alipay only. */
const ALIPAY_ONLY = merchant(ALIPAY_TEST.cert_merchant_id);

const valid = { amount: 8888, currency: 'CNY', description: '测试商品 Test item', merchant_order_id: 'T20240101001' };

/** The refusal of `body` as { status, param, code }, or a test failure when it was accepted. */
function refusal(
  body: Record<string, unknown>,
  m: MerchantConfig = TEST_MERCHANT,
): { status: number; param: string | undefined; code: string; message: string } {
  try {
    validateCreateSession(body, m);
  } catch (e) {
    if (!(e instanceof ShouyinError)) throw e;
    const err = e;
    return { status: err.status, param: err.param, code: err.code, message: err.message };
  }
  throw new Error(`accepted ${JSON.stringify(body)}`);
}
const accepts = (body: Record<string, unknown>, m: MerchantConfig = TEST_MERCHANT) => validateCreateSession(body, m);

describe('a valid request', () => {
  it('gets the defaults: every configured channel, 900 s, no return_url, empty metadata', () => {
    expect(accepts(valid)).toEqual({
      amount: 8888,
      currency: 'CNY',
      description: '测试商品 Test item',
      merchant_order_id: 'T20240101001',
      channels: ['wechat_pay', 'alipay', 'unionpay'],
      expires_in: 900,
      return_url: null,
      cancel_url: null,
      metadata: {},
    });
  });

  it('defaults channels to what this merchant has configured', () => {
    expect(accepts(valid, ALIPAY_ONLY).channels).toEqual(['alipay']);
  });

  it('keeps every optional field as given', () => {
    const body = {
      ...valid,
      channels: ['alipay', 'wechat_pay'],
      expires_in: 600,
      return_url: 'https://shop.test/thanks?session={CHECKOUT_SESSION_ID}',
      metadata: { order: '42' },
    };
    expect(accepts(body)).toMatchObject({
      channels: ['alipay', 'wechat_pay'],
      expires_in: 600,
      return_url: 'https://shop.test/thanks?session={CHECKOUT_SESSION_ID}',
      metadata: { order: '42' },
    });
  });
});

describe('unknown parameters', () => {
  it('names the unknown parameter, before any other problem', () => {
    expect(refusal({ ...valid, amount_total: 8888 })).toMatchObject({ status: 400, param: 'amount_total', code: 'parameter_unknown' });
    expect(refusal({ customer: 'x' })).toMatchObject({ param: 'customer', code: 'parameter_unknown' });
  });
});

describe('amount (integer fen)', () => {
  it.each([1, 8888, MAX_AMOUNT])('takes %d', (amount) => {
    expect(accepts({ ...valid, amount }).amount).toBe(amount);
  });

  it('is required', () => {
    const { amount: _, ...body } = valid;
    expect(refusal(body)).toMatchObject({ status: 400, param: 'amount', code: 'parameter_missing' });
  });

  it.each([
    ['zero', 0],
    ['negative', -1],
    ['one fen above the ceiling', MAX_AMOUNT + 1],
    ['yuan with a decimal point', 88.88],
    ['half a fen', 0.5],
    ['a string', '8888'],
    ['null', null],
    ['a boolean', true],
    ['Infinity', Infinity],
    ['NaN', NaN],
  ])('refuses %s, naming amount', (_what, amount) => {
    expect(refusal({ ...valid, amount })).toMatchObject({ status: 400, param: 'amount', code: 'parameter_invalid' });
  });

  it('the ceiling is ¥100,000,000.00', () => {
    expect(MAX_AMOUNT).toBe(100_000_000 * 100);
  });
});

describe('currency', () => {
  it('is required', () => {
    const { currency: _, ...body } = valid;
    expect(refusal(body)).toMatchObject({ param: 'currency', code: 'parameter_missing' });
  });

  it.each(['cny', 'USD', 'RMB', '', null, 156])('refuses %j: only "CNY"', (currency) => {
    expect(refusal({ ...valid, currency })).toMatchObject({ status: 400, param: 'currency', code: 'parameter_invalid' });
  });
});

describe('description', () => {
  it('is required', () => {
    const { description: _, ...body } = valid;
    expect(refusal(body)).toMatchObject({ param: 'description', code: 'parameter_missing' });
  });

  it('takes up to 127 characters, counted as characters rather than UTF-16 units', () => {
    expect(accepts({ ...valid, description: '商'.repeat(127) }).description).toHaveLength(127);
    // 127 emoji are 254 UTF-16 units but 127 characters.
    expect(accepts({ ...valid, description: '🧧'.repeat(127) }).description).toBe('🧧'.repeat(127));
  });

  it.each([
    ['128 characters', '商'.repeat(128)],
    ['empty', ''],
    ['only spaces', '   '],
    ['a newline', 'line\nbreak'],
    ['a NUL', 'a\u0000b'],
    ['DEL', 'a\u007fb'],
    ['a number', 8888],
  ])('refuses %s, naming description', (_what, description) => {
    expect(refusal({ ...valid, description })).toMatchObject({ status: 400, param: 'description', code: 'parameter_invalid' });
  });
});

describe('merchant_order_id', () => {
  it('is required', () => {
    const { merchant_order_id: _, ...body } = valid;
    expect(refusal(body)).toMatchObject({ param: 'merchant_order_id', code: 'parameter_missing' });
  });

  it.each(['A', 'a'.repeat(32), 'ORDER_2024-01-01_x9'])('takes %j', (id) => {
    expect(accepts({ ...valid, merchant_order_id: id }).merchant_order_id).toBe(id);
  });

  it.each([
    ['33 characters', 'a'.repeat(33)],
    ['empty', ''],
    ['a space', 'T 1'],
    ['Chinese', '订单1'],
    ['a slash', 'T/1'],
    ['a number', 1001],
  ])('refuses %s, naming merchant_order_id', (_what, id) => {
    expect(refusal({ ...valid, merchant_order_id: id })).toMatchObject({ status: 400, param: 'merchant_order_id', code: 'parameter_invalid' });
  });
});

describe('channels', () => {
  it.each([
    ['an empty list', []],
    ['a string', 'wechat_pay'],
    ['null', null],
  ])('refuses %s, naming channels', (_what, channels) => {
    expect(refusal({ ...valid, channels })).toMatchObject({ status: 400, param: 'channels' });
  });

  it('names the position of an unknown channel', () => {
    expect(refusal({ ...valid, channels: ['wechat_pay', 'paypal'] })).toMatchObject({ param: 'channels[1]', code: 'parameter_invalid' });
    expect(refusal({ ...valid, channels: [1] })).toMatchObject({ param: 'channels[0]' });
  });

  it('names the position of a channel the merchant has not configured, and lists what is', () => {
    const r = refusal({ ...valid, channels: ['alipay', 'wechat_pay'] }, ALIPAY_ONLY);
    expect(r).toMatchObject({ status: 400, param: 'channels[1]' });
    expect(r.message).toContain('configured: alipay');
  });

  it('refuses a repeated channel', () => {
    expect(refusal({ ...valid, channels: ['alipay', 'alipay'] })).toMatchObject({ param: 'channels' });
  });
});

describe('expires_in (seconds)', () => {
  it.each([60, 7200])('takes %d', (expires_in) => {
    expect(accepts({ ...valid, expires_in }).expires_in).toBe(expires_in);
  });

  it.each([59, 7201, 0, -900, 600.5, '900', null])('refuses %j, naming expires_in', (expires_in) => {
    expect(refusal({ ...valid, expires_in })).toMatchObject({ status: 400, param: 'expires_in', code: 'parameter_invalid' });
  });
});

describe('return_url', () => {
  it('null is the same as absent', () => {
    expect(accepts({ ...valid, return_url: null }).return_url).toBeNull();
  });

  it('takes an https URL of up to 2048 characters, exactly as given', () => {
    const long = `https://shop.test/${'a'.repeat(2048 - 'https://shop.test/'.length)}`;
    expect(accepts({ ...valid, return_url: long }).return_url).toBe(long);
    expect(refusal({ ...valid, return_url: `${long}a` })).toMatchObject({ param: 'return_url' });
  });

  it('takes http://localhost and http://127.0.0.1 in test mode only, when they are allowed origins', () => {
    const loopback = ['http://localhost:8787', 'http://127.0.0.1'];
    const devTest = { ...TEST_MERCHANT, allowed_origins: [...TEST_MERCHANT.allowed_origins, ...loopback] };
    const devLive = { ...LIVE_MERCHANT, allowed_origins: [...LIVE_MERCHANT.allowed_origins, ...loopback] };
    for (const url of ['http://localhost:8787/done', 'http://127.0.0.1/done']) {
      expect(accepts({ ...valid, return_url: url }, devTest).return_url).toBe(url);
      expect(refusal({ ...valid, return_url: url }, devLive)).toMatchObject({ status: 400, param: 'return_url' });
      // Loopback is no exception to allowed_origins.
      expect(refusal({ ...valid, return_url: url })).toMatchObject({ status: 400, param: 'return_url', code: 'parameter_invalid' });
    }
  });

  it("refuses a URL whose origin is not exactly one of the merchant's allowed_origins, naming them", () => {
    expect(TEST_MERCHANT.allowed_origins).toEqual(['https://shop.test']);
    for (const url of [
      'https://evil.test/done',
      'https://pay.shop.test/done',
      'https://shop.test.evil.test/done',
      'https://shop.test:8443/done',
      'https://shop.test@evil.test/done',
      'https://evil.test\\@shop.test/done',
      `https://${LIVE_MERCHANT.allowed_origins[0]!.slice('https://'.length)}/done`,
    ]) {
      const r = refusal({ ...valid, return_url: url });
      expect(r, url).toMatchObject({ status: 400, param: 'return_url', code: 'parameter_invalid' });
      expect(r.message).toContain('allowed_origins');
    }
    // The origin compares case- and default-port-insensitively, as browsers do.
    expect(accepts({ ...valid, return_url: 'https://SHOP.test:443/done' }).return_url).toBe('https://SHOP.test:443/done');
  });

  it.each([
    ['plain http', 'http://shop.test/thanks'],
    ['a relative path', '/thanks'],
    ['javascript:', 'javascript:alert(1)'],
    ['not a URL', 'shop.test/thanks'],
    ['a number', 1],
    ['an http host that only starts with localhost', 'http://localhost.evil.test/'],
  ])('refuses %s, naming return_url', (_what, return_url) => {
    expect(refusal({ ...valid, return_url })).toMatchObject({ status: 400, param: 'return_url', code: 'parameter_invalid' });
  });
});

describe('cancel_url', () => {
  it('takes a page on an allowed origin as given, placeholders and all', () => {
    const url = 'https://shop.test/cart?lang={LOCALE}&s={CHECKOUT_SESSION_ID}';
    expect(accepts({ ...valid, cancel_url: url }).cancel_url).toBe(url);
    expect(accepts({ ...valid, cancel_url: null }).cancel_url).toBeNull();
  });

  it.each([
    ['another origin', 'https://evil.test/cart'],
    ['plain http', 'http://shop.test/cart'],
    ['javascript:', 'javascript:alert(1)'],
    ['a relative path', '/cart'],
    ['a placeholder that would change the origin', 'https://shop.test{LOCALE}.evil.test/'],
    ['a number', 1],
  ])('refuses %s, naming cancel_url (not return_url)', (_what, cancel_url) => {
    expect(refusal({ ...valid, return_url: 'https://shop.test/done', cancel_url })).toMatchObject({
      status: 400,
      param: 'cancel_url',
      code: 'parameter_invalid',
    });
  });

  it('names allowed_origins when the origin is not listed', () => {
    expect(refusal({ ...valid, cancel_url: 'https://evil.test/cart' }).message).toMatch(/^cancel_url must be on one of .*allowed_origins/);
  });
});

describe('metadata', () => {
  it('takes up to 20 string values, keys of 1–40 characters, values of up to 500', () => {
    const twenty = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, 'v']));
    expect(accepts({ ...valid, metadata: twenty }).metadata).toEqual(twenty);
    const edges = { ['k'.repeat(40)]: 'v'.repeat(500) };
    expect(accepts({ ...valid, metadata: edges }).metadata).toEqual(edges);
    expect(accepts({ ...valid, metadata: { note: '' } }).metadata).toEqual({ note: '' });
  });

  it.each([
    ['an array', []],
    ['null', null],
    ['a string', 'order=42'],
  ])('refuses %s, naming metadata', (_what, metadata) => {
    expect(refusal({ ...valid, metadata })).toMatchObject({ status: 400, param: 'metadata' });
  });

  it('refuses a 21st key', () => {
    const many = Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, 'v']));
    expect(refusal({ ...valid, metadata: many })).toMatchObject({ param: 'metadata' });
  });

  it('names the key whose key or value is wrong', () => {
    const longKey = 'k'.repeat(41);
    expect(refusal({ ...valid, metadata: { [longKey]: 'v' } })).toMatchObject({ param: `metadata.${longKey}` });
    expect(refusal({ ...valid, metadata: { '': 'v' } })).toMatchObject({ param: 'metadata.' });
    expect(refusal({ ...valid, metadata: { order: 'v'.repeat(501) } })).toMatchObject({ param: 'metadata.order' });
    expect(refusal({ ...valid, metadata: { order: 42 } })).toMatchObject({ param: 'metadata.order' });
    expect(refusal({ ...valid, metadata: { order: null } })).toMatchObject({ param: 'metadata.order' });
  });
});
