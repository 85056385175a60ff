import { Link } from "react-router";
import { useAudience } from "../../../api/campaignsApi";
import { useTags } from "../../../api/contactsApi";
import { Alert, ErrorState, Loading } from "../../../components/ui";
import { formatCount } from "../../../lib/format";
import { displayPhone } from "../../contacts/Contacts";
import type { Draft, SetDraft } from "./draft";
import { tr, trPlural } from "../../../i18n";

export function AudiencePicker({ d, set, error, locked }: { d: Draft; set: SetDraft; error?: string | undefined; locked: boolean }) {
  const tags = useTags();
  const toggle = (tag: string) => set("tags", d.tags.includes(tag) ? d.tags.filter((t) => t !== tag) : [...d.tags, tag]);
  if (locked)
    return (
      <p className="text-sm text-slate-700">
        {d.all ? tr("audience.all") : tr("audience.tagged", { tags: d.tags.join(", ") })}. {tr("audience.fixed")}
      </p>
    );
  return (
    <fieldset className="flex flex-col gap-2">
      <legend className="text-sm font-medium text-slate-800">{tr("audience.who")}</legend>
      <label className="flex items-center gap-2 text-sm">
        <input type="radio" name="audience" checked={d.all} onChange={() => set("all", true)} /> {tr("audience.allOption")}
      </label>
      <label className="flex items-center gap-2 text-sm">
        <input type="radio" name="audience" checked={!d.all} onChange={() => set("all", false)} /> {tr("audience.tagsOption")}
      </label>
      {!d.all &&
        (tags.isPending ? (
          <Loading what={tr("audience.tags.what")} />
        ) : tags.isError ? (
          <ErrorState error={tags.error} what={tr("audience.tags.what")} onRetry={() => tags.refetch()} />
        ) : tags.data.items.length === 0 ? (
          <p className="text-sm text-slate-600">
            {tr("audience.noTags")}{" "}
            <Link className="text-brand-700 underline" to="/contacts/import">
              {tr("audience.importWithTag")}
            </Link>
            .
          </p>
        ) : (
          <div className="flex flex-wrap gap-2 pl-6">
            {tags.data.items.map((t) => (
              <label key={t.tag} className="flex items-center gap-1 rounded-full border border-slate-300 px-2 py-1 text-sm">
                <input type="checkbox" checked={d.tags.includes(t.tag)} onChange={() => toggle(t.tag)} /> {t.tag} <span className="text-slate-600">({formatCount(t.count)})</span>
              </label>
            ))}
          </div>
        ))}
      {error && <p className="text-sm text-red-700">{error}</p>}
    </fieldset>
  );
}

export interface Affected {
  phone: string;
  name?: string | null;
  missing: string[];
}

export function AffectedList({ affected }: { affected: Affected[] }) {
  return (
    <ul className="mt-2 max-h-40 overflow-y-auto rounded border border-amber-200 bg-white p-2 text-xs text-slate-800" aria-label={tr("audience.missingList")}>
      {affected.map((a) => (
        <li key={a.phone}>
          {a.name || displayPhone(a.phone)} ({displayPhone(a.phone)}): {tr("audience.lacks", { names: a.missing.join(", ") })}
        </li>
      ))}
    </ul>
  );
}

/** Who the saved draft reaches, and who lacks a variable (with the choice what to do). */
export function AudienceCheck({ campaignId, version, onMissing }: { campaignId: string; version: number; onMissing: "block" | "skip" }) {
  const check = useAudience(campaignId, version);
  return (
    <div className="mt-3 rounded-md bg-slate-50 p-3 text-sm" aria-live="polite">
      {check.isPending ? (
        <Loading what={tr("audience.what")} />
      ) : check.isError ? (
        <ErrorState error={check.error} what={tr("audience.what")} onRetry={() => check.refetch()} />
      ) : (
        <>
          <p data-testid="recipient-count">
            {check.data.exact === false && `${tr("summary.about")} `}
            <strong>{formatCount(check.data.recipients)}</strong> {trPlural("audience.recipientWord", check.data.recipients)}; {tr("audience.optedOutNever", { count: formatCount(check.data.opted_out) })}
          </p>
          {check.data.missing_variables > 0 && (
            <div className="mt-2">
              <Alert tone="warning" title={trPlural("audience.lackVariable", check.data.missing_variables)}>
                <p>{onMissing === "skip" ? tr("audience.skipped") : tr("audience.blocked")}</p>
                <AffectedList affected={check.data.affected as unknown as Affected[]} />
              </Alert>
            </div>
          )}
        </>
      )}
    </div>
  );
}
