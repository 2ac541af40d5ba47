/**
 * Every text the command room shows, in Bahasa Indonesia (lang-id.ts, the default)
 * and English (lang-en.ts). The chosen language is kept in localStorage so a wall PC
 * restarts in it. Placeholders are `{name}`; `t('age.minutes', { n: 3 })`.
 */
import { en } from './lang-en.js';
import { id, type MessageKey } from './lang-id.js';

export type { MessageKey };
export type Dictionary = Record<MessageKey, string>;
export const LANGUAGES = ['id', 'en'] as const;
export type Language = (typeof LANGUAGES)[number];

const dictionaries: Record<Language, Dictionary> = { id, en };
/** BCP 47 locale for dates and numbers per language; en-GB for 24-hour, day-first dates. */
const locales: Record<Language, string> = { id: 'id-ID', en: 'en-GB' };
const STORAGE_KEY = 'pemda.lang';

/** The part of localStorage used here; structural, so Node (the model tests) compiles this file too. */
export interface KeyValueStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

let current: Language = 'id';

function isLanguage(value: unknown): value is Language {
  return typeof value === 'string' && (LANGUAGES as readonly string[]).includes(value);
}

export function setLanguage(lang: Language): void {
  current = lang;
}

export function language(): Language {
  return current;
}

/** The language saved by the last toggle in this browser; Bahasa Indonesia when none. */
export function savedLanguage(storage: Pick<KeyValueStore, 'getItem'> | undefined): Language {
  try {
    const value = storage?.getItem(STORAGE_KEY);
    return isLanguage(value) ? value : 'id';
  } catch {
    // Storage can be switched off (privacy settings): the default language still works.
    return 'id';
  }
}

export function saveLanguage(storage: Pick<KeyValueStore, 'setItem'> | undefined, lang: Language): void {
  try {
    storage?.setItem(STORAGE_KEY, lang);
  } catch {
    // Not remembered across reloads, nothing worse.
  }
}

export function locale(): string {
  return locales[current];
}

export function t(key: MessageKey, params: Record<string, string | number> = {}): string {
  return dictionaries[current][key].replace(/\{(\w+)\}/g, (whole, name: string) => {
    const value = params[name];
    return value === undefined ? whole : typeof value === 'number' ? formatNumber(value) : value;
  });
}

/** For keys built at run time (alert kinds, roles): undefined when the dictionary has no such key. */
export function tMaybe(key: string, params: Record<string, string | number> = {}): string | undefined {
  return key in dictionaries[current] ? t(key as MessageKey, params) : undefined;
}

export function formatNumber(n: number, fractionDigits = 0): string {
  return new Intl.NumberFormat(locale(), { maximumFractionDigits: fractionDigits }).format(n);
}
