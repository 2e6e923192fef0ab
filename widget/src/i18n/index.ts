import en from './en';
import type { Locale, Translation } from './translation';
import zhCN from './zh-CN';
import zhTW from './zh-TW';

export type { Locale, Translation };

export const translations: Record<Locale, Translation> = { 'zh-CN': zhCN, 'zh-TW': zhTW, en };

/**
 * The locale to use: an explicit `locale` attribute wins; otherwise the first Chinese or English
 * entry of the shopper's language list, else English. Traditional Chinese for `zh-TW`, `zh-HK`,
 * `zh-MO` and any `zh-Hant…`; Simplified for every other Chinese tag.
 */
export function pickLocale(attr: string | null | undefined, languages: readonly string[] = []): Locale {
  for (const lang of [attr ?? '', ...languages]) {
    const l = lang.toLowerCase();
    if (/^zh-(tw|hk|mo|hant)/.test(l)) return 'zh-TW';
    if (l.startsWith('zh')) return 'zh-CN';
    if (l.startsWith('en')) return 'en';
  }
  return 'en';
}
