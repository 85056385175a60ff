import { Link } from "react-router";
import { useAudience } from "../../../api/campaignsApi";
import { useTags } from "../../../api/contactsApi";
import { Alert, ErrorState, Loading } from "../../../components/ui";
import { formatCount } from "../../../lib/format";
import { displayPhone } from "../../contacts/Contacts";
import type { Draft, SetDraft } from "./draft";

export function AudiencePicker({ d, set, error, locked }: { d: Draft; set: SetDraft; error?: string | undefined; locked: boolean }) {
  const tags = useTags();
  const toggle = (tag: string) => set("tags", d.tags.includes(tag) ? d.tags.filter((t) => t !== tag) : [...d.tags, tag]);
  if (locked)
    return (
      <p className="text-sm text-slate-700">
        {d.all ? "All contacts" : `Contacts tagged ${d.tags.join(", ")}`}. The recipients are fixed once a campaign has started.
      </p>
    );
  return (
    <fieldset className="flex flex-col gap-2">
      <legend className="text-sm font-medium text-slate-800">Who receives it</legend>
      <label className="flex items-center gap-2 text-sm">
        <input type="radio" name="audience" checked={d.all} onChange={() => set("all", true)} /> All contacts (opted-out ones never receive)
      </label>
      <label className="flex items-center gap-2 text-sm">
        <input type="radio" name="audience" checked={!d.all} onChange={() => set("all", false)} /> Contacts with any of these tags
      </label>
      {!d.all &&
        (tags.isPending ? (
          <Loading what="tags" />
        ) : tags.isError ? (
          <ErrorState error={tags.error} what="tags" onRetry={() => tags.refetch()} />
        ) : tags.data.items.length === 0 ? (
          <p className="text-sm text-slate-600">
            No tags yet.{" "}
            <Link className="text-brand-700 underline" to="/contacts/import">
              Import contacts with a tag
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
    <ul className="mt-2 max-h-40 overflow-y-auto rounded border border-amber-200 bg-white p-2 text-xs text-slate-800" aria-label="Contacts missing a variable">
      {affected.map((a) => (
        <li key={a.phone}>
          {a.name || displayPhone(a.phone)} ({displayPhone(a.phone)}): no {a.missing.join(", ")}
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
        <Loading what="the audience" />
      ) : check.isError ? (
        <ErrorState error={check.error} what="the audience" onRetry={() => check.refetch()} />
      ) : (
        <>
          <p data-testid="recipient-count">
            {check.data.exact === false && "About "}
            <strong>{formatCount(check.data.recipients)}</strong> {check.data.recipients === 1 ? "recipient" : "recipients"}; {formatCount(check.data.opted_out)} opted out (never messaged).
          </p>
          {check.data.missing_variables > 0 && (
            <div className="mt-2">
              <Alert tone="warning" title={`${formatCount(check.data.missing_variables)} ${check.data.missing_variables === 1 ? "contact lacks" : "contacts lack"} a variable the message uses`}>
                <p>{onMissing === "skip" ? "They are skipped; everyone else receives the message." : "The campaign will not launch until they have it, or you choose to skip them (under the message)."}</p>
                <AffectedList affected={check.data.affected as unknown as Affected[]} />
              </Alert>
            </div>
          )}
        </>
      )}
    </div>
  );
}
