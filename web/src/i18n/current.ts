import { en, type MessageKey } from "./en";
import { es } from "./es";
import { ptBR } from "./pt-BR";

/** The app's languages; an account language without a translation reads English. */
export type UiLanguage = "en" | "pt-BR" | "es";
export const CATALOGUES: Record<UiLanguage, Record<MessageKey, string>> = { en, "pt-BR": ptBR, es };

/** Keys that come in plural forms: `{base}.one`, `{base}.other` (and any other CLDR category). */
export type PluralKey = MessageKey extends infer K ? (K extends `${infer B}.other` ? B : never) : never;
type Vars = Record<string, string | number>;

/**
 * The language and locale of the signed-in user, for code that runs outside React
 * (formatters, error sentences). `useI18n` keeps it current; until then it is the
 * browser's.
 */
let current: { lang: UiLanguage; locale: string } = { lang: "en", locale: browserLocale() };

export function setCurrent(lang: UiLanguage, locale: string): void {
  current = { lang, locale };
  // Screen readers pronounce, and the browser spell-checks, in the page's language.
  if (typeof document !== "undefined") document.documentElement.lang = lang;
}
export const currentLang = (): UiLanguage => current.lang;
export const currentLocale = (): string => current.locale;

/** The browser's locale, for Intl (numbers, dates): es-MX and es-ES differ even if the words do not. */
export function browserLocale(): string {
  return (typeof navigator !== "undefined" && navigator.language) || "en";
}

/**
 * The locale for numbers and dates: the browser's when it speaks the app's language
 * (es-MX stays es-MX), else the app's language in the account's country ("pt" + BR →
 * pt-BR: "1.956", "28/11/2026"), so words and formats never disagree.
 */
export function displayLocale(lang: UiLanguage, region?: string | null, browser = browserLocale()): string {
  const base = lang.split("-")[0]!;
  if (browser.split("-")[0]!.toLowerCase() === base) return browser;
  if (region) {
    try {
      return new Intl.Locale(base, { region }).toString();
    } catch {
      // not a region Intl knows
    }
  }
  return lang;
}

export function translate(lang: UiLanguage, key: MessageKey, vars?: Vars): string {
  // A key built at run time (a new server code) may have no words: show the key, never crash.
  const text: string = CATALOGUES[lang][key] ?? en[key] ?? key;
  if (!vars) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => (name in vars ? String(vars[name]) : whole));
}

/** The plural form for `count` ("1 contact", "2 contatos"); `{count}` is the count in the locale's digits. */
export function translatePlural(lang: UiLanguage, locale: string, base: PluralKey, count: number, vars?: Vars): string {
  // Zero reads as a plural in all three languages ("0 dias", not CLDR pt's "0 dia").
  let category: string = "other";
  try {
    if (count !== 0) category = new Intl.PluralRules(lang).select(count);
  } catch {
    // keep "other"
  }
  const catalogue = CATALOGUES[lang] as Record<string, string>;
  const key = (`${base}.${category}` in catalogue ? `${base}.${category}` : `${base}.other`) as MessageKey;
  let shown = String(count);
  try {
    shown = new Intl.NumberFormat(locale).format(count);
  } catch {
    // the digits as they are
  }
  return translate(lang, key, { count: shown, ...vars });
}

/** Words outside components (formatters, error sentences), in the current language. */
export function tr(key: MessageKey, vars?: Vars): string {
  return translate(current.lang, key, vars);
}

export function trPlural(base: PluralKey, count: number, vars?: Vars): string {
  return translatePlural(current.lang, current.locale, base, count, vars);
}
