import { describe, expect, it } from 'vitest';
import { pickLocale, translations } from './index';

describe('pickLocale', () => {
  it('honours the locale attribute', () => {
    expect(pickLocale('zh-CN', ['en-US'])).toBe('zh-CN');
    expect(pickLocale('en', ['zh-CN'])).toBe('en');
    expect(pickLocale('zh-TW', ['en-US'])).toBe('zh-CN');
    expect(pickLocale('en-GB', ['zh-CN'])).toBe('en');
  });

  it('follows the first of Chinese or English in the browser languages', () => {
    expect(pickLocale(null, ['zh-CN', 'en'])).toBe('zh-CN');
    expect(pickLocale(null, ['zh'])).toBe('zh-CN');
    expect(pickLocale(undefined, ['ja-JP', 'zh-HK', 'en'])).toBe('zh-CN');
    expect(pickLocale(null, ['en-US', 'zh-CN'])).toBe('en');
    expect(pickLocale(null, ['fr-FR', 'de'])).toBe('en');
    expect(pickLocale(null, [])).toBe('en');
    expect(pickLocale('fr', ['zh-CN'])).toBe('zh-CN');
  });
});

describe('translations', () => {
  const shape = (o: object): string[] =>
    Object.entries(o)
      .flatMap(([k, v]) => (typeof v === 'object' ? shape(v).map((s) => `${k}.${s}`) : [k]))
      .sort();

  it('zh-CN and en have the same keys (the type check enforces it; this guards casts)', () => {
    expect(shape(translations.en)).toEqual(shape(translations['zh-CN']));
  });

  it('uses the wallets’ own Chinese names and instructions', () => {
    const zh = translations['zh-CN'];
    expect(zh.channel).toEqual({ wechat_pay: '微信支付', alipay: '支付宝', unionpay: '银联 / 云闪付' });
    expect(zh.scanWith.wechat_pay).toBe('请使用微信扫一扫');
    expect(zh.scanWith.alipay).toBe('请使用支付宝扫一扫');
  });

  it('labels the sandbox wallet link in both languages in either locale', () => {
    for (const t of Object.values(translations)) {
      expect(t.sandboxWallet).toContain('打开沙箱钱包');
      expect(t.sandboxWallet).toContain('Open sandbox wallet');
    }
  });
});

describe('pay on the provider’s website', () => {
  it('names the button in both languages in either locale (browser tests find it by either)', () => {
    for (const t of Object.values(translations)) {
      expect(t.payOnSite.alipay).toMatch(/在支付宝网页中支付/);
      expect(t.payOnSite.alipay).toMatch(/Pay on the Alipay website/);
      expect(t.payOnSite.unionpay).toMatch(/银联.*UnionPay|UnionPay.*银联/);
    }
    expect(translations.en.payOnSite.alipay!.startsWith('Pay on')).toBe(true);
    expect(translations['zh-CN'].payOnSite.alipay!.startsWith('在')).toBe(true);
  });
});
