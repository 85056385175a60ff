import { useMemo } from "react";
import { useAuth } from "../lib/auth";
import { useMe } from "../api/queries";
import type { MessageKey } from "./en";
import { browserLocale, displayLocale, setCurrent, translate, translatePlural, type PluralKey, type UiLanguage } from "./current";

export type { MessageKey } from "./en";
export { browserLocale, currentLang, currentLocale, displayLocale, tr, translate, translatePlural, trPlural } from "./current";
export type { PluralKey, UiLanguage } from "./current";

/** The account's language code (pt, es, en, …) → the catalogue to use. */
export function uiLanguage(language: string | null | undefined): UiLanguage {
  if (language === "pt") return "pt-BR";
  if (language === "es") return "es";
  return "en";
}

export function formatNumber(value: number, locale = browserLocale()): string {
  try {
    return new Intl.NumberFormat(locale).format(value);
  } catch {
    return String(value);
  }
}

export function formatDate(epochMs: number, locale = browserLocale(), timeZone?: string): string {
  try {
    return new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short", timeZone }).format(epochMs);
  } catch {
    return new Date(epochMs).toLocaleString();
  }
}

/** Region code → its name in the user's language ("BR" → "Brasil"). */
export function countryName(region: string, lang: UiLanguage): string {
  try {
    return new Intl.DisplayNames([lang], { type: "region" }).of(region) ?? region;
  } catch {
    return region;
  }
}

/**
 * Words and formats for the signed-in user: the catalogue follows the account's
 * language (until it loads, the browser's); numbers and dates the browser's locale
 * when it speaks that language, else the language in the account's country.
 */
export function useI18n() {
  const { token } = useAuth();
  const me = useMe(Boolean(token));
  const lang = uiLanguage(me.data?.language ?? browserLocale().split("-")[0]);
  const timeZone = me.data?.timezone;
  const region = me.data?.default_region;
  return useMemo(() => {
    const locale = displayLocale(lang, region);
    // Formatters outside components (lib/format) follow the same choice.
    setCurrent(lang, locale);
    return {
      lang,
      locale,
      t: (key: MessageKey, vars?: Record<string, string | number>) => translate(lang, key, vars),
      /** Plural forms by Intl.PluralRules: p("campaigns.count", 3) reads `campaigns.count.other`. */
      p: (key: PluralKey, count: number, vars?: Record<string, string | number>) => translatePlural(lang, locale, key, count, vars),
      n: (value: number) => formatNumber(value, locale),
      d: (epochMs: number) => formatDate(epochMs, locale, timeZone),
      country: (region: string) => countryName(region, lang),
    };
  }, [lang, timeZone, region]);
}
