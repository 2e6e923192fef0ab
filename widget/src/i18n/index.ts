import en from './en';
import type { Locale, Translation } from './translation';
import zhCN from './zh-CN';

export type { Locale, Translation };

/**
 * The bundled locales; Traditional Chinese joins once fetched (`loadLocale`). Kept out of the bundle:
 * every shopper would download it, and few need it (docs/widget.md, "Languages").
 */
export const translations: Partial<Record<Locale, Translation>> = { 'zh-CN': zhCN, en };

/** A template with `{0}`, `{1}` filled in. */
export const fmt = (s: string, ...args: string[]): string => s.replace(/\{(\d)\}/g, (_, i: string) => args[+i] ?? '');

/** `v` has every key of `ref`, each a string or an object of the same shape. */
const sameShape = (ref: object, v: unknown): boolean =>
  !!v &&
  typeof v === 'object' &&
  Object.entries(ref).every(([k, r]) => (typeof r === 'object' ? sameShape(r, (v as never)[k]) : typeof (v as never)[k] === 'string'));

const pending: Partial<Record<Locale, Promise<void>>> = {};

/**
 * Fetches `shouyin.<locale>.json` from `base` (where the script came from) once, and adds it to
 * `translations` if it has every string English has. It is data, shown as text: nothing in it runs.
 * On failure the widget stays in Simplified Chinese.
 */
export function loadLocale(locale: Locale, base: string): Promise<void> {
  pending[locale] ??= fetch(`${base}/shouyin.${locale}.json`)
    .then((r) => r.json())
    .then((j: unknown) => {
      if (sameShape(en, j)) translations[locale] = { ...(j as Translation), lang: locale };
    })
    .catch(() => {});
  return pending[locale];
}

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
