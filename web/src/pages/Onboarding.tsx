import { useMemo, useState, type FormEvent } from "react";
import { useNavigate } from "react-router";
import { useUpdateMe } from "../api/queries";
import type { User } from "../api/types";
import { Alert, Button, Card, SelectField } from "../components/ui";
import { useI18n } from "../i18n";
import { CUSTOMER_LANGUAGES, REGIONS, STOP_WORD, browserLanguages, browserTimeZone, guessCountry, guessLanguage, timeZones, type CustomerLanguage } from "../i18n/locale";
import { formErrors } from "../lib/forms";
import { showToast } from "../lib/toast";

/** The first-run step: country, time zone and customers' language, guessed from the browser. */
export function OnboardingPage({ user }: { user: User }) {
  const navigate = useNavigate();
  const languages = browserLanguages();
  const zone = browserTimeZone();
  const [country, setCountry] = useState(() => guessCountry(languages, zone) ?? user.default_region);
  const [timezone, setTimezone] = useState(() => (zone && zone !== "UTC" ? zone : user.timezone));
  const [language, setLanguage] = useState<CustomerLanguage>(() => guessLanguage(languages));
  const update = useUpdateMe();
  const { t, country: countryName } = useI18n();
  const errors = formErrors(update.error, ["default_region", "timezone", "language"]);
  const zones = useMemo(() => {
    const all = timeZones();
    return all.includes(timezone) ? all : [timezone, ...all];
  }, [timezone]);
  const countries = useMemo(
    () => REGIONS.map((code) => ({ code, name: countryName(code) })).sort((a, b) => a.name.localeCompare(b.name)),
    [countryName],
  );

  const finish = (body: Parameters<typeof update.mutate>[0]) =>
    update.mutate(body, {
      onSuccess: () => {
        showToast(t("onboarding.saved"), "success");
        navigate("/dashboard", { replace: true });
      },
    });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    finish({ default_region: country, timezone, language, onboarded: true });
  };

  return (
    <main className="mx-auto flex min-h-screen max-w-xl flex-col justify-center p-4">
      <Card title={t("onboarding.title")}>
        <form onSubmit={submit} className="flex flex-col gap-4" noValidate aria-label={t("onboarding.title")}>
          <p className="text-sm text-slate-700">{t("onboarding.intro")}</p>
          {errors.form && <Alert>{errors.form}</Alert>}
          <SelectField label={t("onboarding.country")} value={country} onChange={(e) => setCountry(e.target.value)} error={errors.fields.default_region}>
            {countries.map((c) => (
              <option key={c.code} value={c.code}>
                {c.name}
              </option>
            ))}
          </SelectField>
          <p className="-mt-3 text-xs text-slate-600">{t("onboarding.country.hint")}</p>
          <SelectField label={t("onboarding.timezone")} value={timezone} onChange={(e) => setTimezone(e.target.value)} error={errors.fields.timezone}>
            {zones.map((z) => (
              <option key={z} value={z}>
                {z.replace(/_/g, " ")}
              </option>
            ))}
          </SelectField>
          <p className="-mt-3 text-xs text-slate-600">{t("onboarding.timezone.hint")}</p>
          <SelectField label={t("onboarding.language")} value={language} onChange={(e) => setLanguage(e.target.value as CustomerLanguage)} error={errors.fields.language}>
            {CUSTOMER_LANGUAGES.map((code) => (
              <option key={code} value={code}>
                {t(`lang.${code}`)}
              </option>
            ))}
          </SelectField>
          <p className="-mt-3 text-xs text-slate-600">{t("onboarding.language.hint", { word: STOP_WORD[language] })}</p>
          <div className="flex flex-wrap gap-2">
            <Button type="submit" busy={update.isPending}>
              {t("onboarding.save")}
            </Button>
            <Button variant="ghost" onClick={() => finish({ onboarded: true })}>
              {t("onboarding.skip")}
            </Button>
          </div>
        </form>
      </Card>
    </main>
  );
}
