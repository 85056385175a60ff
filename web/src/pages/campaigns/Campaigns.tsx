import { useState } from "react";
import { Link } from "react-router";
import { useCampaigns } from "../../api/campaignsApi";
import { EmptyState, ErrorState, LoadMore, Loading, PageHeader, SelectField } from "../../components/ui";
import { campaignOutcome, sentShare, formatCount, formatDayTime } from "../../lib/format";
import { formatDateTime } from "../../lib/format";
import { ProgressBar } from "../contacts/ImportWizard";
import { CAMPAIGN_STATES, CampaignStatusBadge } from "./common";
import { NumberStates, PreparingProgress } from "./NumberStates";
import { CampaignEmails } from "./CampaignEmails";
import { hasApi } from "../../lib/features";
import { useI18n } from "../../i18n";

export function CampaignsPage() {
  const [status, setStatus] = useState("");
  const { t } = useI18n();
  const campaigns = useCampaigns(status);
  return (
    <>
      <PageHeader title={t("campaigns.title")}>
        <Link to="/campaigns/new" className="inline-flex items-center rounded-md bg-brand-700 px-4 py-2 text-sm font-medium text-white hover:bg-brand-800">
          {t("campaigns.new")}
        </Link>
      </PageHeader>
      <div className="mb-4 max-w-xs">
        <SelectField label={t("campaigns.status")} value={status} onChange={(e) => setStatus(e.target.value)}>
          <option value="">{t("campaigns.all")}</option>
          {Object.entries(CAMPAIGN_STATES).map(([value, info]) => (
            <option key={value} value={value}>
              {info.label}
            </option>
          ))}
        </SelectField>
      </div>
      {campaigns.isPending ? (
        <Loading what={t("campaigns.what")} />
      ) : campaigns.isError ? (
        <ErrorState error={campaigns.error} what={t("campaigns.what")} onRetry={() => campaigns.refetch()} />
      ) : campaigns.data.length === 0 ? (
        status ? (
          <EmptyState title={t("campaigns.noneWithStatus")} />
        ) : (
          <EmptyState
            title={t("campaigns.none")}
            action={
              <Link to="/campaigns/new" className="font-medium text-brand-700 underline">
                {t("campaigns.createFirst")}
              </Link>
            }
          >
            {t("campaigns.none.text")}
          </EmptyState>
        )
      ) : (
        <ul className="flex flex-col gap-3" aria-label={t("campaigns.yours")}>
          {campaigns.data.map((c) => (
            <li key={c.campaign_id} className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
              <div className="flex flex-wrap items-start justify-between gap-2">
                <div className="min-w-0">
                  <h2 className="truncate text-base font-semibold">
                    <Link to={`/campaigns/${c.campaign_id}`} className="hover:underline">
                      {c.name}
                    </Link>
                  </h2>
                  <p className="text-xs text-slate-600">
                    {c.status === "scheduled" && c.send_at ? t("campaigns.starts", { when: formatDateTime(c.send_at, c.timezone) }) : c.launched_at ? t("campaigns.launched", { when: formatDateTime(c.launched_at) }) : t("campaigns.created", { when: formatDateTime(c.created_at) })}
                    {c.status === "running" && c.finish_at ? ` · ${t("campaigns.finishes", { when: formatDayTime(c.finish_at, c.timezone) })}` : ""}
                  </p>
                </div>
                <CampaignStatusBadge status={c.status} />
              </div>
              {["running", "paused", "scheduled"].includes(c.status) && <NumberStates campaign={c} compact />}
              {c.status === "preparing" && (
                <div className="mt-3">
                  <PreparingProgress campaign={c} />
                </div>
              )}
              {!["draft", "preparing"].includes(c.status) && (
                <div className="mt-3">
                  <ProgressBar value={sentShare(c)} label={t("campaigns.progressOf", { name: c.name })} />
                  <p className="mt-1 text-xs text-slate-600">
                    {campaignOutcome(c)} · {t("campaigns.delivered", { count: formatCount(c.funnel.delivered) })} · {t("campaigns.failed", { count: formatCount(c.counters.failed) })}
                  </p>
                </div>
              )}
            </li>
          ))}
        </ul>
      )}
      <LoadMore query={campaigns} what={t("campaigns.more")} />
      {hasApi("/api/notification-settings") && (
        <div className="mt-6">
          <CampaignEmails />
        </div>
      )}
    </>
  );
}
