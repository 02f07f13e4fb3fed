// Every language has every text the English one has, nothing more, and keeps each text's
// placeholders: a translation that drops `{company}` or names one that does not exist would show
// the customer a gap or a literal brace.
import { describe, expect, it } from 'vitest';
import { PAGE_LOCALES } from '../locale.ts';
import { en } from './en.ts';

type Tree = { readonly [key: string]: string | Tree };

/** Every text as `path -> text`, the path being its keys joined by dots. */
function texts(tree: Tree, prefix = ''): Map<string, string> {
  const found = new Map<string, string>();
  for (const [key, value] of Object.entries(tree)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (typeof value === 'string') found.set(path, value);
    else for (const [inner, text] of texts(value, path)) found.set(inner, text);
  }
  return found;
}

const placeholders = (text: string): string[] =>
  [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1] ?? '').sort();

const english = texts(en);
const translations = Object.entries(PAGE_LOCALES).filter(([locale]) => locale !== 'en');

describe('page messages', () => {
  it('come in English, German, French, Spanish, Brazilian Portuguese, Italian and Dutch', () => {
    expect(Object.keys(PAGE_LOCALES).sort()).toEqual(['de', 'en', 'es', 'fr', 'it', 'nl', 'pt-BR']);
  });

  it.each(translations)('%s has exactly the keys of English', (_locale, messages) => {
    expect([...texts(messages).keys()].sort()).toEqual([...english.keys()].sort());
  });

  it.each(translations)('%s keeps every placeholder and leaves no text empty', (_locale, messages) => {
    for (const [path, text] of texts(messages)) {
      expect(text.trim(), path).not.toBe('');
      expect(placeholders(text), path).toEqual(placeholders(english.get(path) ?? ''));
    }
  });

  it.each(translations)('%s is a translation, not a copy of the English texts', (_locale, messages) => {
    const translated = [...texts(messages)].filter(([path, text]) => english.get(path) !== text);
    // Names that are the same in every language (Audio, Video, the viewer's title) may stay.
    expect(translated.length).toBeGreaterThan(english.size * 0.8);
  });
});
