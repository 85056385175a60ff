import { Link } from "react-router";
import { useAudience, useCampaign } from "../../../api/campaignsApi";
import type { Campaign } from "../../../api/types";
import { useI18n, type MessageKey } from "../../../i18n";
import type { Draft, SetDraft } from "./draft";

interface FollowUpOf {
  campaign_id: string;
  kind: string;
}

const followUpOf = (c: Campaign | undefined): FollowUpOf | null => (c?.follow_up as FollowUpOf | null | undefined) ?? null;

/** The audience section's additions: whose follow-up this is, and the frequency cap. */
export function AudienceExtras({ d, set, campaign, locked }: { d: Draft; set: SetDraft; campaign: Campaign | undefined; locked: boolean }) {
  const origin = followUpOf(campaign);
  return (
    <div className="mt-3 flex flex-col gap-3">
      {origin && <FollowUpNote origin={origin} />}
      <FrequencyCapField d={d} set={set} locked={locked} />
    </div>
  );
}

function FollowUpNote({ origin }: { origin: FollowUpOf }) {
  const { t } = useI18n();
  const source = useCampaign(origin.campaign_id);
  const name = source.data?.name ?? t("followup.origin");
  return (
    <p className="rounded-md bg-brand-50 p-3 text-sm text-slate-800" data-testid="follow-up-note">
      <Link to={`/campaigns/${origin.campaign_id}`} className="underline">
        {t("followup.of", { name, kind: t(`followup.ofKind.${origin.kind}` as MessageKey) })}
      </Link>
    </p>
  );
}

export function FrequencyCapField({ d, set, locked }: { d: Draft; set: SetDraft; locked: boolean }) {
  const { t } = useI18n();
  const hours = Number(d.frequencyCap) || 0;
  return (
    <div className="flex flex-col gap-1">
      <label className="flex flex-wrap items-center gap-2 text-sm text-slate-800">
        <span>{t("cap.label")}</span>
        <input
          type="number"
          inputMode="numeric"
          min={0}
          max={720}
          step={1}
          disabled={locked}
          value={d.frequencyCap}
          onChange={(e) => set("frequencyCap", e.target.value)}
          aria-describedby="frequency-cap-hint"
          className="w-20 rounded-md border border-slate-300 bg-white px-2 py-1 text-base sm:text-sm"
        />
        <span>{t("cap.hours")}</span>
      </label>
      <p id="frequency-cap-hint" className="text-xs text-slate-600">
        {hours > 0 ? t("cap.hint") : t("cap.off")}
      </p>
    </div>
  );
}

/** "43 skipped: messaged in the last 24 h" on a campaign's page (counted, then skipped). */
export function FrequencyCapNote({ campaign: c }: { campaign: Campaign }) {
  const { t, n } = useI18n();
  const count = c.frequency_capped ?? 0;
  const hours = c.frequency_cap_hours ?? 0;
  if (!count || !hours) return null;
  const key = c.counters.total > 0 ? "cap.skipped" : "cap.willSkip";
  return (
    <p className="mt-2 text-sm text-slate-700" data-testid="frequency-capped">
      {t(key, { count: n(count), hours: n(hours) })}
    </p>
  );
}

/** A saved follow-up's recipients (the audience check counts them from its origin); null otherwise. */
export function useFollowUpRecipients(saved: Campaign | undefined, version: number): number | null {
  const isFollowUp = Boolean(followUpOf(saved));
  const check = useAudience(isFollowUp && saved ? saved.campaign_id : null, version);
  return isFollowUp && check.data ? check.data.recipients : null;
}
