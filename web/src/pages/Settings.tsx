import { useEffect, useMemo, useState, type FormEvent } from "react";
import { useOptOutWords } from "../api/contactsApi";
import { useMe, useRevokeToken, useTokens, useUpdateMe } from "../api/queries";
import { tokenStore } from "../api/token";
import type { ProfilePatch, Token, User } from "../api/types";
import { Alert, Button, Card, ConfirmDialog, EmptyState, ErrorState, LoadMore, Loading, PageHeader, SelectField, TextField, cx } from "../components/ui";
import { translate, uiLanguage, useI18n, type MessageKey } from "../i18n";
import { CUSTOMER_LANGUAGES, REGIONS, timeZones } from "../i18n/locale";
import { formErrors } from "../lib/forms";
import { showToast } from "../lib/toast";
import { InboxRetentionCard } from "./inbox/InboxSettings";

export function SettingsPage() {
  const me = useMe();
  const { t } = useI18n();
  return (
    <>
      <PageHeader title={t("settings.title")} />
      <div className="grid grid-cols-1 items-start gap-4 lg:grid-cols-2">
        <Card title={t("settings.profile")}>
          {me.isPending ? <Loading what="your profile" /> : me.isError ? <ErrorState error={me.error} what="your profile" onRetry={() => me.refetch()} /> : <ProfileForm user={me.data} />}
        </Card>
        <TokensCard />
        {me.data && <OptOutWordsCard user={me.data} />}
        <InboxRetentionCard />
      </div>
    </>
  );
}

function ProfileForm({ user }: { user: User }) {
  const [name, setName] = useState(user.name);
  const [region, setRegion] = useState(user.default_region);
  const [timezone, setTimezone] = useState(user.timezone);
  const [language, setLanguage] = useState(user.language ?? "en");
  const update = useUpdateMe();
  const { t, country } = useI18n();
  const errors = formErrors(update.error, ["name", "default_region", "timezone", "language"]);
  const zones = useMemo(timeZones, []);
  const countries = useMemo(
    () => REGIONS.map((code) => ({ code, name: country(code) })).sort((a, b) => a.name.localeCompare(b.name)),
    [country],
  );
  useEffect(() => {
    setName(user.name);
    setRegion(user.default_region);
    setTimezone(user.timezone);
    setLanguage(user.language ?? "en");
  }, [user]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const body: ProfilePatch = { name: name.trim(), default_region: region.trim().toUpperCase(), timezone: timezone.trim() };
    // A new customers' language turns its opt-out words on (with English).
    if (language !== user.language) body.language = language;
    update.mutate(body, { onSuccess: () => showToast(translate(uiLanguage(language), "settings.saved"), "success") });
  };
  return (
    <form onSubmit={submit} className="flex flex-col gap-4" noValidate>
      {errors.form && <Alert>{errors.form}</Alert>}
      <TextField label={t("settings.email")} value={user.email} readOnly disabled hint={t("settings.email.hint")} />
      <TextField label={t("settings.name")} autoComplete="name" required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} error={errors.fields.name} />
      <SelectField label={t("settings.country")} value={region} onChange={(e) => setRegion(e.target.value)} error={errors.fields.default_region} aria-describedby="settings-country-hint">
        {countries.map((c) => (
          <option key={c.code} value={c.code}>
            {c.name}
          </option>
        ))}
      </SelectField>
      <p id="settings-country-hint" className="-mt-3 text-xs text-slate-600">
        {t("settings.country.hint")}
      </p>
      <TextField label={t("settings.timezone")} hint={t("settings.timezone.hint")} list="timezones" value={timezone} onChange={(e) => setTimezone(e.target.value)} error={errors.fields.timezone} />
      <datalist id="timezones">
        {zones.map((z) => (
          <option key={z} value={z} />
        ))}
      </datalist>
      <SelectField label={t("settings.language")} value={language} onChange={(e) => setLanguage(e.target.value)} error={errors.fields.language} aria-describedby="settings-language-hint">
        {CUSTOMER_LANGUAGES.map((code) => (
          <option key={code} value={code}>
            {t(`lang.${code}`)}
          </option>
        ))}
      </SelectField>
      <p id="settings-language-hint" className="-mt-3 text-xs text-slate-600">
        {t("settings.language.hint")}
      </p>
      <div>
        <Button type="submit" busy={update.isPending}>
          {t("settings.save")}
        </Button>
      </div>
    </form>
  );
}

