import { useState, type FormEvent } from "react";
import { Link, useNavigate, useParams, useSearchParams } from "react-router";
import { useCampaign, useCampaignAction, useRefreshCampaigns } from "../../api/campaignsApi";
import { useMe, useSessions } from "../../api/queries";
import type { Campaign } from "../../api/types";
import { Alert, Button, Card, ErrorState, Loading, PageHeader, TextField } from "../../components/ui";
import { formErrors } from "../../lib/forms";
import { showToast } from "../../lib/toast";
import { launchProblem, storedLaunchProblem } from "./common";
import { CAMPAIGN_STATES } from "./common";
import { LaunchSummaryDialog } from "./LaunchSummary";
import { AffectedList, AudienceCheck, AudiencePicker } from "./editor/AudienceSection";
import { AudienceExtras, useFollowUpRecipients } from "./editor/AudienceExtras";
import { FORM_FIELDS, MAX_LENGTH, pacingOf } from "./editor/draft";
import { useDraftState } from "./editor/useDraftState";
import { MediaPanel, MessageEditor, PreviewPanel, useKnownFields } from "./editor/MessageSection";
import { ScheduleFields } from "./editor/ScheduleSection";
import { SessionPicker } from "./editor/SessionPicker";
import { TestPanel } from "./editor/TestPanel";
import { VariantsSection } from "./editor/VariantsSection";
import { ComposerForecast } from "./ForecastPanel";
import type { ForecastRequest, Suggestion } from "../../api/planningApi";
import { formatCount } from "../../lib/format";
import { OptOutWordCheck } from "../../components/OptOutWordCheck";
import { tr } from "../../i18n";

export { MAX_LENGTH, localInput, pacingWarnings } from "./editor/draft";
export { BUILTIN_VARIABLES } from "../../lib/templateVars";

export function CampaignEditorPage() {
  const { campaignId } = useParams();
  const campaign = useCampaign(campaignId ?? null);
  const me = useMe();
  if ((campaignId && campaign.isPending) || me.isPending) return <Loading what={tr("campaign.what")} />;
  if (campaign.isError) return <ErrorState error={campaign.error} what={tr("campaign.what")} onRetry={() => campaign.refetch()} />;
  return <Editor key={campaignId ?? "new"} campaign={campaign.data} defaultTimezone={me.data?.timezone ?? "UTC"} />;
}

