import { useEffect, useRef, useState } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { messageOf } from "../../api/errors";
import { downloadCampaignExport, useCampaign, useCampaignAction, useCampaignMessages, useDeleteCampaign, useRetryFailed } from "../../api/campaignsApi";
import type { Campaign } from "../../api/types";
import { Badge } from "../../components/SessionStatus";
import { Alert, Button, Card, ConfirmDialog, EmptyState, ErrorState, LoadMore, Loading, PageHeader, SelectField } from "../../components/ui";
import { campaignOutcome, sentShare, formatCount, formatPercent } from "../../lib/format";
import { formatDateTime } from "../../lib/format";
import { showToast } from "../../lib/toast";
import { displayPhone } from "../contacts/Contacts";
import { ProgressBar } from "../contacts/ImportWizard";
import { CampaignStatusBadge, MESSAGE_STATES, messageReasonText, pauseReasonText, storedLaunchProblem } from "./common";
import { NumberStates, PreparingProgress, planningOf } from "./NumberStates";
import { ForecastView } from "./ForecastPanel";
import { AffectedList } from "./editor/AudienceSection";
import { useCampaignForecast } from "../../api/planningApi";
import { durationWords } from "../../lib/forecastWords";
import { formatDayTime } from "../../lib/format";
import { PhoneBubble } from "../../components/WhatsAppText";
import { useI18n } from "../../i18n";
import { CampaignCopyActions } from "./FollowUpDialog";
import { FrequencyCapNote } from "./editor/AudienceExtras";
import { VariantComparison, VariantTag } from "./VariantComparison";
import { ReplyOptOuts } from "./ReplyOptOuts";

const EDITABLE = new Set(["draft", "scheduled", "paused"]);

export function CampaignDetailPage() {
  const { campaignId = "" } = useParams();
  const campaign = useCampaign(campaignId);
  const { t } = useI18n();
  if (campaign.isPending) return <Loading what={t("campaign.what")} />;
  if (campaign.isError) return <ErrorState error={campaign.error} what={t("campaign.what")} onRetry={() => campaign.refetch()} />;
  return <CampaignView campaign={campaign.data} />;
}

