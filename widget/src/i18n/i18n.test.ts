import { afterEach, describe, expect, it, vi } from 'vitest';
import en from './en';
import { fmt, loadLocale, pickLocale, translations as bundled } from './index';
import type { Locale, Translation } from './translation';
import zhCN from './zh-CN';
import zhTW from './zh-TW';

/** Every locale, the fetched one included. */
const translations: Record<Locale, Translation> = { en, 'zh-CN': zhCN, 'zh-TW': zhTW };

describe('pickLocale', () => {
  it('honours the locale attribute', () => {
    expect(pickLocale('zh-CN', ['en-US'])).toBe('zh-CN');
    expect(pickLocale('en', ['zh-CN'])).toBe('en');
    expect(pickLocale('zh-TW', ['en-US'])).toBe('zh-TW');
    expect(pickLocale('zh-CN', ['zh-TW'])).toBe('zh-CN');
    expect(pickLocale('en-GB', ['zh-CN'])).toBe('en');
  });

  it('follows the first of Chinese or English in the browser languages', () => {
    expect(pickLocale(null, ['zh-CN', 'en'])).toBe('zh-CN');
    expect(pickLocale(null, ['zh'])).toBe('zh-CN');
    expect(pickLocale(undefined, ['ja-JP', 'zh-SG', 'en'])).toBe('zh-CN');
    expect(pickLocale(null, ['zh-Hans-HK'])).toBe('zh-CN');
    expect(pickLocale(null, ['en-US', 'zh-CN'])).toBe('en');
    expect(pickLocale(null, ['fr-FR', 'de'])).toBe('en');
    expect(pickLocale(null, [])).toBe('en');
    expect(pickLocale('fr', ['zh-CN'])).toBe('zh-CN');
  });
});

describe('templates', () => {
  it('fill {0} and {1}, and every locale uses the same placeholders for a key', () => {
    expect(fmt(en.blocked, 'WeChat', 'Alipay')).toBe('Alipay can’t be used inside WeChat');
    expect(fmt(zhTW.expiresIn, '01:05')).toBe('QR Code 將於 01:05 後失效');
    for (const k of ['qrLabel', 'expiresIn', 'openApp', 'blocked'] as const) {
      const marks = (t: Translation) => (t[k].match(/\{\d\}/g) ?? []).sort().join();
      for (const t of Object.values(translations)) expect(marks(t), `${t.lang} ${k}`).toBe(marks(en));
    }
  });
});

describe('Traditional Chinese is fetched, not bundled', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('is not among the bundled locales until loaded from next to the script', async () => {
    expect(Object.keys(bundled).sort()).toEqual(['en', 'zh-CN']);
    const fetch = vi.fn(async (_url: string) => new Response(JSON.stringify(zhTW)));
    vi.stubGlobal('fetch', fetch);
    await loadLocale('zh-TW', 'https://pay.example');
    await loadLocale('zh-TW', 'https://pay.example');
    expect(fetch.mock.calls.map((c) => c[0])).toEqual(['https://pay.example/shouyin.zh-TW.json']);
    expect(bundled['zh-TW']).toEqual(zhTW);
    delete bundled['zh-TW'];
  });

  it('refuses a file that lacks a string (or has a non-string), leaving Simplified Chinese', async () => {
    const { retry: _, ...partial } = zhTW;
    for (const [i, body] of [JSON.stringify(partial), JSON.stringify({ ...partial, retry: 1 }), 'not json'].entries()) {
      vi.stubGlobal('fetch', async () => new Response(body));
      await loadLocale(`zh-TW${i}` as Locale, 'https://pay.example');
      expect(bundled[`zh-TW${i}` as Locale]).toBeUndefined();
    }
  });
});

