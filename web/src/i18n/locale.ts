/** What the browser says about where the user is: the first-run step's guesses. */

/** Languages whose opt-out words the backend knows (the account's "customers' language"). */
export const CUSTOMER_LANGUAGES = ["pt", "es", "en", "fr", "de", "it", "id", "hi", "tr", "ar", "nl"] as const;
export type CustomerLanguage = (typeof CUSTOMER_LANGUAGES)[number];

/** A typical opt-out reply per language, for the onboarding hint. */
export const STOP_WORD: Record<CustomerLanguage, string> = {
  pt: "SAIR", es: "BAJA", en: "STOP", fr: "ARRÊT", de: "STOPP", it: "BASTA",
  id: "BERHENTI", hi: "BAND KARO", tr: "İPTAL", ar: "إلغاء", nl: "AFMELDEN",
};

// ISO 3166 regions WhatsApp users live in (phonenumbers' supported regions, less a few territories).
export const REGIONS = (
  "AD AE AF AG AI AL AM AO AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BW BY BZ " +
  "CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR " +
  "GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GT GU GW GY HK HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP " +
  "KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ " +
  "NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PR PS PT PW PY QA RE RO RS RU RW " +
  "SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TG TH TJ TK TL TM TN TO TR TT TV TW TZ " +
  "UA UG US UY UZ VA VC VE VG VI VN VU WF WS XK YE YT ZA ZM ZW"
).split(" ");

// Time zones that name one country, for browsers whose language has no region ("pt" alone).
const ZONE_COUNTRY: Record<string, string> = {
  "America/Sao_Paulo": "BR", "America/Bahia": "BR", "America/Fortaleza": "BR", "America/Recife": "BR",
  "America/Manaus": "BR", "America/Belem": "BR", "America/Cuiaba": "BR", "America/Porto_Velho": "BR",
  "America/Mexico_City": "MX", "America/Monterrey": "MX", "America/Cancun": "MX", "America/Tijuana": "MX",
  "America/Bogota": "CO", "America/Lima": "PE", "America/Santiago": "CL", "America/Argentina/Buenos_Aires": "AR",
  "America/Buenos_Aires": "AR", "America/Caracas": "VE", "America/Guayaquil": "EC", "America/Montevideo": "UY",
  "Asia/Kolkata": "IN", "Asia/Calcutta": "IN", "Asia/Jakarta": "ID", "Asia/Makassar": "ID", "Asia/Jayapura": "ID",
  "Africa/Lagos": "NG", "Africa/Johannesburg": "ZA", "Africa/Nairobi": "KE", "Africa/Cairo": "EG",
  "Europe/Madrid": "ES", "Europe/Lisbon": "PT", "Europe/Berlin": "DE", "Europe/Paris": "FR", "Europe/Rome": "IT",
  "Europe/Amsterdam": "NL", "Europe/Istanbul": "TR", "Europe/London": "GB", "Asia/Riyadh": "SA", "Asia/Dubai": "AE",
  "Asia/Karachi": "PK", "Asia/Manila": "PH", "Asia/Kuala_Lumpur": "MY", "Asia/Dhaka": "BD",
};

export function browserTimeZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch {
    return "UTC";
  }
}

export function timeZones(): string[] {
  const intl = Intl as unknown as { supportedValuesOf?: (key: string) => string[] };
  try {
    return intl.supportedValuesOf?.("timeZone") ?? [];
  } catch {
    return [];
  }
}

/** The country from the browser's languages ("pt-BR" → BR), else from its time zone. */
export function guessCountry(languages: readonly string[], timeZone: string): string | null {
  for (const tag of languages) {
    try {
      const region = new Intl.Locale(tag).maximize().region;
      // "maximize" invents a region for a bare "en" (US) or "pt" (BR): trust it only when written.
      if (region && tag.includes("-") && REGIONS.includes(region)) return region;
    } catch {
      // not a language tag
    }
  }
  return ZONE_COUNTRY[timeZone] ?? null;
}

export function guessLanguage(languages: readonly string[]): CustomerLanguage {
  for (const tag of languages) {
    const base = (tag.split("-")[0] ?? "").toLowerCase() as CustomerLanguage;
    if (CUSTOMER_LANGUAGES.includes(base)) return base;
  }
  return "en";
}

export function browserLanguages(): readonly string[] {
  if (typeof navigator === "undefined") return ["en"];
  return navigator.languages?.length ? navigator.languages : [navigator.language || "en"];
}