function Editor({ campaign, defaultTimezone }: { campaign: Campaign | undefined; defaultTimezone: string }) {
  const navigate = useNavigate();
  // Back from checkout (the launch summary's "Upgrade"): the campaign is still a draft.
  const [search] = useSearchParams();
  const checkout = search.get("checkout");
  const [image, setImage] = useState<string | null>(null);
  const [clientProblem, setClientProblem] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  const launch = useCampaignAction();
  const known = useKnownFields();
  const sessions = useSessions(10_000);
  const refreshCampaigns = useRefreshCampaigns();
  const firstConnected = sessions.data?.find((s) => s.status === "connected")?.session_id;
  const { d, set, saved, save, saving, saveError, touched, version, isDraft, ensureDraft, draftKey, lastSavedKey } = useDraftState(campaign, defaultTimezone, firstConnected, () => setClientProblem(null));

  const id = saved?.campaign_id ?? null;
  const status = saved?.status ?? "draft";
  const editable = ["draft", "scheduled", "paused"].includes(status);
  // Recipients and numbers are fixed once sending started (the API refuses changes).
  const locked = status === "paused";

  const allErrors = formErrors(saveError, FORM_FIELDS);
  const fieldErrors = Object.fromEntries(Object.entries(allErrors.fields).filter(([k]) => !touched.has(k)));

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    save().then(
      () => showToast(isDraft ? tr("editor.saved") : tr("editor.changesSaved"), "success"),
      () => undefined,
    );
  };

  const over = d.template.length > MAX_LENGTH;
  const tooLong = tr("editor.tooLong", { length: formatCount(d.template.length), max: formatCount(MAX_LENGTH) });

  const onLaunch = async () => {
    if (over) return setClientProblem(tooLong);
    if (!d.template.trim()) return setClientProblem(tr("editor.writeFirst"));
    if (d.sessionIds.length === 0) return setClientProblem(tr("editor.chooseNumber"));
    const campaignNow = await save().catch(() => null);
    if (campaignNow) setConfirming(campaignNow.campaign_id);
  };

  const onSaveAndResume = async () => {
    if (over) return setClientProblem(tooLong);
    const campaignNow = await save().catch(() => null);
    if (!campaignNow) return;
    // Given a time to resume at, it stays paused until then (the API schedules the resume).
    if (d.when === "later") return navigate(`/campaigns/${campaignNow.campaign_id}`);
    launch.mutate(
      { id: campaignNow.campaign_id, action: "resume" },
      {
        onSuccess: (c) => {
          showToast(tr("editor.resumed"), "success");
          navigate(`/campaigns/${c.campaign_id}`);
        },
      },
    );
  };

  // A follow-up reaches only the origin's matching recipients, as the audience check counts them.
  const followUpRecipients = useFollowUpRecipients(saved, version);
  // Paused: what is left to send; otherwise the audience as chosen on screen.
  const forecastRequest: ForecastRequest = {
    session_ids: d.sessionIds,
    ...(locked && saved ? { recipients: saved.counters.pending + saved.counters.leased } : { audience: { all: d.all, tags: d.all ? [] : d.tags } }),
    ...(!locked && followUpRecipients !== null ? { recipients: followUpRecipients, audience: null } : {}),
    pacing: pacingOf(d),
    timezone: d.timezone,
    send_at: d.when === "later" && d.sendAt ? d.sendAt : null,
    deadline: d.deadline || null,
    template: d.template.slice(0, MAX_LENGTH),
    on_missing_variable: d.onMissing,
  };
  const applySuggestion = (change: Suggestion["change"]) => {
    if (typeof change.daily_cap === "number") set("dailyCap", String(change.daily_cap));
    if (typeof change.warmup === "boolean") set("warmup", change.warmup);
    if (typeof change.min_gap_s === "number") set("minGap", String(change.min_gap_s));
    if (typeof change.max_gap_s === "number") set("maxGap", String(change.max_gap_s));
  };

  const problem = launchProblem(launch.error);
  const stored = isDraft ? storedLaunchProblem((saved as { launch_problem?: { code: string; message: string; details?: unknown } | null } | undefined)?.launch_problem) : null;
  const sessionLabel = (sessionId: string) => sessions.data?.find((s) => s.session_id === sessionId)?.label ?? sessionId;
  const saveState = saving ? tr("editor.saving") : saveError ? tr("editor.notSaved") : id && isDraft && draftKey === lastSavedKey() ? tr("editor.draftSaved") : null;

  return (
    <>
      <PageHeader title={saved ? tr("editor.editTitle", { name: saved.name }) : tr("campaigns.new")}>
        <Link to={saved ? `/campaigns/${saved.campaign_id}` : "/campaigns"} className="text-sm font-medium text-brand-700 underline">
          {saved ? tr("editor.backToCampaign") : tr("editor.backToCampaigns")}
        </Link>
      </PageHeader>
      {!editable && <Alert tone="info">{tr("editor.notEditable", { status: CAMPAIGN_STATES[status]?.label ?? status })}</Alert>}
      {checkout === "success" && isDraft && (
        <div className="mb-4">
          <Alert tone="success" title={tr("editor.upgraded")}>
            {tr("editor.upgraded.text")}
          </Alert>
        </div>
      )}
      {checkout === "cancelled" && isDraft && (
        <div className="mb-4">
          <Alert tone="info">{tr("editor.paymentCancelled")}</Alert>
        </div>
      )}
      {stored && (
        <div className="mb-4">
          <Alert title={stored.title}>
            <p>{stored.message}</p>
            <p className="mt-1 font-medium">{stored.fix}</p>
            {stored.affected && stored.affected.length > 0 && <AffectedList affected={stored.affected} />}
          </Alert>
        </div>
      )}
      {status === "paused" && (
        <div className="mb-4">
          <Alert tone="info" title={tr("editor.paused")}>
            {tr("editor.paused.text")}
          </Alert>
        </div>
      )}
      <form onSubmit={onSubmit} className="flex flex-col gap-4" noValidate>
        <fieldset disabled={!editable} className="flex min-w-0 flex-col gap-4">
          <Card title={tr("editor.section.message")}>
            <div className="flex flex-col gap-3">
              <TextField label={tr("editor.name")} required maxLength={120} value={d.name} onChange={(e) => set("name", e.target.value)} error={fieldErrors.name} hint={tr("editor.name.hint")} />
              <VariantsSection d={d} set={set} errors={fieldErrors} known={known} locked={!isDraft} campaignId={id} version={version}>
              <MessageEditor value={d.template} onChange={(v) => set("template", v)} error={fieldErrors.template} known={known} onMissing={d.onMissing} setOnMissing={(v) => set("onMissing", v)} />
              </VariantsSection>
              <OptOutWordCheck text={d.template} />
              <MediaPanel campaignId={id} hasMedia={Boolean(saved?.has_media)} ensureDraft={ensureDraft} onImage={setImage} />
              <PreviewPanel campaignId={id} version={version} template={d.template} all={d.all} tags={d.tags} image={image} />
            </div>
          </Card>
          <Card title={tr("editor.section.audience")}>
            <AudiencePicker d={d} set={set} error={fieldErrors.audience} locked={locked} />
            {id && <AudienceCheck campaignId={id} version={version} onMissing={d.onMissing} />}
            <AudienceExtras d={d} set={set} campaign={saved} locked={locked} />
          </Card>
          <Card title={tr("editor.section.numbers")}>
            <SessionPicker selected={d.sessionIds} onChange={(v) => set("sessionIds", v)} error={fieldErrors.session_ids} locked={locked} />
          </Card>
          <Card title={tr("editor.section.schedule")}>
            <ScheduleFields d={d} set={set} errors={fieldErrors} showWhen paused={status === "paused"} forecast={<ComposerForecast request={forecastRequest} onApply={applySuggestion} />} />
          </Card>
        </fieldset>
        {editable && <TestPanel sessionIds={d.sessionIds} ensureDraft={ensureDraft} variantCount={1 + d.variants.filter((t) => t.trim()).length} />}
        {allErrors.form && <Alert>{allErrors.form}</Alert>}
        {clientProblem && <Alert>{clientProblem}</Alert>}
        {problem && (
          <Alert title={problem.title}>
            <p>{problem.message}</p>
            {problem.sessions && problem.sessions.length > 0 && (
              <ul className="mt-1 list-disc pl-5">
                {problem.sessions.map((s) => (
                  <li key={s.session_id}>
                    {sessionLabel(s.session_id)}: {s.problem.replace(/_/g, " ")}
                  </li>
                ))}
              </ul>
            )}
            {problem.affected && problem.affected.length > 0 && <AffectedList affected={problem.affected} />}
          </Alert>
        )}
        <div className="flex flex-wrap items-center gap-2">
          <Button type="submit" variant="secondary" busy={saving && !launch.isPending} disabled={!editable}>
            {isDraft ? tr("editor.saveDraft") : tr("editor.saveChanges")}
          </Button>
          {isDraft && (
            <Button onClick={() => void onLaunch()} busy={launch.isPending}>
              {d.when === "later" ? tr("editor.schedule") : tr("editor.launchNow")}
            </Button>
          )}
          {status === "paused" && (
            <Button onClick={() => void onSaveAndResume()} busy={launch.isPending}>
              {d.when === "later" ? tr("editor.saveResumeAt") : tr("editor.saveResume")}
            </Button>
          )}
          {saveState && (
            <p className="text-sm text-slate-600" aria-live="polite" data-testid="save-state">
              {saveState}
            </p>
          )}
        </div>
      </form>
      {confirming && (
        <LaunchSummaryDialog
          campaignId={confirming}
          scheduled={d.when === "later"}
          onClose={() => setConfirming(null)}
          onLaunched={() => {
            showToast(tr("editor.preparing"), "success");
            refreshCampaigns();
            navigate(`/campaigns/${confirming}`);
          }}
        />
      )}
    </>
  );
}
