import type { PageLocale } from './client-config.ts';
import { de } from './messages/de.ts';
import { en, type Messages } from './messages/en.ts';

export const PAGE_LOCALES: Record<PageLocale, Messages> = { en, de };
const DEFAULT_LOCALE: PageLocale = 'en';

function isPageLocale(value: string): value is PageLocale {
  return Object.hasOwn(PAGE_LOCALES, value);
}

/**
 * The page language from an Accept-Language header (`de-CH, fr;q=0.8, en;q=0.5`): the supported
 * language with the highest quality, matched by primary subtag; English when none matches.
 */
export function negotiateLocale(acceptLanguage: string | undefined): PageLocale {
  if (!acceptLanguage) return DEFAULT_LOCALE;
  let best: { locale: PageLocale; q: number } | undefined;
  for (const range of acceptLanguage.slice(0, 500).split(',')) {
    const [tag = '', ...params] = range.trim().split(';');
    const primary = tag.trim().toLowerCase().split('-')[0] ?? '';
    if (!isPageLocale(primary)) continue;
    let q = 1;
    for (const param of params) {
      const [key, value] = param.trim().split('=');
      if (key === 'q' && value !== undefined) q = Number.parseFloat(value);
    }
    if (!(q > 0)) continue;
    if (!best || q > best.q) best = { locale: primary, q };
  }
  return best?.locale ?? DEFAULT_LOCALE;
}

export function messagesFor(locale: PageLocale): Messages {
  return PAGE_LOCALES[locale];
}
