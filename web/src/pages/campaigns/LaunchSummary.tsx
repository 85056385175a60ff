import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { useBillingPlans } from "../../api/billingApi";
import { messageOf } from "../../api/errors";
import { checkoutReturningTo, scheduleCampaign, useLaunchSummary, type LaunchSummary } from "../../api/planningApi";
import { Alert, Button, ErrorState, Loading, Modal } from "../../components/ui";
import { formatCount, formatDayTime } from "../../lib/format";
import { durationWords } from "../../lib/forecastWords";
import { currentLang, tr, trPlural } from "../../i18n";

/** The cheapest paid plan that covers `needed` messages a month (else the largest). */
function planFor(plans: { id: string; name: string; messages_per_month: number; price_monthly_cents: number; purchasable: boolean }[], needed: number) {
  const paid = plans.filter((p) => p.purchasable && p.price_monthly_cents > 0).sort((a, b) => a.price_monthly_cents - b.price_monthly_cents);
  return paid.find((p) => p.messages_per_month >= needed) ?? paid.at(-1) ?? null;
}

function Facts({ s, now }: { s: LaunchSummary; now: number }) {
  const tz = s.forecast.timezone;
  const a = s.audience;
  const left = [a.opted_out > 0 && tr("audience.optedOut", { count: formatCount(a.opted_out) }), a.missing_variables > 0 && tr("audience.missing", { count: formatCount(a.missing_variables) })].filter(Boolean);
  const rows: [string, string][] = [
    [tr("summary.recipients"), `${a.exact ? "" : `${tr("summary.about")} `}${formatCount(a.recipients)}${left.length ? ` (${tr("summary.notCounting", { list: left.join(` ${tr("summary.and")} `) })})` : ""}`],
    [tr("summary.from"), s.numbers.map((n) => `${n.label ?? n.session_id}${n.connected ? "" : ` (${tr("summary.notConnected")})`}`).join(", ")],
    [tr("summary.first"), s.first_message_at ? formatDayTime(s.first_message_at, tz, now) : "—"],
    [tr("summary.finishes"), s.finish_at ? `${formatDayTime(s.finish_at, tz, now)} (${durationWords((s.finish_at - now) / 1000)})` : s.forecast.beyond_horizon ? tr("summary.beyondYear") : "—"],
    [tr("summary.messages"), s.quota.unlimited ? tr("summary.unlimited", { needed: formatCount(s.quota.needed) }) : tr("summary.quota", { needed: formatCount(s.quota.needed), remaining: formatCount(s.quota.remaining) })],
  ];
  return (
    <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 text-sm" data-testid="launch-facts">
      {rows.map(([k, v]) => (
        <div key={k} className="contents">
          <dt className="font-medium text-slate-700">{k}</dt>
          <dd className="text-slate-900">{v}</dd>
        </div>
      ))}
    </dl>
  );
}

/** A summary problem in the user's language, rebuilt from the summary's own facts (English keeps the server's words). */
function summaryProblem(p: { code: string; message: string }, s: LaunchSummary): string {
  if (currentLang() === "en") return p.message;
  if (p.code === "sessions_not_ready") {
    const offline = s.numbers.filter((n) => !n.connected).map((n) => n.label ?? n.session_id);
    return offline.length ? tr("launchMsg.connectFirst", { numbers: offline.join(", ") }) : p.message;
  }
  if (p.code === "missing_variables") return trPlural("launchMsg.aboutMissing", s.audience.missing_variables);
  if (p.code === "empty_audience") return tr("launchMsg.empty");
  return p.message;
}

/**
 * The confirmation before a launch: who, from which numbers, when it starts and
 * ends, and the quota. A short quota offers an upgrade that comes back here, or
 * sending to the first N now (the rest wait, skipped for quota, for a retry).
 */
export function LaunchSummaryDialog({ campaignId, scheduled, onClose, onLaunched }: { campaignId: string; scheduled: boolean; onClose: () => void; onLaunched: () => void }) {
  const summary = useLaunchSummary(campaignId);
  const plans = useBillingPlans();
  const [now] = useState(() => Date.now());
  const launch = useMutation({ mutationFn: (first: number | null) => scheduleCampaign(campaignId, first), onSuccess: onLaunched });
  const upgrade = useMutation({
    mutationFn: (plan: string) => checkoutReturningTo(plan, `/campaigns/${campaignId}/edit`),
    onSuccess: (r) => window.location.assign(r.url),
  });
  const s = summary.data;
  const short = s && !s.quota.unlimited && s.quota.short_by > 0;
  const plan = s && short && plans.data ? planFor(plans.data.items, s.quota.needed) : null;
  const first = s?.send_to_first_max ?? null;
  const blocking = s?.problems.filter((p) => p.code !== "quota_short") ?? [];
  return (
    <Modal
      title={scheduled ? tr("summary.scheduleTitle") : tr("summary.sendTitle")}
      onClose={onClose}
      footer={
        <>
          <Button variant="secondary" onClick={onClose}>
            {tr("summary.notYet")}
          </Button>
          {s && !short && (
            <Button busy={launch.isPending && launch.variables === null} disabled={!s.can_launch} onClick={() => launch.mutate(null)}>
              {scheduled ? tr("summary.schedule") : tr("summary.sendTo", { count: formatCount(s.audience.recipients) })}
            </Button>
          )}
        </>
      }
    >
      {summary.isPending ? (
        <Loading what={tr("summary.what")} />
      ) : summary.isError ? (
        <ErrorState error={summary.error} what={tr("summary.what")} onRetry={() => summary.refetch()} />
      ) : (
        <div className="flex flex-col gap-3">
          <Facts s={s!} now={now} />
          {blocking.map((p) => (
            <Alert key={p.code}>{summaryProblem(p, s!)}</Alert>
          ))}
          {short && (
            <Alert tone="warning" title={trPlural("summary.short", s!.quota.remaining ?? 0, { needed: formatCount(s!.quota.needed) })}>
              <div className="mt-2 flex flex-col gap-2">
                {plan && (
                  <div>
                    <Button busy={upgrade.isPending} onClick={() => upgrade.mutate(plan.id)}>
                      {tr("summary.upgrade", { plan: plan.name, count: formatCount(plan.messages_per_month) })}
                    </Button>
                    <p className="mt-1 text-xs">{tr("summary.upgrade.hint")}</p>
                  </div>
                )}
                {first !== null && first > 0 && (
                  <div>
                    <Button variant="secondary" busy={launch.isPending && launch.variables === first} disabled={blocking.length > 0} onClick={() => launch.mutate(first)}>
                      {tr("summary.sendFirst", { count: formatCount(first) })}
                    </Button>
                    <p className="mt-1 text-xs">
                      {s!.send_to_first_finish_at ? `${tr("summary.sendFirst.finish", { count: formatCount(first), when: formatDayTime(s!.send_to_first_finish_at, s!.forecast.timezone, now) })} ` : ""}
                      {tr("summary.sendFirst.hint", { count: formatCount(s!.audience.recipients - first) })}
                    </p>
                  </div>
                )}
              </div>
            </Alert>
          )}
          {upgrade.error != null && <Alert>{messageOf(upgrade.error)}</Alert>}
          {launch.error != null && <Alert>{messageOf(launch.error)}</Alert>}
        </div>
      )}
    </Modal>
  );
}
