import { describe, expect, it } from 'vitest';
import { testConfigObject, TEST } from '../test/fixtures/config';
import { parseConfig, parseConfigEntries, parseMerchantEntry } from './config';

type Doc = ReturnType<typeof testConfigObject> & Record<string, any>;

function mutate(fn: (d: any) => void): string {
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

describe('SHOUYIN_CONFIG validation', () => {
  it('accepts the test config and derives each merchant mode from its keys', () => {
    const c = parseConfig(JSON.stringify(testConfigObject()));
    expect(c.merchants.map((m) => [m.id, m.livemode])).toEqual([
      ['demo', false],
      ['live', true],
      ['certshop', false],
      ['v2shop', false],
      ['v2hmac', false],
      ['v3oauth', false],
      ['recon', false],
      ['reconv2', false],
      ['lists', false],
      ['lists2', false],
      ['hooks', false],
    ]);
  });

  it('accepts a sandbox section without reading it (the sandbox Worker does: sandbox/src/config.ts)', () => {
    const c = parseConfig(mutate((d) => (d.sandbox = { time_scale: 0, wechat_pay: 'not read here' })));
    expect(c.merchants[0]?.id).toBe('demo');
    expect(c).not.toHaveProperty('sandbox');
  });

  it('says what to do when the config is missing or not JSON', () => {
    expect(errorOf('').message).toMatch(/npm start|wrangler secret put/);
    expect(errorOf('{').message).toMatch(/not valid JSON/);
  });

  it.each([
    ['merchants[0].providers.wechat_pay.mchid', (d: any) => delete d.merchants[0].providers.wechat_pay.mchid, /is missing/],
    ['merchants[0].providers.wechat_pay.mchid', (d: any) => (d.merchants[0].providers.wechat_pay.mchid = 'abc'), /digits/],
    ['merchants[0].providers.wechat_pay.apiv3_key', (d: any) => (d.merchants[0].providers.wechat_pay.apiv3_key = 'short'), /32 ASCII/],
    ['merchants[0].providers.wechat_pay.private_key', (d: any) => (d.merchants[0].providers.wechat_pay.private_key = 'nope'), /PEM private key/],
    ['merchants[0].providers.wechat_pay.wechatpay_public_key', (d: any) => delete d.merchants[0].providers.wechat_pay.wechatpay_public_key, /go together/],
    [
      'merchants[0].providers.wechat_pay.wechatpay_public_key_id',
      (d: any) => {
        delete d.merchants[0].providers.wechat_pay.wechatpay_public_key;
        delete d.merchants[0].providers.wechat_pay.wechatpay_public_key_id;
      },
      /platform_certificates/,
    ],
    [
      'merchants[0].providers.wechat_pay.platform_certificates[0].certificate',
      (d: any) => (d.merchants[0].providers.wechat_pay.platform_certificates = [{ serial: 'ABCDEF0123', certificate: 'x' }]),
      /PEM certificate/,
    ],
    ['merchants[0].providers.wechat_pay.api_version', (d: any) => (d.merchants[0].providers.wechat_pay.api_version = 'v1'), /"v3".*"v2"/],
    ['merchants[0].providers.wechat_pay.surprise', (d: any) => (d.merchants[0].providers.wechat_pay.surprise = 1), /not a known field/],
    ['merchants[0].secret_keys[0]', (d: any) => (d.merchants[0].secret_keys = ['pk_test_x']), /sk_test_ or sk_live_/],
    ['merchants[0].secret_keys', (d: any) => d.merchants[0].secret_keys.push(TEST.live_secret_key.replace('Live0', 'Other')), /mixes/],
    ['merchants[1].secret_keys[0]', (d: any) => (d.merchants[1].secret_keys = [TEST.secret_key]), /another merchant/],
    ['merchants[1].id', (d: any) => (d.merchants[1].id = 'demo'), /duplicates/],
    ['merchants[0].allowed_origins[0]', (d: any) => (d.merchants[0].allowed_origins = ['https://shop.test/']), /without path/],
    ['merchants[0].webhook.secret', (d: any) => (d.merchants[0].webhook.secret = 'secret'), /whsec_/],
    ['merchants[0].providers.alipay.app_id', (d: any) => (d.merchants[0].providers.alipay = {}), /is missing/],
    ['merchants[1].providers.wechat_pay.api_base', (d: any) => (d.merchants[1].providers.wechat_pay.api_base = 'http://api.example.com'), /https/],
    ['public_base_url', (d: any) => (d.public_base_url = 'http://pay.example.com'), /https when a live merchant/],
  ])('names %s', (path, fn, problem) => {
    const e = errorOf(mutate(fn));
    expect(e.param).toBe(path);
    expect(e.message).toContain(path);
    expect(e.message).toMatch(problem);
  });

  it('never echoes a secret in an error', () => {
    const secret = 'super-secret-apiv3-key-value-123';
    const e = errorOf(mutate((d) => (d.merchants[0].providers.wechat_pay.apiv3_key = `${secret}!`)));
    expect(e.message).not.toContain(secret);
    const k = errorOf(mutate((d) => (d.merchants[0].providers.wechat_pay.private_key = '-----BEGIN PRIVATE KEY-----secretbytes')));
    expect(k.message).not.toContain('secretbytes');
  });
});

describe('one merchant entry at a time', () => {
  it('serving, a broken merchant is refused alone and the others are kept, in document order', () => {
    const raw = mutate((d) => {
      d.merchants[0].providers.wechat_pay.apiv3_key = 'short';
      d.merchants[2].id = 'demo';
    });
    const r = parseConfigEntries(raw);
    expect(r.problems.map((p) => p.param)).toEqual(['merchants[0].providers.wechat_pay.apiv3_key']);
    // With merchants[0] refused, merchants[2] no longer repeats an id that is served.
    expect(r.merchants.map((m) => m.id)).toEqual(['live', 'demo', 'v2shop', 'v2hmac', 'v3oauth', 'recon', 'reconv2', 'lists', 'lists2', 'hooks']);
    // A later repeat of a served id or key is what gets refused, never the earlier merchant.
    const dup = parseConfigEntries(mutate((d) => (d.merchants[3].secret_keys = [TEST.secret_key])));
    expect(dup.problems.map((p) => p.param)).toEqual(['merchants[3].secret_keys[0]']);
    expect(dup.merchants.map((m) => m.id)).not.toContain('v2shop');
    expect(dup.merchants.map((m) => m.id)).toContain('demo');
  });

  it('serving, an unset document is no problem (every merchant may be in the registry), and root errors are reported', () => {
    expect(parseConfigEntries(undefined)).toEqual({ public_base_url: null, merchants: [], problems: [] });
    expect(parseConfigEntries('{').problems.map((p) => p.param)).toEqual(['(root)']);
    const noBase = parseConfigEntries(mutate((d) => delete d.public_base_url));
    expect(noBase.problems).toEqual([]);
    expect(noBase.public_base_url).toBeNull();
  });

  it('parses one entry alone with paths from its top (the admin API), keys optional when livemode says the mode', () => {
    const entry = (testConfigObject().merchants as Record<string, unknown>[])[0] as Record<string, unknown>;
    const { id: _id, secret_keys: _keys, ...rest } = entry;
    const m = parseMerchantEntry({ ...rest, livemode: false }, '', { id: 'newshop', keysOptional: true });
    expect([m.id, m.livemode, m.secret_keys]).toEqual(['newshop', false, []]);
    const refused = (v: unknown, opts = { id: 'newshop', keysOptional: true }) => {
      try {
        parseMerchantEntry(v, '', opts);
      } catch (e) {
        return (e as { param?: string }).param;
      }
      return 'accepted';
    };
    expect(refused(rest)).toBe('livemode');
    expect(refused({ ...rest, livemode: true, secret_keys: [TEST.secret_key] })).toBe('livemode');
    expect(refused({ ...rest, livemode: false, id: 'other' })).toBe('id');
    expect(refused({ ...rest, livemode: false, providers: { wechat_pay: {} } })).toBe('providers.wechat_pay.appid');
    expect(refused({ ...rest, livemode: false, surprise: 1 })).toBe('surprise');
    expect(refused({ ...rest, livemode: false }, { id: 'Bad Id', keysOptional: true })).toBe('id');
  });
});