function OptOutWordsCard({ user }: { user: User }) {
  const { t } = useI18n();
  const overview = useOptOutWords();
  const update = useUpdateMe();
  const [languages, setLanguages] = useState<string[]>(user.optout_languages ?? []);
  const [own, setOwn] = useState((user.optout_words ?? []).join("\n"));
  const [problem, setProblem] = useState<string | null>(null);
  const errors = formErrors(update.error, ["optout_languages", "optout_words"]);
  useEffect(() => {
    setLanguages(user.optout_languages ?? []);
    setOwn((user.optout_words ?? []).join("\n"));
  }, [user]);
  const toggle = (code: string) => setLanguages((now) => (now.includes(code) ? now.filter((c) => c !== code) : [...now, code]));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (languages.length === 0) {
      setProblem(t("settings.optout.none"));
      return;
    }
    setProblem(null);
    const words = own.split("\n").map((w) => w.trim()).filter(Boolean);
    update.mutate({ optout_languages: languages, optout_words: words }, { onSuccess: () => showToast(t("settings.optout.saved"), "success") });
  };
  return (
    <Card title={t("settings.optout.title")}>
      <form onSubmit={submit} className="flex flex-col gap-4" noValidate>
        <p className="text-sm text-slate-700">{t("settings.optout.intro")}</p>
        {(problem || errors.form) && <Alert>{problem ?? errors.form}</Alert>}
        <fieldset>
          <legend className="mb-2 text-sm font-medium text-slate-800">{t("settings.optout.languages")}</legend>
          {overview.isPending ? (
            <Loading what="opt-out words" />
          ) : overview.isError ? (
            <ErrorState error={overview.error} what="opt-out words" onRetry={() => overview.refetch()} />
          ) : (
            <ul className="grid gap-2 sm:grid-cols-2">
              {overview.data.languages.map((lang) => (
                <li key={lang.code}>
                  <label className="flex items-start gap-2 text-sm">
                    <input type="checkbox" className="mt-1" checked={languages.includes(lang.code)} onChange={() => toggle(lang.code)} />
                    <span>
                      <span className="font-medium">{t(`lang.${lang.code}` as MessageKey)}</span>
                      <span className="block text-xs text-slate-600">{t("settings.optout.examples", { words: lang.words.slice(0, 4).map((w) => w.toUpperCase()).join(", ") })}</span>
                    </span>
                  </label>
                </li>
              ))}
            </ul>
          )}
        </fieldset>
        <div className="flex flex-col gap-1">
          <label htmlFor="optout-own" className="text-sm font-medium text-slate-800">
            {t("settings.optout.own")}
          </label>
          <textarea
            id="optout-own"
            rows={3}
            aria-describedby="optout-own-hint"
            aria-invalid={errors.fields.optout_words ? true : undefined}
            className={cx("rounded-md border px-3 py-2 text-base sm:text-sm", errors.fields.optout_words ? "border-red-600" : "border-slate-300")}
            value={own}
            onChange={(e) => setOwn(e.target.value)}
          />
          <p id="optout-own-hint" className="text-xs text-slate-600">
            {t("settings.optout.own.hint")}
          </p>
          {errors.fields.optout_words && <p className="text-sm text-red-700">{errors.fields.optout_words}</p>}
        </div>
        <div>
          <Button type="submit" busy={update.isPending}>
            {t("settings.optout.save")}
          </Button>
        </div>
      </form>
    </Card>
  );
}

function TokensCard() {
  const tokens = useTokens();
  const revoke = useRevokeToken();
  const [target, setTarget] = useState<Token | null>(null);
  const current = tokenStore.id();
  const { t: tr, d } = useI18n();
  const when = (epochMs: number | null | undefined) => (epochMs ? d(epochMs) : tr("tokens.never"));
  return (
    <Card title={tr("tokens.title")}>
      {tokens.isPending ? (
        <Loading what="your tokens" />
      ) : tokens.isError ? (
        <ErrorState error={tokens.error} what="your tokens" onRetry={() => tokens.refetch()} />
      ) : tokens.data.length === 0 ? (
        <EmptyState title={tr("tokens.none")} />
      ) : (
        <ul className="divide-y divide-slate-100">
          {tokens.data.map((t) => (
            <li key={t.token_id} className="flex flex-wrap items-center justify-between gap-2 py-3">
              <div className="min-w-0">
                <p className="text-sm font-medium">
                  {t.label ?? tr("tokens.unnamed")}
                  {t.token_id === current && <span className="ml-2 rounded bg-brand-50 px-1.5 py-0.5 text-xs text-brand-800">{tr("tokens.thisBrowser")}</span>}
                </p>
                <p className="text-xs text-slate-600">
                  {tr("tokens.meta", { created: when(t.created_at), used: when(t.last_used_at), expires: when(t.expires_at) })}
                </p>
              </div>
              <Button aria-label={`${tr("tokens.revoke")} ${t.label ?? t.token_id}`} size="sm" variant="secondary" onClick={() => setTarget(t)}>
                {tr("tokens.revoke")}
              </Button>
            </li>
          ))}
        </ul>
      )}
      <LoadMore query={tokens} what={tr("tokens.more")} />
      {target && (
        <ConfirmDialog
          title={tr("tokens.revokeTitle")}
          confirmLabel={tr("tokens.revoke")}
          busy={revoke.isPending}
          error={revoke.error}
          onCancel={() => {
            revoke.reset();
            setTarget(null);
          }}
          onConfirm={() =>
            revoke.mutate(target.token_id, {
              onSuccess: () => {
                setTarget(null);
                if (target.token_id === current) tokenStore.set(null);
                else showToast(tr("tokens.revoked"), "success");
              },
            })
          }
        >
          {target.token_id === current ? tr("tokens.revokeSelf") : tr("tokens.revokeOther")}
        </ConfirmDialog>
      )}
    </Card>
  );
}