function CampaignView({ campaign: c }: { campaign: Campaign }) {
  const { t, p } = useI18n();
  const action = useCampaignAction();
  const retry = useRetryFailed();
  const [confirmCancel, setConfirmCancel] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const remove = useDeleteCampaign();
  const navigate = useNavigate();
  const [exporting, setExporting] = useState(false);
  const run = (kind: "pause" | "resume") =>
    action.mutate({ id: c.campaign_id, action: kind }, { onError: (error) => showToast(messageOf(error), "error") });
  const onExport = async () => {
    setExporting(true);
    try {
      await downloadCampaignExport(c.campaign_id);
    } catch (error) {
      showToast(t("campaign.exportFailed", { message: messageOf(error) }), "error");
    } finally {
      setExporting(false);
    }
  };
  const reason = c.status === "paused" ? pauseReasonText(c.pause_reason) : null;
  const plan = planningOf(c);
  const problem = c.status === "draft" ? storedLaunchProblem(plan.launch_problem) : null;
  // Recipients held back by "send to the first N" (skipped for quota) can be sent later.
  const heldBack = plan.send_limit ? c.counters.skipped : 0;
  // A cancelled campaign's waiting messages are dropped (marked in the background, so the
  // counters may still list them as waiting): shown as cancelled, the counts add up.
  const stillWaiting = c.counters.pending + c.counters.leased;
  const cancelled = c.status === "cancelled" ? c.counters.cancelled + stillWaiting : c.counters.cancelled;
  const counters: [string, number][] = [
    [t("campaign.count.recipients"), c.counters.total],
    ...(c.status === "cancelled" ? [] : [[t("campaign.count.waiting"), stillWaiting] as [string, number]]),
    [t("campaign.count.sent"), c.funnel.sent],
    [t("campaign.count.delivered"), c.funnel.delivered],
    [t("campaign.count.read"), c.funnel.read],
    [t("campaign.count.replies"), c.counters.replies],
    [t("campaign.count.failed"), c.counters.failed],
    [t("campaign.count.skipped"), c.counters.skipped],
    ...(cancelled > 0 || c.status === "cancelled" ? [[t("campaign.count.cancelled"), cancelled] as [string, number]] : []),
  ];
  return (
    <>
      <PageHeader title={c.name}>
        {EDITABLE.has(c.status) && (
          <Link to={`/campaigns/${c.campaign_id}/edit`} className="inline-flex items-center rounded-md border border-slate-300 bg-white px-4 py-2 text-sm font-medium text-slate-800 hover:bg-slate-50">
            {t("campaign.edit")}
          </Link>
        )}
        {c.status === "draft" && (
          <Button variant="secondary" className="text-red-700" onClick={() => setConfirmDelete(true)}>
            {t("campaign.deleteDraft")}
          </Button>
        )}
        {c.status === "running" && (
          <Button variant="secondary" busy={action.isPending && action.variables?.action === "pause"} onClick={() => run("pause")}>
            {t("campaign.pause")}
          </Button>
        )}
        {c.status === "paused" && (
          <Button busy={action.isPending && action.variables?.action === "resume"} onClick={() => run("resume")}>
            {t("campaign.resume")}
          </Button>
        )}
        {["scheduled", "running", "paused"].includes(c.status) && (
          <Button variant="danger" onClick={() => setConfirmCancel(true)}>
            {t("campaign.cancel")}
          </Button>
        )}
        {c.counters.failed > 0 && c.status !== "draft" && (
          <Button
            variant="secondary"
            busy={retry.isPending}
            onClick={() =>
              retry.mutate(c.campaign_id, {
                onSuccess: (r) => showToast(r.requeued ? p("campaign.retried", r.requeued) : t("campaign.retryNone"), "info"),
                onError: (error) => showToast(messageOf(error), "error"),
              })
            }
          >
            {t("campaign.retryFailed")}
          </Button>
        )}
        {heldBack > 0 && ["running", "paused", "completed"].includes(c.status) && (
          <Button
            variant="secondary"
            busy={retry.isPending}
            onClick={() =>
              retry.mutate(c.campaign_id, {
                onSuccess: (r) => showToast(r.requeued ? t("campaign.restQueued", { count: formatCount(r.requeued) }) : t("campaign.restNone"), "info"),
                onError: (error) => showToast(messageOf(error), "error"),
              })
            }
          >
            {t("campaign.sendRest", { count: formatCount(heldBack) })}
          </Button>
        )}
        {c.status !== "draft" && (
          <Button variant="secondary" busy={exporting} onClick={() => void onExport()}>
            {t("campaign.export")}
          </Button>
        )}
        <CampaignCopyActions campaign={c} />
      </PageHeader>
      <div className="flex flex-col gap-4">
        <Card>
          <div className="flex flex-wrap items-center justify-between gap-2">
            <CampaignStatusBadge status={c.status} />
            <p className="text-sm text-slate-700">
              {c.status === "scheduled" && c.send_at ? t("campaign.startsIn", { when: formatDateTime(c.send_at, c.timezone), zone: c.timezone }) : null}
              {c.status === "running" && plan.finish_at ? t("campaign.finishes", { when: formatDayTime(plan.finish_at, c.timezone), duration: durationWords(Math.max(0, plan.finish_at - Date.now()) / 1000) }) : null}
              {c.status === "completed" && c.completed_at ? t("campaign.completedAt", { when: formatDateTime(c.completed_at) }) : null}
            </p>
          </div>
          <FrequencyCapNote campaign={c} />
          {problem && (
            <div className="mt-3">
              <Alert title={problem.title}>
                <p>{problem.message}</p>
                <p className="mt-1 font-medium">{problem.fix}</p>
                {problem.affected && problem.affected.length > 0 && <AffectedList affected={problem.affected} />}
                <Link to={`/campaigns/${c.campaign_id}/edit`} className="mt-2 inline-block font-medium underline">
                  {t("campaign.fix")}
                </Link>
              </Alert>
            </div>
          )}
          <div className="mt-3">
            <PreparingProgress campaign={c} />
          </div>
          {reason && (
            <div className="mt-3">
              <Alert tone="warning" title={t("campaign.state.paused")}>
                {reason}{" "}
                <Link to={`/campaigns/${c.campaign_id}/edit`} className="font-medium underline">
                  {t("campaign.changeMessageOrPace")}
                </Link>
              </Alert>
            </div>
          )}
          <div className="mt-3" aria-live="polite">
            <ProgressBar value={sentShare(c)} label={t("campaign.progress")} />
            <p className="mt-1 text-sm text-slate-700" data-testid="campaign-progress">
              {campaignOutcome(c)}
            </p>
          </div>
          <dl className="mt-3 grid grid-cols-2 gap-3 sm:grid-cols-4" data-testid="campaign-counters">
            {counters.map(([label, value]) => (
              <div key={label} className="rounded-md bg-slate-50 p-2">
                <dt className="text-xs text-slate-600">{label}</dt>
                <dd className="text-lg font-semibold">{formatCount(value)}</dd>
              </div>
            ))}
          </dl>
        </Card>
        {["running", "paused", "scheduled"].includes(c.status) && (
          <Card title={t("campaign.sendingNumbers")}>
            <NumberStates campaign={c} />
            <CampaignForecast campaign={c} />
          </Card>
        )}
        <Card title={t("campaign.funnel")}>
          <Funnel campaign={c} />
        </Card>
        <VariantComparison campaign={c} />
        <Card title={t("campaign.message")}>
          <PhoneBubble text={c.template} />
        </Card>
        <ReplyOptOuts campaign={c} />
        <Recipients campaign={c} />
      </div>
      {confirmDelete && (
        <ConfirmDialog
          title={t("campaign.deleteDraft.title", { name: c.name })}
          confirmLabel={t("campaign.deleteDraft")}
          busy={remove.isPending}
          error={remove.error}
          onCancel={() => {
            remove.reset();
            setConfirmDelete(false);
          }}
          onConfirm={() =>
            remove.mutate(c.campaign_id, {
              onSuccess: () => {
                showToast(t("campaign.deleteDraft.done"), "success");
                navigate("/campaigns");
              },
            })
          }
        >
          {t("campaign.deleteDraft.text")}
        </ConfirmDialog>
      )}
      {confirmCancel && (
        <ConfirmDialog
          title={t("campaign.cancel.title", { name: c.name })}
          confirmLabel={t("campaign.cancel")}
          busy={action.isPending}
          error={action.error}
          onCancel={() => {
            action.reset();
            setConfirmCancel(false);
          }}
          onConfirm={() =>
            action.mutate(
              { id: c.campaign_id, action: "cancel" },
              {
                onSuccess: () => {
                  setConfirmCancel(false);
                  showToast(t("campaign.cancel.done"), "success");
                },
              },
            )
          }
        >
          {t("campaign.cancel.text")}
        </ConfirmDialog>
      )}
    </>
  );
}

