import { describe, expect, it } from "vitest";
import { en } from "./en";
import { es } from "./es";
import { ptBR } from "./pt-BR";
import { displayLocale, translatePlural } from "./current";

/**
 * Texts that are the same in every language: names, codes and short tokens. A
 * translation may equal the English text only when it is one of these, has no
 * words at all ("{count} {when}"), or its key is listed in SAME_KEY (a word spelt
 * alike in that language, checked by a speaker).
 */
const SAME_TEXT = new Set(["WhatsApp", "CSV", "OpenWA", "wacast", "QR", "OK", "Email", "E-mail"]);
// "Video", "Audio" and "Sticker" are the Spanish words too.
const SAME_KEY: Record<"pt-BR" | "es", Set<string>> = { "pt-BR": new Set(), es: new Set(["media.video", "media.audio", "media.sticker"]) };
// A value made only of placeholders and punctuation ("{count} {when}") has no words to translate.
const noWords = (text: string) => text.replace(/\{\w+\}/g, "").replace(/[\s\p{P}\p{S}\d]/gu, "") === "";
// "{{city}}" is the message syntax shown as an example, not a placeholder.
const placeholders = (text: string) => [...text.replace(/\{\{\w+\}\}/g, "").matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe.each([
  ["pt-BR", ptBR],
  ["es", es],
] as const)("the %s catalogue", (lang, catalogue) => {
  const words = catalogue as Record<string, string>;
  const english = en as Record<string, string>;

  it("has every English key and no other", () => {
    expect(Object.keys(words).filter((k) => !(k in english))).toEqual([]);
    expect(Object.keys(english).filter((k) => !(k in words) || !words[k]!.trim())).toEqual([]);
  });

  it("translates every text (only names and codes stay English)", () => {
    const untranslated = Object.keys(english).filter((key) => {
      const text = english[key]!;
      if (words[key] !== text) return false;
      return !(SAME_TEXT.has(text) || noWords(text) || SAME_KEY[lang].has(key));
    });
    expect(untranslated).toEqual([]);
  });

  it("keeps the same {placeholders} as English", () => {
    const differing = Object.keys(english).filter((key) => words[key] !== undefined && placeholders(words[key]!).join() !== placeholders(english[key]!).join());
    expect(differing).toEqual([]);
  });

  it("has an `other` form for every plural key", () => {
    const bases = Object.keys(english).filter((k) => k.endsWith(".one")).map((k) => k.slice(0, -4));
    expect(bases.filter((b) => !(`${b}.other` in words))).toEqual([]);
  });
});

describe("plurals and formats", () => {
  it("picks the plural form by Intl.PluralRules and writes the count in the locale", () => {
    expect(translatePlural("en", "en-US", "time.daysAgo", 1)).toBe("1 day ago");
    expect(translatePlural("en", "en-US", "time.daysAgo", 1956)).toBe("1,956 days ago");
    expect(translatePlural("pt-BR", "pt-BR", "time.daysAgo", 1)).toBe("há 1 dia");
    expect(translatePlural("pt-BR", "pt-BR", "time.daysAgo", 1956)).toBe("há 1.956 dias");
    expect(translatePlural("pt-BR", "pt-BR", "time.daysAgo", 0)).toBe("há 0 dias");
    // Spanish has a "many" category for millions; the catalogue falls back to "other".
    expect(translatePlural("es", "es-MX", "time.daysAgo", 1_000_000)).toBe("hace 1,000,000 días");
  });

  it("formats in the browser's locale when it speaks the app's language, else in the account's country", () => {
    expect(displayLocale("pt-BR", "BR", "en-US")).toBe("pt-BR");
    expect(displayLocale("es", "MX", "en-US")).toBe("es-MX");
    expect(displayLocale("es", null, "es-AR")).toBe("es-AR");
    expect(displayLocale("en", "GB", "en-GB")).toBe("en-GB");
    expect(displayLocale("pt-BR", null, "de-DE")).toBe("pt-BR");
  });
});
