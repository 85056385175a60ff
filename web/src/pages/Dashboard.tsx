import { Link } from "react-router";
import { useCampaigns } from "../api/campaignsApi";
import { hasApi } from "../lib/features";
import { useBilling } from "../api/billingApi";
import { UsageBar } from "./Billing";
import { ProgressBar } from "./contacts/ImportWizard";
import { CampaignStatusBadge } from "./campaigns/common";
import { NumberStates } from "./campaigns/NumberStates";
import { useMe, useNotifications, useSessions } from "../api/queries";
import { SessionStatusBadge } from "../components/SessionStatus";
import { REMOVED } from "./Sessions";
import { Card, EmptyState, ErrorState, Loading, PageHeader } from "../components/ui";
import { timeAgo } from "../lib/format";
import { NumberHealthCard } from "../components/NumberHealth";
import { campaignOutcome, sentShare } from "../lib/format";
import { tr } from "../i18n";

/**
 * Only what the API can answer today: numbers and notifications. Campaign and
 * quota sections slot in as more <Card>s when those APIs exist.
 */
export function DashboardPage() {
  const me = useMe();
  return (
    <>
      <PageHeader title={me.data ? tr("dashboard.hello", { name: me.data.name.split(" ")[0] ?? "" }) : tr("nav.dashboard")} />
      <div className="grid items-start gap-4 lg:grid-cols-2">
        {hasApi("/api/campaigns") && <CampaignsCard />}
        {hasApi("/api/billing") && <UsageCard />}
        <NumbersCard />
        {hasApi("/api/sessions/health") && <NumberHealthCard />}
        <RecentNotificationsCard />
      </div>
    </>
  );
}

function NumbersCard() {
  const sessions = useSessions();
  const items = (sessions.data ?? []).filter((s) => !REMOVED.has(s.status));
  const connected = items.filter((s) => s.status === "connected").length;
  return (
    <Card title={tr("nav.numbers")} actions={<Link to="/sessions" className="text-sm font-medium text-brand-700 underline">{tr("dashboard.manageNumbers")}</Link>}>
      {sessions.isPending ? (
        <Loading what={tr("numbers.what")} />
      ) : sessions.isError ? (
        <ErrorState error={sessions.error} what={tr("numbers.what")} onRetry={() => sessions.refetch()} />
      ) : items.length === 0 ? (
        <EmptyState title={tr("sessions.none")} action={<Link to="/sessions" className="font-medium text-brand-700 underline">{tr("forecast.addNumber")}</Link>}>
          {tr("dashboard.noNumbers.text")}
        </EmptyState>
      ) : (
        <>
          <p className="mb-2 text-sm text-slate-700">
            {tr("dashboard.connected", { connected, total: items.length })}
          </p>
          <ul className="divide-y divide-slate-100">
            {items.map((s) => (
              <li key={s.session_id} className="flex items-center justify-between gap-3 py-2">
                <div className="min-w-0">
                  <p className="truncate text-sm font-medium">{s.label}</p>
                  {s.last_error && s.status !== "connected" && <p className="truncate text-xs text-slate-600">{s.last_error}</p>}
                </div>
                <SessionStatusBadge status={s.status} />
              </li>
            ))}
          </ul>
        </>
      )}
    </Card>
  );
}

function RecentNotificationsCard() {
  const notes = useNotifications(false, 10);
  return (
    <Card title={tr("dashboard.notifications")}>
      {notes.isPending ? (
        <Loading what={tr("bell.what")} />
      ) : notes.isError ? (
        <ErrorState error={notes.error} what={tr("bell.what")} onRetry={() => notes.refetch()} />
      ) : notes.data.items.length === 0 ? (
        <EmptyState title={tr("dashboard.nothingYet")}>{tr("dashboard.nothingYet.text")}</EmptyState>
      ) : (
        <ul className="divide-y divide-slate-100">
          {notes.data.items.map((n) => (
            <li key={n.notification_id} className="py-2">
              <p className="text-sm font-medium">
                {!n.read_at && <span className="mr-1 inline-block h-2 w-2 rounded-full bg-brand-600" aria-label={tr("dashboard.unread")} role="img" />}
                {n.title}
              </p>
              <p className="text-sm text-slate-700">{n.body}</p>
              <p className="text-xs text-slate-500">{timeAgo(n.created_at)}</p>
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}

function CampaignsCard() {
  const running = useCampaigns("running");
  const items = running.data ?? [];
  return (
    <Card title={tr("dashboard.running")} actions={<Link to="/campaigns" className="text-sm font-medium text-brand-700 underline">{tr("campaigns.all")}</Link>}>
      {running.isPending ? (
        <Loading what={tr("campaigns.what")} />
      ) : running.isError ? (
        <ErrorState error={running.error} what={tr("campaigns.what")} onRetry={() => running.refetch()} />
      ) : items.length === 0 ? (
        <EmptyState title={tr("dashboard.nothingSending")} action={<Link to="/campaigns/new" className="font-medium text-brand-700 underline">{tr("campaigns.new")}</Link>} />
      ) : (
        <ul className="flex flex-col gap-3">
          {items.map((c) => (
            <li key={c.campaign_id}>
              <div className="mb-1 flex items-center justify-between gap-2">
                <Link to={`/campaigns/${c.campaign_id}`} className="truncate text-sm font-medium hover:underline">
                  {c.name}
                </Link>
                <CampaignStatusBadge status={c.status} />
              </div>
              <ProgressBar value={sentShare(c)} label={tr("campaigns.progressOf", { name: c.name })} />
              <p className="mt-1 text-xs text-slate-600">
                {campaignOutcome(c)}
              </p>
              <NumberStates campaign={c} compact />
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}

function UsageCard() {
  const billing = useBilling();
  return (
    <Card title={tr("dashboard.messages")} actions={<Link to="/billing" className="text-sm font-medium text-brand-700 underline">{tr("nav.billing")}</Link>}>
      {billing.isPending ? (
        <Loading what={tr("dashboard.usage.what")} />
      ) : billing.isError ? (
        <ErrorState error={billing.error} what={tr("dashboard.usage.what")} onRetry={() => billing.refetch()} />
      ) : (
        <>
          <p className="mb-2 text-sm text-slate-700">{tr("dashboard.plan", { plan: billing.data.plan.name })}</p>
          <UsageBar billing={billing.data} />
        </>
      )}
    </Card>
  );
}