/** When the rest goes out, from the same forecast as the composer (not the last minute's rate). */
function CampaignForecast({ campaign: c }: { campaign: Campaign }) {
  const forecast = useCampaignForecast(c.campaign_id, c.status === "running" ? 30_000 : false);
  if (!forecast.data) return null;
  return (
    <div className="mt-3 border-t border-slate-100 pt-3">
      <ForecastView forecast={forecast.data} now={Date.now()} launched />
    </div>
  );
}

function Funnel({ campaign: c }: { campaign: Campaign }) {
  const { t } = useI18n();
  const total = Math.max(c.counters.total, 1);
  const steps: [string, number][] = [
    [t("campaign.count.sent"), c.funnel.sent],
    [t("campaign.count.delivered"), c.funnel.delivered],
    [t("campaign.count.read"), c.funnel.read],
    [t("campaign.funnel.replied"), c.funnel.replied ?? 0],
  ];
  return (
    <ul className="flex flex-col gap-2">
      {steps.map(([label, value]) => (
        <li key={label} className="grid grid-cols-[6rem_1fr_5rem] items-center gap-2 text-sm">
          <span>{label}</span>
          <ProgressBar value={value / total} label={t("campaign.share", { label })} />
          <span className="text-right tabular-nums">
            {formatCount(value)} ({formatPercent(value / total)})
          </span>
        </li>
      ))}
    </ul>
  );
}

