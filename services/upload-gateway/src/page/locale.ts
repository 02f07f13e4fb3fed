import type { PageLocale } from './client-config.ts';
import { de } from './messages/de.ts';
import { en, type Messages } from './messages/en.ts';
import { es } from './messages/es.ts';
import { fr } from './messages/fr.ts';
import { it } from './messages/it.ts';
import { nl } from './messages/nl.ts';
import { ptBR } from './messages/pt-br.ts';

export const PAGE_LOCALES: Record<PageLocale, Messages> = { en, de, fr, es, 'pt-BR': ptBR, it, nl };
const DEFAULT_LOCALE: PageLocale = 'en';

/**
 * The page language for a primary language subtag: one text per language, so a Portuguese
 * reader from Portugal gets the Brazilian text rather than English.
 */
const LOCALE_OF_LANGUAGE: Readonly<Record<string, PageLocale>> = {
  en: 'en',
  de: 'de',
  fr: 'fr',
  es: 'es',
  pt: 'pt-BR',
  it: 'it',
  nl: 'nl',
};

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
    const locale = Object.hasOwn(LOCALE_OF_LANGUAGE, primary) ? LOCALE_OF_LANGUAGE[primary] : undefined;
    if (locale === undefined) continue;
    let q = 1;
    for (const param of params) {
      const [key, value] = param.trim().split('=');
      if (key === 'q' && value !== undefined) q = Number.parseFloat(value);
    }
    if (!(q > 0)) continue;
    if (!best || q > best.q) best = { locale, q };
  }
  return best?.locale ?? DEFAULT_LOCALE;
}

export function messagesFor(locale: PageLocale): Messages {
  return PAGE_LOCALES[locale];
}
