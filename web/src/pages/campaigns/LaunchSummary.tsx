import { useMutation, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { api, unwrap } from "../../api/client";
import { messageOf } from "../../api/errors";
import { checkoutReturningTo, scheduleCampaign, useLaunchSummary, type LaunchSummary } from "../../api/planningApi";
import { Alert, Button, ErrorState, Loading, Modal } from "../../components/ui";
import { formatCount, formatDayTime } from "../../lib/format";
import { durationWords } from "../../lib/forecastWords";

/** The cheapest paid plan that covers `needed` messages a month (else the largest). */
function planFor(plans: { id: string; name: string; messages_per_month: number; price_monthly_cents: number; purchasable: boolean }[], needed: number) {
  const paid = plans.filter((p) => p.purchasable && p.price_monthly_cents > 0).sort((a, b) => a.price_monthly_cents - b.price_monthly_cents);
  return paid.find((p) => p.messages_per_month >= needed) ?? paid.at(-1) ?? null;
}

function Facts({ s, now }: { s: LaunchSummary; now: number }) {
  const tz = s.forecast.timezone;
  const a = s.audience;
  const left = [a.opted_out > 0 && `${formatCount(a.opted_out)} opted out`, a.missing_variables > 0 && `${formatCount(a.missing_variables)} missing a variable`].filter(Boolean);
  const rows: [string, string][] = [
    ["Recipients", `${a.exact ? "" : "About "}${formatCount(a.recipients)}${left.length ? ` (not counting ${left.join(" and ")})` : ""}`],
    ["From", s.numbers.map((n) => `${n.label ?? n.session_id}${n.connected ? "" : " (not connected)"}`).join(", ")],
    ["First message", s.first_message_at ? formatDayTime(s.first_message_at, tz, now) : "—"],
    ["Finishes", s.finish_at ? `${formatDayTime(s.finish_at, tz, now)} (${durationWords((s.finish_at - now) / 1000)})` : s.forecast.beyond_horizon ? "More than a year at this pace" : "—"],
    ["Messages", s.quota.unlimited ? `${formatCount(s.quota.needed)} needed; your plan has no monthly limit` : `${formatCount(s.quota.needed)} needed, ${formatCount(s.quota.remaining)} left this month`],
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

/**
 * The confirmation before a launch: who, from which numbers, when it starts and
 * ends, and the quota. A short quota offers an upgrade that comes back here, or
 * sending to the first N now (the rest wait, skipped for quota, for a retry).
 */
export function LaunchSummaryDialog({ campaignId, scheduled, onClose, onLaunched }: { campaignId: string; scheduled: boolean; onClose: () => void; onLaunched: () => void }) {
  const summary = useLaunchSummary(campaignId);
  const plans = useQuery({ queryKey: ["billing", "plans"], queryFn: () => unwrap(api.GET("/api/billing/plans")), staleTime: 300_000 });
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
      title={scheduled ? "Schedule this campaign?" : "Send this campaign?"}
      onClose={onClose}
      footer={
        <>
          <Button variant="secondary" onClick={onClose}>
            Not yet
          </Button>
          {s && !short && (
            <Button busy={launch.isPending && launch.variables === null} disabled={!s.can_launch} onClick={() => launch.mutate(null)}>
              {scheduled ? "Schedule" : `Send to ${formatCount(s.audience.recipients)}`}
            </Button>
          )}
        </>
      }
    >
      {summary.isPending ? (
        <Loading what="the summary" />
      ) : summary.isError ? (
        <ErrorState error={summary.error} what="the summary" onRetry={() => summary.refetch()} />
      ) : (
        <div className="flex flex-col gap-3">
          <Facts s={s!} now={now} />
          {blocking.map((p) => (
            <Alert key={p.code}>{p.message}</Alert>
          ))}
          {short && (
            <Alert tone="warning" title={`You have ${formatCount(s!.quota.remaining)} messages left this month; this needs ${formatCount(s!.quota.needed)}`}>
              <div className="mt-2 flex flex-col gap-2">
                {plan && (
                  <div>
                    <Button busy={upgrade.isPending} onClick={() => upgrade.mutate(plan.id)}>
                      Upgrade to {plan.name} ({formatCount(plan.messages_per_month)} a month)
                    </Button>
                    <p className="mt-1 text-xs">You come back to this campaign after paying; it stays a draft until you send it.</p>
                  </div>
                )}
                {first !== null && first > 0 && (
                  <div>
                    <Button variant="secondary" busy={launch.isPending && launch.variables === first} disabled={blocking.length > 0} onClick={() => launch.mutate(first)}>
                      Send to the first {formatCount(first)} now
                    </Button>
                    <p className="mt-1 text-xs">The other {formatCount(s!.audience.recipients - first)} are kept as skipped and can be sent later with “Send the rest” once you have messages left.</p>
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