function Recipients({ campaign: c }: { campaign: Campaign }) {
  const [status, setStatus] = useState("");
  const { t } = useI18n();
  const messages = useCampaignMessages(c.campaign_id, status, c.status === "running");
  // The list follows the live counters: when they move, the loaded pages are read again.
  const fingerprint = `${c.status}:${c.funnel.sent}:${c.funnel.delivered}:${c.funnel.read}:${c.counters.failed}:${c.counters.skipped}`;
  const { refetch } = messages;
  const seen = useRef(fingerprint);
  useEffect(() => {
    if (seen.current === fingerprint) return;
    seen.current = fingerprint;
    void refetch();
  }, [fingerprint, refetch]);
  if (c.status === "draft") return null;
  return (
    <Card title={t("campaign.recipients")}>
      <div className="mb-3 max-w-xs">
        <SelectField label={t("campaign.show")} value={status} onChange={(e) => setStatus(e.target.value)}>
          <option value="">{t("campaign.everyRecipient")}</option>
          {Object.entries(MESSAGE_STATES).map(([value, info]) => (
            <option key={value} value={value}>
              {info.label}
            </option>
          ))}
          <option value="replied">{t("campaign.replied")}</option>
        </SelectField>
      </div>
      {messages.isPending ? (
        <Loading what={t("campaign.recipients.what")} />
      ) : messages.isError ? (
        <ErrorState error={messages.error} what={t("campaign.recipients.what")} onRetry={() => messages.refetch()} />
      ) : messages.data.length === 0 ? (
        <EmptyState title={status ? t("campaign.recipients.noneWithStatus") : t("campaign.recipients.none")} />
      ) : (
        <div className="overflow-x-auto">
          <table className="min-w-full text-left text-sm">
            <caption className="sr-only">{t("campaign.recipients.caption")}</caption>
            <thead className="text-xs uppercase text-slate-600">
              <tr>
                <th scope="col" className="px-2 py-2">{t("campaign.col.phone")}</th>
                <th scope="col" className="px-2 py-2">{t("campaign.col.name")}</th>
                <th scope="col" className="px-2 py-2">{t("campaign.col.status")}</th>
                <th scope="col" className="hidden px-2 py-2 sm:table-cell">{t("campaign.col.updated")}</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {messages.data.map((m) => {
                const info = MESSAGE_STATES[m.status] ?? { label: m.status, tone: "muted" as const };
                return (
                  <tr key={m.phone}>
                    <td className="whitespace-nowrap px-2 py-2 font-mono text-xs">{displayPhone(m.phone)}</td>
                    <td className="px-2 py-2">
                      {m.name ?? "—"}
                      {m.reply_text && <p className="mt-0.5 max-w-xs truncate text-xs text-slate-700" title={m.reply_text}>“{m.reply_text}”</p>}
                    </td>
                    <td className="px-2 py-2">
                      <Badge tone={info.tone}>{info.label}</Badge>
                      {m.reason && <span className="ml-2 text-xs text-slate-600">{messageReasonText(m.reason)}</span>}
                      <VariantTag campaign={c} message={m} />
                    </td>
                    <td className="hidden whitespace-nowrap px-2 py-2 text-xs text-slate-600 sm:table-cell">
                      {formatDateTime(m.read_at ?? m.delivered_at ?? m.sent_at ?? m.failed_at ?? m.queued_at)}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      <LoadMore query={messages} what={t("campaign.recipients.more")} />
    </Card>
  );
}
