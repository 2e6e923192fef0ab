import en from './en';
import type { Locale, Translation } from './translation';
import zhCN from './zh-CN';

export type { Locale, Translation };

export const translations: Record<Locale, Translation> = { 'zh-CN': zhCN, en };

/**
 * The locale to use: an explicit `locale` attribute wins; otherwise Chinese when the shopper's
 * language list ranks any Chinese variant above English, else English.
 */
export function pickLocale(attr: string | null | undefined, languages: readonly string[] = []): Locale {
  for (const lang of [attr ?? '', ...languages]) {
    const l = lang.toLowerCase();
    if (l.startsWith('zh')) return 'zh-CN';
    if (l.startsWith('en')) return 'en';
  }
  return 'en';
}