describe('Traditional Chinese', () => {
  it('is chosen for Taiwan, Hong Kong and Macau browsers and for zh-Hant', () => {
    for (const l of ['zh-TW', 'zh-HK', 'zh-MO', 'zh-Hant', 'zh-Hant-TW', 'ZH-hk']) expect(pickLocale(null, [l, 'en']), l).toBe('zh-TW');
    expect(pickLocale(null, ['ja', 'zh-HK'])).toBe('zh-TW');
    expect(pickLocale(null, ['en', 'zh-TW'])).toBe('en');
  });

  it('writes no Simplified-only character (each has its own Traditional form)', () => {
    // The Simplified characters of zh-CN.ts whose Traditional form differs.
    const simplified = /[载应选择银联闪扫请码后发连网页开复链钱转确认结浏览击边单户无购们还过门话时长这个现订额试宝云维经问题络检暂换册从点号败码条]/;
    const all = (o: object): string[] =>
      Object.values(o).flatMap((v) => (typeof v === 'object' ? all(v) : typeof v === 'function' ? [v('X', 'Y')] : [String(v)]));
    for (const s of all(translations['zh-TW'])) expect(s, s).not.toMatch(simplified);
  });
});

describe('translations', () => {
  const shape = (o: object): string[] =>
    Object.entries(o)
      .flatMap(([k, v]) => (typeof v === 'object' ? shape(v).map((s) => `${k}.${s}`) : [k]))
      .sort();

  it('every locale has every key (the type check enforces it; this guards casts)', () => {
    expect(Object.keys(translations).sort()).toEqual(['en', 'zh-CN', 'zh-TW']);
    for (const t of Object.values(translations)) expect(shape(t), t.lang).toEqual(shape(translations.en));
  });

  it('no string is left empty or untranslated', () => {
    const leaves = (o: object, p = ''): [string, string][] =>
      Object.entries(o).flatMap(([k, v]) => (typeof v === 'object' ? leaves(v, `${p}${k}.`) : [[`${p}${k}`, String(v)] as [string, string]]));
    const en = new Map(leaves(translations.en));
    for (const lang of ['zh-CN', 'zh-TW'] as const) {
      for (const [k, v] of leaves(translations[lang])) {
        expect(v.trim(), `${lang} ${k}`).not.toBe('');
        // Only the language tag and the bilingual test-mode labels may equal English.
        if (k !== 'lang' && !/Pay on|sandbox/i.test(v)) expect(v, `${lang} ${k}`).not.toBe(en.get(k));
      }
    }
  });

  it('uses the wallets’ own Chinese names and instructions', () => {
    const zh = translations['zh-CN'];
    expect(zh.channel).toEqual({ wechat_pay: '微信支付', alipay: '支付宝', unionpay: '银联 / 云闪付' });
    expect(zh.scanWith.wechat_pay).toBe('请使用微信扫一扫');
    expect(zh.scanWith.alipay).toBe('请使用支付宝扫一扫');
  });

  it('labels the sandbox wallet link in English and Chinese in every locale', () => {
    for (const t of Object.values(translations)) expect(t.sandboxWallet).toContain('Open sandbox wallet');
    expect(translations.en.sandboxWallet).toContain('打开沙箱钱包');
    expect(translations['zh-CN'].sandboxWallet).toContain('打开沙箱钱包');
    expect(translations['zh-TW'].sandboxWallet).toContain('開啟沙箱錢包');
  });
});

describe('pay on the provider’s website', () => {
  it('names the button in both languages in either locale (browser tests find it by either)', () => {
    for (const t of [translations.en, translations['zh-CN']]) {
      expect(t.payOnSite.alipay).toMatch(/在支付宝网页中支付/);
      expect(t.payOnSite.unionpay).toMatch(/银联.*UnionPay|UnionPay.*银联/);
    }
    for (const t of Object.values(translations)) expect(t.payOnSite.alipay).toMatch(/Pay on the Alipay website/);
    expect(translations['zh-TW'].payOnSite.alipay).toMatch(/^在支付寶網頁中付款/);
    expect(translations.en.payOnSite.alipay!.startsWith('Pay on')).toBe(true);
    expect(translations['zh-CN'].payOnSite.alipay!.startsWith('在')).toBe(true);
  });
});
