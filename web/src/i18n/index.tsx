import { useMemo } from "react";
import { useAuth } from "../lib/auth";
import { useMe } from "../api/queries";
import { en, type MessageKey } from "./en";
import { es } from "./es";
import { ptBR } from "./pt-BR";

export type { MessageKey } from "./en";

/** The app's languages; an account language without a translation reads English. */
export type UiLanguage = "en" | "pt-BR" | "es";
const CATALOGUES: Record<UiLanguage, Record<MessageKey, string>> = { en, "pt-BR": ptBR, es };

/** The account's language code (pt, es, en, …) → the catalogue to use. */
export function uiLanguage(language: string | null | undefined): UiLanguage {
  if (language === "pt") return "pt-BR";
  if (language === "es") return "es";
  return "en";
}

export function translate(lang: UiLanguage, key: MessageKey, vars?: Record<string, string | number>): string {
  const text = CATALOGUES[lang][key] ?? en[key];
  if (!vars) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => (name in vars ? String(vars[name]) : whole));
}

/** The browser's locale, for Intl (numbers, dates): es-MX and es-ES differ even if the words do not. */
export function browserLocale(): string {
  return (typeof navigator !== "undefined" && navigator.language) || "en";
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
 * language (until it loads, the browser's), numbers and dates the browser's locale.
 */
export function useI18n() {
  const { token } = useAuth();
  const me = useMe(Boolean(token));
  const lang = uiLanguage(me.data?.language ?? browserLocale().split("-")[0]);
  const timeZone = me.data?.timezone;
  return useMemo(() => {
    const locale = browserLocale();
    return {
      lang,
      locale,
      t: (key: MessageKey, vars?: Record<string, string | number>) => translate(lang, key, vars),
      n: (value: number) => formatNumber(value, locale),
      d: (epochMs: number) => formatDate(epochMs, locale, timeZone),
      country: (region: string) => countryName(region, lang),
    };
  }, [lang, timeZone]);
}
